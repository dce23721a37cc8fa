"""CSV written for spreadsheets: formula cells defused, a byte-order mark, streamed lines."""

import csv
import io

import pytest

from core.spreadsheets import csv_lines, looks_like_formula, safe_cell


@pytest.mark.parametrize(
    ("value", "written"),
    [
        (
            '=HYPERLINK("https://evil.example/","Click")',
            '\'=HYPERLINK("https://evil.example/","Click")',
        ),
        ("+1 555 0100", "'+1 555 0100"),
        ("-cmd", "'-cmd"),
        ("@SUM(A1:A2)", "'@SUM(A1:A2)"),
        ("\t=1+1", "'\t=1+1"),
        ("\r=1+1", "'\r=1+1"),
        ("Tibet Action Institute", "Tibet Action Institute"),
        ("a=b", "a=b"),
        ("", ""),
        (None, ""),
        (3, "3"),
    ],
)
def test_the_export_escapes_what_a_spreadsheet_would_run(value, written):
    assert safe_cell(value) == written


def test_the_export_streams_lines_with_a_bom_and_escaped_cells():
    lines = list(
        csv_lines(["organisation", "email"], [["=cmd()", "a@b.org"], ["Free Tibet", "c@d.org"]])
    )

    assert lines == [
        "\ufefforganisation,email\r\n",
        "'=cmd(),a@b.org\r\n",
        "Free Tibet,c@d.org\r\n",
    ]
    parsed = list(csv.reader(io.StringIO("".join(lines).removeprefix("\ufeff"))))
    assert parsed[1] == ["'=cmd()", "a@b.org"]


@pytest.mark.parametrize("value", ["=1", "+1", "-1", "@x", "\tx", "\rx"])
def test_a_formula_is_recognised_by_its_first_character(value):
    assert looks_like_formula(value)


@pytest.mark.parametrize("value", ["Safe = fine", "a=b", "", "Free Tibet"])
def test_text_is_not_a_formula(value):
    assert not looks_like_formula(value)
