"""Finance pulls a month's export through the API: one priced line per activation and month, totals per
authority, the same figures in JSON, CSV and XLSX; wrong months are refused plainly; only finance and admin
may read it. Tariff versions through GET and PUT /tariffs."""

from __future__ import annotations

import base64
import csv
import io
import json
from collections import defaultdict
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import boto3
import pytest

from crisisline.models import Caller
from crisisline.months import month_of, next_month
from tests.billing_support import (
    XLSX,
    csv_rows,
    finance,
    finance_env,
    money,
    put_activation,
    put_usage,
    table,
    xlsx_rows,
)
from tests.conftest import Api, RunningStack, activation_body, table_items

__all__ = ["finance", "finance_env"]  # fixtures

COLUMNS = [
    "month",
    "authority_id",
    "authority_name",
    "activation_id",
    "number",
    "opened_at",
    "closed_at",
    "live_seconds",
    "calls",
    "d2_calls",
    "answered_calls",
    "call_seconds",
    "operator_seconds",
    "personnel_eur",
    "number_eur",
    "telephony_eur",
    "total_eur",
]


@pytest.fixture
def october(aws: None) -> None:
    """Two authorities' lines in October 2026, one of them across the month end."""
    put_activation("gent-fire", "2026-10-05T10:00", "2026-10-05T11:00", operators=2)  # the minimum applies
    put_activation("gent-flood", "2026-10-20T08:00", "2026-10-20T18:48", kind="did", number="+3225551001", operators=1)
    put_activation(
        "brussels-night",
        "2026-10-31T22:00",
        "2026-11-01T03:00",
        authority_id="21004",
        authority_name="Ville de Bruxelles / Stad Brussel",
        number="+3280012346",
        operators=3,
    )
    put_activation("september", "2026-09-02T10:00", "2026-09-02T20:00")  # not in October
    put_usage(
        "gent-fire",
        "2026-10",
        calls=30,
        d2_calls=4,
        answered_calls=28,
        abandoned_calls=2,
        call_seconds=5400,
        queue_seconds=900,
    )
    put_usage("gent-flood", "2026-10", calls=3, answered_calls=3, call_seconds=1125)
    put_usage("brussels-night", "2026-10", calls=12, answered_calls=12, call_seconds=2400)
    put_usage("brussels-night", "2026-11", calls=7, answered_calls=6, abandoned_calls=1, call_seconds=1800)


MEDIA_TYPES = {"json": "application/json", "csv": "text/csv", "xlsx": XLSX}


def _get(api: Api, path: str, token: str, **headers: str) -> Any:
    return api.get(path, token, headers=headers or None)


# ---------------------------------------------------------------------- the lines
def test_finance_gets_one_line_per_activation_and_month_with_totals(api: Api, finance: str, october: None) -> None:
    answer = _get(api, "/exports/2026-10", finance)
    assert answer.status == 200, answer.body
    export = answer.body
    assert export["columns"][:17] == COLUMNS
    assert export["provisional"] is False and export["frozen"] is False
    lines = {line["activation_id"]: line for line in export["lines"]}
    assert set(lines) == {"gent-fire", "gent-flood", "brussels-night"}
    fire = lines["gent-fire"]
    assert list(fire)[:17] == COLUMNS
    # 1 hour, 2 operators: the 4-hour minimum; 5400 s of calls at 0.04 + 0.018 per minute; 1 hour of 0.42/day
    assert (fire["live_seconds"], fire["operator_seconds"], fire["calls"], fire["d2_calls"]) == (3600, 7200, 30, 4)
    assert (fire["personnel_eur"], fire["number_eur"], fire["telephony_eur"]) == ("180.00", "0.02", "5.22")
    assert fire["total_eur"] == "185.24"
    night = lines["brussels-night"]
    assert (night["month"], night["live_seconds"], night["operator_seconds"]) == ("2026-10", 7200, 21600)
    assert night["personnel_eur"] == "270.00"  # 6 operator-hours in October; the minimum is met over the whole
    totals = {total["authority_id"]: total for total in export["totals"]}
    assert totals["44021"]["total_eur"] == str(Decimal(fire["total_eur"]) + Decimal(lines["gent-flood"]["total_eur"]))
    assert totals["21004"]["lines"] == 1
    assert export["total_eur"] == str(sum(Decimal(t["total_eur"]) for t in export["totals"]))
    assert all(isinstance(line[name], str) for line in export["lines"] for name in COLUMNS[13:])  # never float


