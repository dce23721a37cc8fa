"""Template tags that let other apps' pages show the public record without importing letters
(organisations must not import letters: its templates load this library instead)."""

from django import template

from .. import selectors

register = template.Library()


@register.simple_tag
def letters_signed_publicly(organisation) -> list:
    """The letters `organisation` signed and may be seen to have signed (one query)."""
    return list(selectors.letters_signed_publicly_by(organisation))
