"""What letters tell their coordinators' webhooks (README "Webhooks": events and payloads).

Each transition calls `emit` in its own transaction, so the delivery rows commit or roll back
with the change. Payloads are minimal: the letter's id and slug, and the object's id, status
and, for signatures and invitations, the organisation's name — which the coordinators see in
their export already. Never a signer's name, email, IP address or any link's secret.
"""

from collections.abc import Callable, Iterable
from typing import Any

from webhooks import services as webhooks
from webhooks.events import Event

from ..models import Invitation, Letter, Signature


def letter_reference(letter: Letter) -> dict[str, Any]:
    return {"letter": {"id": letter.pk, "slug": letter.slug, "status": letter.status}}


Data = dict[str, Any] | Callable[[], dict[str, Any]] | None


def emit(*, letter: Letter, event: Event, data: Data = None) -> list[int]:
    """Queue `event` for the letter's endpoints subscribed to it, in the caller's
    transaction. One query when nobody subscribed: `data` may be a function, called only
    when someone did."""

    def payload() -> dict[str, Any]:
        extra = data() if callable(data) else data
        return {**letter_reference(letter), **(extra or {})}

    return webhooks.queue_event(letter_id=letter.pk, event=event, payload=payload)


def signature_data(signature: Signature) -> dict[str, Any]:
    return {
        "signature": {
            "id": signature.pk,
            "status": signature.status,
            "visibility": signature.visibility,
            "organisation": signature.organisation_name,
        }
    }


def invitation_data(invitation: Invitation) -> dict[str, Any]:
    return {
        "invitation": {
            "id": invitation.pk,
            "status": invitation.status,
            "organisation": invitation.organisation_name,
        }
    }


def emit_signature(*, signature: Signature, event: Event) -> list[int]:
    return emit(letter=signature.letter, event=event, data=lambda: signature_data(signature))


def emit_signatures(*, signatures: Iterable[Signature], event: Event) -> list[int]:
    """One event per signature, one lookup of endpoints per letter (a batch of decisions)."""
    by_letter: dict[int, list[Signature]] = {}
    for signature in signatures:
        by_letter.setdefault(signature.letter_id, []).append(signature)
    queued: list[int] = []
    for group in by_letter.values():
        letter = group[0].letter
        queued += webhooks.queue_events(
            letter_id=letter.pk,
            events=[
                webhooks.EventSpec(event=event, payload=_signature_payload(letter, s))
                for s in group
            ],
        )
    return queued


def _signature_payload(letter: Letter, signature: Signature) -> Callable[[], dict[str, Any]]:
    return lambda: {**letter_reference(letter), **signature_data(signature)}


def emit_invitation(*, invitation: Invitation, event: Event) -> list[int]:
    return emit(letter=invitation.letter, event=event, data=lambda: invitation_data(invitation))
