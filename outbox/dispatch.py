"""Hands queued rows to the broker: the only module that imports the tasks.

The import graph is one way: dispatch → tasks → services. Services never reach the tasks;
they send `delivery_requested` and this module, connected in OutboxConfig.ready, enqueues the
rows once the transaction commits.
"""

from collections.abc import Iterable
from functools import partial
from itertools import batched

from django.conf import settings
from django.db import transaction

from core.broker import publish

from .tasks import send_emails


def enqueue_delivery(email_ids: Iterable[int], *, countdown: int | None = None) -> None:
    """One task per OUTBOX_CHUNK_SIZE rows (each task sends its chunk over one SMTP
    connection). If the broker is down (or known to be: core.broker) the rows stay queued and
    the sweeper hands them over once it is back; this never raises for it."""
    for chunk in batched(email_ids, settings.OUTBOX_CHUNK_SIZE):
        if not publish(send_emails, (list(chunk),), countdown=countdown):
            return  # the next chunks would fail the same way


def enqueue_after_commit(
    sender, *, email_ids: list[int], countdown: int | None = None, **kwargs
) -> None:
    """Receiver of `delivery_requested`. robust=True: with Redis down, the business change
    still commits and its request still succeeds (not `delay_on_commit`, which would raise in
    it); the rows stay queued and the sweeper sends them when the broker is back."""
    if email_ids:
        transaction.on_commit(
            partial(enqueue_delivery, list(email_ids), countdown=countdown), robust=True
        )
