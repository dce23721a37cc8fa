"""The coordinators' webhooks of a letter (README "Webhooks"): who may manage them is decided
here, what they are and how they are sent in the webhooks app.

Who: the letter's coordinators, owners and editors alike — they run the letter and already
read everything an event tells. Not moderators: a webhook sends the letter's events out of the
site, and a moderator's role is to decide signatures, not to take data elsewhere.
"""

import datetime as dt
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from accounts.models import User
from audit.actions import Action
from audit.services import record_event
from core.errors import NotAllowed, TransitionError
from webhooks import services as webhooks
from webhooks.models import WebhookDelivery, WebhookEndpoint

from .. import emails, selectors
from ..models import Letter
from ..permissions import can_edit_letter
from .webhook_events import letter_reference


def _require_coordinator(actor: User, letter: Letter) -> None:
    if not can_edit_letter(actor, letter):
        raise NotAllowed(_("Only the letter's coordinators manage its webhooks."))


def _own(letter: Letter, endpoint: WebhookEndpoint) -> None:
    if endpoint.letter_id != letter.pk:
        raise NotAllowed(_("This webhook belongs to another letter."))


def _audit(action: Action, actor: User, letter: Letter, endpoint: WebhookEndpoint) -> None:
    """Who took the letter's events where: the host only (an address's path may be the
    receiver's own secret), never the signing secret."""
    record_event(
        action=action,
        actor=actor,
        target=letter,
        data={"webhook": endpoint.pk, "host": endpoint.host, "events": list(endpoint.events)},
    )


@transaction.atomic
def add_webhook(
    *, letter: Letter, actor: User, url: str, events: list[str]
) -> tuple[WebhookEndpoint, str]:
    """Subscribe an HTTPS address to some of the letter's events. Returns the endpoint and its
    signing secret, to be shown once."""
    _require_coordinator(actor, letter)
    endpoint, secret = webhooks.create_endpoint(
        letter_id=letter.pk, url=url, events=events, created_by=actor
    )
    _audit(Action.LETTER_WEBHOOK_ADDED, actor, letter, endpoint)
    return endpoint, secret


@transaction.atomic
def disable_webhook(*, letter: Letter, actor: User, endpoint: WebhookEndpoint) -> WebhookEndpoint:
    _require_coordinator(actor, letter)
    _own(letter, endpoint)
    endpoint = webhooks.disable_endpoint(
        endpoint=endpoint, reason=_("Disabled by %(email)s.") % {"email": actor.email}
    )
    _audit(Action.LETTER_WEBHOOK_DISABLED, actor, letter, endpoint)
    return endpoint


@transaction.atomic
def enable_webhook(*, letter: Letter, actor: User, endpoint: WebhookEndpoint) -> WebhookEndpoint:
    _require_coordinator(actor, letter)
    _own(letter, endpoint)
    endpoint = webhooks.enable_endpoint(endpoint=endpoint)
    _audit(Action.LETTER_WEBHOOK_ENABLED, actor, letter, endpoint)
    return endpoint


@transaction.atomic
def delete_webhook(*, letter: Letter, actor: User, endpoint: WebhookEndpoint) -> None:
    _require_coordinator(actor, letter)
    _own(letter, endpoint)
    _audit(Action.LETTER_WEBHOOK_DELETED, actor, letter, endpoint)
    webhooks.delete_endpoint(endpoint=endpoint)


def ping_webhook(*, letter: Letter, actor: User, endpoint: WebhookEndpoint) -> WebhookDelivery:
    """Send a test event ("ping") to one endpoint."""
    _require_coordinator(actor, letter)
    _own(letter, endpoint)
    payload: dict[str, Any] = letter_reference(letter)
    return webhooks.send_ping(endpoint=endpoint, payload=payload)


def retry_webhook_delivery(
    *, letter: Letter, actor: User, delivery: WebhookDelivery
) -> WebhookDelivery:
    """ "Retry now" for a failed delivery: queued again, with the same event id."""
    _require_coordinator(actor, letter)
    if delivery.endpoint.letter_id != letter.pk:
        raise TransitionError(_("This delivery belongs to another letter."))
    return webhooks.retry_delivery(delivery=delivery)


@transaction.atomic
def tell_coordinators_webhook_disabled(
    *, letter_id: int, endpoint_id: int, url: str, reason: str, at: dt.datetime
) -> list[int]:
    """Email every coordinator of the letter that a webhook was disabled (once per disabling:
    the dedupe key names the endpoint and the moment)."""
    letter = Letter.objects.get(pk=letter_id)
    coordinators = [row.user for row in selectors.coordinators_of(letter)]
    return emails.webhook_disabled(
        letter=letter,
        coordinators=coordinators,
        url=url,
        reason=reason,
        key=f"{endpoint_id}:{int(at.timestamp())}",
    )
