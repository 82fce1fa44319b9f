"""Finance reads a month's costs in the console, downloads the export as CSV and XLSX, and reads the tariffs."""

from __future__ import annotations

import io
import re
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from axe_playwright_python.sync_playwright import Axe
from openpyxl import load_workbook
from playwright.sync_api import expect

from crisisline.months import month_of
from tests.conftest import activation_body, http
from tests.console.conftest import Authority, Console
from tests.console.test_accessibility import WCAG_AA


def _violations(page: Any) -> list[str]:
    results = Axe().run(page, options=WCAG_AA)
    return [f"{v['id']}: {[n['target'] for n in v['nodes']]}" for v in results.response["violations"]]


@pytest.fixture
def finance_token(console: Console) -> str:
    status, _, body = http(
        "POST",
        f"{console.stack.api_url}/credentials",
        console.stack.admin_token,
        {"role": "finance", "label": "Finance"},
    )
    assert status == 201, body
    from tests.reliability import log_watch

    log_watch.register_token(body["token"])
    return str(body["token"])


@pytest.fixture
def metered_line(console: Console, authority: Authority) -> dict[str, Any]:
    """The authority's line, opened and called once through the real flow; its contact record metered."""
    import boto3

    from infra.connect import contact_record
    from infra.connect.simulator import LambdaEndpoint, simulate_call
    from infra.local import template
    from infra.local.streams import physical_stream_name

    stack = console.stack
    status, _, opened = http("POST", f"{stack.api_url}/activations", authority.token, activation_body())
    assert status == 201, opened
    call = simulate_call(opened["number"], language="nl", press="2", invoker=LambdaEndpoint(stack.lambda_port))
    kinesis = boto3.client(
        "kinesis",
        endpoint_url=f"http://127.0.0.1:{stack.moto_port}",
        region_name=template.LOCAL_REGION,
        aws_access_key_id="local",
        aws_secret_access_key="local",
    )
    contact_record.put_on_stream(call.records(), physical_stream_name("ContactRecordStream"), kinesis)
    month = month_of(datetime.now(UTC))
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        _, _, export = http("GET", f"{stack.api_url}/exports/{month}", stack.admin_token)
        line = next((one for one in export["lines"] if one["activation_id"] == opened["id"]), {})
        if line.get("calls"):
            return {**opened, "month": month, "line": line}
        time.sleep(0.2)
    pytest.fail("the call was not metered in time")


def _signed_in(console: Console, token: str) -> Any:
    page = console.open()
    console.sign_in(token)
    expect(page.get_by_role("heading", name="Monthly costs")).to_be_visible()
    return page


def test_finance_sees_the_months_totals_after_a_metered_call(
    console: Console, authority: Authority, finance_token: str, metered_line: dict[str, Any]
) -> None:
    page = _signed_in(console, finance_token)
    expect(page.get_by_label("Month", exact=True)).to_have_value(metered_line["month"])
    expect(page.get_by_text("Provisional: the month is not closed yet")).to_be_visible()
    table = page.get_by_role("table", name="Costs per authority")
    row = table.get_by_role("row").filter(has_text=authority.name)
    expect(row).to_be_visible()
    # The authority's total as the API computes it (decimal text), shown in euros.
    _, _, export = http("GET", f"{console.stack.api_url}/exports/{metered_line['month']}", finance_token)
    [total] = [one for one in export["totals"] if one["authority_id"] == authority.id]
    expect(row.get_by_role("cell").last).to_have_text(f"€{total['total_eur']}")
    assert total["calls"] >= 1
    assert _violations(page) == []


