"""The fonts the PDFs are laid out in: the project's own, in var/fonts/, not the system's.

Signatory names come in Latin, Simplified and Traditional Chinese, Tibetan and Uyghur (Arabic
script); a character no font covers comes out as an empty box (`.notdef`). So the fonts ship
with the project: scripts/fetch_fonts.py puts pinned Noto files (and Vazirmatn, for Uyghur) in
var/fonts/ at `make install`, and every PDF is laid out with them, whatever the machine has
installed.

They are handed to fontconfig directly (WeasyPrint's FontConfiguration, with the files added as
application fonts), not through `@font-face`: the PDF's URL fetcher keeps refusing every URL,
`file://` included (letters.exports), so the letter's text can never make the renderer read a
file, and WeasyPrint does not copy ~39 MB of fonts into a temporary folder for each PDF.

If the files are missing, the PDF is still rendered (with whatever fonts the system has; the
site keeps serving) and a warning is logged; `fingerprint()`, which goes into the PDF cache key,
then differs, so a PDF rendered without the fonts is not served once they are installed.
"""

import hashlib
import logging
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

from django.conf import settings

if TYPE_CHECKING:
    from weasyprint.text.fonts import FontConfiguration

logger = logging.getLogger(__name__)

# Where scripts/fetch_fonts.py puts them (tests point this elsewhere; the image sets
# PDF_FONT_DIR, because compose mounts a volume over /app/var).
FONT_DIR: Path = Path(settings.PDF_FONT_DIR)

# The files the PDFs need, as scripts/fetch_fonts.py names them (a test keeps the two lists
# equal). The template's font stacks name their families: Noto Sans (Latin, Greek, Cyrillic;
# the hash in Noto Sans Mono), Vazirmatn (Uyghur), Noto Serif Tibetan (there is no Noto Sans
# Tibetan any more), Noto Sans SC and TC (each has every common Han character; the order of the
# two picks the glyph forms).
#
# Vazirmatn, not Noto Naskh Arabic: both draw every Uyghur letter, but WeasyPrint's ToUnicode
# gives a glyph one text, and Google's Noto Naskh (like Noto Sans and Kufi Arabic) builds many
# letters from a dotless base glyph shared by several letters, so the PDF's text read ن as غ
# and ق as ت. Vazirmatn's glyphs each stand for one Uyghur letter, and it has no ligature but
# lam-alef (a glyph for two letters, which a PDF reader may put out of place when it begins a
# right-to-left run, as IBM Plex Sans Arabic's many ى ligatures did): copied or searched,
# Uyghur names read back as written (tests/publication).
FONT_FILES = (
    "NotoSans-Regular.ttf",
    "NotoSans-Italic.ttf",
    "NotoSans-Bold.ttf",
    "NotoSansMono-Regular.ttf",
    "NotoSansSC-Regular.ttf",
    "NotoSansSC-Bold.ttf",
    "NotoSansTC-Regular.ttf",
    "NotoSansTC-Bold.ttf",
    "NotoSerifTibetan-Regular.ttf",
    "NotoSerifTibetan-Bold.ttf",
    "Vazirmatn-Regular.ttf",
    "Vazirmatn-Bold.ttf",
)

_Snapshot = tuple[tuple[str, int, int], ...]  # (name, size, mtime_ns) of each file present


def _snapshot(directory: Path) -> _Snapshot:
    """What is on disk now: a few stat calls, so a change of the files is seen at once."""
    present = []
    for name in FONT_FILES:
        try:
            stat = (directory / name).stat()
        except OSError:
            continue
        present.append((name, stat.st_size, stat.st_mtime_ns))
    return tuple(present)


def font_dir() -> Path:
    return FONT_DIR


def font_paths() -> list[Path]:
    """The project's font files that are present."""
    directory = font_dir()
    return [directory / name for name, _, _ in _snapshot(directory)]


def missing_fonts() -> list[str]:
    present = {path.name for path in font_paths()}
    return [name for name in FONT_FILES if name not in present]


