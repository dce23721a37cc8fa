"""The PDF's fonts ship with the project: on a machine with no font installed, a list of
signatories in Latin, Simplified and Traditional Chinese, Tibetan and Uyghur comes out with
every glyph drawn (none is `.notdef`, glyph 0) and every name can be read back.

"No font installed" is made real: the PDF is laid out in a subprocess whose fontconfig
configuration has no font directory (FONTCONFIG_FILE pointing at an empty <fontconfig/>), so
the fonts this machine may have (CI's, a developer's) cannot stand in for the project's."""

import importlib.util
import io
import json
import os
import re
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from django.conf import settings
from django.core.cache import cache
from django.template.loader import render_to_string
from pypdf import PdfReader
from pypdf.generic import ContentStream

from letters import exports, pdf_fonts, selectors

from .conftest import pdf_text, sign_as

NAMES = {
    "Latin": "Łódź Ærø Çağdaş Menschenrechte",
    "Simplified Chinese": "北京人权观察",
    "Traditional Chinese": "香港民主委員會",
    "Tibetan": "བོད་ཀྱི་མི་དམངས།",
    "Uyghur": "ئۇيغۇر كىشىلىك ھوقۇق",
}

# Runs in the subprocess: lay out the HTML read from stdin with the font directory given, and
# say how many fonts fontconfig had of its own (none: no system font is seen).
RENDER = """
import json, sys
from pathlib import Path
import django
django.setup()
from weasyprint.text.ffi import fontconfig
from letters import exports, pdf_fonts
pdf_fonts.FONT_DIR = Path(sys.argv[1])
system = fontconfig.FcConfigGetFonts(fontconfig.FcInitLoadConfigAndFonts(), 0)
pdf = exports.pdf_from_html(sys.stdin.read())
Path(sys.argv[2]).write_bytes(pdf)
print(json.dumps({"system_fonts": system.nfont, "fingerprint": pdf_fonts.fingerprint()}))
"""


