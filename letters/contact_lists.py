"""The contact list a coordinator uploads to invite organisations: reading the CSV file and
checking each row (the export of invitations is written by core.spreadsheets).

Reading streams the upload through the csv module (never the whole file as one string) and
stops at the row limit, so memory is bounded by the limits in settings. Problems with the file
as a whole raise CSVFileError with a message the coordinator can act on; problems with one row
are listed on that row, and the preview shows them all at once.

A cell that starts like a spreadsheet formula is refused (core.spreadsheets explains why).
"""

import codecs
import csv
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import IO, Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.utils.translation import get_language_info
from django.utils.translation import gettext as _

from core.errors import DomainError
from core.locale import supported
from core.spreadsheets import looks_like_formula
from core.validators import validate_plain_text
from organisations.names import normalise_name

# Column -> the header spellings accepted for it (compared case-, space- and
# underscore-insensitively). Organisation, contact name and email are required.
COLUMNS = {
    "organisation": {"organisation", "organization", "organisation name", "organization name"},
    "contact_name": {"contact name", "contact", "name", "full name"},
    "email": {"email", "e mail", "email address", "e mail address"},
    "based_in": {"based in"},
    "language": {"language", "lang", "language code"},
}
REQUIRED = ("organisation", "contact_name", "email")
MAX_LENGTHS = {"organisation": 200, "contact_name": 150, "email": 254, "based_in": 100}
# The language column takes a code (zh-hant, bo), a region's code (zh-TW), or the language's
# name in English or in itself; empty: the letter's language.
LANGUAGE_NAMES = {
    name.casefold(): code
    for code, _name in settings.LANGUAGES
    for name in (
        code,
        str(get_language_info(code)["name"]),
        str(get_language_info(code)["name_local"]),
    )
} | {"chinese (simplified)": "zh-hans", "chinese (traditional)": "zh-hant", "chinese": "zh-hans"}
LABELS = {
    "organisation": "organisation",
    "contact_name": "contact name",
    "email": "email",
    "based_in": "based in",
    "language": "language",
}


class CSVFileError(DomainError):
    """The file as a whole cannot be read; nothing was kept."""


@dataclass
class ParsedFile:
    rows: list[dict[str, Any]]
    delimiter: str
    ignored_columns: list[str] = field(default_factory=list)


def _header_key(cell: str) -> str:
    return " ".join(
        cell.replace("\ufeff", "").replace("_", " ").replace("-", " ").split()
    ).casefold()


def _columns_of(header: list[str]) -> tuple[dict[str, int], list[str]]:
    positions: dict[str, int] = {}
    ignored: list[str] = []
    for index, cell in enumerate(header):
        key = _header_key(cell)
        column = next((name for name, spellings in COLUMNS.items() if key in spellings), None)
        if column is None or column in positions:
            if cell.strip():
                ignored.append(cell.strip())
            continue
        positions[column] = index
    missing = [LABELS[name] for name in REQUIRED if name not in positions]
    if missing:
        raise CSVFileError(
            _(
                "The first line must name the columns. Missing: %(missing)s. Found: %(found)s. "
                "Expected: organisation, contact name, email and, optionally, based in."
            )
            % {
                "missing": ", ".join(missing),
                "found": ", ".join(f"“{cell.strip()}”" for cell in header if cell.strip())
                or _("nothing"),
            }
        )
    return positions, ignored


def _sniff_binary(head: bytes) -> None:
    if not head:
        raise CSVFileError(_("The file is empty."))
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        raise CSVFileError(
            _(
                "The file is saved as UTF-16 (“Unicode text”). Save it as “CSV UTF-8 (comma "
                "delimited)” and upload it again."
            )
        )
    if head.startswith(b"%PDF"):
        raise CSVFileError(_("This is a PDF file, not a CSV file."))
    if head.startswith(b"PK\x03\x04"):
        raise CSVFileError(
            _(
                "This looks like a spreadsheet workbook (.xlsx or .ods), not a CSV file. In your "
                "spreadsheet, choose “Save as” → “CSV UTF-8” and upload that file."
            )
        )
    if b"\x00" in head:
        raise CSVFileError(_("This is not a text file. Upload the contacts as a CSV file."))


def _delimiter_of(header_line: str) -> str:
    return ";" if header_line.count(";") > header_line.count(",") else ","


def _decoded_lines(file: IO[bytes]) -> Iterator[str]:
    """The file's lines as text, decoded one by one so that an encoding error names its line
    (splitting UTF-8 on b"\n" is safe: no multi-byte character contains that byte)."""
    for number, raw in enumerate(file, start=1):
        if number == 1:
            raw = raw.removeprefix(codecs.BOM_UTF8)
        try:
            yield raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise CSVFileError(
                _(
                    "The file is not UTF-8 text (line %(line)s). In Excel choose “CSV UTF-8 "
                    "(comma delimited)”; in LibreOffice choose the character set “Unicode "
                    "(UTF-8)”."
                )
                % {"line": number}
            ) from exc


