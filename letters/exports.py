"""The letter as files: PDF in two editions, CSV for the public and for coordinators, and the
press summary.

- The PDF is laid out by WeasyPrint from templates/letters/pdf/letter.html. Its URL fetcher
  refuses everything: the letter's text is user input, and a PDF renderer that follows
  `<img src="file:///etc/passwd">` or an internal URL is a classic server-side request forgery.
  The fonts are the project's own (letters.pdf_fonts: Noto files that `make install` puts in
  var/fonts/), handed to fontconfig directly, never loaded from a URL; the system's fonts are
  not needed. Rendering 10,000 names takes seconds, so requests never render: the worker
  does, at publication, when the list changes and when a request finds no PDF of the letter
  as it is now (see "The stored PDF" below).
- CSV files are written by core.spreadsheets (formula cells defused, a byte-order mark
  first); they stream.
"""

import hashlib
from collections.abc import Iterable, Iterator
from functools import lru_cache
from pathlib import Path

from django.conf import settings
from django.core.cache import cache
from django.dispatch import Signal
from django.template.loader import get_template, render_to_string
from django.utils import timezone, translation
from django.utils.formats import date_format, number_format
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from core.locale import direction
from core.spreadsheets import csv_lines
from core.wording import mid_sentence

from . import pdf_fonts, selectors
from .models import Letter, LetterVersion, Signature
from .selectors import (
    ORDER_BY_PLACE,
    PUBLIC_EDITION,
    RECIPIENT_EDITION,
    SignatoryList,
    SignatorySummary,
)

# Above this many names the PDF runs them on in paragraphs instead of a list in columns.
PDF_LIST_MAX_NAMES = 300


class FetchRefused(Exception):
    """The PDF asked for a resource; nothing is ever fetched."""


def refuse_to_fetch(url: str, *args, **kwargs):
    raise FetchRefused(f"The PDF renderer does not fetch anything ({url[:80]!r}).")


@lru_cache(maxsize=1)
def _refusing_fetcher_class():
    from weasyprint.urls import URLFetcher  # heavy: loaded by the processes that render PDFs

    class RefusingURLFetcher(URLFetcher):
        """WeasyPrint's fetcher interface, fetching nothing: every image, style sheet, font or
        link the document asks for is refused (WeasyPrint logs it and goes on without)."""

        def __init__(self) -> None:
            super().__init__(allowed_protocols=frozenset(), allow_redirects=False)

        def fetch(self, url, headers=None):
            return refuse_to_fetch(url)

    return RefusingURLFetcher


# --- PDF -------------------------------------------------------------------------------------


def pdf_context(letter: Letter, signatories: SignatoryList, version: LetterVersion) -> dict:
    """In the active language: its interface strings, its font order, its direction, and the
    letter's current translation into it when there is one (shown with the authoritative text
    after it; the template labels which binds)."""
    language = _language()
    return {
        "letter": letter,
        "version": version,
        "language": language,
        "page_dir": direction(language),
        "fonts": {
            "page": pdf_fonts.font_family(language),
            "traditional": pdf_fonts.font_family("zh-hant"),
            "simplified": pdf_fonts.font_family("zh-hans"),
        },
        "reading": selectors.reading_text(letter, version, language),
        "signatories": signatories,
        "groups": signatories.groups(ORDER_BY_PLACE) if signatories.public else [],
        "compact": len(signatories.named) > PDF_LIST_MAX_NAMES,
        "recipient_edition": signatories.edition == RECIPIENT_EDITION,
        "generated_on": timezone.localdate(),
        "headline": headline(signatories) if signatories.public else "",
    }


def render_pdf(letter: Letter, signatories: SignatoryList, version: LetterVersion) -> bytes:
    html = render_to_string("letters/pdf/letter.html", pdf_context(letter, signatories, version))
    return pdf_from_html(html)


def pdf_from_html(html: str) -> bytes:
    """Lay out the letter's HTML: with the project's fonts (letters.pdf_fonts), fetching
    nothing. Apart from render_pdf so that a test can lay out in a process whose fontconfig
    sees no system font, as on a fresh machine."""
    from weasyprint import HTML  # heavy: only the processes that render PDFs load it

    fetcher = _refusing_fetcher_class()()
    document = HTML(string=html, base_url=None, url_fetcher=fetcher)
    return document.write_pdf(font_config=pdf_fonts.font_configuration())


