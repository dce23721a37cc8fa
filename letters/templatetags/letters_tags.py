"""Template tags and filters for letters: ``{% load letters_tags %}``.

- ``{{ letter.body|markdown }}`` renders a letter's Markdown to sanitised HTML
  (see ``letters.markdown`` for the two layers that make that safe).
"""

from django import template
from django.utils.safestring import SafeString

from core.wording import mid_sentence
from letters.markdown import render_markdown_cached

register = template.Library()


@register.filter(name="markdown")
def markdown_filter(text: str | None) -> SafeString:
    """Render Markdown to sanitised HTML. The input is treated as untrusted text even if it
    is already marked safe, and the result needs no ``|safe``."""
    return render_markdown_cached(str(text) if text is not None else "")


@register.filter(name="mid_sentence")
def mid_sentence_filter(value: object) -> str:
    """A recipient inside a sentence: "to the US Secretary of State" (core/wording.py)."""
    return mid_sentence(str(value or ""))


@register.filter(name="delivery_error")
def delivery_error(raw: str) -> str:
    """What went wrong with an email, in words (the raw error is for the outbox admin)."""
    from outbox.explain import explain_delivery_error

    return explain_delivery_error(raw)


@register.filter(name="language_name")
def language_name(code: str) -> str:
    """A configured language named in itself (བོད་ཡིག, ئۇيغۇرچە); anything else as it is."""
    from django.utils.translation import get_language_info

    from core.locale import supported

    found = supported(code)
    return str(get_language_info(found)["name_local"]) if found else code


@register.filter(name="bcp47")
def bcp47_filter(code: str) -> str:
    """A language code as a lang attribute wants it (zh-hant → zh-Hant)."""
    from core.locale import bcp47

    return bcp47(code or "")


@register.filter(name="direction")
def direction_filter(code: str) -> str:
    """The direction of a text declared in this language: rtl for Uyghur, else ltr."""
    from core.locale import direction, supported

    found = supported(code)
    return direction(found) if found else "auto"


@register.simple_tag(name="script_lang")
def script_lang(text: str, place: str = "") -> str:
    """` lang="…"` for a name whose script says its language (core.locale.script_language),
    or nothing: `<a{% script_lang name place %}>`."""
    from django.utils.html import format_html

    from core.locale import script_language

    tag = script_language(text or "", place or "")
    return format_html(' lang="{}"', tag) if tag else ""
