"""The outbox against a real SMTP server (aiosmtpd) and, where it matters, a real Celery worker
on Redis: nothing is lost, nothing is sent twice."""

import smtplib
from datetime import timedelta

import pytest
from django.core import mail
from django.db import transaction
from django.utils import timezone

from outbox import services
from outbox.models import OutboundEmail
from outbox.tasks import requeue_stuck_emails, send_emails
from tests.conftest import wait_for

# Serialized rollback like every transactional test here: a plain transactional flush re-runs
# post_migrate, which recreates the role groups under new ids, and the next serialized-rollback
# test (the worker tests below) then fails to restore the original ones.
pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


def _queue(key: str = "test:1", to: str = "signer@ngo.example.org") -> OutboundEmail:
    with transaction.atomic():
        return services.queue_email(
            kind="signature_withdrawn",
            to=to,
            context={
                "signature": {"signer_name": "Pema"},
                "organisation_name": "Tibetan Women's Association",
                "letter": {"title": "Raise human rights in Beijing"},
                "letter_url": "https://undersigned.example.org/letters/x/",
            },
            dedupe_key=key,
            enqueue=False,
        )


def test_queue_email_renders_subject_text_and_html_and_a_deterministic_message_id():
    email = _queue()

    assert email.subject == (
        "The signature of Tibetan Women's Association on “Raise human rights in Beijing” "
        "was withdrawn"
    )
    assert "Hello Pema," in email.body_text
    assert "Tibetan Women's Association" in email.body_text  # plain text is not HTML-escaped
    assert "Tibetan Women&#x27;s Association" in email.body_html  # HTML is
    assert email.message_id == services.message_id_for("test:1")
    assert email.message_id.startswith("<")
    assert email.message_id.endswith("@127.0.0.1>")


def test_queueing_the_same_dedupe_key_twice_keeps_one_row():
    first = _queue("signature:7:confirm")
    second = _queue("signature:7:confirm", to="someone-else@example.org")

    assert first.pk == second.pk
    assert OutboundEmail.objects.count() == 1


def test_a_row_is_enqueued_only_after_its_transaction_commits(smtp_server):
    with transaction.atomic():
        email = services.queue_email(
            kind="signature_withdrawn",
            to="a@example.org",
            context={"signature": {}, "organisation": {}, "letter": {}},
            dedupe_key="k:commit",
        )
        assert smtp_server.messages == []  # nothing leaves inside the transaction

    email.refresh_from_db()
    assert email.status == OutboundEmail.Status.SENT  # eager in tests: sent at commit
    assert smtp_server.message_ids() == [email.message_id]


def test_a_rolled_back_change_sends_nothing(smtp_server):
    @transaction.atomic
    def failing_change():
        services.queue_email(
            kind="signature_withdrawn",
            to="a@example.org",
            context={"signature": {}, "organisation": {}, "letter": {}},
            dedupe_key="k:rollback",
        )
        raise RuntimeError("the business change failed")

    with pytest.raises(RuntimeError):
        failing_change()

    assert OutboundEmail.objects.count() == 0
    assert smtp_server.messages == []


def test_delivering_a_row_twice_sends_it_once(smtp_server):
    email = _queue()

    first = services.deliver(email_id=email.pk)
    second = services.deliver(email_id=email.pk)
    send_emails.delay([email.pk])  # a duplicated task

    assert (first.status, second.status) == ("sent", "skipped")
    assert len(smtp_server.messages) == 1
    email.refresh_from_db()
    assert (email.status, email.attempts) == ("sent", 1)


def test_a_crash_after_the_smtp_reply_resends_once_with_the_same_message_id(smtp_server):
    email = _queue()

    class DiesAfterSending:
        """The SMTP server accepts the message, then the worker dies before the commit."""

        def send_messages(self, messages):
            mail.mailers.default.send_messages(messages)
            raise SystemExit("worker killed")

    with pytest.raises(SystemExit):
        services.deliver(email_id=email.pk, mailer=DiesAfterSending())
    email.refresh_from_db()
    assert email.status == OutboundEmail.Status.QUEUED  # the mark was rolled back

    services.deliver(email_id=email.pk)

    assert smtp_server.message_ids() == [email.message_id, email.message_id]
    email.refresh_from_db()
    assert (email.status, email.attempts) == ("sent", 1)


