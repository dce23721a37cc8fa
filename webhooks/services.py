"""Webhooks: queue an event inside the business transaction, deliver it after commit.

Delivery guarantees (README "Webhooks"): a delivery row is claimed under a row lock
(`select_for_update(skip_locked=True)`) held while the receiver answers, and marked sent in the
same transaction, so two workers (a retry and a sweep, a task run twice) never post it twice.
If a worker dies after the receiver answered but before the commit, the row is still queued
and is posted once more with the same event id: receivers de-duplicate on it (at-least-once
from here, exactly-once at a receiver that keeps the ids it has seen).
"""

import http.client
import json
import logging
import secrets as random_source
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from core.errors import DomainError, TransitionError

from . import destinations, signing, transport
from .events import EVENT_NAMES, PING
from .models import WebhookDelivery, WebhookEndpoint, url_key
from .signals import delivery_requested, endpoint_disabled

logger = logging.getLogger(__name__)

Status = WebhookDelivery.Status

# The answers worth trying again: the receiver is down, overloaded or asks to slow down.
RETRY_STATUSES = frozenset({408, 425, 429})


# --- Endpoints: what the coordinators do -----------------------------------------------------


def _clean_events(events: Iterable[str]) -> list[str]:
    chosen = sorted(set(events))
    if not chosen:
        raise DomainError(_("Choose at least one event."))
    unknown = [e for e in chosen if e not in EVENT_NAMES]
    if unknown:
        raise DomainError(_("Unknown event: %(event)s.") % {"event": ", ".join(unknown)})
    return chosen


@transaction.atomic
def create_endpoint(
    *, letter_id: int, url: str, events: Iterable[str], created_by: Any = None
) -> tuple[WebhookEndpoint, str]:
    """Subscribe a URL to a letter's events. The URL must pass the SSRF rule now (resolved
    now; again at every send). Returns the endpoint and its signing secret, which is shown
    once: nothing shows it again."""
    url = url.strip()
    chosen = _clean_events(events)
    destinations.resolve(url)
    if (
        WebhookEndpoint.objects.filter(letter_id=letter_id).count()
        >= settings.WEBHOOKS_MAX_PER_LETTER
    ):
        raise DomainError(
            _("A letter can have at most %(count)s webhooks.")
            % {"count": settings.WEBHOOKS_MAX_PER_LETTER}
        )
    key = url_key(letter_id, url)
    if WebhookEndpoint.objects.filter(letter_id=letter_id, url_key=key).exists():
        raise DomainError(_("This letter already sends its events to this address."))
    secret = signing.new_secret()
    endpoint = WebhookEndpoint.objects.create(
        letter_id=letter_id,
        url=url,
        url_key=key,
        secret=secret,
        events=chosen,
        created_by=created_by,
    )
    return endpoint, secret


def _locked(endpoint: WebhookEndpoint) -> WebhookEndpoint:
    found = WebhookEndpoint.objects.select_for_update().filter(pk=endpoint.pk).first()
    if found is None:
        raise TransitionError(_("This webhook no longer exists."))
    return found


def _abandon_queued(endpoint: WebhookEndpoint, *, now: datetime) -> int:
    return WebhookDelivery.objects.filter(endpoint=endpoint, status=Status.QUEUED).update(
        status=Status.ABANDONED, next_attempt_at=None, updated_at=now
    )


@transaction.atomic
def disable_endpoint(*, endpoint: WebhookEndpoint, reason: str) -> WebhookEndpoint:
    """Stop sending to an endpoint; what waits for it is abandoned (a coordinator can retry it
    once the endpoint is enabled again)."""
    endpoint = _locked(endpoint)
    if not endpoint.active:
        raise TransitionError(_("This webhook is already disabled."))
    now = timezone.now()
    endpoint.active = False
    endpoint.disabled_at = now
    endpoint.disabled_reason = reason[:300]
    endpoint.save(update_fields=["active", "disabled_at", "disabled_reason", "updated_at"])
    _abandon_queued(endpoint, now=now)
    return endpoint


@transaction.atomic
def enable_endpoint(*, endpoint: WebhookEndpoint) -> WebhookEndpoint:
    """Send to a disabled endpoint again, its count of failures reset. Its URL must still pass
    the SSRF rule."""
    endpoint = _locked(endpoint)
    if endpoint.active:
        raise TransitionError(_("This webhook is already enabled."))
    destinations.resolve(endpoint.url)
    endpoint.active = True
    endpoint.disabled_at = None
    endpoint.disabled_reason = ""
    endpoint.consecutive_failures = 0
    endpoint.save(
        update_fields=[
            "active",
            "disabled_at",
            "disabled_reason",
            "consecutive_failures",
            "updated_at",
        ]
    )
    return endpoint


