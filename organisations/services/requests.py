"""Requests to join an organisation (made by a merge), answered by its admins or a moderator."""

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from audit.actions import Action
from audit.services import record_event
from core.errors import NotAllowed, TransitionError

from ..models import Membership, MembershipRequest
from ..permissions import can_manage_organisation
from .organisations import unseal_organisation


@transaction.atomic
def answer_membership_request(
    *, request: MembershipRequest, approve: bool, actor: User
) -> MembershipRequest:
    """Approve (the person becomes a member; an admin can then change their role) or
    decline. Only the organisation's admins and moderators."""
    if not can_manage_organisation(actor, request.organisation):
        raise NotAllowed(_("Only the organisation's administrators can answer requests to join."))
    request = MembershipRequest.objects.select_for_update().get(pk=request.pk)
    if request.status != MembershipRequest.Status.PENDING:
        raise TransitionError(_("This request has already been answered."))
    now = timezone.now()
    request.status = (
        MembershipRequest.Status.APPROVED if approve else MembershipRequest.Status.DECLINED
    )
    request.decided_by = actor
    request.decided_at = now
    request.save(update_fields=["status", "decided_by", "decided_at", "updated_at"])
    if approve:
        membership, created = Membership.objects.get_or_create(
            organisation=request.organisation,
            user=request.user,
            defaults={"role": Membership.Role.MEMBER, "added_by": actor},
        )
        if created:
            unseal_organisation(organisation=request.organisation)
            record_event(
                action=Action.ORGANISATION_MEMBER_ADDED,
                actor=actor,
                organisation=request.organisation,
                target=membership,
                data={"role": Membership.Role.MEMBER, "request": request.pk},
            )
    return request
