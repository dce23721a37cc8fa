"""The organisations app's half of merging a duplicate organisation into the one it duplicates:
which pairs may merge, and its own records (memberships become requests to join, email
domains move, invitations to join move, revoked if pending). Letters' merge_organisations moves the letters' rows and calls this in its transaction,
since `organisations` must not import `letters`."""

from dataclasses import asdict, dataclass
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from accounts.roles import is_moderator
from core.errors import DomainError, NotAllowed

from ..models import (
    EmailDomain,
    Membership,
    MembershipInvitation,
    MembershipRequest,
    Organisation,
)


@dataclass(frozen=True)
class MergedRecords:
    """What moved from the duplicate to the kept organisation, for the merge's audit event."""

    # Members of the duplicate only: their rows went, each became a request to join the target
    # ({"user", "role", "request"}), so that a merge makes nobody a member, let alone an admin.
    membership_requests: list[dict[str, Any]]
    # {"user", "role"}: in both, the duplicate's row went; the target's role stays.
    memberships_merged: list[dict[str, Any]]
    membership_invitations: list[int]  # ids, every one moved
    # Every invitation to join the duplicate still pending: its admins chose those people, not
    # the target's.
    membership_invitations_revoked: list[int]
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
    """Turn the duplicate `source`'s members into requests to join `target` (its admins
    answer), move its email domains and invitations to join (revoking the pending ones), and
    mark it merged into `target`, vouching for nothing. The duplicate's memberships go (the
    requests and the audit event record them), and a domain's second listing. Only this app's
    rows: call it from letters' merge_organisations, in its transaction."""
    source, target = lock_for_merge(source=source, target=target, moderator=moderator)
    now = timezone.now()

    # Members. Nobody becomes a member of the target by a merge: whoever registered a
    # lookalike of a verified organisation is its admin, and would become the real one's.
    # A member of the duplicate only is asked for: a pending request the target's admins
    # answer. A person in both keeps the target's role. The duplicate's rows go.
    target_roles = dict(
        Membership.objects.filter(organisation=target).values_list("user_id", "role")
    )
    memberships = list(Membership.objects.filter(organisation=source).order_by("pk"))
    shared = [m for m in memberships if m.user_id in target_roles]
    already_asked = set(
        MembershipRequest.objects.filter(
            organisation=target, status=MembershipRequest.Status.PENDING
        ).values_list("user_id", flat=True)
    )
    requests = MembershipRequest.objects.bulk_create(
        [
            MembershipRequest(
                organisation=target, user_id=m.user_id, previous_role=m.role, merged_from=source
            )
            for m in memberships
            if m.user_id not in target_roles and m.user_id not in already_asked
        ]
    )
    Membership.objects.filter(organisation=source).delete()

    # Invitations to join: every one still pending is revoked (the duplicate's admins chose
    # whom to invite, not the target's); all rows move, as the record.
    invitations = list(
        MembershipInvitation.objects.filter(organisation=source)
        .order_by("pk")
        .values_list("pk", "status", "email")
    )
    revoked = [
        pk for pk, status, _email in invitations if status == MembershipInvitation.Status.PENDING
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
        membership_requests=[
            {"user": r.user_id, "role": r.previous_role, "request": r.pk} for r in requests
        ],
        memberships_merged=[{"user": m.user_id, "role": m.role} for m in shared],
        membership_invitations=[pk for pk, _status, _email in invitations],
        membership_invitations_revoked=revoked,
        email_domains=[d.domain for d in domains if d.domain not in target_domains],
        email_domains_merged=[d.domain for d in shared_domains],
        email_domains_verified_by_merge=[d.domain for d in verify_shared],
    )
