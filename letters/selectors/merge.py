"""What merging a duplicate organisation into another would move: the plan shown to the
moderator before merging, computed again under the locks when merging (letters.services.merge)."""

from dataclasses import dataclass, field

from django.utils.translation import gettext as _

from core.errors import DomainError
from organisations.models import EmailDomain, Membership, MembershipInvitation, Organisation

from ..models import Invitation, Letter, Signature

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
        Signature.objects.of_organisations([source.pk, target.pk])
        .with_organisations()
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
        if email_domain.domain in target_domains:
            plan.shared_domains.append(email_domain)
        else:
            plan.email_domains.append(email_domain)
    plan.lead_letters = list(source.led_letters.order_by("pk"))
    return plan
