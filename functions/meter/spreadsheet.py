"""The export as finance opens it: CSV (RFC 4180, UTF-8, dot decimals) and XLSX (numeric cells). Both hold
the lines, then the totals section: one row per authority (`line` = authority_total) in the same columns, so
every row has the same fields and a spreadsheet can sum a column as it is."""

from __future__ import annotations

import io
from collections.abc import Mapping, Sequence
from dataclasses import asdict
from typing import Any

from crisisline.spreadsheet_text import csv_file, xlsx_append
from meter.pricing import COLUMNS, EXTRA_COLUMNS, MONEY, Line

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
HEADER = (*COLUMNS, *EXTRA_COLUMNS, "provisional")


def rows(month: str, lines: Sequence[Line], totals: Sequence[Mapping[str, Any]],
         provisional: bool) -> list[dict[str, Any]]:
    """Every row under the header: the lines, then one total per authority."""
    flag = "yes" if provisional else "no"
    found = [{**asdict(line), "provisional": flag} for line in lines]
    for total in totals:
        found.append({**{name: None for name in HEADER}, **{k: v for k, v in total.items() if k in HEADER},
                      "month": month, "line": "authority_total", "provisional": flag})
    return found


def to_csv(month: str, lines: Sequence[Line], totals: Sequence[Mapping[str, Any]], provisional: bool) -> bytes:
    return csv_file([HEADER, *([row[name] for name in HEADER] for row in rows(month, lines, totals, provisional))])


def to_xlsx(month: str, lines: Sequence[Line], totals: Sequence[Mapping[str, Any]], provisional: bool) -> bytes:
    from openpyxl import Workbook  # only the export needs it, and it is slow to import

    workbook = Workbook()
    sheet = workbook.active
    sheet.title = f"crisisline {month}"
    xlsx_append(sheet, HEADER)
    for row in rows(month, lines, totals, provisional):
        xlsx_append(sheet, [row[name] for name in HEADER])
    money_columns = [HEADER.index(name) + 1 for name in MONEY]
    for cells in sheet.iter_rows(min_row=2):
        for column in money_columns:
            cells[column - 1].number_format = "0.00"
    sheet.freeze_panes = "A2"
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
