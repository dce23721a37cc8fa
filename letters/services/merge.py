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

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from audit.actions import Action
from audit.services import record_event
from core.errors import DomainError
from organisations import services as organisation_services
from organisations.models import Organisation

from ..models import Invitation, Letter, Signature
from ..selectors.merge import Conflict, MergePlan, plan_merge
from .moderation import decide_signatures
from .publication import invalidate_public_list
from .signatures import withdraw_signature

Status = Signature.Status


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
        .of_organisations([source.pk, target.pk])
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
    # The trail names the public ones; withheld ones are counted (their organisation is
    # never written down in clear).
    moved_signatures = [
        s.pk for s in plan.signatures if s.visibility == Signature.Visibility.PUBLIC
    ]
    moved_withheld = len(plan.signatures) - len(moved_signatures)
    for signature in Signature.objects.of_organisation(source).select_related(None):
        signature.organisation = target  # its clear link or its encrypted one, and its index
        signature.updated_at = now
        signature.save(update_fields=["organisation", "updated_at"])
    Invitation.objects.filter(organisation=source).update(organisation=target, updated_at=now)
    # Invitations answered by a withheld signature name theirs only encrypted.
    for invitation in Invitation.objects.filter(
        organisation__isnull=True, status=Invitation.Status.ACCEPTED
    ).only("pk", "sealed_organisation"):
        if invitation.sealed_organisation == str(source.pk):
            invitation.sealed_organisation = str(target.pk)
            invitation.save(update_fields=["sealed_organisation", "updated_at"])
    lead = Letter.lead_organisations.through
    already_led = set(lead.objects.filter(organisation=target).values_list("letter_id", flat=True))
    lead.objects.filter(organisation=source, letter_id__in=already_led).delete()
    lead.objects.filter(organisation=source).update(organisation=target)

    # 3. The organisations app's own records: members, invitations to join, email domains; the
    # duplicate is marked merged into the target.
    records = organisation_services.merge_organisation_records(
        source=source, target=target, moderator=moderator
    )
    if target.is_sealed and not source.is_sealed:
        # What made the duplicate public (members, a public signature) is the target's now.
        target = organisation_services.unseal_organisation(organisation=target)
    # The lists of signatories name the target now.
    invalidate_public_list(letter_ids={s.letter_id for s in plan.signatures})

    moves = {
        "source": {"id": source.pk, "name": source.name},
        "target": {"id": target.pk, "name": target.name},
        "signatures": moved_signatures,
        "withheld_signatures": moved_withheld,
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
) -> dict[str, object]:
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
