"""Delivery tasks. They take row ids, tolerate missing rows, and never send a row twice.

They import services and nothing imports them but outbox.dispatch: a retry or a sweep asks
services for delivery, and dispatch enqueues it (DESIGN.md §6)."""

from celery import shared_task

from . import services


@shared_task(name="outbox.send_emails", acks_late=True, reject_on_worker_lost=True)
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


@shared_task(name="outbox.requeue_stuck_emails")
def requeue_stuck_emails() -> int:
    """Beat, every minute: re-enqueue queued rows whose task was lost (a broker outage delays
    mail but loses none)."""
    ids = services.claim_overdue()
    services.request_delivery(email_ids=ids)
    return len(ids)


@shared_task(name="outbox.reduce_sent_emails")
def reduce_sent_emails() -> int:
    """Beat, hourly: clear old sent emails down to what support needs."""
    return services.reduce_sent_emails()
