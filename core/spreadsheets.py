"""CSV for people who open it in a spreadsheet: the one place where formula cells are escaped
and CSV files are written.

A cell that starts like a formula (= + - @, tab, carriage return) would run in the reader's
spreadsheet: =HYPERLINK("https://…") in a contact list travels from one coordinator's Excel
to the next (OWASP "CSV injection"). Such cells are refused on the way in (uploads check
`looks_like_formula`) and defused on the way out with a leading apostrophe. Files start with a
byte-order mark so that spreadsheet programs read names in every script as UTF-8, and they are
written one line at a time, so a response can stream them.
"""

import csv
from collections.abc import Iterable, Iterator

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def looks_like_formula(value: str) -> bool:
    return value.startswith(FORMULA_PREFIXES)


def safe_cell(value: object) -> str:
    """The cell as text a spreadsheet shows as text: a formula gets a leading apostrophe."""
    text = "" if value is None else str(value)
    return "'" + text if looks_like_formula(text) else text


class _Echo:
    """A file-like object whose write returns the line, for streaming csv.writer output."""

    def write(self, value: str) -> str:
        return value


def csv_lines(
    header: Iterable[object],
    rows: Iterable[Iterable[object]],
    comments: Iterable[str] = (),
) -> Iterator[str]:
    """The file, one line at a time: a byte-order mark, the comments (each a line of its own
    starting with "# ", which pandas' `comment="#"` and most CSV readers skip), the header, then
    each row. Comments carry what is not a row, so that every row is one record."""
    writer = csv.writer(_Echo())
    bom = "\ufeff"
    for comment in comments:
        yield bom + "# " + " ".join(str(comment).split()) + "\r\n"
        bom = ""
    yield bom + writer.writerow([safe_cell(cell) for cell in header])
    for row in rows:
        yield writer.writerow([safe_cell(cell) for cell in row])
