"""The fonts the PDFs are laid out in: the project's own, in var/fonts/, not the system's.

Signatory names come in Latin, Simplified and Traditional Chinese, Tibetan and Uyghur (Arabic
script); a character no font covers comes out as an empty box (`.notdef`). So the fonts ship
with the project: scripts/fetch_fonts.py puts pinned Noto files in var/fonts/ at `make install`,
and every PDF is laid out with them, whatever the machine has installed.

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
# the hash in Noto Sans Mono), Noto Naskh Arabic (Uyghur), Noto Serif Tibetan (there is no Noto
# Sans Tibetan any more), Noto Sans SC and TC (each has every common Han character; the order
# of the two picks the glyph forms).
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
    "NotoNaskhArabic-Regular.ttf",
    "NotoNaskhArabic-Bold.ttf",
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
