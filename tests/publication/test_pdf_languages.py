"""The PDF per language (issue 14): in language L it has the interface strings in L; the letter's
translation into L, labelled as a translation of version N, followed by the authoritative text
under its own heading (a translation never passes for the text that binds); right to left for
Uyghur; every name in its script, with its own direction, and Hong Kong names in Traditional
Chinese forms whatever the PDF's language. Real WeasyPrint, text read back with pypdf."""

import io
import re

import pytest
from django.core.cache import cache
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext
from pypdf import PdfReader

from core.locale import script_language
from letters import exports, pdf_fonts, selectors, services
from letters.models import Letter
from letters.selectors import PUBLIC_EDITION
from letters.templatetags.letters_tags import language_name

from .conftest import pdf_text, sign_as
from .test_pdf_fonts import notdef_glyphs

pytestmark = pytest.mark.django_db

S = Letter.Status

# Signatories in every script, with where they are based (which decides a Han name's forms).
# Text in Arabic script (Uyghur) is read back too: WeasyPrint's ToUnicode gives a glyph the text
# of the first cluster it drew, so a font that builds letters from shared dotless bases (Noto
# Naskh Arabic, which the PDFs used before) reads ن as غ, ق as ت, ج as ب (letters/pdf_fonts.py).
# But pypdf puts a number, a Latin word or a full stop in a right-to-left line where a rule of
# its own says ("1-نۇسخىنىڭ" reads "نۇسخىنىڭ-1", "سورايمىز." reads ".سورايمىز"), so what is
# compared of a string in Arabic script is each of its runs of Arabic script.
LATIN = ("Łódź Ærø Çağdaş Menschenrechte", "Berlin")
SIMPLIFIED = ("北京人权观察", "Beijing")
HONG_KONG = ("香港民主委員會", "Hong Kong")
TIBETAN = ("བོད་ཀྱི་བུད་མེད་ཚོགས་པ།", "Dharamsala")
UYGHUR = ("تارىم ئىنسان ھەقلىرى جەمئىيىتى", "Ürümchi")
SIGNATORIES = (LATIN, SIMPLIFIED, HONG_KONG, TIBETAN, UYGHUR)

ENGLISH = {
    "title": "Raise human rights in Beijing",
    "body": "We, the undersigned organisations, urge you to raise human rights.",
}
# A translation into each language, and for English (the usual authoritative language) a
# letter written in Traditional Chinese (a Hong Kong coalition's), translated into English.
TEXTS = {
    "zh-hans": {
        "title": "在北京提出人权问题",
        "body": "我们，以下签署的组织，敦促您提出人权问题。",
    },
    "zh-hant": {
        "title": "在北京提出人權問題",
        "body": "我們，以下簽署的組織，敦促您提出人權問題。",
    },
    "bo": {"title": "པེ་ཅིན་དུ་མིའི་ཐོབ་ཐང་གླེང་རོགས།", "body": "ང་ཚོས་མིའི་ཐོབ་ཐང་གླེང་དགོས་ཞེས་རེ་བ་ཞུ།"},
    "ug": {
        "title": "بېيجىڭدا ئىنسان ھەقلىرىنى تىلغا ئېلىڭ",
        "body": "بىز ئىنسان ھەقلىرىنى تىلغا ئېلىشىڭىزنى سورايمىز.",
    },
}
AUTHORITATIVE = {"en": "zh-hant", "zh-hans": "en", "zh-hant": "en", "bo": "en", "ug": "en"}
LANGUAGES = tuple(AUTHORITATIVE)


def readable(text: str) -> str:
    """What can be compared with pypdf's read-back: no whitespace (pypdf may split a Tibetan
    line at its syllable marks, and spaces around a bidi run come and go)."""
    return "".join(text.split())


def read_back_parts(text: str) -> list[str]:
    """What of `text` must read back from the PDF as written: all of it, or the runs of Arabic
    script (letters, their punctuation and the spaces between words) of a Uyghur string."""
    runs = re.findall("[\u0600-\u06ff][\u0600-\u06ff\\s]*", text)
    return runs or [text]


def letter_text(language: str) -> dict[str, str]:
    return ENGLISH if language == "en" else TEXTS[language]


