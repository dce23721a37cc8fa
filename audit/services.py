"""Writing the audit trail: one event, or many in one INSERT. Called by other services inside
the transaction of the change they record, so neither opens a transaction of its own."""

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.db import models

from accounts.models import User
from organisations.models import Organisation

from .actions import Action
from .models import AuditEvent


@dataclass(frozen=True)
class Event:
    """One event for record_events(): the same fields as record_event() takes."""

    action: Action
    actor: User | None = None
    organisation: Organisation | None = None
    target: models.Model | None = None
    reason: str = ""
    data: dict[str, Any] = field(default_factory=dict)


def record_event(
    *,
    action: Action,
    actor: User | None = None,
    organisation: Organisation | None = None,
    target: models.Model | None = None,
    reason: str = "",
    data: dict[str, Any] | None = None,
) -> AuditEvent:
    """Append one audit event. Call it inside the transaction of the change it records."""
    event = _new_event(
        Event(
            action=action,
            actor=actor,
            organisation=organisation,
            target=target,
            reason=reason,
            data=data or {},
        )
    )
    event.save(force_insert=True)
    return event


def record_events(*, events: Iterable[Event]) -> list[AuditEvent]:
    """Append many audit events in one INSERT (a bulk decision, an import). Call it inside the
    transaction of the changes they record."""
    rows = [_new_event(event) for event in events]
    if not rows:
        return []
    return AuditEvent.objects.bulk_create(rows)


def detach_organisation(*, target: models.Model) -> int:
    """Forget which organisation the events about `target` concern (a signature that became
    withheld: its trail must not name its organisation in clear). Returns the count."""
    return AuditEvent.objects.filter(
        target_type=target._meta.label_lower, target_id=target.pk, organisation__isnull=False
    ).update(organisation=None)


def _new_event(event: Event) -> AuditEvent:
    # A loose string would be stored as written, typo included, and never match a filter.
    if not isinstance(event.action, Action):
        raise ValueError(f"Not an audit action: {event.action!r}; add it to audit.actions.Action.")
    actor = event.actor
    if actor is not None and not actor.is_authenticated:
        actor = None
    target = event.target
    return AuditEvent(
        action=event.action,
        actor=actor,
        organisation=event.organisation,
        letter_id=_letter_id_of(target),
        target_type=target._meta.label_lower if target is not None else "",
        target_id=target.pk if target is not None else None,
        reason=event.reason,
        data=event.data,
    )


def _letter_id_of(target: models.Model | None) -> int | None:
    """Events about a letter, or about something of a letter's (a signature, an invitation),
    are filed under that letter, so the trail can be read per letter."""
    if target is None:
        return None
    if target._meta.label_lower == "letters.letter":
        return target.pk
    return getattr(target, "letter_id", None)
