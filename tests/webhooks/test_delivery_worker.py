"""End to end: events queued by the letters' services, delivered by the real Celery worker on
Redis to a real HTTP receiver started by the test, which verifies every signature.

The receiver is plain HTTP on 127.0.0.1: the SSRF rule lets it through only because these
tests turn on WEBHOOKS_ALLOW_LOOPBACK (production refuses it: test_destinations.py)."""

import datetime as dt

import pytest
from django.utils import timezone
from kombu.exceptions import OperationalError

from letters import services
from letters.models import Letter
from outbox.models import OutboundEmail
from tests.conftest import wait_for
from tests.emails import subject_of
from webhooks import dispatch
from webhooks import services as webhook_services
from webhooks.events import Event
from webhooks.models import WebhookDelivery, WebhookEndpoint
from webhooks.tasks import deliver_webhook, requeue_stuck_deliveries

S = Letter.Status
pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


def _subscribe(letter, receiver, events=(Event.LETTER_CLOSED,)):
    endpoint, secret = webhook_services.create_endpoint(
        letter_id=letter.pk, url=receiver.url, events=list(events)
    )
    receiver.secret = secret
    return endpoint


def _delivery(status: str) -> WebhookDelivery | None:
    return WebhookDelivery.objects.filter(status=status).first()


def test_an_event_reaches_the_receiver_signed(celery_worker, open_letter, owner, receiver):
    _subscribe(open_letter, receiver)

    services.close_letter(letter=open_letter, actor=owner)

    delivery = wait_for(lambda: _delivery("sent"), message="the delivery to be sent")
    [received] = receiver.requests
    assert received.signature_valid
    assert received.event_id == str(delivery.event_id)
    assert received.body["type"] == "letter.closed"
    assert received.body["letter"]["slug"] == open_letter.slug
    assert receiver.accepted == {str(delivery.event_id): 1}


def test_a_500_is_retried_with_the_same_event_id_until_accepted(
    celery_worker, open_letter, owner, receiver
):
    _subscribe(open_letter, receiver)
    receiver.fail_next = 2

    services.close_letter(letter=open_letter, actor=owner)

    delivery = wait_for(lambda: _delivery("sent"), timeout=30, message="sent after two 500s")
    assert [r.answered for r in receiver.requests] == [500, 500, 200]
    assert {r.event_id for r in receiver.requests} == {str(delivery.event_id)}
    assert all(r.signature_valid for r in receiver.requests)
    assert [r.headers["Undersigned-Delivery-Attempt"] for r in receiver.requests] == ["1", "2", "3"]
    assert delivery.attempts == 3
    assert receiver.accepted == {str(delivery.event_id): 1}


def test_a_timeout_is_retried(celery_worker, open_letter, owner, receiver):
    _subscribe(open_letter, receiver)
    receiver.hang_next, receiver.hang_seconds = 1, 2.0  # past the 0.5 s read timeout

    services.close_letter(letter=open_letter, actor=owner)

    delivery = wait_for(lambda: _delivery("sent"), timeout=30, message="sent after a timeout")
    assert delivery.attempts == 2
    # The hung request is recorded once the receiver wakes up (after the sender gave up).
    wait_for(lambda: len(receiver.requests) == 2, message="the hung request to end")
    assert sorted(r.event_id for r in receiver.requests) == [str(delivery.event_id)] * 2
    assert receiver.accepted == {str(delivery.event_id): 1}


def test_a_task_run_several_times_posts_the_event_once(
    celery_worker, open_letter, owner, receiver, monkeypatch
):
    _subscribe(open_letter, receiver)
    receiver.delay = 0.3  # a slow receiver: the other tasks arrive while it answers
    monkeypatch.setattr(dispatch, "enqueue_delivery", lambda *args, **kwargs: None)
    services.close_letter(letter=open_letter, actor=owner)
    delivery = WebhookDelivery.objects.get()

    # A redelivered message, a sweep, a retry and a double click, all at once.
    results = [deliver_webhook.apply_async((delivery.pk,), ignore_result=False) for _ in range(4)]
    outcomes = sorted(result.get(timeout=20) for result in results)

    assert outcomes == ["sent", "skipped", "skipped", "skipped"]
    assert len(receiver.requests) == 1
    assert receiver.accepted == {str(delivery.event_id): 1}


def test_n_failures_disable_the_endpoint_and_email_the_coordinators(
    celery_worker, open_letter, owner, editor, receiver, settings, smtp_server
):
    settings.WEBHOOKS_DISABLE_AFTER = 3
    settings.WEBHOOKS_MAX_ATTEMPTS = 10
    endpoint = _subscribe(open_letter, receiver)
    receiver.fail_next = 100

    services.close_letter(letter=open_letter, actor=owner)

    wait_for(
        lambda: not WebhookEndpoint.objects.get(pk=endpoint.pk).active,
        timeout=30,
        message="the endpoint to be disabled",
    )
    endpoint.refresh_from_db()
    assert endpoint.consecutive_failures == 3
    assert len(receiver.requests) == 3
    delivery = WebhookDelivery.objects.get()
    assert (delivery.status, delivery.attempts, delivery.last_status_code) == ("failed", 3, 500)
    wait_for(lambda: len(smtp_server.messages) == 2, message="the coordinators' emails")
    assert sorted(m["To"] for m in smtp_server.messages) == sorted([owner.email, editor.email])
    # The outbox marks its rows sent just after the SMTP server accepted them.
    wait_for(
        lambda: OutboundEmail.objects.filter(kind="webhook_disabled", status="sent").count() == 2,
        message="the emails marked sent",
    )
    assert "was disabled" in subject_of(smtp_server.messages[0])


def test_redis_down_at_emit_time_loses_no_event(
    celery_worker, open_letter, owner, receiver, monkeypatch
):
    _subscribe(open_letter, receiver)

    def broker_down(*args, **kwargs):
        raise OperationalError("Error 111 connecting to 127.0.0.1:6379. Connection refused.")

    monkeypatch.setattr(dispatch.deliver_webhook, "apply_async", broker_down)
    services.close_letter(letter=open_letter, actor=owner)  # succeeds all the same

    delivery = WebhookDelivery.objects.get()
    assert delivery.status == "queued"
    assert Letter.objects.get(pk=open_letter.pk).status == S.CLOSED
    assert receiver.requests == []

    # The broker is back; a while later the sweeper finds the row whose task was lost.
    monkeypatch.undo()
    from core.cache import breaker

    breaker.open_until, breaker.failures = 0.0, 0
    WebhookDelivery.objects.filter(pk=delivery.pk).update(
        next_attempt_at=timezone.now() - dt.timedelta(minutes=2)
    )
    assert requeue_stuck_deliveries.apply_async().get(timeout=10) == 1

    wait_for(lambda: _delivery("sent"), message="the swept delivery to be sent")
    assert receiver.accepted == {str(delivery.event_id): 1}