@transaction.atomic
def delete_endpoint(*, endpoint: WebhookEndpoint) -> None:
    """Remove an endpoint and its record of deliveries."""
    endpoint = _locked(endpoint)
    endpoint.delete()


def _body(
    *, event_id: uuid.UUID, event: str, occurred_at: datetime, payload: dict[str, Any]
) -> str:
    document = {
        "id": str(event_id),
        "type": event,
        "occurred_at": occurred_at.isoformat(),
        **payload,
    }
    return json.dumps(document, cls=DjangoJSONEncoder, ensure_ascii=False, separators=(",", ":"))


@transaction.atomic
def send_ping(*, endpoint: WebhookEndpoint, payload: dict[str, Any]) -> WebhookDelivery:
    """Queue a "ping" to one endpoint, whatever it subscribed to: a coordinator checks the
    receiver and its verification of the signature."""
    endpoint = _locked(endpoint)
    if not endpoint.active:
        raise TransitionError(_("Enable this webhook before testing it."))
    now = timezone.now()
    event_id = uuid.uuid4()
    delivery = WebhookDelivery.objects.create(
        endpoint=endpoint,
        event_id=event_id,
        event=PING,
        body=_body(event_id=event_id, event=PING, occurred_at=now, payload=payload),
        next_attempt_at=now,
    )
    request_delivery(delivery_ids=[delivery.pk])
    return delivery


@transaction.atomic
def retry_delivery(*, delivery: WebhookDelivery) -> WebhookDelivery:
    """Queue a failed or abandoned delivery again ("retry now"), with the same event id."""
    delivery = (
        WebhookDelivery.objects.select_for_update(of=("self",))
        .select_related("endpoint")
        .get(pk=delivery.pk)
    )
    if delivery.status not in (Status.FAILED, Status.ABANDONED):
        raise TransitionError(_("Only a failed delivery can be retried."))
    if not delivery.endpoint.active:
        raise TransitionError(_("Enable this webhook before retrying its deliveries."))
    if not delivery.body:
        raise TransitionError(
            _("This delivery is too old to be retried: its content has been deleted.")
        )
    delivery.status = Status.QUEUED
    delivery.attempts = 0
    delivery.next_attempt_at = timezone.now()
    delivery.save(update_fields=["status", "attempts", "next_attempt_at", "updated_at"])
    request_delivery(delivery_ids=[delivery.pk])
    return delivery


# --- Events: queued in the caller's transaction ------------------------------------------------


Payload = dict[str, Any] | Callable[[], dict[str, Any]]


@dataclass(frozen=True)
class EventSpec:
    event: str  # webhooks.events.Event
    # The body's fields beside id, type and occurred_at; or a function that makes them, called
    # only when an endpoint subscribed (a withheld organisation's name costs a query).
    payload: Payload
    event_id: uuid.UUID | None = None  # a new one by default


def _payload_of(spec: EventSpec) -> dict[str, Any]:
    return spec.payload() if callable(spec.payload) else spec.payload


def queue_event(
    *,
    letter_id: int,
    event: str,
    payload: Payload,
    event_id: uuid.UUID | None = None,
) -> list[int]:
    """Queue `event` for every active endpoint of the letter subscribed to it, in the caller's
    transaction (a rolled-back change queues nothing); the worker gets them after commit.
    Queueing the same event id again for an endpoint adds nothing. Returns the rows queued."""
    return queue_events(
        letter_id=letter_id, events=[EventSpec(event=event, payload=payload, event_id=event_id)]
    )


def queue_events(*, letter_id: int, events: Iterable[EventSpec]) -> list[int]:
    """queue_event for several events of one letter (a batch of decisions): one query when
    nobody subscribed, three when someone did, however many events."""
    specs = list(events)
    for spec in specs:
        if spec.event not in EVENT_NAMES:
            raise ValueError(f"unknown webhook event {spec.event!r}")
    endpoints = list(
        WebhookEndpoint.objects.filter(letter_id=letter_id, active=True).only("pk", "events")
    )
    now = timezone.now()
    rows = []
    for spec in specs:
        subscribed = [endpoint for endpoint in endpoints if spec.event in endpoint.events]
        if not subscribed:
            continue
        event_id = spec.event_id or uuid.uuid4()
        body = _body(
            event_id=event_id, event=spec.event, occurred_at=now, payload=_payload_of(spec)
        )
        rows += [
            WebhookDelivery(
                endpoint=endpoint,
                event_id=event_id,
                event=spec.event,
                body=body,
                next_attempt_at=now,
            )
            for endpoint in subscribed
        ]
    if not rows:
        return []
    WebhookDelivery.objects.bulk_create(rows, ignore_conflicts=True)
    ids = list(
        WebhookDelivery.objects.filter(
            endpoint__in={row.endpoint_id for row in rows},
            event_id__in={row.event_id for row in rows},
            status=Status.QUEUED,
        ).values_list("pk", flat=True)
    )
    request_delivery(delivery_ids=ids)
    return ids


