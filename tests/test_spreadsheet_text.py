"""Text a person typed reaches finance's CSV and XLSX as inert text: whatever it is, no cell of the CSV begins
with a formula character and every XLSX text cell is a string cell, and the original text can be read back."""

from __future__ import annotations

import csv
import io
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from crisisline.spreadsheet_text import (
    FORMULA_START,
    csv_file,
    csv_original,
    xlsx_append,
    xlsx_original,
)

# Any text, and texts built to begin (or continue after `;` or a line break) the way formulas do.
TRICKY = st.sampled_from(
    [
        "=",
        "+",
        "-",
        "@",
        "\t",
        "\r",
        "'",
        "'=",
        '"=',
        " =",
        ";=",
        "\n-",
        "\r\n+",
        "_x0041_",
        "_x005F_",
        '=HYPERLINK("http://example.org","click")',
        "+3280012345",
        "\x00",
        "\x1f",
    ]
)
TEXTS = st.text() | st.lists(st.one_of(TRICKY, st.text(max_size=5)), max_size=6).map("".join)


def csv_cells(raw: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(raw.decode("utf-8-sig"), newline="")))


def xlsx_cells(rows: list[list[object] | None]) -> list[list[tuple[object, str]]]:
    from openpyxl import Workbook, load_workbook

    workbook = Workbook()
    for row in rows:
        xlsx_append(workbook.active, row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    sheet = load_workbook(io.BytesIO(buffer.getvalue())).active
    return [[(cell.value, cell.data_type) for cell in row] for row in sheet.iter_rows()]


def pieces(cell: str) -> list[str]:
    """Where a spreadsheet splitting on `;` and at line breaks could start a cell."""
    return cell.replace("\r", "\n").replace(";", "\n").split("\n")


@settings(max_examples=300, deadline=None)
@given(TEXTS)
def test_any_typed_text_is_inert_in_csv_and_comes_back_unchanged(text: str) -> None:
    ((cell,),) = csv_cells(csv_file([[text]]))
    assert cell[:1] not in FORMULA_START
    assert all(piece.lstrip("'\" ")[:1] not in FORMULA_START or piece.startswith("'") for piece in pieces(cell))
    assert csv_original(cell) == text


@settings(max_examples=150, deadline=None)
@given(TEXTS)
def test_any_typed_text_is_a_string_cell_in_xlsx_and_comes_back_unchanged(text: str) -> None:
    cells = [cell for row in xlsx_cells([[text, 1]]) for cell in row]
    value, data_type = cells[0]
    if text == "":
        assert value is None  # an empty cell
    else:
        assert data_type == "s"
        assert isinstance(value, str) and xlsx_original(value) == text


def test_a_formula_for_a_name_is_shown_as_the_text_it_is() -> None:
    name = '=HYPERLINK("http://example.org","click")'
    ((cell,),) = csv_cells(csv_file([[name]]))
    assert cell == "'" + name
    assert xlsx_cells([[name]]) == [[(name, "s")]]


def test_a_belgian_name_with_an_apostrophe_is_left_as_it_is() -> None:
    ((cell,),) = csv_cells(csv_file([["'s-Gravenbrakel"]]))
    assert cell == "'s-Gravenbrakel"


def test_a_phone_number_is_text_and_amounts_stay_numbers() -> None:
    raw = csv_file([["+3280012345", Decimal("-12.50"), 3600]])
    assert csv_cells(raw) == [["'+3280012345", "-12.50", "3600"]]
    assert xlsx_cells([["+3280012345", Decimal("-12.50"), 3600]]) == [[("+3280012345", "s"), (-12.5, "n"), (3600, "n")]]


def test_the_csv_begins_with_a_byte_order_mark_and_keeps_accents() -> None:
    raw = csv_file([["Liège", "Chênée"], None, ["Sint-Genesius-Rode"]])
    assert raw.startswith(b"\xef\xbb\xbf")
    assert raw.decode("utf-8-sig") == "Liège,Chênée\r\n\r\nSint-Genesius-Rode\r\n"