def test_the_next_month_carries_the_rest_of_a_night_across_the_month_end(api: Api, finance: str, october: None) -> None:
    november = _get(api, "/exports/2026-11", finance).body
    (night,) = november["lines"]
    assert (night["activation_id"], night["live_seconds"], night["calls"]) == ("brussels-night", 3 * 3600, 7)


def test_csv_and_xlsx_hold_the_same_lines_and_sum_to_the_json(api: Api, finance: str, october: None) -> None:
    export = _get(api, "/exports/2026-10", finance).body
    answer = _get(api, "/exports/2026-10?format=csv", finance)
    assert answer.status == 200
    assert answer.headers["Content-Type"].startswith("text/csv")
    assert b"\r\n" in answer.raw and answer.raw.decode("utf-8")
    from_csv = csv_rows(answer.raw)
    xlsx = _get(api, "/exports/2026-10?format=xlsx", finance, Accept=XLSX)
    assert xlsx.status == 200
    assert xlsx.headers["Content-Type"] == XLSX and xlsx.raw[:2] == b"PK"
    from_xlsx = xlsx_rows(xlsx.raw)
    xlsx_totals = xlsx_rows(xlsx.raw, sheet_number=1)
    for rows, totals in (
        (from_csv, [row for row in from_csv if row["line"] == "authority_total"]),
        (from_xlsx, [row for row in xlsx_totals if row["line"] == "authority_total"]),
    ):
        assert list(rows[0])[:17] == COLUMNS
        lines = [row for row in rows if row["line"] in ("activation", "adjustment")]
        assert sorted(str(row["activation_id"]) for row in lines) == sorted(
            line["activation_id"] for line in export["lines"]
        )
        by_authority: dict[str, Decimal] = defaultdict(Decimal)
        for row in lines:
            assert money(row["total_eur"]) == money(row["personnel_eur"]) + money(row["number_eur"]) + money(
                row["telephony_eur"]
            )
            by_authority[str(row["authority_id"])] += money(row["total_eur"])
        assert {str(row["authority_id"]): money(row["total_eur"]) for row in totals} == dict(by_authority)
        assert {t["authority_id"]: Decimal(t["total_eur"]) for t in export["totals"]} == dict(by_authority)
        assert sum(by_authority.values()) == Decimal(export["total_eur"])
        assert sum(int(row["call_seconds"]) for row in lines) == sum(line["call_seconds"] for line in export["lines"])


def test_xlsx_cells_are_numbers(api: Api, finance: str, october: None) -> None:
    rows = xlsx_rows(_get(api, "/exports/2026-10?format=xlsx", finance, Accept=XLSX).raw)
    assert all(isinstance(row["live_seconds"], int) for row in rows)
    assert all(isinstance(row["total_eur"], int | float) for row in rows)


def test_xlsx_leaves_the_function_base64_encoded_for_api_gateway(api: Api, finance: str, october: None) -> None:
    from finance.app import lambda_handler
    from infra.local.stack import LambdaContext

    event = {
        "resource": "/exports/{month}",
        "path": "/exports/2026-10",
        "httpMethod": "GET",
        "headers": {"Accept": XLSX},
        "multiValueHeaders": {"Accept": [XLSX]},
        "queryStringParameters": {"format": "xlsx"},
        "multiValueQueryStringParameters": {"format": ["xlsx"]},
        "pathParameters": {"month": "2026-10"},
        "body": None,
        "isBase64Encoded": False,
        "requestContext": {
            "authorizer": {"role": "finance", "credential_id": "c"},
            "requestId": "r",
            "stage": "local",
            "path": "/local/exports/2026-10",
            "httpMethod": "GET",
        },
    }
    answer = lambda_handler(event, LambdaContext("ExportFunction"))
    assert answer["statusCode"] == 200 and answer["isBase64Encoded"] is True
    assert base64.b64decode(answer["body"])[:2] == b"PK"


