"""After delivery: the recipient's response and the coordinators' follow-up updates.

A response is recorded on a published letter only (the delivery record it answers exists), by
one of the letter's coordinators; it shows on the letter page at once (the page's cache keys
hold the letter's updated_at, bumped here). If the coordinators choose, every approved signer
is emailed once, in their language, through the outbox in the same transaction: withdrawn,
rejected and unconfirmed signatures are not, erased addresses are skipped, and the email
names no organisation but the reader's own.
"""

import datetime as dt
from typing import Any

from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from audit.actions import Action
from audit.services import record_event
from core.errors import DomainError, NotAllowed, TransitionError
from webhooks.events import Event

from .. import emails
from ..models import Letter, LetterResponse, Signature
from ..permissions import can_edit_letter
from .webhook_events import emit

FROM_MAX = LetterResponse._meta.get_field("from_whom").max_length or 300
TEXT_MAX = 20_000


def _lock_published(letter: Letter, actor: User) -> Letter:
    letter = Letter.objects.select_for_update().get(pk=letter.pk)
    if not can_edit_letter(actor, letter):
        raise NotAllowed(_("Only the letter's coordinators can do this."))
    if letter.status != Letter.Status.PUBLISHED:
        raise TransitionError(
            _("Responses and updates are recorded once the letter is published and delivered.")
        )
    return letter


def _touch(letter: Letter) -> None:
    """The letter page shows its responses: a new updated_at is a new page cache key (the
    signatory list's too, which is then read again once)."""
    Letter.objects.filter(pk=letter.pk).update(updated_at=timezone.now())


def signers_to_tell(letter: Letter) -> QuerySet[Signature]:
    """Who is emailed about a response: the letter's approved signatures — not withdrawn,
    rejected or unconfirmed ones."""
    return (
        Signature.objects.filter(letter=letter, status=Signature.Status.APPROVED)
        .with_organisations()
        .order_by("pk")
    )


@transaction.atomic(durable=True)
def record_response(
    *,
    letter: Letter,
    actor: User,
    kind: str,
    received_on: dt.date,
    from_whom: str = "",
    text: str = "",
    document: "ContentFile[bytes] | None" = None,
    document_pages: int = 0,
    email_signers: bool = False,
) -> LetterResponse:
    """Record the recipient's response (or an update) on a published letter; with
    `email_signers`, queue one email to every approved signer. `document` is a PDF already
    checked by letters.documents.clean_response_pdf."""
    letter = _lock_published(letter, actor)
    if kind not in LetterResponse.Kind.values:
        raise DomainError(_("Choose whether this is a response or an update."))
    from_whom = " ".join(from_whom.split())
    text = text.replace("\r\n", "\n").strip()
    if kind == LetterResponse.Kind.RESPONSE and not from_whom:
        raise DomainError(_("Say who the response is from."))
    if len(from_whom) > FROM_MAX:
        raise DomainError(_("“From” can be at most %(max)d characters long.") % {"max": FROM_MAX})
    if len(text) > TEXT_MAX:
        raise DomainError(_("The text can be at most %(max)d characters long.") % {"max": TEXT_MAX})
    if not text and document is None:
        raise DomainError(_("Give the text of the response, or upload it as a PDF."))
    if received_on > timezone.localdate():
        raise DomainError(_("The date cannot be in the future."))
    if received_on < letter.delivery.delivered_on:
        raise DomainError(_("The date cannot be before the letter was delivered."))
    # Two clicks on Record, or a form sent again: under the letter's lock, the second sees the
    # first and is refused, so no signer is emailed the same response twice.
    if LetterResponse.objects.filter(
        letter=letter,
        kind=kind,
        received_on=received_on,
        from_whom=from_whom,
        text=text,
        document_size=document.size if document is not None else 0,
    ).exists():
        raise DomainError(_("This has already been recorded: it is on the letter's page."))
    response = LetterResponse(
        letter=letter,
        kind=kind,
        received_on=received_on,
        from_whom=from_whom,
        text=text,
        recorded_by=actor,
    )
    stored = ""
    if document is not None:
        response.document_size = document.size
        response.document_pages = document_pages
        response.document.save(document.name or "response.pdf", document, save=False)
        # A failure below must not leave the file behind.
        stored = response.document.name or ""
        storage = response.document.storage
    try:
        response.save()
        if email_signers:
            response.signers_emailed = emails.letter_response(
                signers_to_tell(letter), letter=letter, response=response
            )
            response.save(update_fields=["signers_emailed"])
        _touch(letter)
        data: dict[str, Any] = {
            "response": response.pk,
            "kind": kind,
            "from": from_whom,
            "document": bool(document),
            "signers_emailed": response.signers_emailed,
        }
        record_event(action=Action.LETTER_RESPONSE_RECORDED, actor=actor, target=letter, data=data)
        emit(letter=letter, event=Event.RESPONSE_RECORDED, data=lambda: _event_data(response))
    except BaseException:
        if stored:
            storage.delete(stored)
        raise
    return response


def _event_data(response: LetterResponse) -> dict[str, Any]:
    """What the letter's webhooks are told (README "Webhooks"): the response is public."""
    return {
        "response": {
            "id": response.pk,
            "kind": response.kind,
            "received_on": response.received_on.isoformat(),
            "from": response.from_whom,
            "text": response.text,
            "document": bool(response.document),
            "signers_emailed": response.signers_emailed,
        }
    }


@transaction.atomic(durable=True)
def delete_response(*, response: LetterResponse, actor: User) -> None:
    """Take a response off the letter page (a mistake, the wrong file). Emails already sent
    stay sent; the audit trail keeps what was deleted and by whom."""
    letter = _lock_published(response.letter, actor)
    response = LetterResponse.objects.select_for_update().get(pk=response.pk, letter=letter)
    name = response.document.name
    storage = response.document.storage
    record_event(
        action=Action.LETTER_RESPONSE_DELETED,
        actor=actor,
        target=letter,
        data={
            "response": response.pk,
            "kind": response.kind,
            "from": response.from_whom,
            "received_on": response.received_on.isoformat(),
        },
    )
    response.delete()
    _touch(letter)
    if name:
        transaction.on_commit(lambda: storage.delete(name), robust=True)