def request_delivery(*, delivery_ids: Iterable[int], countdown: int | None = None) -> None:
    """Have these rows handed to the worker once the current transaction commits (at once
    outside one). webhooks.dispatch does it: services never import the tasks."""
    ids = list(delivery_ids)
    if ids:
        delivery_requested.send(sender=WebhookDelivery, delivery_ids=ids, countdown=countdown)


# --- Delivery: the worker's side -------------------------------------------------------------


@dataclass(frozen=True)
class Outcome:
    status: str  # "sent", "skipped", "retry", "failed", "abandoned"
    retry_in: int | None = None


def backoff(attempts: int) -> int:
    """Seconds before attempt `attempts + 1`: the base doubled per attempt, capped, plus up to
    a fifth more at random so that the deliveries of one outage do not all return at once."""
    base: int = settings.WEBHOOKS_RETRY_BASE_SECONDS
    delay = min(base * 2 ** max(attempts - 1, 0), int(settings.WEBHOOKS_RETRY_MAX_SECONDS))
    jitter: int = random_source.randbelow(max(delay // 5, 0) + 1)
    return int(delay + jitter)


def headers_for(delivery: WebhookDelivery, *, secret: str, timestamp: int) -> dict[str, str]:
    return {
        "Undersigned-Event-Id": str(delivery.event_id),
        "Undersigned-Event": delivery.event,
        "Undersigned-Timestamp": str(timestamp),
        "Undersigned-Delivery-Attempt": str(delivery.attempts),
        "Undersigned-Signature": signing.header(
            secret=secret, timestamp=timestamp, body=delivery.body.encode("utf-8")
        ),
    }


def _attempt(delivery: WebhookDelivery) -> tuple[bool, bool, int | None, str]:
    """Post once. Returns (sent, worth retrying, HTTP status, error)."""
    endpoint = delivery.endpoint
    try:
        destination = destinations.resolve(endpoint.url)
    except destinations.ForbiddenDestination as exc:
        # Refused now (the name resolves elsewhere than when it was saved): nothing is sent.
        return False, False, None, f"Refused: {exc.message}"
    timestamp = int(timezone.now().timestamp())
    try:
        answer = transport.post(
            destination,
            body=delivery.body.encode("utf-8"),
            headers=headers_for(delivery, secret=endpoint.secret, timestamp=timestamp),
        )
    except TimeoutError:
        return False, True, None, "Timed out"
    except OSError as exc:
        return False, True, None, f"{type(exc).__name__}: {exc}"
    except (http.client.HTTPException, ValueError) as exc:  # a garbled answer
        return False, True, None, f"{type(exc).__name__}: {exc}"
    if 200 <= answer.status < 300:
        return True, False, answer.status, ""
    retry = answer.status >= 500 or answer.status in RETRY_STATUSES
    if 300 <= answer.status < 400:
        error = f"HTTP {answer.status}: redirects are not followed"
    else:
        error = f"HTTP {answer.status}" + (f": {answer.excerpt}" if answer.excerpt else "")
    return False, retry, answer.status, error


def deliver(*, delivery_id: int) -> Outcome:
    """Claim one queued delivery that is due, post it, mark it. Idempotent: a delivery sent,
    failed, abandoned, not yet due or claimed by another worker is skipped."""
    now = timezone.now()
    with transaction.atomic():
        row = (
            WebhookDelivery.objects.select_for_update(skip_locked=True, of=("self",))
            .select_related("endpoint")
            .filter(pk=delivery_id, status=Status.QUEUED)
            .first()
        )
        if row is None:
            return Outcome("skipped")
        slack = timedelta(seconds=2)  # a countdown's task may wake a moment early
        if row.next_attempt_at is not None and row.next_attempt_at > now + slack:
            return Outcome("skipped")
        endpoint = row.endpoint
        if not endpoint.active:
            row.status = Status.ABANDONED
            row.next_attempt_at = None
            row.save(update_fields=["status", "next_attempt_at", "updated_at"])
            return Outcome("abandoned")
        row.attempts += 1
        sent, retry, status_code, error = _attempt(row)
        row.last_status_code = status_code
        if sent:
            row.status = Status.SENT
            row.delivered_at = row.reduced_at = timezone.now()
            row.next_attempt_at = None
            row.last_error = ""
            row.body = ""  # delivered: nothing of it is kept
            row.save()
            if endpoint.consecutive_failures:
                WebhookEndpoint.objects.filter(pk=endpoint.pk).update(consecutive_failures=0)
            return Outcome("sent")
        row.last_error = error[:300]
        disabled = _count_failure(endpoint)
        if retry and not disabled and row.attempts < settings.WEBHOOKS_MAX_ATTEMPTS:
            delay = backoff(row.attempts)
            row.next_attempt_at = timezone.now() + timedelta(seconds=delay)
            row.save()
            logger.info("webhook %s: attempt %s failed, retry in %ss", row.pk, row.attempts, delay)
            return Outcome("retry", retry_in=delay)
        row.status = Status.FAILED
        row.next_attempt_at = None
        row.save()
        logger.info("webhook %s failed after %s attempts: %s", row.pk, row.attempts, error)
        return Outcome("failed")


def _count_failure(endpoint: WebhookEndpoint) -> bool:
    """One more failed attempt in a row for the endpoint; at WEBHOOKS_DISABLE_AFTER it is
    disabled, what waits for it abandoned, and `endpoint_disabled` sent (once: the
    conditional update decides between two workers failing at once). True if disabled now."""
    WebhookEndpoint.objects.filter(pk=endpoint.pk).update(
        consecutive_failures=F("consecutive_failures") + 1
    )
    failures = WebhookEndpoint.objects.values_list("consecutive_failures", flat=True).get(
        pk=endpoint.pk
    )
    if failures < settings.WEBHOOKS_DISABLE_AFTER:
        return False
    now = timezone.now()
    reason = _("Disabled after %(count)s failed attempts in a row.") % {"count": failures}
    won = WebhookEndpoint.objects.filter(pk=endpoint.pk, active=True).update(
        active=False, disabled_at=now, disabled_reason=reason, updated_at=now
    )
    if not won:
        return True
    _abandon_queued(endpoint, now=now)
    logger.warning("webhook endpoint %s disabled after %s failures", endpoint.pk, failures)
    try:
        with transaction.atomic():
            endpoint_disabled.send(
                sender=WebhookEndpoint,
                endpoint_id=endpoint.pk,
                letter_id=endpoint.letter_id,
                url=endpoint.url,
                reason=reason,
                failures=failures,
                disabled_at=now,
            )
    except Exception:  # a receiver's bug must not undo the disabling
        logger.exception("endpoint_disabled receiver failed for endpoint %s", endpoint.pk)
    return True


@transaction.atomic
def claim_overdue(*, now: datetime | None = None, limit: int = 1000) -> list[int]:
    """Queued deliveries whose attempt is WEBHOOKS_LOST_AFTER_SECONDS late (their task was
    lost: a broker outage, a killed worker), marked as due again now so that the next sweep
    leaves them alone as long again. A sweep of a row whose task is merely slow costs a task
    that skips it."""
    now = now or timezone.now()
    overdue = now - timedelta(seconds=settings.WEBHOOKS_LOST_AFTER_SECONDS)
    ids = list(
        WebhookDelivery.objects.select_for_update(skip_locked=True)
        .filter(status=Status.QUEUED, next_attempt_at__lte=overdue)
        .order_by("next_attempt_at")
        .values_list("pk", flat=True)[:limit]
    )
    WebhookDelivery.objects.filter(pk__in=ids).update(next_attempt_at=now)
    return ids


def reduce_deliveries(*, now: datetime | None = None) -> tuple[int, int]:
    """Retention (README "Webhooks"): a failed or abandoned delivery keeps its body (for
    "retry now") WEBHOOKS_BODY_RETENTION_HOURS; any delivery but a queued one is deleted after
    WEBHOOKS_DELIVERY_RETENTION_DAYS. Returns (bodies cleared, rows deleted)."""
    now = now or timezone.now()
    body_cutoff = now - timedelta(hours=settings.WEBHOOKS_BODY_RETENTION_HOURS)
    cleared = WebhookDelivery.objects.filter(
        status__in=[Status.FAILED, Status.ABANDONED],
        reduced_at__isnull=True,
        updated_at__lt=body_cutoff,
    ).update(body="", reduced_at=now)
    row_cutoff = now - timedelta(days=settings.WEBHOOKS_DELIVERY_RETENTION_DAYS)
    deleted, _by_model = (
        WebhookDelivery.objects.exclude(status=Status.QUEUED)
        .filter(Q(created_at__lt=row_cutoff))
        .delete()
    )
    return cleared, deleted
