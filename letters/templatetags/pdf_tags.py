"""Template filters for the PDF (templates/letters/pdf/): ``{% load pdf_tags %}``.

WeasyPrint lays a text out in the direction of its element (CSS `direction`, from `dir`), and
does not resolve `dir="auto"` itself: a name written right to left in a left-to-right page (or
the reverse) keeps its punctuation on the right side only if its element says its direction.
So the PDF's HTML gives user text whose language nobody declared (names, places) the
direction `dir="auto"` would resolve to in a browser, and the lang its glyphs need.
"""

import unicodedata

from django import template
from django.utils.html import format_html
from django.utils.safestring import SafeString

from core.locale import script_language

register = template.Library()


def text_direction(text: str) -> str:
    """The direction of the first strongly directional character, as HTML's `dir="auto"`
    resolves it: "rtl" for Arabic script (Uyghur), "ltr" for Latin, Han, Tibetan; "auto"
    when there is none (digits, punctuation), which leaves it to the surrounding text."""
    for character in text:
        kind = unicodedata.bidirectional(character)
        if kind == "L":
            return "ltr"
        if kind in ("R", "AL"):
            return "rtl"
    return "auto"


@register.filter(name="text_attributes")
def text_attributes(text: object, based_in: object = "") -> SafeString:
    """` dir="…"` and ` lang="…"` from its script (core.locale.script_language: zh-Hant for a
    Hong Kong, Taiwan or Macau organisation's name in Han characters) for an element holding
    `text`."""
    text = str(text or "")
    attributes = format_html(' dir="{}"', text_direction(text))
    language = script_language(text, str(based_in or ""))
    if language:
        attributes += format_html(' lang="{}"', language)
    return attributes