def test_a_month_with_a_live_activation_or_not_over_is_provisional(api: Api, finance: str, aws: None) -> None:
    this_month = month_of(datetime.now(UTC))
    put_activation("live-one", "2026-09-30T20:00", None)
    current = _get(api, f"/exports/{this_month}", finance).body
    assert current["provisional"] is True
    september = _get(api, "/exports/2026-09", finance).body
    assert september["provisional"] is True  # over, but its activation is still live
    assert [line["closed_at"] for line in september["lines"]] == [None]


def test_an_adjustment_for_a_frozen_month_is_its_own_line_after_the_columns(
    api: Api, finance: str, october: None
) -> None:
    put_usage("gent-fire", "2026-11", adjusts="2026-10", calls=1, answered_calls=1, call_seconds=600)
    november = _get(api, "/exports/2026-11", finance).body
    adjustment = next(line for line in november["lines"] if line["line"] == "adjustment")
    assert (adjustment["activation_id"], adjustment["month"], adjustment["adjusts_month"]) == (
        "gent-fire",
        "2026-11",
        "2026-10",
    )
    assert (adjustment["calls"], adjustment["live_seconds"], adjustment["telephony_eur"]) == (1, 0, "0.58")
    assert adjustment["total_eur"] == "0.58"
    assert list(adjustment).index("adjusts_month") > list(adjustment).index("total_eur")
    rows = csv_rows(_get(api, "/exports/2026-11?format=csv", finance).raw)
    assert [row["adjusts_month"] for row in rows if row["line"] == "adjustment"] == ["2026-10"]


def test_every_line_shows_its_number_kind_and_its_times_in_brussels(api: Api, finance: str, october: None) -> None:
    export = _get(api, "/exports/2026-10", finance).body
    lines = {line["activation_id"]: line for line in export["lines"]}
    flood = lines["gent-flood"]
    assert (flood["number_kind"], lines["gent-fire"]["number_kind"]) == ("did", "toll_free")
    assert (flood["opened_at"], flood["opened_at_brussels"]) == ("2026-10-20T06:00:00.000Z", "2026-10-20 08:00:00")
    assert lines["brussels-night"]["closed_at_brussels"] == "2026-11-01 03:00:00"  # winter time by then
    assert {"number_kind", "opened_at_brussels", "closed_at_brussels"} <= set(export["columns"])
    row = next(
        row
        for row in csv_rows(_get(api, "/exports/2026-10?format=csv", finance).raw)
        if row["activation_id"] == "gent-flood"
    )
    assert (row["number_kind"], row["opened_at_brussels"], row["opened_at"]) == (
        "did",
        "2026-10-20 08:00:00",
        "2026-10-20T06:00:00.000Z",
    )
    cells = next(
        row
        for row in xlsx_rows(_get(api, "/exports/2026-10?format=xlsx", finance, Accept=XLSX).raw)
        if row["activation_id"] == "gent-flood"
    )
    assert cells["opened_at_brussels"] == datetime(2026, 10, 20, 8, 0)  # a date cell


def test_the_csv_lines_sum_to_the_grand_total_and_the_totals_stand_apart(api: Api, finance: str, october: None) -> None:
    export = _get(api, "/exports/2026-10", finance).body
    raw = _get(api, "/exports/2026-10?format=csv", finance).raw
    assert raw.startswith(b"\xef\xbb\xbf")  # UTF-8 with a byte order mark: Excel keeps "Liège" as it is
    block, section = raw.decode("utf-8-sig").split("\r\n\r\n")
    header, *lines = csv.reader(io.StringIO(block, newline=""))
    totals = [dict(zip(header, row, strict=True)) for row in csv.reader(io.StringIO(section, newline=""))]
    assert {row[header.index("line")] for row in lines} == {"activation"}
    assert [row["line"] for row in totals] == ["authority_total", "authority_total", "grand_total"]
    column = header.index("total_eur")
    assert (
        sum(Decimal(row[column]) for row in lines)
        == Decimal(totals[-1]["total_eur"])
        == Decimal(export["total_eur"])
        == Decimal(export["grand_total"]["total_eur"])
    )
    assert sum(Decimal(row["total_eur"]) for row in totals[:-1]) == Decimal(totals[-1]["total_eur"])
    assert len(lines) == export["grand_total"]["lines"]


