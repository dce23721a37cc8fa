"""Every webhook service, each legal and illegal transition; delivery outcomes against a real
receiver (tests/webhooks/receiver.py) called in-process."""

import datetime as dt
import json
import time
import uuid

import pytest
from django.db import connection, transaction
from django.utils import timezone

from core.errors import DomainError, TransitionError
from outbox.models import OutboundEmail
from webhooks import services, signing
from webhooks.destinations import ForbiddenDestination
from webhooks.events import Event
from webhooks.models import WebhookDelivery, WebhookEndpoint
from webhooks.signals import endpoint_disabled

Status = WebhookDelivery.Status
pytestmark = pytest.mark.django_db


def _endpoint(letter, url, events=(Event.LETTER_CLOSED,), **kwargs):
    endpoint, secret = services.create_endpoint(
        letter_id=letter.pk, url=url, events=list(events), **kwargs
    )
    return endpoint, secret


def _queued(letter, event=Event.LETTER_CLOSED) -> WebhookDelivery:
    payload = {"letter": {"id": letter.pk, "slug": letter.slug}}
    ids = services.queue_event(letter_id=letter.pk, event=event, payload=payload)
    assert len(ids) == 1
    return WebhookDelivery.objects.get(pk=ids[0])


# --- Endpoints ---------------------------------------------------------------------------------


def test_the_address_is_stored_encrypted(open_letter, receiver, owner):
    """A webhook address may carry its own secret (a chat's incoming-webhook URL does, in its
    path): a copy of the database must not hand it over."""
    url = receiver.url + "services/T0001/B0002/secret-path-token"
    endpoint, _secret = _endpoint(open_letter, url, created_by=owner)

    assert WebhookEndpoint.objects.get(pk=endpoint.pk).url == url
    with connection.cursor() as cursor:
        cursor.execute("SELECT * FROM webhooks_webhookendpoint WHERE id = %s", [endpoint.pk])
        row = " ".join(str(value) for value in cursor.fetchone())
    assert "secret-path-token" not in row
    assert "127.0.0.1" not in row
    # Still one endpoint per address and letter
    with pytest.raises(DomainError, match="already sends its events to this address"):
        _endpoint(open_letter, url, created_by=owner)


def test_create_returns_the_secret_once_and_stores_it_encrypted(open_letter, receiver, owner):
    endpoint, secret = _endpoint(open_letter, receiver.url, created_by=owner)

    assert secret.startswith("whsec_")
    assert len(secret) > 40
    assert WebhookEndpoint.objects.get(pk=endpoint.pk).secret == secret
    with connection.cursor() as cursor:
        cursor.execute("SELECT secret FROM webhooks_webhookendpoint WHERE id = %s", [endpoint.pk])
        stored = cursor.fetchone()[0]
    assert secret not in stored
    assert endpoint.events == [Event.LETTER_CLOSED]
    assert endpoint.active
    assert endpoint.created_by == owner


@pytest.mark.parametrize(
    ("events", "message"), [([], "at least one"), (["letter.deleted"], "Unknown event")]
)
def test_create_refuses_no_or_unknown_events(open_letter, receiver, events, message):
    with pytest.raises(DomainError, match=message):
        services.create_endpoint(letter_id=open_letter.pk, url=receiver.url, events=events)

    assert not WebhookEndpoint.objects.exists()


def test_create_refuses_a_private_destination_in_production_settings(open_letter, settings):
    settings.WEBHOOKS_ALLOW_LOOPBACK = False

    for url in ("https://localhost/hook", "https://169.254.169.254/", "https://10.1.2.3/"):
        with pytest.raises(ForbiddenDestination):
            services.create_endpoint(letter_id=open_letter.pk, url=url, events=["letter.closed"])

    assert not WebhookEndpoint.objects.exists()


def test_create_refuses_the_same_url_twice_and_more_than_the_limit(open_letter, receiver, settings):
    settings.WEBHOOKS_MAX_PER_LETTER = 2
    _endpoint(open_letter, receiver.url)

    with pytest.raises(DomainError, match="already"):
        _endpoint(open_letter, receiver.url)
    _endpoint(open_letter, receiver.url + "&two")
    with pytest.raises(DomainError, match="at most 2"):
        _endpoint(open_letter, receiver.url + "&three")

    assert WebhookEndpoint.objects.count() == 2


