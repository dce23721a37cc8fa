"""Reactions of letters to other apps' signals, connected in LettersConfig.ready(). Each is one
call to a service: no logic lives here."""

from .services.invitations import follow_email_status
from .services.publication import invalidate_lists_naming


def organisation_details_changed(sender, *, organisation, fields, **kwargs) -> None:
    """A renamed or moved organisation: the lists of signatories that name it are stale."""
    invalidate_lists_naming(organisation_id=organisation.pk)


def invitation_email_status_changed(sender, *, email_id, kind, status, error, **kwargs) -> None:
    """The outbox sent an email or gave up on it: an invitation follows its latest email."""
    if kind.startswith("invitation"):
        follow_email_status(
            email_id=email_id, status=status, error=error, sent_at=kwargs.get("sent_at")
        )