def test_a_4xx_reply_is_retried_with_backoff_and_then_sent_once(smtp_server):
    email = _queue()
    smtp_server.replies = ["451 4.3.0 Try again later", "421 4.7.0 Too busy"]

    first = services.deliver(email_id=email.pk)
    email.refresh_from_db()
    assert (first.status, first.retry_in, email.attempts) == ("retry", 30, 1)
    assert "451" in email.last_error
    assert email.next_attempt_at > timezone.now() + timedelta(seconds=25)

    second = services.deliver(email_id=email.pk)
    assert (second.status, second.retry_in) == ("retry", 60)

    third = services.deliver(email_id=email.pk)

    email.refresh_from_db()
    assert third.status == "sent"
    assert (email.status, email.attempts, email.last_error) == ("sent", 3, "")
    assert len(smtp_server.messages) == 1


def test_a_5xx_reply_marks_the_row_failed_with_the_error(smtp_server):
    email = _queue()
    smtp_server.replies = ["550 5.1.1 No such user here"]

    outcome = services.deliver(email_id=email.pk)

    email.refresh_from_db()
    assert outcome.status == "failed"
    assert email.status == OutboundEmail.Status.FAILED
    assert "550" in email.last_error
    assert "No such user" in email.last_error
    assert smtp_server.messages == []


def test_an_unreachable_server_is_transient(settings):
    email = _queue()
    settings.MAILERS = {
        "default": {
            "BACKEND": "outbox.backends.SmtpBackend",
            "OPTIONS": {"host": "127.0.0.1", "port": 9, "timeout": 2},
        }
    }

    outcome = services.deliver(email_id=email.pk)

    email.refresh_from_db()
    assert outcome.status == "retry"
    assert email.status == OutboundEmail.Status.QUEUED
    assert "ConnectionRefused" in email.last_error


def test_after_max_attempts_the_row_fails(smtp_server):
    email = _queue()
    OutboundEmail.objects.filter(pk=email.pk).update(attempts=services.MAX_ATTEMPTS - 1)
    smtp_server.replies = ["451 still busy"]

    outcome = services.deliver(email_id=email.pk)

    email.refresh_from_db()
    assert (outcome.status, email.status) == ("failed", "failed")


def test_permanence_of_smtp_errors():
    refused_4xx = smtplib.SMTPRecipientsRefused({"a@x.org": (450, b"mailbox busy")})
    refused_5xx = smtplib.SMTPRecipientsRefused({"a@x.org": (550, b"no such user")})

    assert services._is_permanent(refused_5xx) is True
    assert services._is_permanent(refused_4xx) is False
    assert services._is_permanent(smtplib.SMTPAuthenticationError(535, b"bad creds")) is False
    assert services._is_permanent(smtplib.SMTPServerDisconnected("gone")) is False
    assert services._is_permanent(smtplib.SMTPDataError(554, b"rejected")) is True


def test_backoff_doubles_and_is_capped():
    assert [services.backoff(n) for n in range(1, 9)] == [
        30, 60, 120, 240, 480, 960, 1800, 1800,
    ]  # fmt: skip


def test_requeue_failed_puts_failed_rows_back(smtp_server):
    email = _queue()
    OutboundEmail.objects.filter(pk=email.pk).update(status="failed", attempts=8)

    with transaction.atomic():
        count = services.requeue_failed(email_ids=[email.pk])

    email.refresh_from_db()
    assert count == 1
    assert email.status == OutboundEmail.Status.SENT
    assert len(smtp_server.messages) == 1


