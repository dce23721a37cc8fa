"""Tables that scroll sideways on a phone do so in a region a keyboard can reach and a screen
reader can name (axe `scrollable-region-focusable`, serious; issue 15, item 14): every
`.table-wrap` in the project's templates is focusable, a region, and labelled."""

import re
from pathlib import Path

TEMPLATES = Path(__file__).resolve().parents[2] / "templates"
WRAP = re.compile(r'<div class="table-wrap"([^>]*)>')


def test_every_scrolling_table_is_a_focusable_labelled_region():
    found = {}
    for path in sorted(TEMPLATES.rglob("*.html")):
        for attributes in WRAP.findall(path.read_text(encoding="utf-8")):
            found.setdefault(str(path.relative_to(TEMPLATES)), []).append(attributes)
    assert len(found) >= 10, found
    unlabelled = {
        name: attrs
        for name, wraps in found.items()
        for attrs in wraps
        if 'tabindex="0"' not in attrs
        or 'role="region"' not in attrs
        or not re.search(r"aria-label(ledby)?=", attrs)
    }
    assert unlabelled == {}, unlabelled
