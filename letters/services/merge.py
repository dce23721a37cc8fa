"""Merging a duplicate organisation into the one it duplicates.

It lives in letters because it moves letters' rows (signatures, invitations, lead letters), and
`organisations` must not import `letters`; the organisations app decides which pairs may merge
and moves its own rows (memberships, email domains, membership invitations), in the same
transaction (organisations.services.merge).

What a merge guarantees:
- nothing is deleted that records a decision: every signature of the duplicate ends up on the
  kept organisation, in the state it had — except where both had a live signature on the same
  letter (a *conflict*): the moderator chooses the one that stays, and the other is rejected as
  a duplicate (if awaiting review) or withdrawn, through the same services as anywhere else;
- the duplicate is kept, marked `merged_into`, so old links redirect and its history stays;
- it happens in one transaction with both organisations locked, so two moderators merging at
  once, or a signature arriving meanwhile, cannot leave half a merge; the plan is computed
  again under the locks, and a conflict the moderator has not resolved stops the merge.
"""

from dataclasses import dataclass, field

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from audit.actions import Action
from audit.services import record_event
from core.errors import DomainError
from organisations import services as organisation_services
from organisations.models import EmailDomain, Membership, MembershipInvitation, Organisation

from ..models import Invitation, Letter, Signature
from .moderation import decide_signatures
from .publication import invalidate_public_list
from .signatures import withdraw_signature

Status = Signature.Status


@dataclass
class Conflict:
    """Both organisations have a live signature on `letter`: only one may stay."""

    letter: Letter
    source_signature: Signature
    target_signature: Signature

    @property
    def resolvable(self) -> bool:
        # After publication the list is final: no signature can be withdrawn or rejected.
        return self.letter.status != Letter.Status.PUBLISHED

    def loser(self, kept_signature_id: int) -> Signature:
        if kept_signature_id == self.source_signature.pk:
            return self.target_signature
        if kept_signature_id == self.target_signature.pk:
            return self.source_signature
        raise DomainError(
            _("Choose which signature on “%(letter)s” stays.") % {"letter": self.letter.title}
        )


@dataclass
class MergePlan:
    """What a merge of `source` into `target` moves; shown to the moderator before merging."""

    source: Organisation
    target: Organisation
    memberships: list[Membership] = field(default_factory=list)  # move to target
    shared_members: list[Membership] = field(default_factory=list)  # already members of target
    signatures: list[Signature] = field(default_factory=list)  # every signature of source
    conflicts: list[Conflict] = field(default_factory=list)
    invitations: list[Invitation] = field(default_factory=list)
    membership_invitations: list[MembershipInvitation] = field(default_factory=list)
    email_domains: list[EmailDomain] = field(default_factory=list)  # move to target
    shared_domains: list[EmailDomain] = field(default_factory=list)  # target lists them too
    lead_letters: list[Letter] = field(default_factory=list)

    @property
    def unresolvable(self) -> list[Conflict]:
        return [c for c in self.conflicts if not c.resolvable]


def plan_merge(*, source: Organisation, target: Organisation) -> MergePlan:
    """Read what merging `source` into `target` would move (no change). Constant queries."""
    plan = MergePlan(source=source, target=target)
    target_members = set(
        Membership.objects.filter(organisation=target).values_list("user_id", flat=True)
    )
    for membership in Membership.objects.filter(organisation=source).select_related("user"):
        bucket = plan.shared_members if membership.user_id in target_members else plan.memberships
        bucket.append(membership)

    signatures = list(
        Signature.objects.filter(organisation_id__in=[source.pk, target.pk])
        .select_related("letter")
        .order_by("letter__title", "letter_id", "pk")
    )
    live_of_target = {
        s.letter_id: s for s in signatures if s.organisation_id == target.pk and s.is_live
    }
    for signature in signatures:
        if signature.organisation_id != source.pk:
            continue
        plan.signatures.append(signature)
        if signature.is_live and signature.letter_id in live_of_target:
            plan.conflicts.append(
                Conflict(
                    letter=signature.letter,
                    source_signature=signature,
                    target_signature=live_of_target[signature.letter_id],
                )
            )

    plan.invitations = list(
        Invitation.objects.filter(organisation=source).select_related("letter").order_by("pk")
    )
    plan.membership_invitations = list(
        MembershipInvitation.objects.filter(organisation=source).order_by("pk")
    )
    target_domains = set(
        EmailDomain.objects.filter(organisation=target).values_list("domain", flat=True)
    )
    for email_domain in EmailDomain.objects.filter(organisation=source).order_by("domain"):
        bucket = (
            plan.shared_domains if email_domain.domain in target_domains else plan.email_domains
        )
        bucket.append(email_domain)
    plan.lead_letters = list(source.led_letters.order_by("pk"))
    return plan


