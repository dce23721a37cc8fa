"""Inviting an organisation's contact to sign."""

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from accounts.models import User
from audit.services import record_event
from core.errors import DomainError, NotAllowed, TransitionError
from organisations.models import Organisation

from .. import emails, tokens
from ..models import Invitation, Letter
from ..permissions import can_edit_letter


@transaction.atomic
def invite(
    *,
    letter: Letter,
    actor: User,
    email: str,
    organisation: Organisation | None = None,
    organisation_name: str = "",
    contact_name: str = "",
) -> Invitation:
    """Invite one contact. The personal link goes out by email through the outbox; only the
    hash of its secret is stored."""
    if not can_edit_letter(actor, letter):
        raise NotAllowed(_("Only the letter's coordinators can invite."))
    if letter.status not in {Letter.Status.DRAFT, Letter.Status.OPEN}:
        raise TransitionError(
            _("Invitations can only be sent while the letter is a draft or open.")
        )
    name = organisation.name if organisation is not None else " ".join(organisation_name.split())
    if not name:
        raise DomainError(_("Name the organisation you are inviting."))
    secret, token_hash = tokens.new_invitation_secret()
    try:
        with transaction.atomic():
            invitation = Invitation.objects.create(
                letter=letter,
                organisation=organisation,
                organisation_name=name,
                contact_name=" ".join(contact_name.split()),
                email=email.strip(),
                token_hash=token_hash,
                invited_by=actor,
            )
    except IntegrityError as exc:
        raise DomainError(
            _("%(email)s already has a live invitation to this letter.") % {"email": email}
        ) from exc
    record_event(
        action="invitation.created",
        actor=actor,
        organisation=organisation,
        target=invitation,
        data={"letter_id": letter.pk},
    )
    emails.invitation(invitation, secret)
    return invitation