@pytest.fixture
def make_translated(make_letter, owner):
    """make_translated(L): an open letter with a public list, signed by an organisation in
    each script, authoritative in AUTHORITATIVE[L] and translated into L."""

    def make(language: str) -> Letter:
        authoritative = AUTHORITATIVE[language]
        text = letter_text(authoritative)
        letter = make_letter(
            S.OPEN,
            signatories_public_while_open=True,
            language=authoritative,
            title=text["title"],
            body=text["body"],
        )
        services.save_translation(
            letter=letter, actor=owner, language=language, **letter_text(language)
        )
        for name, based_in in SIGNATORIES:
            sign_as(letter, name, based_in=based_in)
        cache.clear()  # sign_as bypasses the services, which would invalidate the cached list
        return Letter.objects.get(pk=letter.pk)

    return make


def pdf_in(letter: Letter, language: str) -> bytes:
    with translation.override(language):
        return exports.letter_pdf(letter)


def html_in(letter: Letter, language: str) -> str:
    with translation.override(language):
        signatories = selectors.public_signatories(letter)
        version = selectors.current_version_of(letter)
        return render_to_string(
            "letters/pdf/letter.html", exports.pdf_context(letter, signatories, version)
        )


def expected_strings(letter: Letter, language: str) -> dict[str, str]:
    """What the PDF in `language` of a letter translated into it shows, in reading order."""
    with translation.override(language):
        return {
            "label": gettext("Translation of version %(number)s") % {"number": 1},
            "translated title": letter_text(language)["title"],
            "translated body": letter_text(language)["body"],
            "authoritative heading": gettext(
                "Authoritative text, version %(number)s (%(language)s)"
            )
            % {"number": 1, "language": language_name(letter.language)},
            "authoritative title": letter_text(letter.language)["title"],
            "authoritative body": letter_text(letter.language)["body"],
            "heading": gettext("Signatories"),
        }


def headings_in(language: str) -> list[str]:
    """Headings and labels of the PDF whose msgids the catalogs translate."""
    with translation.override(language):
        return [gettext(m) for m in ("To", "Status", "Version", "Signatories")]


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_pdf_in_a_language_has_its_headings_the_translation_then_the_authoritative_text_and_every_name(
    make_translated, language
):
    # Given a letter translated into the language, signed by organisations in every script
    letter = make_translated(language)
    expected = expected_strings(letter, language)
    names = [name for name, _based_in in SIGNATORIES]

    # When its PDF is rendered in that language
    pdf = pdf_in(letter, language)
    text = readable(pdf_text(pdf))
    html = html_in(letter, language)
    body = html[html.index("<body>") :]

    # Then the headings are the language's, not English (unless it is English)
    headings = headings_in(language)
    if language != "en":
        assert set(headings).isdisjoint({"To", "Status", "Version", "Signatories"})
    # and the label, the translation, the authoritative text under its heading, and every
    # name come in that order in the document, the text that binds after the translation
    shown = [*headings, *expected.values(), *names]
    for string in shown:
        assert string in body, string
    order = list(expected.values())
    positions = [body.index(string) for string in order]
    assert positions == sorted(positions), order
    # and all of it reads back from the PDF, Uyghur included (its runs of Arabic script: see the
    # top of this file), drawn with no missing glyph
    for string in shown:
        for part in read_back_parts(string):
            assert readable(part) in text, string
    assert notdef_glyphs(pdf) == {}


def test_uyghur_reads_back_from_the_uyghur_pdf(make_translated):
    """The Uyghur PDF's headings, an organisation's name and the title can be searched and
    copied as written (with Noto Naskh Arabic, ن read back as غ and ق as ت)."""
    letter = make_translated("ug")
    text = readable(pdf_text(pdf_in(letter, "ug")))
    for string in (*headings_in("ug"), UYGHUR[0], TEXTS["ug"]["title"]):
        assert readable(string) in text, string


def test_the_uyghur_pdf_is_right_to_left_and_each_text_has_its_language_and_direction(
    make_translated,
):
    # Given a letter authoritative in English, translated into Uyghur
    letter = make_translated("ug")

    # When its PDF's HTML is made in Uyghur, and in English
    uyghur = html_in(letter, "ug")
    english = html_in(letter, "en")

    # Then the Uyghur document is right to left; the translation is Uyghur, right to left; the
    # authoritative text English, left to right
    assert '<html lang="ug" dir="rtl">' in uyghur
    assert f'<h1 lang="ug" dir="rtl">{TEXTS["ug"]["title"]}</h1>' in uyghur
    assert '<div class="text" lang="ug" dir="rtl">' in uyghur
    assert '<div class="authoritative" lang="en" dir="ltr">' in uyghur
    # and each name has the direction of its own script, in either document
    for html in (uyghur, english):
        assert f'<bdi dir="ltr">{LATIN[0]}</bdi>' in html
        assert f'<bdi dir="rtl" lang="ug">{UYGHUR[0]}</bdi>' in html
        assert f'<bdi dir="ltr" lang="bo">{TIBETAN[0]}</bdi>' in html
        # Simplified characters: Simplified forms, whatever the page (core.locale.script_language)
        assert f'<bdi dir="ltr" lang="zh-Hans">{SIMPLIFIED[0]}</bdi>' in html
        assert f'<bdi dir="ltr" lang="zh-Hant">{HONG_KONG[0]}</bdi>' in html
    # and the English document is left to right, with no translation (English is not the
    # letter's translation here) and the authoritative text in English
    assert '<html lang="en" dir="ltr">' in english
    assert '<div class="text" lang="en" dir="ltr">' in english
    assert 'class="translation-label"' not in english


