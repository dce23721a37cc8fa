"""Retention, as the privacy page promises it (issue 12, item 3).

SIGNER_CONTACT_RETENTION_DAYS after a letter's delivery (or, for a letter never published,
after its closing), the signers' names, titles and emails, the typed organisation names of
signatures never confirmed, rejection notes, the invitees' contact details, decline reasons and
unused link secrets are erased. Organisations, counts, version hashes, the delivery record (what
was published) and the audit trail stay. Each signature and invitation erased is marked, so a
later run skips it: the purge is idempotent.
"""

from __future__ import annotations

import dataclasses
import datetime as dt

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from audit.actions import Action
from audit.services import record_event
from outbox.services import forget_recipient

from ..models import Invitation, Letter, Signature
from ..models.invitations import email_index


@dataclasses.dataclass
class RetentionReport:
    """What a run erased (or, dry, would erase): counts only, never the data itself."""

    dry_run: bool
    # letter id → (signatures, invitations)
    per_letter: dict[int, tuple[int, int]] = dataclasses.field(default_factory=dict)

    @property
    def signatures(self) -> int:
        return sum(s for s, _i in self.per_letter.values())

    @property
    def invitations(self) -> int:
        return sum(i for _s, i in self.per_letter.values())


def _expired_letters(cutoff: dt.datetime) -> list[Letter]:
    return list(
        Letter.objects.filter(
            Q(published_at__isnull=False, published_at__lt=cutoff)
            | Q(published_at__isnull=True, closed_at__isnull=False, closed_at__lt=cutoff)
        )
        .exclude(status=Letter.Status.OPEN)
        .order_by("pk")
    )


def _shown_publicly(signature: Signature) -> bool:
    return (
        signature.status == Signature.Status.APPROVED
        and signature.show_signer_name
        and signature.visibility == Signature.Visibility.PUBLIC
    )


def erase_invitation_contact(invitation: Invitation, *, now: dt.datetime) -> None:
    """An invitation without its contact: name, address (a placeholder keeps the field a
    valid, unique address), decline reason, last error and link seed."""
    invitation.contact_name = ""
    invitation.email = f"erased-{invitation.pk}@invalid.invalid"
    invitation.email_index = email_index(invitation.email)
    invitation.decline_reason = ""
    invitation.last_error = ""  # a server's refusal may quote the address
    invitation.token_seed = ""
    invitation.personal_data_erased_at = now
    invitation.save(
        update_fields=[
            "contact_name", "email", "email_index", "decline_reason", "last_error",
            "token_seed", "personal_data_erased_at", "updated_at",
        ]
    )  # fmt: skip


def purge_expired_personal_data(
    *, now: dt.datetime | None = None, dry_run: bool = False
) -> RetentionReport:
    """Erase the personal data of letters past the retention period. Dry: count only."""
    now = now or timezone.now()
    cutoff = now - dt.timedelta(days=settings.SIGNER_CONTACT_RETENTION_DAYS)
    report = RetentionReport(dry_run=dry_run)
    for letter in _expired_letters(cutoff):
        with transaction.atomic():
            signatures = Signature.objects.select_for_update().filter(
                letter=letter, personal_data_erased_at__isnull=True
            )
            invitations = Invitation.objects.select_for_update().filter(
                letter=letter, personal_data_erased_at__isnull=True
            )
            n_signatures, n_invitations = signatures.count(), invitations.count()
            if not (n_signatures or n_invitations):
                continue
            report.per_letter[letter.pk] = (n_signatures, n_invitations)
            if dry_run:
                continue
            for signature in signatures:
                # The copies of the emails sent to them go with their address.
                forget_recipient(signature.signer_email)
                # A name and title the signer chose to show publicly were published (a letter
                # without a delivery record renders them from here): they stay; emails never.
                if not _shown_publicly(signature):
                    signature.signer_name = ""
                    signature.signer_title = ""
                signature.signer_email = ""
                signature.rejection_note = ""
                if signature.confirmed_at is None:
                    signature.proposed_organisation_name = ""
                    signature.proposed_based_in = ""
                signature.personal_data_erased_at = now
                signature.save(
                    update_fields=[
                        "signer_name", "signer_title", "signer_email", "rejection_note",
                        "proposed_organisation_name", "proposed_based_in",
                        "personal_data_erased_at",
                    ]
                )  # fmt: skip
            for invitation in invitations:
                forget_recipient(invitation.email)
                erase_invitation_contact(invitation, now=now)
            record_event(
                action=Action.LETTER_PERSONAL_DATA_ERASED,
                target=letter,
                data={"signatures": n_signatures, "invitations": n_invitations},
            )
    return report