def test_the_xlsx_has_the_lines_and_grand_total_then_the_authorities_on_a_sheet_of_their_own(
    api: Api, finance: str, october: None
) -> None:
    from openpyxl import load_workbook

    raw = _get(api, "/exports/2026-10?format=xlsx", finance, Accept=XLSX).raw
    assert load_workbook(io.BytesIO(raw)).sheetnames == ["crisisline 2026-10", "authority totals"]
    first, by_authority = xlsx_rows(raw), xlsx_rows(raw, sheet_number=1)
    assert [row["line"] for row in first] == ["activation"] * 3 + ["grand_total"]
    assert [row["line"] for row in by_authority] == ["authority_total", "authority_total", "grand_total"]
    assert sorted(row["authority_id"] for row in by_authority[:-1]) == ["21004", "44021"]
    grand = money(first[-1]["total_eur"])
    assert sum(money(row["total_eur"]) for row in first[:-1]) == grand == money(by_authority[-1]["total_eur"])
    assert sum(money(row["total_eur"]) for row in by_authority[:-1]) == grand


# ---------------------------------------------------------------------- accidental activations
VOIDED = "voided: closed within 10 minutes with no answered call"


def test_an_activation_opened_by_accident_is_billed_nothing_and_says_why(api: Api, finance: str, october: None) -> None:
    put_activation("oops", "2026-10-07T03:12", "2026-10-07T03:16")
    put_usage("oops", "2026-10", calls=1, abandoned_calls=1, call_seconds=40)
    export = _get(api, "/exports/2026-10", finance).body
    lines = {line["activation_id"]: line for line in export["lines"]}
    assert (lines["oops"]["billing"], lines["oops"]["total_eur"], lines["oops"]["calls"]) == (VOIDED, "0.00", 1)
    assert lines["gent-fire"]["billing"] == "billed" and lines["gent-fire"]["total_eur"] == "185.24"
    assert "billing" in export["columns"]
    rows = csv_rows(_get(api, "/exports/2026-10?format=csv", finance).raw)
    assert next(row for row in rows if row["activation_id"] == "oops")["billing"] == VOIDED


def test_a_short_line_across_the_month_end_is_billed_when_a_call_was_answered_in_either_month(
    api: Api, finance: str, aws: None
) -> None:
    put_activation("midnight", "2026-10-31T23:55", "2026-11-01T00:03")
    put_activation("midnight-answered", "2026-10-31T23:56", "2026-11-01T00:04", number="+3280012346")
    put_usage("midnight", "2026-11", calls=1, abandoned_calls=1, call_seconds=20)
    put_usage("midnight-answered", "2026-11", calls=1, answered_calls=1, call_seconds=60)
    for month in ("2026-10", "2026-11"):
        lines = {line["activation_id"]: line for line in _get(api, f"/exports/{month}", finance).body["lines"]}
        assert lines["midnight"]["billing"] == VOIDED, month
        assert lines["midnight-answered"]["billing"] == "billed", month
    personnel = [
        next(
            line["personnel_eur"]
            for line in _get(api, f"/exports/{month}", finance).body["lines"]
            if line["activation_id"] == "midnight-answered"
        )
        for month in ("2026-10", "2026-11")
    ]
    assert sum(map(Decimal, personnel)) == Decimal("180.00")  # the minimum, as for any line