def test_disable_abandons_what_waits_and_cannot_be_repeated(open_letter, receiver):
    endpoint, _ = _endpoint(open_letter, receiver.url)
    delivery = _queued(open_letter)

    services.disable_endpoint(endpoint=endpoint, reason="by hand")

    endpoint.refresh_from_db()
    delivery.refresh_from_db()
    assert (endpoint.active, endpoint.disabled_reason) == (False, "by hand")
    assert endpoint.disabled_at is not None
    assert delivery.status == Status.ABANDONED
    with pytest.raises(TransitionError):
        services.disable_endpoint(endpoint=endpoint, reason="again")


def test_enable_resets_the_failures_and_cannot_be_repeated(open_letter, receiver):
    endpoint, _ = _endpoint(open_letter, receiver.url)
    with pytest.raises(TransitionError):
        services.enable_endpoint(endpoint=endpoint)
    WebhookEndpoint.objects.filter(pk=endpoint.pk).update(consecutive_failures=7)
    services.disable_endpoint(endpoint=endpoint, reason="x")

    services.enable_endpoint(endpoint=endpoint)

    endpoint.refresh_from_db()
    assert (endpoint.active, endpoint.consecutive_failures, endpoint.disabled_reason) == (
        True,
        0,
        "",
    )
    assert endpoint.disabled_at is None


def test_enable_checks_the_destination_again(open_letter, receiver, settings):
    endpoint, _ = _endpoint(open_letter, receiver.url)
    services.disable_endpoint(endpoint=endpoint, reason="x")
    settings.WEBHOOKS_ALLOW_LOOPBACK = False

    with pytest.raises(ForbiddenDestination):
        services.enable_endpoint(endpoint=endpoint)

    endpoint.refresh_from_db()
    assert endpoint.active is False


def test_delete_removes_the_endpoint_and_its_deliveries(open_letter, receiver):
    endpoint, _ = _endpoint(open_letter, receiver.url)
    _queued(open_letter)

    services.delete_endpoint(endpoint=endpoint)

    assert not WebhookEndpoint.objects.exists()
    assert not WebhookDelivery.objects.exists()
    with pytest.raises(TransitionError):
        services.delete_endpoint(endpoint=endpoint)


def test_ping_queues_a_test_event_whatever_the_subscription(open_letter, receiver):
    endpoint, _ = _endpoint(open_letter, receiver.url, events=[Event.SIGNATURE_APPROVED])

    delivery = services.send_ping(endpoint=endpoint, payload={"letter": {"id": open_letter.pk}})

    assert (delivery.event, delivery.status) == ("ping", Status.QUEUED)
    assert json.loads(delivery.body)["type"] == "ping"


def test_ping_refused_for_a_disabled_endpoint(open_letter, receiver):
    endpoint, _ = _endpoint(open_letter, receiver.url)
    services.disable_endpoint(endpoint=endpoint, reason="x")

    with pytest.raises(TransitionError):
        services.send_ping(endpoint=endpoint, payload={})

    assert not WebhookDelivery.objects.exists()


# --- Events ------------------------------------------------------------------------------------


def test_an_event_is_queued_for_active_subscribed_endpoints_only(open_letter, receiver):
    subscribed, _ = _endpoint(open_letter, receiver.url, events=[Event.LETTER_CLOSED])
    _endpoint(open_letter, receiver.url + "&other", events=[Event.LETTER_OPENED])
    disabled, _ = _endpoint(open_letter, receiver.url + "&off", events=[Event.LETTER_CLOSED])
    services.disable_endpoint(endpoint=disabled, reason="x")

    ids = services.queue_event(letter_id=open_letter.pk, event=Event.LETTER_CLOSED, payload={})

    assert list(WebhookDelivery.objects.filter(pk__in=ids).values_list("endpoint", flat=True)) == [
        subscribed.pk
    ]