@lru_cache(maxsize=8)
def _fingerprint_of(directory: Path, snapshot: _Snapshot) -> str:
    """Hashing ~39 MB takes a tenth of a second: once per process and set of files."""
    digest = hashlib.sha256()
    for name, size, _ in snapshot:
        content = hashlib.sha256()
        with (directory / name).open("rb") as handle:
            while chunk := handle.read(1 << 20):
                content.update(chunk)
        digest.update(f"{name}\0{size}\0{content.hexdigest()}\n".encode())
    return digest.hexdigest()[:16]


def fingerprint() -> str:
    """A short hash of the font files in use (names, sizes, contents), for the PDF cache key:
    it changes when a font is added, removed or replaced."""
    directory = font_dir()
    return _fingerprint_of(directory, _snapshot(directory))


def font_configuration() -> "FontConfiguration":
    """A WeasyPrint font configuration that has the project's fonts: one per PDF (WeasyPrint
    keeps per-document state in it); adding the files costs a few milliseconds."""
    from weasyprint.text.ffi import ffi, fontconfig, pangoft2  # heavy: PDF processes only
    from weasyprint.text.fonts import FontConfiguration

    configuration = FontConfiguration()
    missing = missing_fonts()
    if missing:
        logger.warning(
            "PDF fonts missing in %s (%s): names in some scripts will be empty boxes. "
            "Run `make install` (scripts/fetch_fonts.py).",
            font_dir(),
            ", ".join(missing),
        )
    # WeasyPrint keeps the fontconfig configuration it built in `_config` (its font map holds a
    # reference). The PDF font test fails if a new WeasyPrint moves it.
    config = configuration._config
    added = False
    for path in font_paths():
        if fontconfig.FcConfigAppFontAddFile(config, str(path).encode()):
            added = True
        else:
            logger.warning("fontconfig could not load the PDF font %s", path)
    if added:
        pangoft2.pango_fc_font_map_config_changed(
            ffi.cast("PangoFcFontMap *", configuration.font_map)
        )
    return configuration


# --- Which font draws which text --------------------------------------------------------------
#
# A character is drawn by the first family of the stack that has it. The scripts barely overlap
# (Noto Sans: Latin; Vazirmatn: Arabic, and Latin too, but always after Noto Sans; Serif
# Tibetan: Tibetan; SC and TC: Han), except where it matters: Simplified and Traditional Chinese
# fonts both have every common Han character, in different glyph forms, so the first of the two
# decides how a Hong Kong name looks. The page's stack follows the PDF's language, and the
# template's `:lang()` rules give text declared Traditional (or Simplified) Chinese its own
# order inside a page of another language.

LATIN = "Noto Sans"
ARABIC = "Vazirmatn"
TIBETAN = "Noto Serif Tibetan"
SIMPLIFIED = ("Noto Sans SC", "Noto Sans CJK SC")  # ours, then Debian's
TRADITIONAL = ("Noto Sans TC", "Noto Sans CJK TC")
# The script font a language is written in, tried right after the Latin one.
_OWN_SCRIPT = {"ug": ARABIC, "bo": TIBETAN}


def families(language: str) -> tuple[str, ...]:
    """The font families for text in `language` (a Django code or a BCP 47 tag, any case), in
    the order they are tried: Latin first (digits and punctuation stay one design), then the
    language's own script, the other scripts, and Chinese with Traditional forms first for
    Traditional Chinese (zh-hant, zh-TW, zh-HK, zh-MO), Simplified first otherwise."""
    code = language.lower()
    own = _OWN_SCRIPT.get(code.split("-")[0])
    scripts = [own] if own else []
    scripts += [family for family in (ARABIC, TIBETAN) if family != own]
    if is_traditional_chinese(code):
        han = (TRADITIONAL[0], SIMPLIFIED[0], TRADITIONAL[1], SIMPLIFIED[1])
    else:
        han = (SIMPLIFIED[0], TRADITIONAL[0], SIMPLIFIED[1], TRADITIONAL[1])
    return (LATIN, *scripts, *han)


def font_family(language: str) -> str:
    """`families(language)` as a CSS font-family value."""
    return ", ".join(f'"{family}"' for family in families(language)) + ", sans-serif"


def is_traditional_chinese(tag: str) -> bool:
    parts = tag.lower().split("-")
    return parts[0] == "zh" and bool({"hant", "tw", "hk", "mo"} & set(parts[1:]))