# ---------------------------------------------------------------------- text a person typed
def test_an_authority_named_like_a_formula_is_plain_text_in_csv_and_xlsx(api: Api, finance: str, aws: None) -> None:
    from openpyxl import load_workbook

    name = '=HYPERLINK("http://example.org/invoice","click")'
    put_activation("odd-name", "2026-10-05T10:00", "2026-10-05T14:00", authority_id="99999", authority_name=name)
    rows = csv_rows(_get(api, "/exports/2026-10?format=csv", finance).raw)
    line = next(row for row in rows if row["line"] == "activation")
    assert line["authority_name"] == "'" + name
    assert line["number"] == "'+3280012345"  # shown as text, not read as a number or a formula
    assert float(line["total_eur"]) > 0  # amounts stay plain numbers
    raw = _get(api, "/exports/2026-10?format=xlsx", finance, Accept=XLSX).raw
    sheet = load_workbook(io.BytesIO(raw)).worksheets[0]
    header = [cell.value for cell in sheet[1]]
    cells = {name: cell for name, cell in zip(header, sheet[2], strict=True)}
    assert (cells["authority_name"].value, cells["authority_name"].data_type) == (name, "s")
    assert (cells["number"].value, cells["number"].data_type) == ("+3280012345", "s")
    assert cells["total_eur"].data_type == "n"
    assert not any(cell.data_type == "f" for row in sheet.iter_rows() for cell in row)


# ---------------------------------------------------------------------- refusals
@pytest.mark.parametrize("month", ["2026-13", "abc", "2026-1", "2999-01", "0000-01", "0001-01", "1999-12", "9999-12"])
def test_a_wrong_or_future_month_is_refused_with_a_clear_message(api: Api, finance: str, month: str) -> None:
    answer = _get(api, f"/exports/{month}", finance)
    assert answer.status == 422, answer.body
    assert answer.error_code == "validation_error"
    assert answer.body["error"]["details"]["fields"][0]["field"] == "month"
    assert month in answer.body["error"]["message"]


def test_the_refusal_says_which_months_an_export_covers(api: Api, finance: str) -> None:
    message = _get(api, "/exports/1999-12", finance).body["error"]["message"]
    assert "from 2000-01 up to the current month" in message


@pytest.mark.parametrize("month", ["2026-10%0A", "2026-10%0D%0A", "%0A2026-10", "2026-10%20"])
def test_a_month_with_anything_around_it_is_refused(api: Api, admin: str, finance: str, month: str) -> None:
    assert _get(api, f"/unattributed?month={month}", admin).status == 422
    assert _get(api, f"/exports/{month}", finance).status == 422


def test_the_first_month_an_export_covers_is_2000_01(api: Api, finance: str) -> None:
    answer = _get(api, "/exports/2000-01", finance)
    assert answer.status == 200, answer.body
    assert answer.body["lines"] == []


@pytest.mark.parametrize("written", ["CSV", "Csv", "XLSX", "Json"])
def test_the_format_is_read_in_any_case(api: Api, finance: str, october: None, written: str) -> None:
    answer = _get(api, f"/exports/2026-10?format={written}", finance)
    assert answer.status == 200, answer.body
    assert answer.headers["Content-Type"].startswith(MEDIA_TYPES[written.lower()])
    if written.lower() != "json":
        assert f'crisisline-2026-10.{written.lower()}"' in answer.headers["Content-Disposition"]


def test_the_export_rules_give_a_file_as_bytes_in_its_format_and_leave_media_types_to_the_api(
    finance_env: None, october: None
) -> None:
    from finance import billing
    from finance.billing_store import BillingStore

    caller = Caller(role="finance", credential_id="finance-team")
    now = datetime(2026, 11, 15, tzinfo=UTC)
    export_format, body = billing.get_export(caller, "2026-10", "csv", BillingStore(), now)
    assert (export_format, body[:3]) == ("csv", b"\xef\xbb\xbf")  # the CSV file itself, with its byte order mark
    source = Path(billing.__file__).read_text()
    assert [name for name in ("text/csv", "application/", "Content-Type") if name in source] == []


def test_next_month_is_refused_until_it_begins(api: Api, finance: str) -> None:
    answer = _get(api, f"/exports/{next_month(month_of(datetime.now(UTC)))}", finance)
    assert answer.status == 422
    assert "not begun" in answer.body["error"]["message"]