@transaction.atomic(durable=True)
def merge_organisations(
    *,
    source: Organisation,
    target: Organisation,
    moderator: User,
    resolutions: dict[int, int] | None = None,
) -> MergePlan:
    """Merge the duplicate `source` into `target`. `resolutions` maps the id of each letter both
    signed (a conflict) to the id of the signature that stays."""
    source, target = organisation_services.lock_for_merge(
        source=source, target=target, moderator=moderator
    )
    # The signatures of both, locked: a concurrent withdrawal or decision waits for the merge.
    list(
        Signature.objects.select_for_update()
        .filter(organisation_id__in=[source.pk, target.pk])
        .values_list("pk", flat=True)
    )
    plan = plan_merge(source=source, target=target)
    resolutions = resolutions or {}
    if plan.unresolvable:
        raise DomainError(
            _(
                "Both organisations signed the published letter “%(letter)s”; its list is "
                "final, so they cannot be merged."
            )
            % {"letter": plan.unresolvable[0].letter.title}
        )
    losers = [c.loser(resolutions.get(c.letter.pk, 0)) for c in plan.conflicts]
    now = timezone.now()

    # 1. Conflicts first: the losing signature stops being live, so that the survivor can
    # move without breaking "one live signature per organisation and letter".
    retired = []
    for loser in losers:
        retired.append(_retire_duplicate(loser, source=source, target=target, moderator=moderator))

    # 2. Signatures, invitations to sign, lead organisations of letters.
    moved_signatures = [s.pk for s in plan.signatures]
    Signature.objects.filter(organisation=source).update(organisation=target, updated_at=now)
    Invitation.objects.filter(organisation=source).update(organisation=target, updated_at=now)
    lead = Letter.lead_organisations.through
    already_led = set(lead.objects.filter(organisation=target).values_list("letter_id", flat=True))
    lead.objects.filter(organisation=source, letter_id__in=already_led).delete()
    lead.objects.filter(organisation=source).update(organisation=target)

    # 3. The organisations app's own records: members, invitations to join, email domains; the
    # duplicate is marked merged into the target.
    records = organisation_services.merge_organisation_records(
        source=source, target=target, moderator=moderator
    )
    # The lists of signatories name the target now.
    invalidate_public_list(letter_ids={s.letter_id for s in plan.signatures})

    moves = {
        "source": {"id": source.pk, "name": source.name},
        "target": {"id": target.pk, "name": target.name},
        "signatures": moved_signatures,
        "conflicts": [
            {"letter": c.letter.pk, "kept": _kept(c, loser), **r}
            for c, loser, r in zip(plan.conflicts, losers, retired, strict=True)
        ],
        "invitations": [i.pk for i in plan.invitations],
        **records.as_data(),
        "lead_letters": [letter.pk for letter in plan.lead_letters],
    }
    reason = _("%(source)s merged into %(target)s") % {
        "source": source.name,
        "target": target.name,
    }
    record_event(
        action=Action.ORGANISATION_MERGED,
        actor=moderator,
        organisation=target,
        reason=reason,
        data=moves,
    )
    record_event(
        action=Action.ORGANISATION_MERGED_INTO,
        actor=moderator,
        organisation=source,
        reason=reason,
        data={"target": target.pk},
    )
    return plan


def _kept(conflict: Conflict, loser: Signature) -> int:
    if loser.pk == conflict.source_signature.pk:
        return conflict.target_signature.pk
    return conflict.source_signature.pk


def _retire_duplicate(
    signature: Signature, *, source: Organisation, target: Organisation, moderator: User
) -> dict:
    """The losing signature of a conflict: rejected as a duplicate if it awaits review (the
    signer is told why), withdrawn otherwise. Never deleted."""
    if signature.status == Status.PENDING_REVIEW:
        decide_signatures(
            signature_ids=[signature.pk],
            moderator=moderator,
            approve=False,
            reason=Signature.RejectionReason.DUPLICATE,
            note=_(
                "“%(source)s” and “%(target)s” are the same organisation, which signed this "
                "letter twice. Its other signature stays; this one is closed as a duplicate."
            )
            % {"source": source.name, "target": target.name},
        )
        return {"retired": signature.pk, "as": Status.REJECTED}
    withdraw_signature(signature=signature)
    return {"retired": signature.pk, "as": Status.WITHDRAWN}
