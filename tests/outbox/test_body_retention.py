"""Issue 12, item 2: a sent email's body is cleared, and its address replaced by a keyed hash,
after OUTBOX_BODY_RETENTION_HOURS; what support needs (kind, status, Message-ID, error) stays."""

from datetime import timedelta

import pytest
from django.conf import settings
from django.utils import timezone

from outbox import services
from outbox.models import OutboundEmail
from outbox.rendering import RenderedEmail

pytestmark = pytest.mark.django_db

ADDRESS = "Signer@NGO.example.org"


def _row(key: str, *, status: str, age_hours: float) -> OutboundEmail:
    email = services.queue_email(
        kind="test",
        to=ADDRESS,
        context={},
        dedupe_key=key,
        enqueue=False,
        rendered=RenderedEmail(subject="Letter to Acme", text="Body text", html="<p>Body</p>"),
    )
    when = timezone.now() - timedelta(hours=age_hours)
    OutboundEmail.objects.filter(pk=email.pk).update(
        status=status,
        sent_at=when if status == OutboundEmail.Status.SENT else None,
        updated_at=when,
        last_error=f"550 <{ADDRESS}>: mailbox unavailable" if status != "sent" else "",
    )
    email.refresh_from_db()
    return email


def test_old_sent_row_is_reduced():
    hours = settings.OUTBOX_BODY_RETENTION_HOURS
    old = _row("ret:old", status="sent", age_hours=hours + 1)
    failed = _row("ret:failed", status="failed", age_hours=hours + 1)
    assert services.reduce_sent_emails() == 2
    old.refresh_from_db()
    failed.refresh_from_db()
    for row in (old, failed):
        assert row.body_text == ""
        assert row.body_html == ""
        assert "Acme" not in row.subject
        assert row.to == ""
        assert row.to_hash == services.address_hash(ADDRESS)
        assert row.to_hash == services.address_hash(ADDRESS.lower())
        assert row.reduced_at is not None
        assert row.kind == "test"
        assert row.message_id
    assert old.status == "sent"
    assert failed.status == "failed"
    assert "example.org" not in failed.last_error
    assert "550" in failed.last_error


def test_young_and_queued_rows_are_untouched_and_second_run_is_noop():
    hours = settings.OUTBOX_BODY_RETENTION_HOURS
    young = _row("ret:young", status="sent", age_hours=hours - 1)
    queued = _row("ret:queued", status="queued", age_hours=hours + 10)
    _row("ret:old", status="sent", age_hours=hours + 1)
    assert services.reduce_sent_emails() == 1
    assert services.reduce_sent_emails() == 0
    for row in (young, queued):
        row.refresh_from_db()
        assert row.body_text == "Body text"
        assert row.to == ADDRESS
        assert row.reduced_at is None


def test_task_is_scheduled():
    tasks = {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}
    assert "outbox.reduce_sent_emails" in tasks
    from outbox import tasks as outbox_tasks

    assert outbox_tasks.reduce_sent_emails() == 0


def test_address_hash_is_keyed_and_stable():
    assert services.address_hash("a@b.org") == services.address_hash(" A@B.org ")
    assert services.address_hash("a@b.org") != services.address_hash("c@b.org")
    assert "a@b.org" not in services.address_hash("a@b.org")