def render_without_system_fonts(html: str, font_dir: Path, tmp_path: Path) -> tuple[bytes, dict]:
    config = tmp_path / "fonts.conf"
    config.write_text(
        '<?xml version="1.0"?>\n<!DOCTYPE fontconfig SYSTEM "urn:fontconfig:fonts.dtd">\n'
        "<fontconfig></fontconfig>\n"
    )
    output = tmp_path / "letter.pdf"
    env = {
        **os.environ,
        "FONTCONFIG_FILE": str(config),
        "FONTCONFIG_PATH": str(tmp_path),
        "XDG_CACHE_HOME": str(tmp_path / "cache"),
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "PYTHONPATH": str(settings.BASE_DIR),
    }
    result = subprocess.run(  # noqa: S603 - a fixed script, this interpreter
        [sys.executable, "-c", RENDER, str(font_dir), str(output)],
        input=html,
        capture_output=True,
        text=True,
        env=env,
        cwd=settings.BASE_DIR,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    return output.read_bytes(), {**json.loads(result.stdout.splitlines()[-1]), "log": result.stderr}


def notdef_glyphs(pdf: bytes) -> dict[str, int]:
    """How many times each font of the PDF draws glyph 0 (.notdef), read from the content
    streams. WeasyPrint writes every font as Type0 with two-byte codes: through Identity-H
    when the font had every glyph asked of it, else through a CMap of its own that sends the
    missing ones to CID 0; CIDs are glyph ids (CIDToGIDMap /Identity). Anything else fails here
    rather than being skipped."""
    reader = PdfReader(io.BytesIO(pdf))
    found: dict[str, int] = {}

    def code_to_gid(font) -> Callable[[int], int]:
        descendant = font["/DescendantFonts"][0].get_object()
        assert descendant["/CIDToGIDMap"] == "/Identity", descendant["/CIDToGIDMap"]
        encoding = font["/Encoding"]
        if encoding == "/Identity-H":
            return lambda code: code
        cmap = encoding.get_object().get_data().decode("latin-1")
        pairs = re.findall(r"<([0-9a-fA-F]{4})>\s+(\d+)", cmap)
        assert pairs, cmap[:300]
        table = {int(code, 16): int(cid) for code, cid in pairs}
        return lambda code: table.get(code, 0)  # a code the CMap leaves out is .notdef too

    def scan(contents, resources) -> None:
        fonts = {name: ref.get_object() for name, ref in (resources.get("/Font") or {}).items()}
        font, to_gid = None, None
        for operands, operator in ContentStream(contents, reader).operations:
            if operator == b"Tf":
                font = fonts[operands[0]]
                assert font["/Subtype"] == "/Type0", font["/Subtype"]
                to_gid = code_to_gid(font)
            elif operator in (b"Tj", b"TJ", b"'", b'"'):
                assert font is not None
                assert to_gid is not None
                strings = operands[0] if operator == b"TJ" else [operands[-1]]
                for string in strings:
                    if isinstance(string, (int, float)):
                        continue
                    data = bytes(getattr(string, "original_bytes", string))
                    assert len(data) % 2 == 0, data
                    for i in range(0, len(data), 2):
                        if to_gid(int.from_bytes(data[i : i + 2], "big")) == 0:
                            name = str(font["/BaseFont"])
                            found[name] = found.get(name, 0) + 1
        for xobject in (resources.get("/XObject") or {}).values():
            xobject = xobject.get_object()
            if xobject.get("/Subtype") == "/Form":
                scan(xobject, xobject.get("/Resources") or resources)

    for page in reader.pages:
        scan(page.get_contents(), page["/Resources"])
    return found


def letter_html(letter) -> str:
    signatories = selectors.public_signatories(letter)
    version = selectors.current_version_of(letter)
    return render_to_string(
        "letters/pdf/letter.html", exports.pdf_context(letter, signatories, version)
    )


@pytest.fixture
def letter_in_every_script(public_open_letter):
    for script, name in NAMES.items():
        sign_as(public_open_letter, name, based_in=script)
    cache.clear()  # sign_as bypasses the services, which would invalidate the cached list
    return public_open_letter


def test_the_fonts_the_pdf_needs_are_installed_and_listed_alike():
    """`make install` fetched them, and the fetch script and the renderer name the same files."""
    spec = importlib.util.spec_from_file_location(
        "fetch_fonts", Path(settings.BASE_DIR) / "scripts" / "fetch_fonts.py"
    )
    assert spec is not None
    assert spec.loader is not None
    fetch_fonts = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(fetch_fonts)
    fetched = {name for package in fetch_fonts.PACKAGES for name, _ in package.files.values()}
    assert fetched == set(pdf_fonts.FONT_FILES)
    assert fetch_fonts.main(["--check", "--dir", str(pdf_fonts.FONT_DIR)]) == 0
    assert pdf_fonts.missing_fonts() == []


@pytest.fixture
def pdf_without_system_fonts(letter_in_every_script, tmp_path) -> tuple[bytes, dict]:
    return render_without_system_fonts(
        letter_html(letter_in_every_script), pdf_fonts.FONT_DIR, tmp_path
    )


def read_back(pdf: bytes) -> str:
    # pypdf may split a Tibetan line at its syllable marks: compare without spaces.
    return "".join(pdf_text(pdf).split())


def test_every_script_is_drawn_with_no_system_font(pdf_without_system_fonts):
    pdf, run = pdf_without_system_fonts

    assert run["system_fonts"] == 0  # fontconfig saw no font of this machine's
    assert notdef_glyphs(pdf) == {}
    text = read_back(pdf)
    for script, name in NAMES.items():
        assert "".join(name.split()) in text, f"{script} name not read back from {text!r}"
    assert run["fingerprint"] == pdf_fonts.fingerprint()


def test_the_uyghur_name_is_read_back(pdf_without_system_fonts):
    """WeasyPrint's ToUnicode gives a glyph one text, so a font that draws U+06C7 as the glyph
    of U+0648 plus a mark (Google's Noto Naskh Arabic) reads U+0648 after it as nothing."""
    pdf, _ = pdf_without_system_fonts
    assert "".join(NAMES["Uyghur"].split()) in read_back(pdf)


def test_without_the_fonts_the_check_sees_boxes_and_the_fingerprint_changes(
    letter_in_every_script, tmp_path
):
    """The same PDF with only the Latin font (a machine without ours, with some font of its
    own: with none at all Pango has nothing to lay out with): the other scripts' glyphs are
    .notdef (so the test above can fail), a warning is logged, the PDF still comes out, and
    the fingerprint that goes into the cache key is another one."""
    latin_only = tmp_path / "latin-only"
    latin_only.mkdir()
    latin = "NotoSans-Regular.ttf"
    (latin_only / latin).write_bytes((pdf_fonts.FONT_DIR / latin).read_bytes())

    pdf, run = render_without_system_fonts(
        letter_html(letter_in_every_script), latin_only, tmp_path
    )

    assert run["system_fonts"] == 0
    assert sum(notdef_glyphs(pdf).values()) > 0
    assert "PDF fonts missing" in run["log"]
    assert run["fingerprint"] != pdf_fonts.fingerprint()


def test_the_fingerprint_follows_the_font_files(tmp_path, monkeypatch):
    source = pdf_fonts.FONT_DIR / "NotoSans-Regular.ttf"
    monkeypatch.setattr(pdf_fonts, "FONT_DIR", tmp_path)
    none = pdf_fonts.fingerprint()
    (tmp_path / source.name).write_bytes(source.read_bytes())
    one = pdf_fonts.fingerprint()
    (tmp_path / source.name).write_bytes(source.read_bytes() + b"\0")
    altered = pdf_fonts.fingerprint()

    assert len({none, one, altered}) == 3
    assert pdf_fonts.missing_fonts() == [n for n in pdf_fonts.FONT_FILES if n != source.name]
