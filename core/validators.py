"""Validation of the short texts people type about themselves: names, titles, places.

Every script is welcome (Chinese, Tibetan, Uyghur, …). What is refused: control characters,
bidirectional overrides (they can make a name display as something else), markup, emoji.
Joiners (ZWJ/ZWNJ), which some scripts need, are allowed.
"""

import unicodedata

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

_BIDI_CONTROLS = {chr(c) for c in (*range(0x202A, 0x202F), *range(0x2066, 0x206A))}
_ALLOWED_FORMAT = {"\u200c", "\u200d"}  # zero-width non-joiner / joiner
_EMOJI_RANGES = (
    (0x1F000, 0x1FAFF),
    (0x2600, 0x27BF),
    (0x2B00, 0x2BFF),
    (0xFE00, 0xFE0F),
    (0x1F1E6, 0x1F1FF),
)


def _is_emoji(ch: str) -> bool:
    cp = ord(ch)
    return any(lo <= cp <= hi for lo, hi in _EMOJI_RANGES)


def validate_plain_text(value: str) -> None:
    for ch in value:
        if ch in _BIDI_CONTROLS:
            raise ValidationError(
                _("Remove the invisible text-direction characters."), code="bidi_control"
            )
        category = unicodedata.category(ch)
        if category == "Cc" and ch not in "\t":
            raise ValidationError(_("Remove the control characters."), code="control")
        if category in {"Cf", "Co", "Cs", "Cn"} and ch not in _ALLOWED_FORMAT:
            raise ValidationError(
                _("Remove the invisible or unassigned characters."), code="format"
            )
        if ch in "<>":
            raise ValidationError(
                _("Angle brackets (< and >) are not allowed here."), code="markup"
            )
        if _is_emoji(ch):
            raise ValidationError(_("Emoji are not allowed here."), code="emoji")
