"""Moderation decisions on signatures: approve and reject, one by one or in bulk.

One code path decides any number of signatures in a constant number of queries: lock the rows
still awaiting review, update them together, write their audit events together, queue their
emails together. A row that another moderator decided a moment earlier is no longer awaiting
review under the lock, so it is skipped and reported — a decision is never applied twice.
"""

from collections.abc import Iterable
from dataclasses import dataclass, field

from django.contrib import messages
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from accounts.models import User
from audit.actions import Action
from audit.services import Event, record_events
from core.errors import DomainError, NotAllowed, TransitionError
from webhooks.events import Event as WebhookEvent

from .. import emails
from ..models import Letter, Signature
from ..permissions import can_moderate
from .publication import invalidate_public_list
from .webhook_events import emit_signatures

Status = Signature.Status


@dataclass
class Decisions:
    decided: list[Signature] = field(default_factory=list)
    # (signature id, why it was not decided)
    skipped: list[tuple[int, str]] = field(default_factory=list)

    def report(self, *, approved: bool) -> list[tuple[int, str]]:
        """What to tell the moderator, as (message level, text): how many were decided, and
        why the others were not, grouped by reason. The admin and the site say the same."""
        said: list[tuple[int, str]] = []
        if count := len(self.decided):
            if approved:
                text = ngettext(
                    "%(count)d signature approved.", "%(count)d signatures approved.", count
                )
            else:
                text = ngettext(
                    "%(count)d signature rejected; the signer is told why.",
                    "%(count)d signatures rejected; their signers are told why.",
                    count,
                )
            said.append((messages.SUCCESS, text % {"count": count}))
        by_reason: dict[str, int] = {}
        for _pk, why in self.skipped:
            by_reason[why] = by_reason.get(why, 0) + 1
        for why, count in by_reason.items():
            text = ngettext(
                "%(count)d signature was not decided. %(why)s",
                "%(count)d signatures were not decided. %(why)s",
                count,
            )
            said.append((messages.WARNING, text % {"count": count, "why": why}))
        return said


@transaction.atomic
def decide_signatures(
    *,
    signature_ids: Iterable[int],
    moderator: User,
    approve: bool,
    reason: str = "",
    note: str = "",
) -> Decisions:
    """Approve or reject signatures awaiting review. Rejecting needs a coded reason (and a note
    for "other"); both are stored and sent to the signer. A note goes with one signature only."""
    note = note.strip()
    if not approve:
        if reason not in Signature.RejectionReason.values:
            raise DomainError(_("Choose a reason for the rejection."))
        if reason == Signature.RejectionReason.OTHER and not note:
            raise DomainError(_("Explain the reason when you choose “Other”."))
    else:
        reason, note = "", ""
    ids = sorted(set(signature_ids))
    locked = {
        s.pk: s
        for s in Signature.objects.select_for_update(of=("self",))
        .with_organisations()
        .select_related("letter", "version")
        .filter(pk__in=ids)
    }
    result = Decisions()
    allowed_letters: dict[int, bool] = {}
    to_decide: list[Signature] = []
    for pk in ids:
        signature = locked.get(pk)
        if signature is None:
            result.skipped.append((pk, _("This signature no longer exists.")))
            continue
        letter = signature.letter
        if letter.pk not in allowed_letters:
            allowed_letters[letter.pk] = can_moderate(moderator, letter)
        if not allowed_letters[letter.pk]:
            raise NotAllowed(_("You cannot decide on this letter's signatures."))
        if letter.status == Letter.Status.PUBLISHED:
            result.skipped.append((pk, _("The letter has been published; its list is final.")))
        elif signature.status != Status.PENDING_REVIEW:
            result.skipped.append(
                (
                    pk,
                    _("Already decided by someone else: it is now “%(status)s”.")
                    % {"status": signature.get_status_display()},
                )
            )
        else:
            to_decide.append(signature)
    if not to_decide:
        return result
    # A note is written about one organisation: sent to several signers, it would tell one
    # organisation what was said about another (whose staff may be watched).
    if note and len(to_decide) > 1:
        raise DomainError(
            _(
                "A note is written about one organisation, so it cannot go to several signers. "
                "Reject these signatures with the reason alone, or one by one to add a note "
                "to each."
            )
        )

    now = timezone.now()
    new_status = Status.APPROVED if approve else Status.REJECTED
    Signature.objects.filter(pk__in=[s.pk for s in to_decide]).update(
        status=new_status,
        decided_at=now,
        decided_by=moderator,
        rejection_reason=reason,
        rejection_note=note,
        updated_at=now,
    )
    for signature in to_decide:
        signature.status = new_status
        signature.decided_at = now
        signature.decided_by = moderator
        signature.rejection_reason = reason
        signature.rejection_note = note
    label = str(Signature.RejectionReason(reason).label) if reason else ""
    reason_text = " — ".join(p for p in (label, note) if p)
    record_events(
        events=[
            Event(
                action=Action.SIGNATURE_APPROVED if approve else Action.SIGNATURE_REJECTED,
                actor=moderator,
                organisation=s.public_organisation,
                target=s,
                reason=reason_text,
                data={"reason": reason} if reason else {},
            )
            for s in to_decide
        ]
    )
    emit_signatures(
        signatures=to_decide,
        event=WebhookEvent.SIGNATURE_APPROVED if approve else WebhookEvent.SIGNATURE_REJECTED,
    )
    emails.decisions(to_decide)
    if approve:
        invalidate_public_list(letter_ids=(s.letter_id for s in to_decide))
    result.decided = to_decide
    return result


def approve_signature(*, signature: Signature, moderator: User) -> Signature:
    """Approve one signature awaiting review; TransitionError if it no longer is."""
    return _one(decide_signatures(signature_ids=[signature.pk], moderator=moderator, approve=True))


def reject_signature(
    *, signature: Signature, moderator: User, reason: str, note: str = ""
) -> Signature:
    """Reject one signature awaiting review, with a coded reason and an optional note."""
    return _one(
        decide_signatures(
            signature_ids=[signature.pk],
            moderator=moderator,
            approve=False,
            reason=reason,
            note=note,
        )
    )


def _one(result: Decisions) -> Signature:
    if result.skipped:
        raise TransitionError(result.skipped[0][1])
    return result.decided[0]
