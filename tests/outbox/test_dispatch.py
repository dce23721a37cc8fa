"""Handing rows to the broker: after commit, in chunks, and never breaking the business change
when the broker is down. And the one-way import graph: dispatch → tasks → services."""

import ast
import logging
from pathlib import Path

import pytest
from django.db import transaction
from kombu.exceptions import OperationalError

from outbox import dispatch, services
from outbox.models import OutboundEmail

OUTBOX = Path(services.__file__).parent


def _spec(n: int) -> services.EmailSpec:
    return services.EmailSpec(
        kind="signature_withdrawn",
        to=f"p{n}@example.org",
        context={"signature": {}, "organisation": {}, "letter": {}},
        dedupe_key=f"dispatch:{n}",
    )


def _imports(module: Path) -> set[str]:
    """Every module `module` imports, at the top or inside a function, as absolute names."""
    names = set()
    for node in ast.walk(ast.parse(module.read_text())):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = "outbox." * (node.level > 0) + (node.module or "")
            names.add(base.rstrip("."))
            names.update(f"{base.rstrip('.')}.{alias.name}" for alias in node.names)
    return names


def test_only_dispatch_imports_the_tasks_and_services_reach_neither():
    importers = {
        path.stem: _imports(path) for path in OUTBOX.rglob("*.py") if "migrations" not in path.parts
    }

    assert sorted(name for name, imports in importers.items() if "outbox.tasks" in imports) == [
        "dispatch"
    ]
    assert "outbox.dispatch" not in importers["services"]
    assert "outbox.dispatch" not in importers["tasks"]


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_rows_are_handed_over_after_commit_in_chunks(settings, smtp_server, monkeypatch):
    settings.OUTBOX_CHUNK_SIZE = 2
    chunks: list[list[int]] = []
    real_apply_async = dispatch.send_emails.apply_async

    def recording(args, **kwargs):
        chunks.append(args[0])
        return real_apply_async(args, **kwargs)

    monkeypatch.setattr(dispatch.send_emails, "apply_async", recording)

    with transaction.atomic():
        ids = services.queue_emails(_spec(n) for n in range(5))
        assert chunks == []  # nothing reaches the broker before the commit

    assert chunks == [ids[0:2], ids[2:4], ids[4:5]]
    assert len(smtp_server.messages) == 5


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_dead_broker_at_commit_keeps_the_change_and_the_sweeper_sends_later(
    smtp_server, monkeypatch, caplog
):
    def broker_down(*args, **kwargs):
        raise OperationalError("Error 111 connecting to 127.0.0.1:6379. Connection refused.")

    monkeypatch.setattr(dispatch.send_emails, "apply_async", broker_down)

    with caplog.at_level(logging.ERROR, logger="django.db.backends.base"), transaction.atomic():
        email = services.queue_email(**vars(_spec(1)))

    email.refresh_from_db()
    assert email.status == OutboundEmail.Status.QUEUED  # committed, and not lost
    assert smtp_server.messages == []
    assert "Connection refused" in caplog.text

    # When the broker is back, the sweeper finds the row once it is overdue
    monkeypatch.undo()
    OutboundEmail.objects.filter(pk=email.pk).update(
        next_attempt_at=email.next_attempt_at - services.STUCK_AFTER
    )
    from outbox.tasks import requeue_stuck_emails

    assert requeue_stuck_emails.delay().get() == 1
    email.refresh_from_db()
    assert email.status == OutboundEmail.Status.SENT
    assert smtp_server.message_ids() == [email.message_id]