def test_chunk_reuses_one_smtp_connection(smtp_server, monkeypatch):
    emails = [_queue(f"chunk:{n}", to=f"p{n}@example.org") for n in range(5)]
    opened = []
    real_open = smtplib.SMTP.connect

    def counting_connect(self, *args, **kwargs):
        opened.append(1)
        return real_open(self, *args, **kwargs)

    monkeypatch.setattr(smtplib.SMTP, "connect", counting_connect)

    outcomes = services.deliver_many([e.pk for e in emails])

    assert {o.status for o in outcomes.values()} == {"sent"}
    assert len(smtp_server.messages) == 5
    assert len(opened) == 1


# --- with a real Celery worker on Redis ---------------------------------------------------------


@pytest.mark.services
def test_worker_sends_a_queued_email_after_commit(celery_worker, smtp_server):
    with transaction.atomic():
        email = services.queue_email(
            kind="signature_withdrawn",
            to="worker@example.org",
            context={"signature": {}, "organisation": {}, "letter": {}},
            dedupe_key="k:worker",
        )

    wait_for(lambda: OutboundEmail.objects.get(pk=email.pk).status == "sent", message="email sent")
    assert smtp_server.message_ids() == [email.message_id]


@pytest.mark.services
def test_delivery_keeps_no_result_in_redis_and_the_web_process_subscribes_to_none(
    celery_worker, smtp_server, redis_url
):
    """Nobody reads a delivery task's result: the worker stores none, and the process that
    published it (a web worker) does not subscribe to its result channel, which it did for
    every email and kept (issue 16)."""
    import redis
    from celery import _state

    from config.celery import app

    email = _queue("k:no-result")
    was = _state.task_join_will_block()
    _state._set_task_join_will_block(False)  # as in a web process (a worker's is True)
    try:
        result = send_emails.apply_async(([email.pk],))
    finally:
        _state._set_task_join_will_block(was)
    client = redis.Redis.from_url(redis_url)
    wait_for(lambda: OutboundEmail.objects.get(pk=email.pk).status == "sent", message="email sent")
    # Acknowledged (acks_late) only once the task has returned and any result was stored.
    wait_for(
        lambda: not any(result.id.encode() in held for held in client.hvals("unacked")),
        message="the task acknowledged",
    )

    assert client.exists(f"celery-task-meta-{result.id}") == 0
    assert not any(result.id in str(key) for key in app.backend.result_consumer.subscribed_to)
    assert smtp_server.message_ids() == [email.message_id]


@pytest.mark.services
def test_the_sweeper_re_enqueues_a_row_whose_task_was_lost(celery_worker, smtp_server):
    email = _queue("k:lost")  # enqueue=False: as if Redis was down at commit time
    OutboundEmail.objects.filter(pk=email.pk).update(
        next_attempt_at=timezone.now() - timedelta(minutes=10)
    )

    requeued = requeue_stuck_emails.delay().get(timeout=10)

    assert requeued == 1
    wait_for(lambda: OutboundEmail.objects.get(pk=email.pk).status == "sent", message="email sent")
    assert smtp_server.message_ids() == [email.message_id]
    assert requeue_stuck_emails.delay().get(timeout=10) == 0


@pytest.mark.services
def test_a_4xx_reply_is_retried_by_the_worker(celery_worker, smtp_server, monkeypatch):
    monkeypatch.setattr(services, "BASE_DELAY", 1)  # seconds, to keep the test short
    smtp_server.replies = ["451 4.3.0 Try again later"]
    with transaction.atomic():
        email = services.queue_email(
            kind="signature_withdrawn",
            to="retry@example.org",
            context={"signature": {}, "organisation": {}, "letter": {}},
            dedupe_key="k:retry",
        )

    wait_for(lambda: OutboundEmail.objects.get(pk=email.pk).status == "sent", message="email sent")
    email.refresh_from_db()
    assert (email.attempts, smtp_server.refused, len(smtp_server.messages)) == (2, 1, 1)