def _pdf_version(letter: Letter, signatories: SignatoryList) -> LetterVersion:
    """The version delivered, for a published letter; the current one otherwise."""
    if signatories.delivery is not None:
        return letter.versions.get(number=signatories.delivery.version)
    return selectors.current_version_of(letter)


def letter_pdf(letter: Letter, edition: str = PUBLIC_EDITION) -> bytes:
    """The PDF of one edition, rendered now, in the active language (seconds for a long list:
    only the worker calls this, through render_stored_pdf). The public edition names only
    public signatories, and has no list at all under embargo (the text alone); the recipient
    edition is for coordinators."""
    if edition == RECIPIENT_EDITION:
        signatories = selectors.recipient_signatories(letter)
    else:
        signatories = selectors.public_signatories(letter)
    return render_pdf(letter, signatories, _pdf_version(letter, signatories))


# --- The stored PDF ------------------------------------------------------------------------------
#
# A request never renders: it serves the stored PDF when the stored one is the PDF of the letter
# as it is now, and otherwise asks the worker for it (pdf_render_requested; letters.dispatch
# enqueues letters.render_letter_pdf) and says "being prepared".
#
# Stored in the cache (Redis), one slot per letter, edition and language, holding the key it
# was rendered for next to the bytes: a new rendering replaces the old one, so Redis holds one
# PDF per slot however often the list changes (a key per list version would keep a PDF of
# every approval for EXPORT_PDF_CACHE_SECONDS). Not on disk: the web and worker processes
# share Redis and the database, not a private volume (the one shared volume, media, is served
# by the web server), and with Redis down no worker can render anyway.

# Bump when pdf_context or render_pdf change what the PDF shows (the templates are hashed).
PDF_LAYOUT_VERSION = 2  # 2: per language, with the translation into it
# How long a requested rendering keeps others from asking again: long enough for a queue and
# a rendering of 10,000 names, short enough that a dead worker does not hold it for long.
PDF_RENDER_PENDING_SECONDS = 120
# List changes ask for a rendering this much later, so a burst of approvals renders once.
PDF_REFRESH_DELAY_SECONDS = 10
PDF_EDITIONS = (PUBLIC_EDITION, RECIPIENT_EDITION)

# Asks the worker to render one PDF. sender=Letter; kwargs: letter_id (int), edition (str),
# language (str), countdown (int | None). letters.dispatch, connected in LettersConfig.ready,
# enqueues letters.render_letter_pdf: this module is below the tasks and must not import them.
pdf_render_requested = Signal()


@lru_cache(maxsize=1)
def _templates_fingerprint() -> str:
    """A hash of the PDF's templates (templates/letters/pdf/*), once per process: a deploy
    that changes them changes every PDF's key."""
    folder = Path(get_template("letters/pdf/letter.html").origin.name).parent
    digest = hashlib.sha256()
    for path in sorted(folder.rglob("*")):
        if path.is_file():
            digest.update(path.relative_to(folder).as_posix().encode() + b"\0")
            digest.update(path.read_bytes() + b"\0")
    return digest.hexdigest()[:16]


@lru_cache(maxsize=1)
def _fonts_fingerprint() -> str:
    """The fonts the renderer uses (letters.pdf_fonts): a PDF rendered while a script's font
    was missing is not served once it is there (the next process has another key)."""
    return str(pdf_fonts.fingerprint())


def _language(language: str | None = None) -> str:
    return language or translation.get_language() or settings.LANGUAGE_CODE


def pdf_key(letter: Letter, edition: str, language: str | None = None) -> str:
    """Everything that changes the PDF: the list and the letter (signatory_cache_key: its
    list_version and updated_at), whether the list is public, the language, the templates,
    the layout code and the fonts. Made from the letter row alone: no list is loaded.

    The translation shown in the language is in it through updated_at: saving one
    (services.translations.save_translation, the only writer of LetterTranslation) touches
    the letter's updated_at in its transaction, and so does every change of the
    authoritative text (which may make a translation out of date; the letter's language is
    set once, at creation). tests/publication/test_pdf_languages.py fails if saving a
    translation stops changing the key."""
    return (
        f"{selectors.signatory_cache_key(letter, edition)}:pdf:{int(letter.signatories_are_public)}"
        f":{_language(language)}:{PDF_LAYOUT_VERSION}:{_templates_fingerprint()}"
        f":{_fonts_fingerprint()}"
    )


