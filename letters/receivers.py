"""Reactions of letters to other apps' signals, connected in LettersConfig.ready(). Each is one
call to a service: no logic lives here."""

from .services.invitations import follow_email_status
from .services.publication import invalidate_lists_naming
from .services.webhooks import tell_coordinators_webhook_disabled


def organisation_details_changed(sender, *, organisation, fields, **kwargs) -> None:
    """A renamed or moved organisation: the lists of signatories that name it are stale."""
    invalidate_lists_naming(organisation_id=organisation.pk)


def invitation_email_status_changed(sender, *, email_id, kind, status, error, **kwargs) -> None:
    """The outbox sent an email or gave up on it: an invitation follows its latest email."""
    if kind.startswith("invitation"):
        follow_email_status(
            email_id=email_id, status=status, error=error, sent_at=kwargs.get("sent_at")
        )


def webhook_endpoint_disabled(
    sender, *, endpoint_id, letter_id, url, reason, disabled_at, **kwargs
) -> None:
    """The webhooks app gave up on an endpoint: its letter's coordinators are told by email."""
    tell_coordinators_webhook_disabled(
        letter_id=letter_id, endpoint_id=endpoint_id, url=url, reason=reason, at=disabled_at
    )
