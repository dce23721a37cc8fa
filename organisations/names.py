"""Organisation names compared the way people read them.

"Human Rights Watch", "human rights watch" and "Human-Rights  Watch" are one organisation;
the normalised form is what the database keeps unique and what duplicate warnings compare.
Letters and combining marks of every script are kept (Tibetan vowel signs are marks), only
case, punctuation, symbols, spaces and a leading "The" are dropped.
"""

import difflib
import re
import unicodedata

_LEADING_THE = re.compile(r"^the\s+")


def normalise_name(name: str) -> str:
    text = unicodedata.normalize("NFKC", name).casefold().strip()
    text = text.replace("&", " and ")
    text = _LEADING_THE.sub("", text)
    return "".join(ch for ch in text if unicodedata.category(ch)[0] in {"L", "M", "N"})


def acronym_of(name: str) -> str:
    """The initials of the significant words: "Human Rights Watch" -> "hrw"."""
    words = re.findall(r"\w+", unicodedata.normalize("NFKC", name).casefold())
    skip = {"the", "of", "for", "and", "in", "on", "a", "an", "de", "la", "le"}
    return "".join(w[0] for w in words if w not in skip)


def similarity(a: str, b: str) -> float:
    """0..1 similarity of two normalised names."""
    return difflib.SequenceMatcher(a=a, b=b, autojunk=False).ratio()
