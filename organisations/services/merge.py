"""The organisations app's half of merging a duplicate organisation into the one it duplicates:
which pairs may merge, and moving its own records (memberships, email domains, invitations to
join). Letters' merge_organisations moves the letters' rows and calls this in its transaction,
since `organisations` must not import `letters`."""

from dataclasses import asdict, dataclass
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from accounts.roles import is_moderator
from core.errors import DomainError, NotAllowed

from ..models import EmailDomain, Membership, MembershipInvitation, Organisation


@dataclass(frozen=True)
class MergedRecords:
    """What moved from the duplicate to the kept organisation, for the merge's audit event."""

    memberships: list[int]  # ids of the rows moved as they were
    memberships_merged: list[dict[str, Any]]  # {"user", "role"}: in both, the duplicate's row went
    membership_invitations: list[int]  # ids, every one moved
    membership_invitations_revoked: list[int]  # pending for an address the kept one invited too
    email_domains: list[str]  # moved
    email_domains_merged: list[str]  # listed by both, kept once
    email_domains_verified_by_merge: list[str]  # verified on the duplicate only, now on the kept

    def as_data(self) -> dict[str, Any]:
        return asdict(self)


def lock_for_merge(
    *, source: Organisation, target: Organisation, moderator: User
) -> tuple[Organisation, Organisation]:
    """Refuse a merge that cannot be, else lock both rows and return them as locked. Call it
    first in the merge's transaction: two moderators merging at once, or the same pair twice,
    wait here (locked in id order, so that they cannot deadlock)."""
    if not is_moderator(moderator):
        raise NotAllowed(_("Only moderators can merge organisations."))
    if source.pk == target.pk:
        raise DomainError(_("Choose two different organisations."))
    locked = {
        o.pk: o
        for o in Organisation.objects.select_for_update()
        .filter(pk__in=[source.pk, target.pk])
        .order_by("pk")
    }
    source, target = locked[source.pk], locked[target.pk]
    if source.merged_into_id is not None:
        raise DomainError(_("%(name)s has already been merged.") % {"name": source.name})
    if target.merged_into_id is not None:
        raise DomainError(
            _("%(name)s was merged into another organisation; merge into that one.")
            % {"name": target.name}
        )
    return source, target


@transaction.atomic
def merge_organisation_records(
    *, source: Organisation, target: Organisation, moderator: User
) -> MergedRecords:
    """Move the duplicate `source`'s memberships, email domains and invitations to join to
    `target`, and mark it merged into `target`, vouching for nothing. Deletes no record of a
    decision: only a person's second membership and a domain's second listing go. Only this
    app's rows: call it from letters' merge_organisations, in its transaction."""
    source, target = lock_for_merge(source=source, target=target, moderator=moderator)
    now = timezone.now()

    # Members: a person in both keeps the higher role; the duplicate's row goes.
    target_roles = dict(
        Membership.objects.filter(organisation=target).values_list("user_id", "role")
    )
    memberships = list(Membership.objects.filter(organisation=source).order_by("pk"))
    shared = [m for m in memberships if m.user_id in target_roles]
    promote = [
        m.user_id
        for m in shared
        if m.role == Membership.Role.ADMIN and target_roles[m.user_id] == Membership.Role.MEMBER
    ]
    Membership.objects.filter(organisation=target, user_id__in=promote).update(
        role=Membership.Role.ADMIN, updated_at=now
    )
    Membership.objects.filter(pk__in=[m.pk for m in shared]).delete()
    Membership.objects.filter(organisation=source).update(organisation=target, updated_at=now)

    # Invitations to join: a pending one for an address the target has also invited is
    # revoked (one pending invitation per address); all rows move, as the record.
    target_pending = {
        email.lower()
        for email in MembershipInvitation.objects.filter(
            organisation=target, status=MembershipInvitation.Status.PENDING
        ).values_list("email", flat=True)
    }
    invitations = list(
        MembershipInvitation.objects.filter(organisation=source)
        .order_by("pk")
        .values_list("pk", "status", "email")
    )
    revoked = [
        pk
        for pk, status, email in invitations
        if status == MembershipInvitation.Status.PENDING and email.lower() in target_pending
    ]
    MembershipInvitation.objects.filter(pk__in=revoked).update(
        status=MembershipInvitation.Status.REVOKED, responded_at=now, updated_at=now
    )
    MembershipInvitation.objects.filter(organisation=source).update(
        organisation=target, updated_at=now
    )

    # Email domains. A domain both list is kept once, on the target, verified if either was
    # (at most one verified row per domain: the duplicate's goes first).
    target_domains = set(
        EmailDomain.objects.filter(organisation=target).values_list("domain", flat=True)
    )
    domains = list(EmailDomain.objects.filter(organisation=source).order_by("domain"))
    shared_domains = [d for d in domains if d.domain in target_domains]
    verify_shared = [d for d in shared_domains if d.is_verified]
    EmailDomain.objects.filter(pk__in=[d.pk for d in shared_domains]).delete()
    for email_domain in verify_shared:
        EmailDomain.objects.filter(
            organisation=target, domain=email_domain.domain, is_verified=False
        ).update(
            is_verified=True,
            verified_at=email_domain.verified_at,
            verified_by_id=email_domain.verified_by_id,
            updated_at=now,
        )
    EmailDomain.objects.filter(organisation=source).update(organisation=target, updated_at=now)

    # The duplicate stays, pointing at the target (its old links redirect), vouching for nothing.
    source.merged_into = target
    source.is_verified = False
    source.verified_at = None
    source.verified_by = None
    source.save(
        update_fields=["merged_into", "is_verified", "verified_at", "verified_by", "updated_at"]
    )
    return MergedRecords(
        memberships=[m.pk for m in memberships if m.user_id not in target_roles],
        memberships_merged=[{"user": m.user_id, "role": m.role} for m in shared],
        membership_invitations=[pk for pk, _status, _email in invitations],
        membership_invitations_revoked=revoked,
        email_domains=[d.domain for d in domains if d.domain not in target_domains],
        email_domains_merged=[d.domain for d in shared_domains],
        email_domains_verified_by_merge=[d.domain for d in verify_shared],
    )
