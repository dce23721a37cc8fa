"""Recompute the blind index of every invitation's address (Invitation.email_index).

The index is an HMAC under FIELD_INDEX_KEY (core.crypto.blind_index): after a new
FIELD_INDEX_KEY, look-ups by address and the "one live invitation per address and letter" rule
compare indexes made under the old one until this has run. Batches of --batch rows, one
transaction each, in primary-key order; rows already right are left alone, so it can simply
be run again. --dry-run counts and changes nothing.
"""

from django.core.management.base import BaseCommand
from django.db import transaction

from letters.models import Invitation
from letters.models.invitations import email_index


class Command(BaseCommand):
    help = "Recompute the keyed index of every invitation's address (after a new FIELD_INDEX_KEY)."

    def add_arguments(self, parser):
        parser.add_argument("--batch", type=int, default=1000, help="rows per transaction")
        parser.add_argument("--dry-run", action="store_true", help="count, change nothing")

    def handle(self, *args, batch: int, dry_run: bool, **options):
        last, changed = 0, 0
        while True:
            with transaction.atomic():
                rows = list(
                    Invitation.objects.select_for_update()
                    .filter(pk__gt=last)
                    .order_by("pk")
                    .only("pk", "email", "email_index")[:batch]
                )
                stale = [row for row in rows if row.email_index != email_index(row.email)]
                for row in stale:
                    row.email_index = email_index(row.email)
                if stale and not dry_run:
                    Invitation.objects.bulk_update(stale, ["email_index"], batch_size=batch)
                changed += len(stale)
            if not rows:
                break
            last = rows[-1].pk
        verb = "to re-index" if dry_run else "re-indexed"
        self.stdout.write(f"Done: {changed} invitations {verb}.")