def test_without_a_translation_the_pdf_has_the_authoritative_text_and_the_headings_in_the_language(
    make_letter,
):
    # Given a letter in English with no translation
    letter = make_letter(S.OPEN, signatories_public_while_open=True, **ENGLISH)
    sign_as(letter, TIBETAN[0], based_in=TIBETAN[1])
    cache.clear()

    # When its PDF is rendered in Tibetan
    text = readable(pdf_text(pdf_in(letter, "bo")))

    # Then it has the Tibetan headings and the English text, not labelled as a translation
    for heading in headings_in("bo"):
        assert readable(heading) in text, heading
    assert readable("Signatories") not in text
    assert readable(ENGLISH["title"]) in text
    assert readable(ENGLISH["body"]) in text
    assert readable(TIBETAN[0]) in text
    assert readable("Translation of version 1") not in text
    with translation.override("bo"):
        assert readable(gettext("Translation of version %(number)s") % {"number": 1}) not in text


def test_an_out_of_date_translation_is_marked_as_such(make_translated, owner):
    # Given a letter translated into Simplified Chinese, whose text then changed
    letter = make_translated("zh-hans")
    services.update_letter(letter=letter, actor=owner, body=ENGLISH["body"] + " Now.")
    letter = Letter.objects.get(pk=letter.pk)

    # When its PDF is rendered in Simplified Chinese
    text = readable(pdf_text(pdf_in(letter, "zh-hans")))

    # Then the translation is said to be of version 1, out of date; the text that binds is
    # version 2's
    with translation.override("zh-hans"):
        marks = [
            gettext("Translation of version %(number)s") % {"number": 1},
            gettext("Out of date."),
            gettext(
                "This translation is of version %(source)s: the authoritative text has changed "
                "since, and the translation may not match it."
            )
            % {"source": 1},
            gettext("Authoritative text, version %(number)s (%(language)s)")
            % {"number": 2, "language": "English"},
        ]
    for mark in marks:
        assert readable(mark) in text, mark
    assert readable(ENGLISH["body"] + " Now.") in text


def test_a_current_translation_is_not_marked_out_of_date(make_translated):
    letter = make_translated("zh-hans")

    text = readable(pdf_text(pdf_in(letter, "zh-hans")))

    with translation.override("zh-hans"):
        assert readable(gettext("Out of date.")) not in text


def han_fonts(pdf: bytes, name: str) -> set[str]:
    """The font families that draw the characters of `name` (a Han name) in the PDF."""
    fonts: set[str] = set()

    def visit(text, _cm, _tm, font, _size):
        if font is not None and any(c in name for c in text):
            fonts.add(str(font["/BaseFont"]).split("+")[-1].removesuffix("-Bold"))

    for page in PdfReader(io.BytesIO(pdf)).pages:
        page.extract_text(visitor_text=visit)
    return fonts


@pytest.mark.parametrize(
    ("language", "based_in", "font"),
    [
        ("en", "Hong Kong", "Noto-Sans-TC"),
        ("en", "Kowloon, 香港", "Noto-Sans-TC"),
        ("en", "Taipei, Taiwan", "Noto-Sans-TC"),
        # Traditional characters are drawn in Traditional forms wherever the organisation is
        ("en", "Berlin", "Noto-Sans-TC"),
        ("zh-hans", "Hong Kong", "Noto-Sans-TC"),
        ("zh-hans", "Berlin", "Noto-Sans-TC"),
        ("zh-hant", "Berlin", "Noto-Sans-TC"),
    ],
)
def test_a_han_name_is_drawn_in_traditional_forms_in_traditional_pages_and_for_hong_kong(
    make_letter, language, based_in, font
):
    # Given a letter signed by an organisation with a Han name, based in `based_in`
    letter = make_letter(S.OPEN, signatories_public_while_open=True, **ENGLISH)
    sign_as(letter, HONG_KONG[0], based_in=based_in)
    cache.clear()

    # When its PDF is rendered in `language`
    pdf = pdf_in(letter, language)

    # Then the name, in Traditional characters, is drawn by the Traditional font: for Hong
    # Kong and Taiwan, in a Traditional Chinese page, and wherever its characters say so
    assert han_fonts(pdf, HONG_KONG[0]) == {font}


