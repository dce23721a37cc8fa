"""Hands queued deliveries to the broker: the only module that imports the tasks.

The import graph is one way: dispatch → tasks → services (as in the outbox). Services send
`delivery_requested`; this module, connected in WebhooksConfig.ready, enqueues after commit.
"""

from functools import partial

from django.db import transaction

from core.broker import publish

from .tasks import deliver_webhook


def enqueue_delivery(delivery_ids: list[int], *, countdown: int | None = None) -> None:
    """One task per delivery. If the broker is down the rows stay queued and the sweeper hands
    them over once it is back; this never raises for it."""
    for delivery_id in delivery_ids:
        if not publish(deliver_webhook, (delivery_id,), countdown=countdown):
            return  # the next ones would fail the same way


def enqueue_after_commit(
    sender, *, delivery_ids: list[int], countdown: int | None = None, **kwargs
) -> None:
    """Receiver of `delivery_requested`. robust=True: with Redis down, the business change
    still commits and its request still succeeds; the sweeper sends the rows later."""
    if delivery_ids:
        transaction.on_commit(
            partial(enqueue_delivery, list(delivery_ids), countdown=countdown), robust=True
        )
