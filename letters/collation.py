"""Ordering, grouping and searching organisation names in every script, without relying on the
database's collation (SQLite has none worth the name, PostgreSQL's depends on the server's
locale).

Names are compared with the Unicode Collation Algorithm's root order (pyuca, pure Python):
"Éire" sorts beside "Eire", "Łódź" beside "Lodz", "Ølstykke" beside "Oslo", and Arabic-script,
Tibetan and Chinese names follow the Latin ones in a stable, documented order. PyICU would add
per-language tailorings but ships no wheels; the root order is the same everywhere and needs no
system library. Searching ignores case, accents and compatibility forms (NFKD + casefold).
"""

import unicodedata
from functools import lru_cache

from pyuca import Collator


@lru_cache(maxsize=1)
def _collator() -> Collator:
    return Collator()  # reads the Unicode collation table once per process


# Latin, Greek and Cyrillic end here: their accents are optional when searching.
ACCENTED_SCRIPTS_END = "\u0530"


def _clean(text: str) -> str:
    return " ".join(unicodedata.normalize("NFKC", text).split())


def sort_key(name: str) -> tuple:
    """The UCA sort key of `name`, then the name itself so that equal keys still order the
    same way every time."""
    cleaned = _clean(name)
    return (tuple(_collator().sort_key(cleaned.casefold())), cleaned)


def search_key(text: str) -> str:
    """Lower-case, accent-free, compatibility-normalised text: "Tibet" finds "TIBET" and
    "Tíbet"; full-width "ＨＲＷ" finds "HRW"."""
    decomposed = unicodedata.normalize("NFKD", _clean(text).casefold())
    kept: list[str] = []
    base = ""
    for ch in decomposed:
        if not unicodedata.combining(ch):
            base = ch
        elif base < ACCENTED_SCRIPTS_END:
            # An accent on a Latin, Greek or Cyrillic letter. Combining marks of other scripts
            # are letters in their own right (Tibetan vowel signs): they stay.
            continue
        kept.append(ch)
    return "".join(kept)


def place_key(based_in: str) -> str:
    """Where two organisations say they are based is the same place if it only differs in
    case, spacing or compatibility forms ("Hong Kong", "hong  kong")."""
    return _clean(based_in).casefold()
