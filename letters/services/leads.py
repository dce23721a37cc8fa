"""Lead organisations (issue 11, item 5). A coordinator finds an organisation (verified, or
one they belong to) and asks it to lead; its admins are emailed and one of them, logged in,
accepts or declines. Only then is it on Letter.lead_organisations; it is named publicly only
while its own signature on the letter is approved and public (letters.selectors).

LeadRequest: pending → accepted | declined (an admin of the organisation) ;
pending | accepted → withdrawn (a coordinator of the letter).
"""

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from audit.actions import Action
from audit.services import record_event
from core.errors import DomainError, NotAllowed, TransitionError
from organisations.models import Membership, Organisation

from .. import emails
from ..models import LeadRequest, Letter
from ..permissions import can_edit_letter
from ..selectors.leads import eligible_leads
from .publication import invalidate_public_list

R = LeadRequest.Status


def _is_admin(user: User, organisation_id: int) -> bool:
    return (
        user.is_authenticated
        and Membership.objects.filter(
            user=user, organisation_id=organisation_id, role=Membership.Role.ADMIN
        ).exists()
    )


def _locked(request: LeadRequest) -> LeadRequest:
    return (
        LeadRequest.objects.select_for_update()
        .select_related("letter", "organisation")
        .get(pk=request.pk)
    )


@transaction.atomic(durable=True)
def request_lead(*, letter: Letter, actor: User, organisation: Organisation) -> LeadRequest:
    letter = Letter.objects.select_for_update().get(pk=letter.pk)
    if not can_edit_letter(actor, letter):
        raise NotAllowed(_("Only the letter's coordinators can do this."))
    if letter.status == Letter.Status.PUBLISHED:
        raise TransitionError(_("A published letter cannot be changed."))
    if not eligible_leads(actor).filter(pk=organisation.pk).exists():
        raise DomainError(
            _("Only a verified organisation, or one you belong to, can be asked to lead.")
        )
    if LeadRequest.objects.filter(
        letter=letter, organisation=organisation, status__in=[R.PENDING, R.ACCEPTED]
    ).exists():
        raise TransitionError(_("This organisation has already been asked."))
    request = LeadRequest.objects.create(
        letter=letter, organisation=organisation, requested_by=actor
    )
    admins = list(
        Membership.objects.filter(organisation=organisation, role=Membership.Role.ADMIN)
        .select_related("user")
        .order_by("pk")
    )
    emails.lead_requests(request, [m.user for m in admins])
    record_event(
        action=Action.LETTER_LEAD_REQUESTED,
        actor=actor,
        target=letter,
        organisation=organisation,
        data={"request": request.pk, "admins": len(admins)},
    )
    return request


def _answer(request: LeadRequest, actor: User, status: str) -> LeadRequest:
    request = _locked(request)
    if not _is_admin(actor, request.organisation_id):
        raise NotAllowed(_("Only the organisation's administrators can answer."))
    if request.status != R.PENDING:
        raise TransitionError(_("This request has already been answered or withdrawn."))
    request.status = status
    request.decided_by = actor
    request.decided_at = timezone.now()
    request.save(update_fields=["status", "decided_by", "decided_at", "updated_at"])
    return request


@transaction.atomic(durable=True)
def accept_lead(*, request: LeadRequest, actor: User) -> LeadRequest:
    request = _answer(request, actor, R.ACCEPTED)
    request.letter.lead_organisations.add(request.organisation)
    invalidate_public_list(letter_ids=[request.letter_id])
    record_event(
        action=Action.LETTER_LEAD_ACCEPTED,
        actor=actor,
        target=request.letter,
        organisation=request.organisation,
    )
    return request


@transaction.atomic(durable=True)
def decline_lead(*, request: LeadRequest, actor: User) -> LeadRequest:
    request = _answer(request, actor, R.DECLINED)
    record_event(
        action=Action.LETTER_LEAD_DECLINED,
        actor=actor,
        target=request.letter,
        organisation=request.organisation,
    )
    return request


@transaction.atomic(durable=True)
def withdraw_lead(*, request: LeadRequest, actor: User) -> LeadRequest:
    """A coordinator calls off a request, or removes an accepted lead."""
    request = _locked(request)
    if not can_edit_letter(actor, request.letter):
        raise NotAllowed(_("Only the letter's coordinators can do this."))
    if request.status not in {R.PENDING, R.ACCEPTED}:
        raise TransitionError(_("This request is no longer live."))
    if request.letter.status == Letter.Status.PUBLISHED:
        raise TransitionError(_("A published letter cannot be changed."))
    request.status = R.WITHDRAWN
    request.save(update_fields=["status", "updated_at"])
    request.letter.lead_organisations.remove(request.organisation)
    invalidate_public_list(letter_ids=[request.letter_id])
    record_event(
        action=Action.LETTER_LEAD_WITHDRAWN,
        actor=actor,
        target=request.letter,
        organisation=request.organisation,
    )
    return request