def test_finance_downloads_the_month_as_csv_and_xlsx(
    console: Console, authority: Authority, finance_token: str, metered_line: dict[str, Any]
) -> None:
    page = _signed_in(console, finance_token)
    expect(page.get_by_role("table", name="Costs per authority").get_by_text(authority.name)).to_be_visible()
    month = metered_line["month"]
    with page.expect_download() as csv_download:
        page.get_by_role("button", name="Download CSV").click()
    assert csv_download.value.suggested_filename == f"crisisline-{month}.csv"
    raw = Path(csv_download.value.path()).read_bytes()
    assert raw.startswith("\ufeffmonth,authority_id,authority_name,activation_id".encode())
    assert metered_line["id"].encode() in raw
    expect(page.get_by_role("status").filter(has_text=f"crisisline-{month}.csv has been downloaded.")).to_be_visible()

    with page.expect_download() as xlsx_download:
        page.get_by_role("button", name="Download Excel (XLSX)").click()
    assert xlsx_download.value.suggested_filename == f"crisisline-{month}.xlsx"
    workbook = Path(xlsx_download.value.path()).read_bytes()
    assert workbook[:4] == b"PK\x03\x04"
    sheet = load_workbook(io.BytesIO(workbook), read_only=True).worksheets[0]
    header = next(sheet.iter_rows(max_row=1, values_only=True))
    assert header[:4] == ("month", "authority_id", "authority_name", "activation_id")


def test_finance_reads_the_tariff_versions_and_the_one_in_force(console: Console, finance_token: str) -> None:
    page = _signed_in(console, finance_token)
    table = page.get_by_role("table", name="Tariff versions, newest first")
    expect(table.get_by_role("columnheader", name="Operator hour", exact=True)).to_be_visible()
    current = table.get_by_role("row").filter(has_text="in force now")
    expect(current).to_have_count(1)
    _, _, tariffs = http("GET", f"{console.stack.api_url}/tariffs", finance_token)
    expect(current.get_by_role("cell").first).to_have_text(f"€{tariffs['in_force']['operator_hour']}")
    assert _violations(page) == []


def test_a_month_not_begun_yet_is_refused_next_to_the_field(console: Console, finance_token: str) -> None:
    page = _signed_in(console, finance_token)
    page.get_by_label("Month", exact=True).fill("2999-01")
    page.get_by_role("button", name="Show the month").click()
    expect(page.get_by_label("Month", exact=True)).to_have_attribute("aria-invalid", "true")
    expect(page.get_by_label("Month", exact=True)).to_have_accessible_description(re.compile("not begun"))
    assert _violations(page) == []


def test_a_closed_month_is_shown_first_as_final_and_downloads_the_frozen_file(browser: Any) -> None:
    """On a stack of its own (closing a month changes what every later test would see first): month close
    freezes last month; finance sees it first, as final, and the CSV downloaded is the frozen file."""
    import hashlib

    from crisisline.months import previous_month
    from infra.connect.simulator import LambdaEndpoint
    from tests.conftest import started_local_stack
    from tests.reliability import log_watch

    with started_local_stack() as stack:
        last = previous_month(month_of(datetime.now(UTC)))
        LambdaEndpoint(stack.lambda_port)("MonthCloseFunction", {"month": last})
        _, _, credential = http(
            "POST", f"{stack.api_url}/credentials", stack.admin_token, {"role": "finance", "label": "Finance"}
        )
        log_watch.register_token(credential["token"])
        _, _, frozen = http("GET", f"{stack.api_url}/exports/{last}", credential["token"])
        assert frozen["frozen"] is True
        context = browser.new_context(locale="en-GB", timezone_id="Europe/Brussels", accept_downloads=True)
        context.set_default_timeout(5000)
        try:
            console = Console(context.new_page(), f"{stack.api_url}/console/", stack)
            page = _signed_in(console, credential["token"])
            expect(page.get_by_label("Month", exact=True)).to_have_value(last)
            expect(page.get_by_text("these figures are final")).to_be_visible()
            with page.expect_download() as download:
                page.get_by_role("button", name="Download CSV").click()
            raw = Path(download.value.path()).read_bytes()
            assert hashlib.sha256(raw).hexdigest() == frozen["sha256"]["csv"]
            assert raw.startswith("\ufeffmonth,authority_id".encode())
        finally:
            context.close()
