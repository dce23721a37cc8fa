"""What the webhooks app tells other apps, without knowing them (it imports no app).

`endpoint_disabled` is sent inside the transaction that disables an endpoint after repeated
failures, so a receiver's write (letters queues an email to the coordinators through the
outbox) commits or rolls back with it. Receivers run in a savepoint of their own: one that
fails is logged and never undoes the disabling.
"""

from django.dispatch import Signal

# sender=WebhookEndpoint; kwargs: endpoint_id (int), letter_id (int), url (str), reason (str),
# failures (int), disabled_at (datetime).
endpoint_disabled = Signal()

# Inside the app only: services ask for deliveries to be handed to the worker, and
# webhooks.dispatch (connected in WebhooksConfig.ready) does it once the transaction commits.
# sender=WebhookDelivery; kwargs: delivery_ids (list[int]), countdown (int | None).
delivery_requested = Signal()