def _slot(letter_id: int, edition: str, language: str) -> str:
    return f"letters:pdf:{letter_id}:{edition}:{language}"


def _pending(letter_id: int, edition: str, language: str) -> str:
    return f"letters:pdf-pending:{letter_id}:{edition}:{language}"


def stored_pdf(letter: Letter, edition: str, language: str | None = None) -> bytes | None:
    """The stored PDF if it is the PDF of the letter as it is now; None otherwise (never a
    stale one: it could name an organisation that has since withdrawn or hidden its name)."""
    language = _language(language)
    stored = cache.get(_slot(letter.pk, edition, language))
    if (
        isinstance(stored, tuple)
        and len(stored) == 2
        and stored[0] == pdf_key(letter, edition, language)
    ):
        return stored[1]
    return None


def render_stored_pdf(letter: Letter, edition: str, language: str) -> bool:
    """The worker's part: render the PDF of the letter as it is now and store it, unless the
    stored one is already that (idempotent: a task run twice renders once). True if it
    rendered. The pending mark goes first, so a change made while this renders asks again."""
    cache.delete(_pending(letter.pk, edition, language))
    if stored_pdf(letter, edition, language) is not None:
        return False
    key = pdf_key(letter, edition, language)
    with translation.override(language):
        pdf = letter_pdf(letter, edition)
    cache.set(_slot(letter.pk, edition, language), (key, pdf), settings.EXPORT_PDF_CACHE_SECONDS)
    return True


def request_pdf(
    letter_id: int,
    edition: str,
    language: str | None = None,
    *,
    countdown: int | None = None,
) -> None:
    """Ask the worker for this PDF, once per PDF_RENDER_PENDING_SECONDS: the pending mark keeps
    every visitor who finds it missing from queueing the same rendering again. The mark
    expires, so a worker that died does not keep the PDF from ever being rendered."""
    language = _language(language)
    if not cache.add(_pending(letter_id, edition, language), 1, PDF_RENDER_PENDING_SECONDS):
        return
    pdf_render_requested.send(
        sender=Letter,
        letter_id=letter_id,
        edition=edition,
        language=language,
        countdown=countdown,
    )


def pdf_for_request(letter: Letter, edition: str) -> bytes | None:
    """The PDF for a request, or None when it is being prepared (then it has been asked for).
    Never renders here; with tasks run in-process (CELERY_TASK_ALWAYS_EAGER, the embedded
    default) asking rendered it already, and it is served at once."""
    pdf = stored_pdf(letter, edition)
    if pdf is None:
        request_pdf(letter.pk, edition)
        pdf = stored_pdf(letter, edition)
    return pdf


def refresh_pdfs(letter_ids: Iterable[int], *, published: bool = False) -> None:
    """Once a change of these letters' lists has committed (services.publication calls this
    on commit): render again the PDFs someone has asked for (their slot holds one, of the
    letter as it was) and, at publication, the public edition in the site's language. A little
    later (PDF_REFRESH_DELAY_SECONDS), so that a burst of approvals renders once."""
    for letter_id in sorted(set(letter_ids)):
        wanted = {
            (edition, code)
            for edition in PDF_EDITIONS
            for code, _name in settings.LANGUAGES
            if cache.has_key(_slot(letter_id, edition, code))
        }
        if published:
            wanted.add((PUBLIC_EDITION, settings.LANGUAGE_CODE))
        for edition, code in sorted(wanted):
            request_pdf(letter_id, edition, code, countdown=PDF_REFRESH_DELAY_SECONDS)


# --- CSV --------------------------------------------------------------------------------------


