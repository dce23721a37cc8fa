"""Delivery tasks. They take row ids, tolerate missing rows, and never send a row twice.

They import services and nothing imports them but outbox.dispatch: a retry or a sweep asks
services for delivery, and dispatch enqueues it (DESIGN.md §6)."""

import logging

from celery import shared_task
from django.db import InterfaceError, OperationalError

from . import services

logger = logging.getLogger(__name__)


@shared_task(
    name="outbox.send_emails",
    # Nobody reads its result: without this, every publish from a web process subscribed to
    # the task's result channel in Redis (a round trip, and a subscription the process kept),
    # and the worker stored a result for a day (issue 16).
    ignore_result=True,
    acks_late=True,
    reject_on_worker_lost=True,
    # The database dropped the connection (a restart, a failover): try again in seconds, on a
    # new connection (Celery's Django fix-up closes unusable ones), not at the next sweep. A
    # row is claimed and marked in one transaction, so a retried chunk never sends twice.
    autoretry_for=(OperationalError, InterfaceError),
    retry_backoff=2,
    retry_backoff_max=20,
    retry_jitter=False,
    max_retries=4,
)
def send_emails(email_ids: list[int]) -> dict[str, int]:
    """Send a chunk of queued emails over one SMTP connection; schedule retries with backoff."""
    outcomes = services.deliver_many(email_ids)
    retries: dict[int, list[int]] = {}
    for email_id, outcome in outcomes.items():
        if outcome.retry_in is not None:
            retries.setdefault(outcome.retry_in, []).append(email_id)
    if not send_emails.request.is_eager:
        # In the embedded default (no broker) a failed row waits for `send_queued_emails`.
        for delay, ids in retries.items():
            services.request_delivery(email_ids=ids, countdown=delay)
    counts: dict[str, int] = {}
    for outcome in outcomes.values():
        counts[outcome.status] = counts.get(outcome.status, 0) + 1
    return counts


def _queue_is_empty() -> bool:
    """Whether no task waits in the broker's queue for a worker (then a row still waiting for
    its attempt has lost its task). In doubt, False: the long window applies."""
    app = requeue_stuck_emails.app
    if app.conf.task_always_eager:
        return True  # nothing is ever queued: tasks run at once
    from kombu.exceptions import ChannelError

    try:
        with app.connection_for_write() as connection:
            queue = connection.default_channel.queue_declare(
                queue=app.conf.task_default_queue, passive=True
            )
    except ChannelError:
        # No such queue: nothing was ever queued since Redis started empty (a restart of a
        # Redis that keeps nothing on disk loses the queue and its messages alike).
        return True
    except Exception as exc:  # the broker is down
        logger.info("cannot read the queue's length (%s)", type(exc).__name__)
        return False
    return queue.message_count == 0


@shared_task(name="outbox.requeue_stuck_emails")
def requeue_stuck_emails() -> int:
    """Beat, every SWEEP_SECONDS: re-enqueue queued rows whose task was lost (a broker outage
    or a killed worker delays mail but loses none). A row is lost after LOST_AFTER when the
    queue is empty, after STUCK_AFTER while tasks still wait in it (a long fan-out)."""
    overdue_after = services.LOST_AFTER if _queue_is_empty() else services.STUCK_AFTER
    ids = services.claim_overdue(overdue_after=overdue_after)
    services.request_delivery(email_ids=ids)
    return len(ids)


@shared_task(name="outbox.reduce_sent_emails")
def reduce_sent_emails() -> int:
    """Beat, hourly: clear old sent emails down to what support needs."""
    return services.reduce_sent_emails()
