"""Invitations to join an organisation, by email: invite, accept, revoke.

The invitation replaces adding people by the address of their account, which told anyone who
registered an organisation whether an address was in use on Undersigned.

Each is a whole use case, never a step of another: its transaction is durable, so a caller that
wraps one in a transaction of its own fails at once (RuntimeError) rather than silently making
it part of something larger.
"""

import secrets

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from audit.actions import Action
from audit.services import record_event
from core.errors import DomainError, NotAllowed, TransitionError
from outbox.services import queue_email

from ..models import Membership, MembershipInvitation, Organisation, max_length_of
from ..permissions import can_accept_invitation, can_manage_organisation
from .organisations import unseal_organisation

MAX_EMAIL_LENGTH = max_length_of(MembershipInvitation, "email")


def _clean_email(email: str) -> str:
    email = email.strip()
    try:
        if len(email) > MAX_EMAIL_LENGTH:
            raise ValidationError("too long")
        validate_email(email)
    except ValidationError as exc:
        raise DomainError(_("Enter a valid email address.")) from exc
    return email


def _accept_url(secret: str) -> str:
    path = reverse("organisations:invitation-accept", kwargs={"secret": secret})
    return f"{settings.SITE_URL}{path}"


def _inviter_name(actor: User, organisation: Organisation) -> str:
    """Named in the email so the invitee can tell whether they know who invited them; a
    moderator acting for the organisation stays unnamed."""
    if actor.name and organisation.memberships.filter(user=actor).exists():
        return actor.name
    return ""


@transaction.atomic(durable=True)
def invite_member(
    *, organisation: Organisation, email: str, role: str, actor: User
) -> MembershipInvitation:
    """Email someone a link to join the organisation. Whether the address has an account is
    never looked up here: the outcome is the same either way, so that nobody can use this to
    find out who uses Undersigned (DESIGN.md §1). The invitee accepts while logged in."""
    if not can_manage_organisation(actor, organisation):
        raise NotAllowed(_("Only the organisation's administrators can invite members."))
    if role not in Membership.Role.values:
        raise DomainError(_("Unknown role."))
    email = _clean_email(email)
    # Only the address each member is listed with on the members page: matching secondary
    # addresses would tell the inviter something that page does not show.
    if organisation.memberships.filter(user__email__iexact=email).exists():
        raise DomainError(_("%(email)s is already a member.") % {"email": email})
    # A pending invitation past its date no longer holds the address.
    now = timezone.now()
    MembershipInvitation.objects.filter(
        organisation=organisation,
        email__iexact=email,
        status=MembershipInvitation.Status.PENDING,
        created_at__lte=now - MembershipInvitation.VALID_FOR,
    ).update(status=MembershipInvitation.Status.EXPIRED, updated_at=now)
    secret = secrets.token_urlsafe(32)
    try:
        # A savepoint: losing the race on the one-pending-invitation constraint must leave
        # the outer transaction usable for the clear error below.
        with transaction.atomic():
            invitation = MembershipInvitation.objects.create(
                organisation=organisation,
                email=email,
                role=role,
                token_hash=MembershipInvitation.hash_secret(secret),
                invited_by=actor,
            )
    except IntegrityError as exc:
        raise DomainError(
            _("%(email)s already has a pending invitation. To send a new one, revoke it first.")
            % {"email": email}
        ) from exc
    record_event(
        action=Action.ORGANISATION_MEMBER_INVITED,
        actor=actor,
        organisation=organisation,
        target=invitation,
        data={"role": role},
    )
    queue_email(
        kind="membership_invitation",
        to=email,
        context={
            "organisation": organisation,
            "invitation": invitation,
            "inviter_name": _inviter_name(actor, organisation),
            "accept_url": _accept_url(secret),
            "organisation_url": settings.SITE_URL + organisation.get_absolute_url(),
            "valid_days": MembershipInvitation.VALID_FOR.days,
        },
        dedupe_key=f"membership-invitation:{invitation.pk}",
    )
    return invitation


def unusable_reason(invitation: MembershipInvitation) -> str:
    if invitation.status == MembershipInvitation.Status.ACCEPTED:
        return _("This invitation has already been accepted. Each invitation link works once.")
    if invitation.status == MembershipInvitation.Status.REVOKED:
        return _("This invitation was withdrawn by the organisation's administrators.")
    return _(
        "This invitation has expired. Ask an administrator of the organisation to invite you again."
    )


@transaction.atomic(durable=True)
def accept_membership_invitation(*, secret: str, user: User) -> Membership:
    """The invitee joins, logged in with the invited address confirmed. Accepting when
    already a member keeps the membership as it is (role included)."""
    invitation = (
        MembershipInvitation.objects.select_for_update()
        .select_related("organisation")
        .filter(token_hash=MembershipInvitation.hash_secret(secret))
        .first()
    )
    if invitation is None:
        raise TransitionError(_("This invitation link is not valid."))
    if not invitation.is_acceptable:
        raise TransitionError(unusable_reason(invitation))
    if not can_accept_invitation(user, invitation):
        raise NotAllowed(
            _(
                "This invitation is for %(email)s. Log in with the account that uses that "
                "address, or make it your account's email address and confirm it, then accept "
                "again."
            )
            % {"email": invitation.email}
        )
    organisation = invitation.organisation
    membership, created = Membership.objects.get_or_create(
        organisation=organisation,
        user=user,
        defaults={"role": invitation.role, "added_by": invitation.invited_by},
    )
    if created:
        unseal_organisation(organisation=organisation)
    invitation.status = MembershipInvitation.Status.ACCEPTED
    invitation.accepted_by = user
    invitation.responded_at = timezone.now()
    invitation.save(update_fields=["status", "accepted_by", "responded_at", "updated_at"])
    record_event(
        action=Action.ORGANISATION_INVITATION_ACCEPTED,
        actor=user,
        organisation=organisation,
        target=invitation,
    )
    if created:
        record_event(
            action=Action.ORGANISATION_MEMBER_ADDED,
            actor=user,
            organisation=organisation,
            target=membership,
            data={"role": membership.role, "invitation_id": invitation.pk},
        )
    return membership


@transaction.atomic(durable=True)
def revoke_membership_invitation(
    *, invitation: MembershipInvitation, actor: User
) -> MembershipInvitation:
    """Withdraw a pending invitation; its link stops working."""
    if not can_manage_organisation(actor, invitation.organisation):
        raise NotAllowed(_("Only the organisation's administrators can revoke invitations."))
    now = timezone.now()
    # Conditional: an acceptance committed a moment ago wins over the revocation.
    won = MembershipInvitation.objects.filter(
        pk=invitation.pk, status=MembershipInvitation.Status.PENDING
    ).update(status=MembershipInvitation.Status.REVOKED, responded_at=now, updated_at=now)
    if not won:
        invitation.refresh_from_db(fields=["status"])
        if invitation.status == MembershipInvitation.Status.ACCEPTED:
            raise TransitionError(
                _("%(email)s has already accepted this invitation.") % {"email": invitation.email}
            )
        raise TransitionError(_("This invitation is no longer pending."))
    invitation.refresh_from_db()
    record_event(
        action=Action.ORGANISATION_INVITATION_REVOKED,
        actor=actor,
        organisation=invitation.organisation,
        target=invitation,
    )
    return invitation
