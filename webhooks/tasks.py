"""Delivery tasks. They take row ids, tolerate missing rows, and never post a delivery twice
(the claim in services.deliver). Only webhooks.dispatch imports them."""

from celery import shared_task
from django.db import InterfaceError, OperationalError

from . import services


@shared_task(
    name="webhooks.deliver",
    ignore_result=True,
    acks_late=True,
    reject_on_worker_lost=True,
    # The database dropped the connection: try again in seconds on a new one. The claim and
    # the mark are one transaction, so a retried task never posts twice what was marked.
    autoretry_for=(OperationalError, InterfaceError),
    retry_backoff=2,
    retry_backoff_max=20,
    retry_jitter=False,
    max_retries=4,
)
def deliver_webhook(delivery_id: int) -> str:
    """Post one queued delivery; schedule its next attempt with backoff if it failed."""
    outcome = services.deliver(delivery_id=delivery_id)
    if outcome.retry_in is not None and not deliver_webhook.request.is_eager:
        # In the embedded default (no broker) a failed delivery waits for the sweeper.
        services.request_delivery(delivery_ids=[delivery_id], countdown=outcome.retry_in)
    return outcome.status


@shared_task(name="webhooks.requeue_stuck_deliveries")
def requeue_stuck_deliveries() -> int:
    """Beat, every WEBHOOKS_SWEEP_SECONDS: hand over again the queued deliveries whose task
    was lost (a broker outage or a killed worker delays a delivery but loses none)."""
    ids = services.claim_overdue()
    services.request_delivery(delivery_ids=ids)
    return len(ids)


@shared_task(name="webhooks.reduce_deliveries")
def reduce_deliveries() -> int:
    """Beat, hourly: clear old bodies and delete old rows (services.reduce_deliveries)."""
    cleared, deleted = services.reduce_deliveries()
    return cleared + deleted