def test_the_same_event_id_is_queued_once_per_endpoint(open_letter, receiver):
    _endpoint(open_letter, receiver.url)
    event_id = uuid.uuid4()

    for _ in range(3):
        services.queue_event(
            letter_id=open_letter.pk, event=Event.LETTER_CLOSED, payload={}, event_id=event_id
        )

    assert WebhookDelivery.objects.filter(event_id=event_id).count() == 1


def test_an_unknown_event_is_a_programming_error(open_letter):
    with pytest.raises(ValueError, match="unknown webhook event"):
        services.queue_event(letter_id=open_letter.pk, event="letter.exploded", payload={})


def test_an_event_rolled_back_with_its_transaction_leaves_nothing(open_letter, receiver):
    _endpoint(open_letter, receiver.url)

    def change_that_fails() -> None:
        with transaction.atomic():
            services.queue_event(letter_id=open_letter.pk, event=Event.LETTER_CLOSED, payload={})
            raise RuntimeError("the business change failed")

    with pytest.raises(RuntimeError):
        change_that_fails()

    assert not WebhookDelivery.objects.exists()


# --- Delivery ----------------------------------------------------------------------------------


def test_a_delivery_is_signed_sent_once_and_its_body_cleared(open_letter, receiver):
    endpoint, secret = _endpoint(open_letter, receiver.url)
    receiver.secret = secret
    delivery = _queued(open_letter)

    assert services.deliver(delivery_id=delivery.pk).status == "sent"
    assert services.deliver(delivery_id=delivery.pk).status == "skipped"

    [received] = receiver.requests
    assert received.signature_valid
    assert received.event_id == str(delivery.event_id) == received.body["id"]
    assert received.body["type"] == "letter.closed"
    assert received.headers["Undersigned-Event"] == "letter.closed"
    assert received.headers["Undersigned-Timestamp"] in received.headers["Undersigned-Signature"]
    assert received.headers["Host"] == f"127.0.0.1:{receiver.server.server_address[1]}"
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, delivery.last_status_code) == ("sent", 1, 200)
    assert delivery.body == ""
    assert delivery.delivered_at is not None


def test_a_500_schedules_a_retry_with_backoff(open_letter, receiver, settings):
    settings.WEBHOOKS_RETRY_BASE_SECONDS, settings.WEBHOOKS_RETRY_MAX_SECONDS = 10, 60
    endpoint, secret = _endpoint(open_letter, receiver.url)
    receiver.secret, receiver.fail_next = secret, 1
    delivery = _queued(open_letter)
    before = timezone.now()

    outcome = services.deliver(delivery_id=delivery.pk)

    delivery.refresh_from_db()
    endpoint.refresh_from_db()
    assert outcome.status == "retry"
    assert 10 <= outcome.retry_in <= 12  # the base, and up to a fifth more at random
    assert (delivery.status, delivery.attempts, delivery.last_status_code) == ("queued", 1, 500)
    assert delivery.last_error == "HTTP 500: Internal trouble, sorry"
    assert delivery.next_attempt_at >= before + dt.timedelta(seconds=10)
    assert endpoint.consecutive_failures == 1
    # Not due yet: a second task for it skips it.
    assert services.deliver(delivery_id=delivery.pk).status == "skipped"
    # Due: sent, and the endpoint's failures are forgotten.
    WebhookDelivery.objects.filter(pk=delivery.pk).update(next_attempt_at=timezone.now())
    assert services.deliver(delivery_id=delivery.pk).status == "sent"
    endpoint.refresh_from_db()
    assert endpoint.consecutive_failures == 0
    assert [r.event_id for r in receiver.requests] == [str(delivery.event_id)] * 2


@pytest.mark.parametrize(("status", "error"), [(404, "HTTP 404"), (302, "redirects are not")])
def test_a_4xx_or_a_redirect_fails_without_retry(open_letter, receiver, status, error):
    endpoint, secret = _endpoint(open_letter, receiver.url)
    receiver.secret, receiver.answers = secret, [status]
    delivery = _queued(open_letter)

    assert services.deliver(delivery_id=delivery.pk).status == "failed"

    delivery.refresh_from_db()
    assert (delivery.status, delivery.last_status_code) == ("failed", status)
    assert error in delivery.last_error
    assert delivery.body  # kept for "retry now"
    assert len(receiver.requests) == 1  # the redirect was not followed


