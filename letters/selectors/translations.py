"""Reading a letter's translations: which text a reader sees in which language."""

from dataclasses import dataclass

from django.conf import settings
from django.db.models import OuterRef, QuerySet

from ..models import Letter, LetterTranslation, LetterVersion


def current_translations_query(letter: Letter | OuterRef) -> QuerySet[LetterTranslation]:
    """The letter's current translations, one per language that has one, as a query."""
    return LetterTranslation.objects.filter(letter=letter, is_current=True)


def current_translations(letter: Letter) -> dict[str, LetterTranslation]:
    """The current translation in each language that has one."""
    return {t.language: t for t in current_translations_query(letter).select_related("source")}


def translation_history(letter: Letter, language: str) -> list[LetterTranslation]:
    """Every saved translation into `language`, newest first."""
    return list(
        LetterTranslation.objects.filter(letter=letter, language=language)
        .select_related("source", "author")
        .order_by("-number")
    )


@dataclass(frozen=True)
class ReadingText:
    """What a reader sees: the authoritative version, and the translation shown beside or
    instead of it (None: the authoritative text only)."""

    version: LetterVersion
    translation: LetterTranslation | None
    available: tuple[str, ...]  # languages with a text: the authoritative one first

    @property
    def out_of_date(self) -> bool:
        return self.translation is not None and self.translation.is_out_of_date(self.version)

    @property
    def language(self) -> str:
        return self.translation.language if self.translation else self.version.letter.language


def reading_text(letter: Letter, version: LetterVersion, language: str | None) -> ReadingText:
    """The text for a reader of `language` (the page's, or one they picked): its current
    translation if there is one, else the authoritative text."""
    translations = current_translations(letter)
    order = [code for code, _name in settings.LANGUAGES]
    available = tuple(
        [letter.language]
        + sorted((c for c in translations if c != letter.language), key=order.index)
    )
    translation = translations.get(language or "") if language != letter.language else None
    return ReadingText(version=version, translation=translation, available=available)


def attach_translations(letters, language: str | None) -> None:
    """Set `reader_translation` on each letter: its current translation into `language`, or
    None (the authoritative text is shown). One query for the whole page of letters, none
    when every letter is in the reader's language."""
    letters = list(letters)
    others = [letter for letter in letters if letter.language != language]
    found = (
        {
            t.letter_id: t
            for t in LetterTranslation.objects.filter(
                letter__in=others, language=language or "", is_current=True
            )
        }
        if others  # readers of the letters' own language: no query
        else {}
    )
    for letter in letters:
        letter.reader_translation = found.get(letter.pk)
