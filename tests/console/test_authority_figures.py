"""An authority watches the calls on its live line and staffs it as the advice says, in one click."""

from __future__ import annotations

import time
from typing import Any

from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import expect

from tests.conftest import activation_body, http
from tests.console.conftest import Authority, Console
from tests.console.test_accessibility import WCAG_AA


def _violations(page: Any) -> list[str]:
    results = Axe().run(page, options=WCAG_AA)
    return [f"{v['id']}: {[n['target'] for n in v['nodes']]}" for v in results.response["violations"]]


def _answered_calls(console: Console, line: dict[str, Any], count: int) -> None:
    """Callers through the simulated contact flow, answered by an operator after 30 s and a 2-minute talk; their
    contact records on the stream until the line's figures show them."""
    import boto3

    from infra.connect import contact_record
    from infra.connect.simulator import LambdaEndpoint, simulate_call
    from infra.local import template
    from infra.local.streams import physical_stream_name

    stack = console.stack
    kinesis = boto3.client(
        "kinesis",
        endpoint_url=f"http://127.0.0.1:{stack.moto_port}",
        region_name=template.LOCAL_REGION,
        aws_access_key_id="local",
        aws_secret_access_key="local",
    )
    for _ in range(count):
        call = simulate_call(line["number"], language="nl", press="1", invoker=LambdaEndpoint(stack.lambda_port))
        contact_record.put_on_stream(call.records(), physical_stream_name("ContactRecordStream"), kinesis)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        _, _, figures = http("GET", f"{stack.api_url}/activations/{line['id']}/figures", stack.admin_token)
        if figures["totals"]["calls_answered"] == count:
            return
        time.sleep(0.3)
    raise AssertionError("the calls were not metered in time")


def test_the_authority_sees_its_calls_and_applies_the_advice_to_its_operators(
    console: Console, authority: Authority
) -> None:
    status, _, line = http(
        "POST", f"{console.stack.api_url}/activations", authority.token, activation_body(operators=5)
    )
    assert status == 201, line
    _answered_calls(console, line, 3)
    page = console.open()
    console.sign_in(authority.token)
    expect(page.get_by_role("heading", name="Your crisis line is open")).to_be_visible()

    table = page.get_by_role("table", name="The last hours, newest first")
    expect(table.get_by_role("columnheader", name="Answered")).to_be_visible()
    row = table.get_by_role("row").nth(1)
    expect(row.get_by_role("cell").nth(1)).to_have_text("3")  # answered
    expect(row.get_by_role("cell").nth(8)).to_have_text("120")  # mean call, seconds
    # 3 calls in the line's first quarter hour, 2 minutes each: 2 operators answer 80% within a minute.
    advice = page.locator("#advice-text")
    expect(advice).to_contain_text("2 operators")
    expect(advice).to_contain_text("-€135.00")
    assert _violations(page) == []

    page.get_by_role("button", name="Apply advice").click()
    expect(page.get_by_text("Your changes have been saved.")).to_be_visible()
    expect(page.get_by_label("Operators", exact=True)).to_have_value("2")
    _, _, now = http("GET", f"{console.stack.api_url}/activations/{line['id']}", authority.token)
    assert now["operators"] == 2
    _, _, trail = http("GET", f"{console.stack.api_url}/activations/{line['id']}/audit", authority.token)
    assert [entry["action"] for entry in trail["entries"]] == ["open", "update"]
    assert _violations(page) == []