def test_an_unknown_format_is_refused(api: Api, finance: str) -> None:
    answer = _get(api, "/exports/2026-10?format=pdf", finance)
    assert answer.status == 422
    assert answer.body["error"]["details"]["fields"][0]["field"] == "format"


# ---------------------------------------------------------------------- access
def test_an_authority_may_not_read_the_export(api: Api, gent: str, finance_env: None) -> None:
    for path in ("/exports/2026-10", "/tariffs", "/unattributed?month=2026-10"):
        answer = _get(api, path, gent)
        assert answer.status == 403, path
        assert answer.error_code == "forbidden"


def test_admin_may_read_the_export_and_nobody_without_a_token(api: Api, admin: str, finance_env: None) -> None:
    assert _get(api, "/exports/2026-10", admin).status == 200
    assert api.get("/exports/2026-10").status == 401


def test_admin_lists_unattributed_contact_records_and_finance_may_not(api: Api, admin: str, finance: str) -> None:
    record = {
        "contact_id": "c-1",
        "unattributed_month": "2026-10",
        "last_update": "2026-10-05T10:00:00Z",
        "system_number": "+3280099999",
        "initiated_at": "2026-10-05T10:00:00Z",
        "calls": 1,
    }
    from crisisline.dynamo import to_item

    boto3.client("dynamodb").put_item(TableName=table("ContactsTable"), Item=to_item(record))
    answer = _get(api, "/unattributed?month=2026-10", admin)
    assert answer.status == 200
    assert [contact["contact_id"] for contact in answer.body["contacts"]] == ["c-1"]
    assert _get(api, "/unattributed?month=2026-10", finance).status == 403
    assert _get(api, "/unattributed?month=2026-13", admin).status == 422


# ---------------------------------------------------------------------- tariffs
def _tariff_body(**changes: Any) -> dict[str, Any]:
    return {
        "effective_from": "2999-01-01",
        "operator_hour": "50.00",
        "number_day": {"did": "0.10", "toll_free": "0.45"},
        "telephony_minute": {"did": "0.01", "toll_free": "0.04"},
        "service_minute": "0.018",
        "personnel_minimum_hours": "4",
        "calls_per_operator_hour": 12,
        **changes,
    }


def test_finance_reads_the_tariffs_and_the_defaults_come_from_infra(api: Api, finance: str) -> None:
    answer = _get(api, "/tariffs", finance)
    assert answer.status == 200
    (default,) = answer.body["tariffs"]
    assert default["operator_hour"] == "45.00" and default["number_day"] == {"did": "0.10", "toll_free": "0.42"}
    assert answer.body["in_force"] == default


def test_admin_adds_a_version_that_takes_effect_later(api: Api, admin: str, finance: str) -> None:
    answer = api.call("PUT", "/tariffs", admin, _tariff_body())
    assert answer.status == 201, answer.body
    assert answer.body["effective_from"] == "2998-12-31T23:00:00.000Z"  # 00:00 Brussels time
    versions = _get(api, "/tariffs", finance).body
    assert [v["operator_hour"] for v in versions["tariffs"]] == ["45.00", "50.00"]
    assert versions["in_force"]["operator_hour"] == "45.00"
    again = api.call("PUT", "/tariffs", admin, _tariff_body())
    assert (again.status, again.error_code) == (409, "conflict")


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"operator_hour": 50.0}, "operator_hour"),
        ({"operator_hour": "-1"}, "operator_hour"),
        ({"number_day": {"did": "0.1"}}, "number_day.toll_free"),
        ({"effective_from": "2020-01-01"}, "effective_from"),
        ({"effective_from": "yesterday"}, "effective_from"),
        ({"calls_per_operator_hour": "12"}, "calls_per_operator_hour"),
        ({"currency": "USD"}, "currency"),
    ],
)
def test_a_bad_tariff_version_is_refused_and_nothing_is_written(
    api: Api, admin: str, finance_env: None, changes: dict[str, Any], field: str
) -> None:
    answer = api.call("PUT", "/tariffs", admin, _tariff_body(**changes))
    assert answer.status == 422, answer.body
    assert field in [problem["field"] for problem in answer.body["error"]["details"]["fields"]]
    assert table_items("TariffsTable") == []