def public_csv(signatories: SignatoryList) -> Iterator[str]:
    """Organisation, based in, date signed: one row per named organisation. How many signed in
    all, and how many cannot be named, is said in a comment line above the header ("# Signed
    by 7 organisations. …"), never as a row, so that every row is an organisation."""
    delivered = signatories.delivery is not None
    header = [_("Organisation"), _("Based in"), _("Signed on")]
    if delivered:
        header.extend([_("Withdrawn after delivery"), _("Version signed")])

    def rows() -> Iterator[list[object]]:
        for signatory in signatories.named:
            row: list[object] = [
                signatory.name,
                signatory.based_in,
                signatory.signed_on.isoformat() if signatory.signed_on else "",
            ]
            if delivered:
                row.append(_("yes") if signatory.withdrawn_after_delivery else "")
                row.append(signatory.version)
            yield row

    comments = [headline(signatories)]
    if signatories.unnamed:
        comments.append(unnamed_csv_line(signatories.unnamed))
        if signatories.unnamed_earlier:
            earlier = unnamed_earlier_line(signatories.unnamed_earlier)
            comments.append(earlier[:1].upper() + earlier[1:] + ".")
    return csv_lines(header, rows(), comments=comments)


def _on_the_record(letter: Letter) -> Iterator[tuple[Signature, str]]:
    """Every signature on the list (selectors.signatures_on_the_record) with its status in
    words: what the coordinators' exports hold (coordinator_csv, osdi_signatures)."""
    for s in selectors.signatures_on_the_record(letter):
        if s.status == Signature.Status.WITHDRAWN:
            yield s, _("withdrawn after delivery")
        else:
            yield s, _("approved")


def coordinator_csv(letter: Letter) -> Iterator[str]:
    """Every signature on the list (approved; for a published letter also those withdrawn
    after delivery), with the signer's contact details and how their authority was
    established. Streams rows straight from the database."""
    header = [
        _("Organisation"),
        _("Based in"),
        _("Visibility"),
        _("Signer's name"),
        _("Signer's title"),
        _("Signer's email"),
        _("Name shown publicly"),
        _("Authority"),
        _("Version signed"),
        _("Signed on"),
        _("Status"),
    ]
    visibility = dict(Signature.Visibility.choices)
    authority = dict(Signature.Authority.choices)

    def rows() -> Iterator[list[object]]:
        for s, status in _on_the_record(letter):
            yield [
                s.organisation.name,
                s.organisation.based_in,
                visibility.get(s.visibility, s.visibility),
                s.signer_name,
                s.signer_title,
                s.signer_email,
                _("yes") if s.show_signer_name else _("no"),
                authority.get(s.authority, s.authority),
                s.version.number,
                (s.confirmed_at or s.created_at).date().isoformat(),
                status,
            ]

    return csv_lines(header, rows())


OSDI_ORIGIN = "Undersigned"


def osdi_signatures(letter: Letter) -> dict:
    """The coordinators' list in the shape of the Open Supporter Data Interface (OSDI), the
    format of Action Network and the CRMs that read it: the letter as an `osdi:petition`,
    each signature on the record as an `osdi:signature` with its signer embedded as an
    `osdi:person`. The same signatures and details as coordinator_csv.

    OSDI splits a name into given and family names; a name as the signer typed it cannot be
    split for every language (Chinese, Tibetan and Uyghur names among them), so it is kept
    whole as `given_name`. What OSDI has no field for (title, organisation's visibility,
    authority, version) is in `custom_fields`, under names of this site."""
    signatures = []
    for s, _status in _on_the_record(letter):
        signed = s.confirmed_at or s.created_at
        person: dict = {
            "given_name": s.signer_name,
            "employer": s.organisation.name,
            "email_addresses": [{"address": s.signer_email, "primary": True}]
            if s.signer_email
            else [],
            "custom_fields": {"job_title": s.signer_title},
        }
        if s.organisation.based_in:
            person["postal_addresses"] = [{"locality": s.organisation.based_in}]
        signatures.append(
            {
                "identifiers": [f"undersigned:signature-{s.pk}"],
                "origin_system": OSDI_ORIGIN,
                "created_date": s.created_at.isoformat(),
                "modified_date": s.updated_at.isoformat(),
                "action_date": signed.isoformat(),
                "custom_fields": {
                    "organisation": s.organisation.name,
                    "organisation_based_in": s.organisation.based_in,
                    "visibility": s.visibility,
                    "signer_name_shown_publicly": s.show_signer_name,
                    "authority": s.authority,
                    "version_signed": s.version.number,
                    "version_sha256": s.version_hash,
                    # A code, not the CSV's words: read by a machine, in any language.
                    "status": "withdrawn_after_delivery"
                    if s.status == Signature.Status.WITHDRAWN
                    else s.status,
                },
                "_embedded": {"osdi:person": person},
            }
        )
    return {
        "identifiers": [f"undersigned:letter-{letter.slug}"],
        "origin_system": OSDI_ORIGIN,
        "created_date": letter.created_at.isoformat(),
        "modified_date": letter.updated_at.isoformat(),
        "title": letter.title,
        "browser_url": settings.SITE_URL + letter.get_absolute_url(),
        "target": [{"name": letter.recipient}],
        "total_signatures": len(signatures),
        "_embedded": {"osdi:signatures": signatures},
    }


