"""Organisation names compared the way people read them.

"Human Rights Watch", "human rights watch" and "Human-Rights  Watch" are one organisation;
the normalised form is what the database keeps unique and what duplicate warnings compare.
Letters and combining marks of every script are kept (Tibetan vowel signs are marks), only
case, punctuation, symbols, spaces and a leading "The" are dropped.
"""

import bisect
import difflib
import functools
import re
import unicodedata
from pathlib import Path

from core.validators import validate_plain_text

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


# --- Lookalikes (UTS #39) ------------------------------------------------------------------
# "Аmnesty International" (a Cyrillic А) and "Amnesty InternationaI" (a capital i) read as
# "Amnesty International". Their confusable skeleton (UTS #39 §4) is the same: NFD, each
# character replaced by its prototype from Unicode's confusables.txt, NFD again. The data is
# vendored in organisations/data (derived from Unicode 15.0 as compiled in ICU 72; licence
# and generator alongside), read once.

_DATA = Path(__file__).resolve().parent / "data"


def _rows(filename: str) -> list[list[str]]:
    with (_DATA / filename).open(encoding="utf-8") as data:
        return [line.strip().split(";") for line in data if line.strip() and line[0] != "#"]


@functools.cache
def _prototypes() -> dict[str, str]:
    return {
        chr(int(cp, 16)): "".join(chr(int(t, 16)) for t in target.split())
        for cp, target in _rows("confusables.txt")
    }


@functools.cache
def _script_ranges() -> tuple[list[int], list[int], list[str]]:
    rows = _rows("scripts.txt")
    return (
        [int(first, 16) for first, _last, _script in rows],
        [int(last, 16) for _first, last, _script in rows],
        [script for _first, _last, script in rows],
    )


def skeleton(text: str) -> str:
    """UTS #39 skeleton(X): two strings are confusable when their skeletons are equal."""
    prototypes = _prototypes()
    mapped = "".join(prototypes.get(ch, ch) for ch in unicodedata.normalize("NFD", text))
    return unicodedata.normalize("NFD", mapped)


def lookalike_key(name: str) -> str:
    """The key by which names that read alike are one: the normalised form of the skeleton."""
    return normalise_name(skeleton(name))


def script_of(ch: str) -> str:
    """The Unicode Script property (ISO 15924 code: "Latn", "Cyrl", "Hani", "Zyyy"…)."""
    firsts, lasts, scripts = _script_ranges()
    i = bisect.bisect_right(firsts, ord(ch)) - 1
    return scripts[i] if i >= 0 and ord(ch) <= lasts[i] else "Zzzz"


# Scripts written together within one word (UTS #39 §5.1's augmented script sets): Japanese,
# Korean, Chinese with Bopomofo. Common and Inherited characters go with any script.
_WRITTEN_TOGETHER = (
    frozenset({"Hani", "Hira", "Kana"}),
    frozenset({"Hani", "Hang"}),
    frozenset({"Hani", "Bopo"}),
)
_ANY_SCRIPT = {"Zyyy", "Zinh", "Zzzz"}


def mixes_scripts(name: str) -> bool:
    """Whether a word of the name mixes scripts ("Tibеt" with a Cyrillic е): accepted, but a
    moderator should look. Words in different scripts ("Tibet 西藏") are not mixing."""
    for word in re.findall(r"\w+", unicodedata.normalize("NFC", name)):
        scripts = {script_of(ch) for ch in word} - _ANY_SCRIPT
        if len(scripts) > 1 and not any(scripts <= together for together in _WRITTEN_TOGETHER):
            return True
    return False


def validate_detail(field: str, value: str) -> None:
    """The sign form's rule for texts shown as typed (core.validators.validate_plain_text):
    no bidi overrides or isolates, control or invisible characters, markup, emoji — for every
    detail of an organisation, in its forms, the admin and the services. A description may
    hold line breaks (its paragraphs)."""
    if field == "description":
        value = value.replace("\r", "").replace("\n", " ")
    validate_plain_text(value)