def test_only_admin_changes_tariffs(api: Api, finance: str) -> None:
    answer = api.call("PUT", "/tariffs", finance, _tariff_body())
    assert answer.status == 403
    assert table_items("TariffsTable") == []


def test_a_new_version_prices_what_comes_after_it(api: Api, admin: str, finance: str) -> None:
    body = json.loads(json.dumps(_tariff_body(effective_from=None)))
    answer = api.call("PUT", "/tariffs", admin, body)
    assert answer.status == 201
    put_activation("now-live", "2026-09-01T00:00", None, operators=1)
    line = _get(api, f"/exports/{month_of(datetime.now(UTC))}", finance).body["lines"][0]
    # The version took effect a moment ago: the month's hours so far are priced at 45.00, not 50.00.
    assert Decimal(line["personnel_eur"]) <= Decimal(line["operator_seconds"]) * Decimal("45.00") / 3600 + 1


# ---------------------------------------------------------------------- the whole chain, on `make run`
def test_a_simulated_call_on_the_local_stack_ends_up_as_an_export_line(local_stack: RunningStack) -> None:
    """Activation over HTTP → a caller through the real flow → its contact record on the Kinesis stream →
    metering → the month's export line, all in the started local stack."""
    import re
    import time

    from crisisline.money import cents
    from infra.connect import contact_record
    from infra.connect.simulator import LambdaEndpoint, simulate_call
    from infra.local import template
    from infra.local.streams import physical_stream_name
    from tests.test_local_stack import http
    from tests.test_meter_ingest import expected

    api, token = local_stack.api_url, local_stack.authority_token
    status, _, credential = http(
        "POST", f"{api}/credentials", local_stack.admin_token, {"role": "finance", "label": "Finance team"}
    )
    assert status == 201
    finance_token = credential["token"]
    body = activation_body(
        languages=["fr", "nl"], message={"fr": "Restez chez vous.", "nl": "Blijf binnen."}, victim_information=True
    )
    status, _, opened = http("POST", f"{api}/activations", token, body, {"Idempotency-Key": "export-e2e"})
    assert status == 201, opened
    backend = re.search(r"AWS backend \(moto\)\s+(\S+)", local_stack.output)
    assert backend is not None
    try:
        call = simulate_call(
            opened["number"], language="fr", press="2", invoker=LambdaEndpoint(local_stack.lambda_port)
        )
        kinesis = boto3.client(
            "kinesis",
            endpoint_url=backend.group(1),
            region_name=template.LOCAL_REGION,
            aws_access_key_id="local",
            aws_secret_access_key="local",
        )
        contact_record.put_on_stream(call.records(), physical_stream_name("ContactRecordStream"), kinesis)
        month = month_of(datetime.now(UTC))
        line: dict[str, Any] = {}
        deadline = time.monotonic() + 20
        while not line.get("calls") and time.monotonic() < deadline:
            status, _, export = http("GET", f"{api}/exports/{month}", finance_token)
            assert status == 200, export
            line = next((item for item in export["lines"] if item["activation_id"] == opened["id"]), {})
            time.sleep(0.2)
        totals = expected(*call.records())
        assert {name: line[name] for name in ("calls", "d2_calls", "answered_calls", "call_seconds")} == {
            name: totals[name] for name in ("calls", "d2_calls", "answered_calls", "call_seconds")
        }
        rate = {"toll_free": Decimal("0.058"), "did": Decimal("0.028")}[opened["number_kind"]]
        assert line["telephony_eur"] == str(cents(Decimal(totals["call_seconds"]) * rate / 60))
        assert line["personnel_eur"] == "180.00"  # a few seconds live: the 4-hour minimum at 45.00
        assert export["provisional"] is True
    finally:
        assert http("POST", f"{api}/activations/{opened['id']}/close", token)[0] == 200
