"""Cells for the spreadsheets finance opens: every export writes its CSV and XLSX through this module, so
text a person typed (an authority's name, a reference, a message) stays inert text, never a formula.

CSV (OWASP, "CSV injection"): a text whose first character is `=`, `+`, `-`, `@`, tab or carriage return
gets a single quote in front (`=HYPERLINK(…)` → `'=HYPERLINK(…)`, `+3280012345` → `'+3280012345`); Excel and
LibreOffice show it as text, quote included. Quotes, double quotes and spaces before such a character count as
nothing, so `'=1` becomes `''=1` and `csv_original` gives back exactly what was written. The same holds after
every `;` and line break inside a text: a Belgian Excel splits a CSV on `;` and, when it does, breaks rows at
line breaks inside quoted fields, so each of those pieces could become a cell of its own.

XLSX: text goes into string cells (`t="inlineStr"`), never formula cells, whatever it begins with. Numbers
(int, Decimal) stay numeric cells. Characters XML cannot hold (control characters, a lone carriage return,
which XML would read back as a line feed) are written as OOXML's `_xHHHH_` escapes, which Excel and LibreOffice
show as the character; a typed `_xHHHH_` is escaped in turn. `xlsx_original` reverses it for a program reading
the file."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Sequence
from datetime import datetime
from decimal import Decimal
from typing import Any

FORMULA_START = frozenset("=+-@\t\r")
_IGNORED_BEFORE = "'\" "  # what a spreadsheet may skip before reading a formula
# A piece begins at the start of the text and after each `;`, line feed and carriage return.
_PIECES = re.compile(r"(?<=[;\n\r])")
_XML_UNSAFE = re.compile(r"_(?=x[0-9A-Fa-f]{4}_)|[\x00-\x08\x0b\x0c\x0d\x0e-\x1f\ufffe\uffff]")
_OOXML_ESCAPE = re.compile(r"_x([0-9A-Fa-f]{4})_")


def _formula_like(piece: str) -> bool:
    return piece.lstrip(_IGNORED_BEFORE)[:1] in FORMULA_START


def csv_text(text: str) -> str:
    """A text as a CSV cell that no spreadsheet reads as a formula (see the module's description)."""
    return "".join("'" + piece if _formula_like(piece) else piece for piece in _PIECES.split(text))


def csv_original(cell: str) -> str:
    """The text `csv_text` was given, from the cell it made."""
    return "".join(piece[1:] if _formula_like(piece) else piece for piece in _PIECES.split(cell))


def csv_cell(value: Any) -> str:
    """Any value as a CSV cell: nothing as empty, numbers as they are (dot decimals), text made inert."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int | Decimal):
        return str(value)
    return csv_text(str(value))


def csv_file(rows: Iterable[Sequence[Any] | None]) -> bytes:
    """RFC 4180 CSV (CRLF, quotes only where needed) in UTF-8 with a byte order mark, so Excel reads accents
    right; `None` as a row is an empty line."""
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, lineterminator="\r\n")
    for row in rows:
        if row is None:
            buffer.write("\r\n")
        else:
            writer.writerow([csv_cell(value) for value in row])
    return buffer.getvalue().encode("utf-8-sig")


def xlsx_text(text: str) -> str:
    """A text as XLSX string cell content: characters XML cannot hold as `_xHHHH_`, a typed `_xHHHH_` kept."""
    return _XML_UNSAFE.sub(lambda found: f"_x{ord(found.group()):04X}_", text)


def xlsx_original(value: str) -> str:
    """The text `xlsx_text` was given, from the cell as a program reads it."""
    return _OOXML_ESCAPE.sub(lambda found: chr(int(found.group(1), 16)), value)


def xlsx_append(sheet: Any, row: Sequence[Any] | None) -> None:
    """Add a row to an openpyxl sheet: text as string cells (never a formula), int and Decimal as numbers (a
    Decimal's exact text, never through float), datetimes as dates; `None` as a row is an empty row."""
    from openpyxl.cell.cell import Cell  # only exports need openpyxl, and it is slow to import

    cells = []
    for value in row or ():
        if value is None or (isinstance(value, int | Decimal | datetime) and not isinstance(value, bool)):
            cells.append(value)
            continue
        cell = Cell(sheet, value=xlsx_text(str(value)))
        cell.data_type = "s"  # openpyxl makes any text starting with `=` a formula cell
        cells.append(cell)
    sheet.append(cells)
