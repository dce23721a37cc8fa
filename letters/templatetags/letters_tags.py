"""Template tags and filters for letters: ``{% load letters_tags %}``.

- ``{{ letter.body|markdown }}`` renders a letter's Markdown to sanitised HTML
  (see ``letters.markdown`` for the two layers that make that safe).
"""

from django import template
from django.utils.safestring import SafeString

from letters.markdown import render_markdown_cached

register = template.Library()


@register.filter(name="markdown")
def markdown_filter(text: str | None) -> SafeString:
    """Render Markdown to sanitised HTML. The input is treated as untrusted text even if it
    is already marked safe, and the result needs no ``|safe``."""
    return render_markdown_cached(str(text) if text is not None else "")


@register.filter(name="delivery_error")
def delivery_error(raw: str) -> str:
    """What went wrong with an email, in words (the raw error is for the outbox admin)."""
    from outbox.explain import explain_delivery_error

    return explain_delivery_error(raw)
