from typing import Any

from django.db import models

from accounts.models import User
from organisations.models import Organisation

from .models import AuditEvent


def record_event(
    *,
    action: str,
    actor: User | None = None,
    organisation: Organisation | None = None,
    target: models.Model | None = None,
    reason: str = "",
    data: dict[str, Any] | None = None,
) -> AuditEvent:
    """Append one audit event. Call it inside the transaction of the change it records."""
    if actor is not None and not actor.is_authenticated:
        actor = None
    return AuditEvent.objects.create(
        action=action,
        actor=actor,
        organisation=organisation,
        letter_id=_letter_id_of(target),
        target_type=target._meta.label_lower if target is not None else "",
        target_id=target.pk if target is not None else None,
        reason=reason,
        data=data or {},
    )


def _letter_id_of(target: models.Model | None) -> int | None:
    """Events about a letter, or about something of a letter's (a signature, an invitation),
    are filed under that letter, so the trail can be read per letter."""
    if target is None:
        return None
    if target._meta.label_lower == "letters.letter":
        return target.pk
    return getattr(target, "letter_id", None)
