"""The export as finance opens it, to check by hand.

CSV (RFC 4180, UTF-8 with a byte order mark, CRLF, dot decimals): the header, one row per line, an empty line,
then the totals section in the same columns: one `authority_total` row per authority and the `grand_total`
row. The `line` column says what each row is, and the empty line ends the lines' block, so a spreadsheet's
filter, sort or selection of the block sums the lines without counting a total twice.

XLSX: the first sheet holds the lines, an empty row and the `grand_total` row; the sheet "authority totals"
holds one row per authority and the grand total again. Counts and amounts are numeric cells (money formatted
`0.00`), the Brussels times are date cells, and text is always a string cell (crisisline.spreadsheet_text)."""

from __future__ import annotations

import io
from collections.abc import Mapping, Sequence
from dataclasses import asdict
from datetime import datetime
from typing import Any

from crisisline.spreadsheet_text import csv_file, xlsx_append
from finance.pricing import COLUMNS, COUNTS, EXTRA_COLUMNS, MONEY, Line

HEADER = (*COLUMNS, *EXTRA_COLUMNS, "provisional")
TOTALS_HEADER = (
    "month",
    "line",
    "authority_id",
    "authority_name",
    "lines",
    "voided_lines",
    *COUNTS,
    *MONEY,
    "provisional",
)
BRUSSELS_TIMES = ("opened_at_brussels", "closed_at_brussels")


def _flag(provisional: bool) -> str:
    return "yes" if provisional else "no"


def line_rows(lines: Sequence[Line], provisional: bool) -> list[dict[str, Any]]:
    return [{**asdict(line), "provisional": _flag(provisional)} for line in lines]


def total_rows(
    month: str, totals: Sequence[Mapping[str, Any]], grand_total: Mapping[str, Any], provisional: bool
) -> list[dict[str, Any]]:
    """The totals section: one row per authority, then the grand total, each with every column present."""
    shown = [{**total, "line": "authority_total"} for total in totals]
    shown.append({**grand_total, "line": "grand_total", "authority_name": "all authorities"})
    return [
        {**dict.fromkeys((*HEADER, *TOTALS_HEADER)), **row, "month": month, "provisional": _flag(provisional)}
        for row in shown
    ]


def to_csv(
    month: str,
    lines: Sequence[Line],
    totals: Sequence[Mapping[str, Any]],
    grand_total: Mapping[str, Any],
    provisional: bool,
) -> bytes:
    section = total_rows(month, totals, grand_total, provisional)
    return csv_file(
        [
            HEADER,
            *([row[name] for name in HEADER] for row in line_rows(lines, provisional)),
            None,
            *([row[name] for name in HEADER] for row in section),
        ]
    )


def to_xlsx(
    month: str,
    lines: Sequence[Line],
    totals: Sequence[Mapping[str, Any]],
    grand_total: Mapping[str, Any],
    provisional: bool,
) -> bytes:
    from openpyxl import Workbook  # only the export needs it, and it is slow to import

    workbook = Workbook()
    sheet = workbook.active
    sheet.title = f"crisisline {month}"
    section = total_rows(month, totals, grand_total, provisional)
    _fill(sheet, HEADER, [*line_rows(lines, provisional), None, section[-1]])
    _fill(workbook.create_sheet("authority totals"), TOTALS_HEADER, [*section[:-1], None, section[-1]])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _fill(sheet: Any, header: Sequence[str], rows: Sequence[Mapping[str, Any] | None]) -> None:
    xlsx_append(sheet, header)
    for row in rows:
        xlsx_append(sheet, None if row is None else [_xlsx_value(name, row[name]) for name in header])
    formats = {**{name: "0.00" for name in MONEY}, **{name: "yyyy-mm-dd hh:mm:ss" for name in BRUSSELS_TIMES}}
    for column, name in enumerate(header, start=1):
        if name in formats:
            for (cell,) in sheet.iter_rows(min_row=2, min_col=column, max_col=column):
                cell.number_format = formats[name]
    sheet.freeze_panes = "A2"


def _xlsx_value(name: str, value: Any) -> Any:
    if name in BRUSSELS_TIMES and value:
        return datetime.strptime(value, "%Y-%m-%d %H:%M:%S")  # a date cell on the Brussels wall clock
    return value