def test_a_timeout_is_retried(open_letter, receiver):
    endpoint, secret = _endpoint(open_letter, receiver.url)
    receiver.secret, receiver.hang_next, receiver.hang_seconds = secret, 1, 1.5
    delivery = _queued(open_letter)

    assert services.deliver(delivery_id=delivery.pk).status == "retry"

    delivery.refresh_from_db()
    assert (delivery.last_error, delivery.last_status_code) == ("Timed out", None)


def test_a_receiver_answering_a_byte_at_a_time_is_cut_at_the_deadline(open_letter, receiver):
    # Read timeout 0.5 s, connect 0.5 s: the whole attempt may take 1.5 s, though each byte
    # arrives well within the read timeout.
    endpoint, secret = _endpoint(open_letter, receiver.url)
    receiver.secret, receiver.drip_next = secret, 1
    delivery = _queued(open_letter)
    started = time.monotonic()

    assert services.deliver(delivery_id=delivery.pk).status == "retry"

    assert time.monotonic() - started < 5
    delivery.refresh_from_db()
    assert delivery.last_error == "Timed out"


def test_the_last_attempt_fails_the_delivery(open_letter, receiver, settings):
    settings.WEBHOOKS_MAX_ATTEMPTS = 2
    endpoint, secret = _endpoint(open_letter, receiver.url)
    receiver.secret, receiver.fail_next = secret, 5
    delivery = _queued(open_letter)

    assert services.deliver(delivery_id=delivery.pk).status == "retry"
    WebhookDelivery.objects.filter(pk=delivery.pk).update(next_attempt_at=timezone.now())
    assert services.deliver(delivery_id=delivery.pk).status == "failed"

    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, delivery.next_attempt_at) == ("failed", 2, None)


def test_a_destination_refused_at_send_time_is_not_contacted(open_letter, receiver, settings):
    # Saved while the test setting allowed loopback; in production settings the same address
    # (as a name resolving to 127.0.0.1 would be after a DNS change) is refused at send time.
    endpoint, secret = _endpoint(open_letter, receiver.url)
    delivery = _queued(open_letter)
    settings.WEBHOOKS_ALLOW_LOOPBACK = False

    assert services.deliver(delivery_id=delivery.pk).status == "failed"

    delivery.refresh_from_db()
    assert delivery.last_error.startswith("Refused:")
    assert receiver.requests == []


def test_a_delivery_of_a_disabled_endpoint_is_abandoned(open_letter, receiver):
    endpoint, _ = _endpoint(open_letter, receiver.url)
    delivery = _queued(open_letter)
    WebhookEndpoint.objects.filter(pk=endpoint.pk).update(active=False, disabled_at=timezone.now())

    assert services.deliver(delivery_id=delivery.pk).status == "abandoned"
    assert receiver.requests == []


def test_n_failures_in_a_row_disable_the_endpoint_and_tell_the_coordinators_once(
    open_letter, receiver, settings, owner, editor
):
    settings.WEBHOOKS_DISABLE_AFTER = 2
    endpoint, secret = _endpoint(open_letter, receiver.url)
    receiver.secret, receiver.fail_next = secret, 10
    first, second = _queued(open_letter), _queued(open_letter)
    waiting = _queued(open_letter)
    told = []
    endpoint_disabled.connect(lambda sender, **kw: told.append(kw), weak=False, dispatch_uid="t")
    try:
        assert services.deliver(delivery_id=first.pk).status == "retry"
        assert services.deliver(delivery_id=second.pk).status == "failed"
    finally:
        endpoint_disabled.disconnect(dispatch_uid="t")

    endpoint.refresh_from_db()
    assert (endpoint.active, endpoint.consecutive_failures) == (False, 2)
    assert "2 failed attempts" in endpoint.disabled_reason
    assert [kw["endpoint_id"] for kw in told] == [endpoint.pk]
    assert WebhookDelivery.objects.get(pk=waiting.pk).status == Status.ABANDONED
    assert WebhookDelivery.objects.get(pk=first.pk).status == Status.ABANDONED
    emails = OutboundEmail.objects.filter(kind="webhook_disabled")
    assert sorted(e.to for e in emails) == sorted([owner.email, editor.email])


