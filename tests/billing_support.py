"""What the export and month close tests share: the finance functions' environment, activations and usage
aggregates written as the activation API and metering write them, and readers for the three formats."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import boto3
import pytest

from crisisline.dynamo import to_item
from crisisline.months import BRUSSELS
from crisisline.usage import COUNTERS, adjustment_period
from infra.local import template
from tests.conftest import Api

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@pytest.fixture
def finance_env(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The export and month close functions' own variables (tariffs table, exports bucket) on top of Globals."""
    for name in ("ExportFunction", "MonthCloseFunction"):
        for key, value in template.functions()[name].environment.items():
            monkeypatch.setenv(key, value)
    yield


@pytest.fixture
def finance(api: Api, admin: str, finance_env: None) -> str:
    answer = api.post("/credentials", admin, {"role": "finance", "label": "Finance team"})
    assert answer.status == 201
    return str(answer.body["token"])


def table(logical_id: str) -> str:
    return template.physical_table_name(logical_id)


def local(text: str) -> str:
    """A Brussels wall-clock time as the UTC instant the store keeps (milliseconds, `Z`)."""
    instant = datetime.fromisoformat(text).replace(tzinfo=BRUSSELS).astimezone(UTC)
    return instant.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def put_activation(
    activation_id: str,
    opened: str,
    closed: str | None,
    authority_id: str = "44021",
    authority_name: str = "Stad Gent",
    number: str = "+3280012345",
    kind: str = "toll_free",
    operators: int = 2,
) -> dict[str, Any]:
    """An activation as the activation API stores it (times in Brussels wall clock)."""
    opened_at = local(opened)
    item = {
        "id": activation_id,
        "authority_id": authority_id,
        "authority_name": authority_name,
        "number": number,
        "number_kind": kind,
        "status": "closed" if closed else "live",
        "requested_at": opened_at,
        "opened_at": opened_at,
        "closed_at": local(closed) if closed else None,
        "operators": operators,
        "operator_timeline": [{"at": opened_at, "operators": operators}],
    }
    boto3.client("dynamodb").put_item(TableName=table("ActivationsTable"), Item=to_item(item))
    return item


def put_usage(activation_id: str, month: str, adjusts: str | None = None, **counters: int) -> None:
    """A usage aggregate as metering books it: `period` the month, or an adjustment booked in it for `adjusts`."""
    period = adjustment_period(month, adjusts) if adjusts else month
    item: dict[str, Any] = {
        "activation_id": activation_id,
        "period": period,
        "month": month,
        **{name: counters.get(name, 0) for name in COUNTERS},
    }
    if adjusts:
        item["adjusts"] = adjusts
    boto3.client("dynamodb").put_item(TableName=table("UsageTable"), Item=to_item(item))


def csv_rows(raw: bytes) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig"), newline="")))


def xlsx_rows(raw: bytes, sheet_number: int = 0) -> list[dict[str, Any]]:
    """The rows of one sheet under its header, empty rows left out."""
    from openpyxl import load_workbook

    sheet = load_workbook(io.BytesIO(raw), read_only=True).worksheets[sheet_number]
    values = list(sheet.iter_rows(values_only=True))
    return [dict(zip(values[0], row, strict=True)) for row in values[1:] if any(cell is not None for cell in row)]


def money(value: Any) -> Decimal:
    """A money cell as Decimal; XLSX numeric cells come back as float, exact to the cent once rounded."""
    return Decimal(str(value)).quantize(Decimal("0.01"))
