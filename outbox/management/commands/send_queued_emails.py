from django.core.management.base import BaseCommand

from outbox import services
from outbox.models import OutboundEmail


class Command(BaseCommand):
    help = "Send every queued email now, in this process (for the embedded default, or to drain)."

    def handle(self, *args, **options) -> None:
        ids = list(
            OutboundEmail.objects.filter(status=OutboundEmail.Status.QUEUED)
            .order_by("created_at")
            .values_list("pk", flat=True)
        )
        outcomes = services.deliver_many(ids)
        counts: dict[str, int] = {}
        for outcome in outcomes.values():
            counts[outcome.status] = counts.get(outcome.status, 0) + 1
        self.stdout.write(f"{len(ids)} queued: {counts or 'nothing to send'}")