def test_retry_now_queues_a_failed_delivery_again(open_letter, receiver):
    endpoint, secret = _endpoint(open_letter, receiver.url)
    receiver.secret, receiver.answers = secret, [410]
    delivery = _queued(open_letter)
    services.deliver(delivery_id=delivery.pk)

    services.retry_delivery(delivery=delivery)
    assert services.deliver(delivery_id=delivery.pk).status == "sent"

    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == ("sent", 1)
    assert len({r.event_id for r in receiver.requests}) == 1  # the same event id both times


def test_retry_now_is_refused_for_a_queued_or_sent_delivery(open_letter, receiver):
    endpoint, secret = _endpoint(open_letter, receiver.url)
    receiver.secret = secret
    delivery = _queued(open_letter)

    with pytest.raises(TransitionError):
        services.retry_delivery(delivery=delivery)
    services.deliver(delivery_id=delivery.pk)
    with pytest.raises(TransitionError):
        services.retry_delivery(delivery=delivery)


def test_retry_now_is_refused_for_a_disabled_endpoint_or_a_cleared_body(open_letter, receiver):
    endpoint, _ = _endpoint(open_letter, receiver.url)
    delivery = _queued(open_letter)
    services.disable_endpoint(endpoint=endpoint, reason="x")

    with pytest.raises(TransitionError, match="Enable"):
        services.retry_delivery(delivery=delivery)
    services.enable_endpoint(endpoint=endpoint)
    WebhookDelivery.objects.filter(pk=delivery.pk).update(body="")
    with pytest.raises(TransitionError, match="too old"):
        services.retry_delivery(delivery=delivery)
    assert WebhookDelivery.objects.get(pk=delivery.pk).status == Status.ABANDONED


# --- Sweeper and retention ---------------------------------------------------------------------


def test_the_sweeper_hands_over_deliveries_whose_task_was_lost(open_letter, receiver):
    _endpoint(open_letter, receiver.url)
    lost, fresh = _queued(open_letter), _queued(open_letter)
    WebhookDelivery.objects.filter(pk=lost.pk).update(
        next_attempt_at=timezone.now() - dt.timedelta(minutes=5)
    )

    assert services.claim_overdue() == [lost.pk]
    assert services.claim_overdue() == []  # due again now: left alone as long again
    assert fresh.pk


def test_retention_clears_old_bodies_then_deletes_old_rows(open_letter, receiver, settings):
    endpoint, _ = _endpoint(open_letter, receiver.url)
    old_failed, recent_failed, queued = (_queued(open_letter) for _ in range(3))
    long_ago = timezone.now() - dt.timedelta(days=40)
    WebhookDelivery.objects.filter(pk=old_failed.pk).update(
        status=Status.FAILED, updated_at=long_ago, created_at=long_ago
    )
    WebhookDelivery.objects.filter(pk=recent_failed.pk).update(
        status=Status.FAILED, updated_at=timezone.now() - dt.timedelta(days=4)
    )
    WebhookDelivery.objects.filter(pk=queued.pk).update(created_at=long_ago)

    cleared, deleted = services.reduce_deliveries()

    assert (cleared, deleted) == (2, 1)
    assert not WebhookDelivery.objects.filter(pk=old_failed.pk).exists()
    assert WebhookDelivery.objects.get(pk=recent_failed.pk).body == ""
    assert WebhookDelivery.objects.get(pk=queued.pk).body  # queued: never touched


# --- Signing -----------------------------------------------------------------------------------


def test_verification_refuses_a_changed_body_an_old_timestamp_or_another_secret():
    secret, body, now = signing.new_secret(), b'{"id":"x"}', 1_800_000_000
    header = signing.header(secret=secret, timestamp=now, body=body)

    assert signing.verify(secret=secret, header_value=header, body=body, now=now + 299)
    assert not signing.verify(secret=secret, header_value=header, body=b'{"id":"y"}', now=now)
    assert not signing.verify(secret=secret, header_value=header, body=body, now=now + 301)
    assert not signing.verify(secret=signing.new_secret(), header_value=header, body=body, now=now)
    assert not signing.verify(secret=secret, header_value="v1=abc", body=body, now=now)
