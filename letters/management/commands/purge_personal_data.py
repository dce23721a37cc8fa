"""Erase personal data past SIGNER_CONTACT_RETENTION_DAYS (the beat task does it daily)."""

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from letters.services import purge_expired_personal_data


class Command(BaseCommand):
    help = "Erase signers' and contacts' personal data past the retention period."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--dry-run", action="store_true", help="Print counts per letter; change nothing."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        report = purge_expired_personal_data(dry_run=options["dry_run"])
        verb = "would erase" if report.dry_run else "erased"
        for letter_id, (n_sig, n_inv) in report.per_letter.items():
            self.stdout.write(f"letter {letter_id}: {verb} {n_sig} signatures, {n_inv} invitations")
        self.stdout.write(
            f"total: {verb} {report.signatures} signatures, {report.invitations} invitations"
        )
