"""Members of an organisation: a moderator's direct addition, roles, removal and leaving.
Organisation admins add people by invitation (invitations.py)."""

from allauth.account.models import EmailAddress
from django.db import transaction
from django.utils.translation import gettext as _

from accounts.models import User
from accounts.roles import is_moderator
from audit.actions import Action
from audit.services import record_event
from core.errors import DomainError, NotAllowed

from ..models import Membership, Organisation
from ..permissions import can_manage_organisation
from .organisations import unseal_organisation


@transaction.atomic
def add_member(
    *, organisation: Organisation, user: User, actor: User, role: str = Membership.Role.MEMBER
) -> Membership:
    """A moderator adds an account directly (the admin's membership inline). Everyone else
    invites by email, which never tells them whether the address has an account."""
    if not is_moderator(actor):
        raise NotAllowed(_("Only moderators can add an account directly; invite by email."))
    if role not in Membership.Role.values:
        raise DomainError(_("Unknown role."))
    if not EmailAddress.objects.filter(user=user, verified=True).exists():
        raise DomainError(
            _("%(email)s has not confirmed an email address yet.") % {"email": user.email}
        )
    membership, created = Membership.objects.get_or_create(
        organisation=organisation, user=user, defaults={"role": role, "added_by": actor}
    )
    if not created:
        raise DomainError(_("%(email)s is already a member.") % {"email": user.email})
    unseal_organisation(organisation=organisation)  # it has a member: a public existence
    record_event(
        action=Action.ORGANISATION_MEMBER_ADDED,
        actor=actor,
        organisation=organisation,
        target=membership,
        data={"role": role},
    )
    return membership


def _other_admins(membership: Membership) -> bool:
    return (
        Membership.objects.select_for_update()
        .filter(organisation_id=membership.organisation_id, role=Membership.Role.ADMIN)
        .exclude(pk=membership.pk)
        .exists()
    )


@transaction.atomic
def change_member_role(*, membership: Membership, role: str, actor: User) -> Membership:
    if not can_manage_organisation(actor, membership.organisation):
        raise NotAllowed(_("Only the organisation's administrators can change roles."))
    if role not in Membership.Role.values:
        raise DomainError(_("Unknown role."))
    if membership.role == role:
        return membership
    if membership.is_admin and not _other_admins(membership):
        raise DomainError(_("An organisation needs at least one administrator."))
    membership.role = role
    membership.save(update_fields=["role", "updated_at"])
    record_event(
        action=Action.ORGANISATION_MEMBER_ROLE_CHANGED,
        actor=actor,
        organisation=membership.organisation,
        target=membership,
        data={"role": role},
    )
    return membership


@transaction.atomic
def remove_member(*, membership: Membership, actor: User) -> None:
    """Remove a member; members may also leave. The last administrator cannot go."""
    leaving = membership.user_id == actor.pk
    if not leaving and not can_manage_organisation(actor, membership.organisation):
        raise NotAllowed(_("Only the organisation's administrators can remove members."))
    if membership.is_admin and not _other_admins(membership):
        raise DomainError(
            _("An organisation needs at least one administrator. Make someone else one first.")
        )
    record_event(
        action=Action.ORGANISATION_MEMBER_REMOVED,
        actor=actor,
        organisation=membership.organisation,
        data={"user_id": membership.user_id},
    )
    membership.delete()