def read_contacts(file: IO[bytes], *, max_rows: int) -> ParsedFile:
    """Parse an uploaded CSV (UTF-8 with or without BOM; comma or semicolon) into rows of
    {line, organisation, contact_name, email, based_in}. Raises CSVFileError."""
    head = file.read(4096)
    _sniff_binary(head)
    file.seek(0)
    lines = _decoded_lines(file)
    header_line = next(lines, "")
    delimiter = _delimiter_of(header_line)
    header = next(csv.reader([header_line], delimiter=delimiter), [])
    if not any(cell.strip() for cell in header):
        raise CSVFileError(_("The first line is empty: it must name the columns."))
    positions, ignored = _columns_of(header)
    reader = csv.reader(lines, delimiter=delimiter)
    rows: list[dict[str, Any]] = []
    try:
        for cells in reader:
            if not any(cell.strip() for cell in cells):
                continue
            if len(rows) >= max_rows:
                raise CSVFileError(
                    _(
                        "The file has more than %(max)s contacts. Split it into files of at "
                        "most %(max)s rows and upload them one after the other."
                    )
                    % {"max": f"{max_rows:,}"}
                )
            row: dict[str, Any] = {"line": reader.line_num + 1}  # + 1: the header
            for column in COLUMNS:
                index = positions.get(column)
                row[column] = cells[index] if index is not None and index < len(cells) else ""
            if len(cells) > len(header):
                row["extra_cells"] = len(cells) - len(header)
            rows.append(row)
    except csv.Error as exc:
        raise CSVFileError(
            _("Line %(line)s cannot be read as CSV (%(error)s).")
            % {"line": reader.line_num + 1, "error": exc}
        ) from exc
    if not rows:
        raise CSVFileError(_("The file names its columns but lists no contacts."))
    return ParsedFile(rows=rows, delimiter=delimiter, ignored_columns=ignored)


# --- Checking rows --------------------------------------------------------------------------


def language_code(value: str) -> str | None:
    """The configured language a cell names ("" for an empty cell), or None."""
    value = " ".join(str(value).split())
    if not value:
        return ""
    return LANGUAGE_NAMES.get(value.casefold()) or supported(value)


def clean_cells(row: dict[str, Any]) -> dict[str, Any]:
    """Spaces collapsed in names, the address trimmed: what will be stored."""
    cleaned = dict(row)
    for column in ("organisation", "contact_name", "based_in"):
        cleaned[column] = " ".join(str(row.get(column, "")).split())
    cleaned["email"] = str(row.get("email", "")).strip()
    cleaned["language"] = " ".join(str(row.get("language", "")).split())
    return cleaned


def row_errors(row: dict[str, Any], *, contact_name_required: bool = True) -> list[str]:
    """What is wrong with one row on its own (duplicates across rows are found by check_rows)."""
    errors: list[str] = []
    optional = {"based_in"} if contact_name_required else {"based_in", "contact_name"}
    if row.get("extra_cells"):
        errors.append(
            _(
                "This line has more cells than the header: is there a comma or semicolon inside "
                "a name that is not in quotes?"
            )
        )
    for column in ("organisation", "contact_name", "based_in"):
        value = row[column]
        label = LABELS[column]
        if not value:
            if column not in optional:
                errors.append(_("The %(column)s is missing.") % {"column": label})
            continue
        if column == "organisation" and not normalise_name(value):
            errors.append(_("The organisation's name has no letters or digits."))
            continue
        if len(value) > MAX_LENGTHS[column]:
            errors.append(
                _("The %(column)s is longer than %(max)s characters.")
                % {"column": label, "max": MAX_LENGTHS[column]}
            )
        if looks_like_formula(value):
            errors.append(
                _(
                    "The %(column)s starts with “%(char)s”, like a spreadsheet formula: type the "
                    "name itself."
                )
                % {"column": label, "char": value[0]}
            )
            continue
        try:
            validate_plain_text(value)
        except ValidationError as exc:
            errors.append(f"{label.capitalize()}: {exc.messages[0]}")
    if language_code(row.get("language", "")) is None:
        errors.append(
            _(
                "“%(language)s” is not a language of the site: use one of %(codes)s, or leave "
                "it empty."
            )
            % {
                "language": str(row["language"])[:40],
                "codes": ", ".join(code for code, _name in settings.LANGUAGES),
            }
        )
    email = row["email"]
    if not email:
        errors.append(_("The email is missing."))
    elif looks_like_formula(email):
        errors.append(
            _("The email starts with “%(char)s”, like a spreadsheet formula.") % {"char": email[0]}
        )
    elif len(email) > MAX_LENGTHS["email"] or not _is_deliverable_address(email):
        errors.append(_("“%(email)s” is not a valid email address.") % {"email": email[:80]})
    return errors


def _is_deliverable_address(email: str) -> bool:
    try:
        validate_email(email)
    except ValidationError:
        return False
    return "." in email.rsplit("@", 1)[-1]  # "someone@localhost" reaches no one


def check_rows(rows: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    """Clean every row and record its problems: `errors` (the row blocks the import until it
    is fixed or dropped) and `duplicate_of` (the line that already invites this address for
    the same organisation: skipped, not an error)."""
    checked: list[dict[str, Any]] = []
    first_by_email: dict[str, dict[str, Any]] = {}
    for raw in rows:
        row = clean_cells(raw)
        row.pop("duplicate_of", None)
        errors = row_errors(row)
        key = row["email"].casefold()
        first = first_by_email.get(key) if key else None
        if not errors and first is not None:
            if normalise_name(first["organisation"]) == normalise_name(row["organisation"]):
                row["duplicate_of"] = first["line"]
            else:
                errors.append(
                    _("Line %(line)s invites this address for “%(organisation)s”.")
                    % {"line": first["line"], "organisation": first["organisation"]}
                )
        elif not errors:
            first_by_email[key] = row
        row["errors"] = errors
        checked.append(row)
    return checked
