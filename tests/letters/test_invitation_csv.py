"""The contact list on its own (no database): a corpus of good and bad files, each with a
clear outcome, and the row checks. Escaping on export: tests/core/test_spreadsheets.py."""

import codecs
import csv
import io

import pytest

from letters.contact_lists import CSVFileError, check_rows, read_contacts

HEADER = "organisation,contact name,email,based in\n"
GOOD = "Tibet Action Institute,Pema Dolma,pema@tibetaction.example.net,Dharamsala\n"


def read(data: bytes | str, max_rows: int = 10_000):
    if isinstance(data, str):
        data = data.encode("utf-8")
    return read_contacts(io.BytesIO(data), max_rows=max_rows)


def checked(text: str) -> list[dict]:
    return check_rows(read(text).rows)


# --- Files that are read ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("label", "data"),
    [
        ("utf-8", (HEADER + GOOD).encode("utf-8")),
        ("utf-8 with BOM", codecs.BOM_UTF8 + (HEADER + GOOD).encode("utf-8")),
        ("semicolons", (HEADER + GOOD).replace(",", ";").encode("utf-8")),
        ("CRLF line ends", (HEADER + GOOD).replace("\n", "\r\n").encode("utf-8")),
        (
            "other header spellings, other order",
            (
                b"E-mail;Organization Name;Contact_Name;Based_In\n"
                b"pema@tibetaction.example.net;Tibet Action Institute;Pema Dolma;Dharamsala\n"
            ),
        ),
    ],
)
def test_a_file_in_any_accepted_shape_reads_the_same(label, data):
    parsed = read(data)

    assert parsed.rows == [
        {
            "line": 2,
            "organisation": "Tibet Action Institute",
            "contact_name": "Pema Dolma",
            "email": "pema@tibetaction.example.net",
            "based_in": "Dharamsala",
            "language": "",
        }
    ]


def test_names_in_every_script_survive_the_round_trip():
    text = HEADER + (
        "བོད་ཀྱི་མི་དམངས,ཚེ་རིང་,tsering@tibet.example.org,ལྷ་ས\n"
        "ئۇيغۇر ياشلار تورى,ئايشە,aysha@udyn.example.org,شەرقىي تۈركىستان\n"
        "香港民主委員會,陳大文,chan@hkdc.example.org,香港\n"
    )

    rows = checked(text)

    assert [(r["organisation"], r["contact_name"], r["errors"]) for r in rows] == [
        ("བོད་ཀྱི་མི་དམངས", "ཚེ་རིང་", []),
        ("ئۇيغۇر ياشلار تورى", "ئايشە", []),
        ("香港民主委員會", "陳大文", []),
    ]


def test_based_in_is_optional_and_unknown_columns_are_listed():
    parsed = read(
        "Organisation,Contact name,Email,Phone\nFree Tibet,Ana,ana@freetibet.example.org,+44\n"
    )

    assert parsed.rows[0]["based_in"] == ""
    assert parsed.ignored_columns == ["Phone"]


def test_blank_lines_are_skipped_and_line_numbers_are_the_files():
    parsed = read(HEADER + "\n" + GOOD + ",,,\n" + GOOD.replace("pema@", "tenzin@"))

    assert [row["line"] for row in parsed.rows] == [3, 5]


def test_a_quoted_cell_may_hold_the_separator_and_a_newline():
    parsed = read(HEADER + '"Lawyers, Rights & Co","Li\nWen",li@lrc.example.org,\n')

    [row] = check_rows(parsed.rows)
    assert (row["organisation"], row["contact_name"], row["errors"]) == (
        "Lawyers, Rights & Co",
        "Li Wen",
        [],
    )


def test_exactly_the_row_limit_is_accepted():
    rows = "".join(f"Org {i},Contact {i},c{i}@org{i}.example.org,\n" for i in range(10_000))

    parsed = read(HEADER + rows)

    assert len(parsed.rows) == 10_000
    assert [row for row in check_rows(parsed.rows) if row["errors"]] == []


# --- Files that are refused as a whole -------------------------------------------------------------


@pytest.mark.parametrize(
    ("label", "data", "message"),
    [
        ("empty", b"", "The file is empty."),
        ("header only", HEADER.encode(), "The file names its columns but lists no contacts."),
        ("blank first line", b"\n" + GOOD.encode(), "The first line is empty"),
        (
            "Latin-1, not UTF-8",
            (HEADER + "Société Générale des Droits,Zoë,zoe@sgd.example.org,\n").encode("latin-1"),
            "The file is not UTF-8 text (line 2)",
        ),
        (
            "UTF-16 (Excel's Unicode text)",
            (HEADER + GOOD).encode("utf-16"),
            "The file is saved as UTF-16",
        ),
        (
            "an Excel workbook",
            b"PK\x03\x04" + b"\x00" * 100,
            "This looks like a spreadsheet workbook",
        ),
        ("a PDF", b"%PDF-1.7\n\xe2\xe3\xcf\xd3\n", "This is a PDF file, not a CSV file."),
        ("a NUL byte", (HEADER + "Tibet,Pe\x00ma,p@t.example.org,\n").encode(), "not a text file"),
        ("binary", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "This is not a text file."),
        (
            "no email column",
            b"organisation,contact name\nFree Tibet,Ana\n",
            "Missing: email. Found: \u201corganisation\u201d, \u201ccontact name\u201d.",
        ),
        (
            "no header at all",
            GOOD.encode() * 2,
            "Missing: organisation, contact name, email.",
        ),
    ],
)
def test_a_bad_file_is_refused_with_a_message_that_says_why(label, data, message):
    with pytest.raises(CSVFileError) as error:
        read(data)

    assert message in error.value.message


