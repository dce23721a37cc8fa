"""Translations of a letter (LetterTranslation): coordinators save them, each of the current
version of the authoritative text. What binds a signer is the authoritative text; a
translation is for reading, labelled as such wherever it is shown."""

from django.db import transaction
from django.utils.translation import gettext as _

from accounts.models import User
from audit.actions import Action
from audit.services import record_event
from core.errors import DomainError
from core.locale import supported

from .. import selectors
from ..models import Letter, LetterTranslation, content_hash
from .lifecycle import _clean_title, _lock, _require_editor

MAX_BODY = 100_000


@transaction.atomic(durable=True)
def save_translation(
    *,
    letter: Letter,
    actor: User,
    language: str,
    title: str,
    body: str,
    summary: str = "",
    note: str = "",
) -> LetterTranslation | None:
    """Save the translation of the letter's current authoritative version into `language`,
    as that language's new current translation. Returns None when nothing changed (same text,
    same source). Refused: a language that is not the site's, the authoritative language
    itself, an empty text, someone who is not an editor of the letter."""
    letter = _lock(letter)
    _require_editor(actor, letter)
    code = supported(language)
    if code is None or code != language.strip().lower():
        raise DomainError(_("That language is not available."))
    if code == letter.language:
        raise DomainError(
            _("This is the language of the authoritative text: change the letter's text itself.")
        )
    title = _clean_title(title)
    body = body.replace("\r\n", "\n").strip("\n")
    if not body.strip():
        raise DomainError(_("Write the translated text."))
    if len(body) > MAX_BODY:
        raise DomainError(
            _("The text is longer than %(max)s characters.") % {"max": f"{MAX_BODY:,}"}
        )
    source = selectors.current_version_of(letter)
    last = (
        LetterTranslation.objects.select_for_update()
        .filter(letter=letter, language=code)
        .order_by("-number")
        .first()
    )
    digest = content_hash(title, body)
    summary = " ".join(summary.split())[:1000]
    if (
        last is not None
        and last.content_hash == digest
        and last.source_id == source.pk
        and last.summary == summary
    ):
        return None
    if last is not None:
        LetterTranslation.objects.filter(pk=last.pk).update(is_current=False)
    translation = LetterTranslation.objects.create(
        letter=letter,
        language=code,
        number=(last.number + 1) if last else 1,
        source=source,
        title=title,
        body=body,
        summary=summary,
        content_hash=digest,
        author=actor,
        note=note.strip()[:300],
        is_current=True,
    )
    letter.save(update_fields=["updated_at"])  # the cached pages carry the letter's time
    record_event(
        action=Action.LETTER_TRANSLATION_SAVED,
        actor=actor,
        target=letter,
        data={
            "language": code,
            "translation": translation.number,
            "of_version": source.number,
            "sha256": digest,
        },
        reason=translation.note,
    )
    return translation
