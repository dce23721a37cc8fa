"""What the outbox tells other apps, without knowing them (it must not import them).

`email_status_changed` is sent inside the transaction that marks a row sent or failed for good,
so a receiver's write commits or rolls back with the row. Receivers run in a savepoint of their
own: one that fails is logged and can never undo or repeat a delivery.
"""

from django.dispatch import Signal

# sender=OutboundEmail; kwargs: email_id (int), kind (str), status ("sent" | "failed"),
# error (str, empty when sent), sent_at (datetime, None when failed).
email_status_changed = Signal()

# Inside the outbox only: services ask for rows to be handed to the worker, and
# outbox.dispatch (connected in OutboxConfig.ready) does it once the transaction commits. The
# signal is what keeps services from importing the tasks that import them.
# sender=OutboundEmail; kwargs: email_ids (list[int]), countdown (int | None).
delivery_requested = Signal()