def test_the_font_order_follows_the_language():
    def first_han(language: str) -> str:
        stack = pdf_fonts.families(language)
        return min(("Noto Sans SC", "Noto Sans TC"), key=stack.index)

    assert first_han("zh-hant") == "Noto Sans TC"
    assert first_han("zh-Hant") == "Noto Sans TC"
    assert first_han("zh-HK") == "Noto Sans TC"
    assert first_han("zh-hans") == "Noto Sans SC"
    assert first_han("en") == "Noto Sans SC"
    assert first_han("ug") == "Noto Sans SC"
    assert pdf_fonts.families("ug")[:2] == ("Noto Sans", "Vazirmatn")
    assert pdf_fonts.families("bo")[:2] == ("Noto Sans", "Noto Serif Tibetan")
    assert script_language("香港民主委員會", "Hong Kong") == "zh-Hant"
    assert script_language("澳門人權", "澳門") == "zh-Hant"
    assert script_language("Hong Kong Watch", "Hong Kong") == ""  # no Han: no forms
    assert script_language("北京人权观察", "Beijing") == "zh-Hans"


def test_saving_a_translation_changes_the_pdf_key_so_the_stored_pdf_is_not_served(
    make_translated, owner
):
    # Given a letter translated into Tibetan, with its Tibetan PDF stored
    letter = make_translated("bo")
    assert exports.render_stored_pdf(letter, PUBLIC_EDITION, "bo") is True
    key = exports.pdf_key(letter, PUBLIC_EDITION, "bo")
    assert exports.stored_pdf(letter, PUBLIC_EDITION, "bo") is not None

    # When a new translation into Tibetan is saved
    services.save_translation(
        letter=letter, actor=owner, language="bo", title="མིའི་ཐོབ་ཐང་།", body="གསར་པ།"
    )
    letter = Letter.objects.get(pk=letter.pk)

    # Then the key is another one, the stored PDF is not served, and the next has the new text
    assert exports.pdf_key(letter, PUBLIC_EDITION, "bo") != key
    assert exports.stored_pdf(letter, PUBLIC_EDITION, "bo") is None
    assert exports.render_stored_pdf(letter, PUBLIC_EDITION, "bo") is True
    stored = exports.stored_pdf(letter, PUBLIC_EDITION, "bo")
    assert stored is not None
    assert readable("མིའི་ཐོབ་ཐང་།") in readable(pdf_text(stored))


def test_lang_in_the_url_picks_the_pdfs_language(client, make_translated):
    # Given a letter translated into Traditional Chinese
    letter = make_translated("zh-hant")
    url = reverse("letters:pdf", args=[letter.slug])

    # When the PDF is asked for with ?lang=zh-hant, and without
    chinese = readable(pdf_text(client.get(url, {"lang": "zh-hant"}).content))
    english = readable(pdf_text(client.get(url, {"lang": "en"}).content))

    # Then each is in its language, with the Chinese translation in the Chinese one only
    assert readable(TEXTS["zh-hant"]["title"]) in chinese
    assert readable(TEXTS["zh-hant"]["title"]) not in english
    with translation.override("zh-hant"):
        assert readable(gettext("Signatories")) in chinese
    assert "Signatories" in english


def test_the_style_sheet_is_read_without_an_error(make_translated, caplog):
    """The font stacks go into the style sheet: escaped, their quotes would break it (WeasyPrint
    then logs and falls back on the system's fonts)."""
    letter = make_translated("zh-hant")

    pdf_in(letter, "zh-hant")

    assert [r.getMessage() for r in caplog.records if r.name.startswith("weasyprint")] == []


def test_a_simplified_name_takes_simplified_forms(make_letter):
    # Given an organisation based outside Hong Kong, Taiwan and Macau whose name is in
    # Simplified characters
    letter = make_letter(S.OPEN, signatories_public_while_open=True, **ENGLISH)
    sign_as(letter, SIMPLIFIED[0], based_in="Berlin")
    cache.clear()

    # Then its name is drawn in Simplified forms in an English PDF
    assert han_fonts(pdf_in(letter, "en"), SIMPLIFIED[0]) == {"Noto-Sans-SC"}