def test_one_row_over_the_limit_refuses_the_file_and_says_the_limit():
    rows = "".join(f"Org {i},Contact {i},c{i}@org{i}.example.org,\n" for i in range(10_001))

    with pytest.raises(CSVFileError) as error:
        read(HEADER + rows)

    assert error.value.message == (
        "The file has more than 10,000 contacts. Split it into files of at most 10,000 rows and "
        "upload them one after the other."
    )


def test_a_malformed_line_is_refused_with_its_number():
    long_cell = "x" * (csv.field_size_limit() + 1)

    with pytest.raises(CSVFileError) as error:
        read(HEADER + GOOD + f'"{long_cell}",a,b@c.org,\n')

    assert error.value.message.startswith("Line 3 cannot be read as CSV")


# --- Rows with a problem ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("row", "error"),
    [
        (",Pema,pema@tai.example.org,", "The organisation is missing."),
        ("Tibet Action,,pema@tai.example.org,", "The contact name is missing."),
        ("Tibet Action,Pema,,", "The email is missing."),
        (
            "Tibet Action,Pema,pema-at-tai.example.org,",
            "“pema-at-tai.example.org” is not a valid email address.",
        ),
        ("Tibet Action,Pema,pema@localhost,", "“pema@localhost” is not a valid email address."),
        ("Tibet Action,Pema,Pema Dolma <pema@tai.example.org>,", "is not a valid email address."),
        (
            '"=HYPERLINK(""https://evil.example/"",""Click"")",Pema,pema@tai.example.org,',
            "The organisation starts with “=”, like a spreadsheet formula",
        ),
        ("Tibet Action,+Pema,pema@tai.example.org,", "The contact name starts with “+”"),
        ("Tibet Action,-2+3,pema@tai.example.org,", "The contact name starts with “-”"),
        ("Tibet Action,Pema,pema@tai.example.org,@SUM(A1)", "The based in starts with “@”"),
        ("Tibet Action,Pema,=1+1@tai.example.org,", "The email starts with “=”"),
        ("!!!,Pema,pema@tai.example.org,", "The organisation's name has no letters or digits."),
        ("Tibet \u202eAction,Pema,pema@tai.example.org,", "Remove the invisible text-direction"),
        ("Tibet Action,Pe\x1bma,pema@tai.example.org,", "Remove the control characters."),
        ("Tibet Action,<b>Pema</b>,pema@tai.example.org,", "Angle brackets"),
        (f"{'A' * 201},Pema,pema@tai.example.org,", "longer than 200 characters"),
        (
            "Lawyers, Rights and Co,Li,li@lrc.example.org,Beijing",
            "This line has more cells than the header",
        ),
    ],
)
def test_a_bad_row_gets_a_reason(row, error):
    [checked_row] = checked(HEADER + row + "\n")

    assert any(error in message for message in checked_row["errors"]), checked_row["errors"]


def test_the_same_contact_twice_is_a_duplicate_not_an_error():
    rows = checked(HEADER + GOOD + GOOD.replace("pema@", "PEMA@").replace("Institute", "institute"))

    assert [(row["errors"], row.get("duplicate_of")) for row in rows] == [([], None), ([], 2)]


def test_one_address_for_two_organisations_is_an_error_on_the_second():
    rows = checked(HEADER + GOOD + "Free Tibet,Pema Dolma,pema@tibetaction.example.net,\n")

    assert rows[0]["errors"] == []
    assert rows[1]["errors"] == ["Line 2 invites this address for “Tibet Action Institute”."]


def test_fixing_the_first_of_two_rows_rechecks_the_second():
    rows = checked(HEADER + GOOD + "Free Tibet,Pema Dolma,pema@tibetaction.example.net,\n")

    rows[0]["email"] = "other@tibetaction.example.net"
    again = check_rows(rows)

    assert [row["errors"] for row in again] == [[], []]


def test_spaces_are_collapsed_in_names_and_trimmed_around_the_address():
    [row] = checked(HEADER + "  Tibet   Action  ,  Pema   Dolma , pema@tai.example.org ,\n")

    assert (row["organisation"], row["contact_name"], row["email"]) == (
        "Tibet Action",
        "Pema Dolma",
        "pema@tai.example.org",
    )