# --- Words ------------------------------------------------------------------------------------


def _n(value: int) -> str:
    return number_format(value, force_grouping=True)


def unnamed_line(count: int) -> str:
    return ngettext(
        "and %(count)s organisation that cannot be named for its safety",
        "and %(count)s organisations that cannot be named for their safety",
        count,
    ) % {"count": _n(count)}


def unnamed_csv_line(count: int) -> str:
    return ngettext(
        "%(count)s organisation cannot be named for its safety and is not listed below.",
        "%(count)s organisations cannot be named for their safety and are not listed below.",
        count,
    ) % {"count": _n(count)}


def unnamed_earlier_line(count: int) -> str:
    return ngettext(
        "of which %(count)s signed an earlier version of the text, not the one delivered",
        "of which %(count)s signed an earlier version of the text, not the one delivered",
        count,
    ) % {"count": _n(count)}


def headline(signatories: SignatoryList | SignatorySummary) -> str:
    """ "Signed by 42 organisations from 6 places." — places of named organisations only."""
    organisations = ngettext(
        "%(count)s organisation", "%(count)s organisations", signatories.total
    ) % {"count": _n(signatories.total)}
    if not signatories.places:
        return _("Signed by %(organisations)s.") % {"organisations": organisations}
    places = ngettext("%(count)s place", "%(count)s places", signatories.places) % {
        "count": _n(signatories.places)
    }
    return _("Signed by %(organisations)s from %(places)s.") % {
        "organisations": organisations,
        "places": places,
    }


PRESS_SUMMARY_NAMES = 3


def press_summary(letter: Letter, signatories: SignatoryList) -> str:
    """ "42 organisations, including A, B and C, urged …": lead organisations first, then the
    list's order. Only publicly named organisations are ever named."""
    names = [s.name for s in signatories.named if not s.withdrawn_after_delivery][
        :PRESS_SUMMARY_NAMES
    ]
    count = ngettext("%(count)s organisation", "%(count)s organisations", signatories.total) % {
        "count": _n(signatories.total)
    }
    if len(names) > 1:
        including = _("%(names)s and %(last)s") % {
            "names": ", ".join(names[:-1]),
            "last": names[-1],
        }
    else:
        including = "".join(names)
    subject = (
        _("%(count)s, including %(names)s,") % {"count": count, "names": including}
        if including
        else count
    )
    if signatories.delivery is not None:
        when = _("in a joint letter delivered on %(date)s") % {
            "date": date_format(signatories.delivery.delivered_on, "j F Y")
        }
        verb = _("urged")
    else:
        when = _("in a joint letter")
        verb = _("urge")
    sentence = _("%(subject)s %(verb)s %(recipient)s %(when)s: “%(title)s”.") % {
        "subject": subject,
        "verb": verb,
        "recipient": mid_sentence(letter.recipient),
        "when": when,
        "title": letter.title,
    }
    parts = [sentence[0].upper() + sentence[1:]]
    if letter.summary:
        parts.append(letter.summary)
    parts.append(settings.SITE_URL + letter.get_absolute_url())
    return "\n\n".join(parts)
