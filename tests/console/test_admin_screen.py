"""The crisis centre watches every live line, enrols authorities, keeps the pool of numbers and issues tokens."""

from __future__ import annotations

import itertools
import os
import re
from typing import Any

from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import expect

from tests.conftest import activation_body, http
from tests.console.conftest import Authority, Console
from tests.console.test_accessibility import WCAG_AA
from tests.reliability import log_watch
from tests.route_support import connect_event
from tests.test_route_local_stack import invoke

HOSTILE = "<img src=x onerror=alert(1)>"
_SERIAL = itertools.count(1)


def _unique() -> str:
    """Four digits no other test of this session uses (one stack per test process)."""
    return f"{(os.getpid() % 90 + 10)}{next(_SERIAL):02d}"


def _violations(page: Any) -> list[str]:
    results = Axe().run(page, options=WCAG_AA)
    return [f"{v['id']}: {[n['target'] for n in v['nodes']]}" for v in results.response["violations"]]


def _admin(console: Console) -> Any:
    page = console.open()
    console.sign_in(console.stack.admin_token)
    expect(page.get_by_role("heading", name="Crisis centre")).to_be_visible()
    return page


def _row(page: Any, table: str, header: str) -> Any:
    """The row of `table` (by its caption) whose heading cell is `header`."""
    rows = page.get_by_role("table", name=table).get_by_role("row")
    return rows.filter(has=page.get_by_role("rowheader", name=header, exact=True))


def _token_shown(page: Any, title: str) -> str:
    box = page.get_by_role("region", name=title)
    expect(box).to_be_visible()
    expect(box.get_by_text("Shown once")).to_be_visible()
    token = box.get_by_label("Token", exact=True).input_value()
    assert len(token) > 30
    log_watch.register_token(token)
    return token  # type: ignore[no-any-return]


def test_an_admin_sees_a_live_line_with_its_calls_against_its_capacity(console: Console, authority: Authority) -> None:
    status, _, line = http(
        "POST", f"{console.stack.api_url}/activations", authority.token, activation_body(operators=2)
    )
    assert status == 201, line
    for _ in range(3):
        assert invoke(console.stack, connect_event(line["number"], language="nl", choice="1"))["status"] == "live"
    console.page.clock.install()
    page = _admin(console)
    row = _row(page, "Every live line", authority.name)
    expect(row).to_contain_text(line["number"])
    expect(row).to_contain_text("3 of 24 calls")
    expect(row.get_by_role("meter", name="3 of 24 calls")).to_have_attribute("value", "3")
    expect(row.locator("time")).to_have_attribute("datetime", line["opened_at"])
    assert _violations(page) == []
    invoke(console.stack, connect_event(line["number"], language="nl", choice="2"))
    page.clock.run_for(14_000)
    expect(row).to_contain_text("3 of 24 calls")
    page.clock.run_for(2_000)  # every 15 s the list is read again
    expect(row).to_contain_text("4 of 24 calls")


def test_an_admin_enrols_an_authority_sees_its_token_once_then_rotates_and_revokes_it(console: Console) -> None:
    page = _admin(console)
    nis, name = f"8{_unique()}", f"Gemeente Beheer {_unique()}"
    page.get_by_role("button", name="Enrol the authority").click()
    expect(page.get_by_label("NIS code", exact=True)).to_have_accessible_description(re.compile("five digits"))
    assert _violations(page) == []
    page.get_by_label("NIS code", exact=True).fill(nis)
    page.locator("#enrol-form").get_by_label("Name", exact=True).fill(name)
    page.get_by_role("checkbox", name="Dutch").check()
    page.get_by_label("Agreement reference").fill(f"NCCN-{nis}")
    page.get_by_label("Agreement signed on").fill("2026-02-01")
    page.get_by_label("Billing reference").fill(f"FIN-{nis}")
    page.get_by_label("Billing email address").fill("facturen@beheer.example")
    page.get_by_role("button", name="Enrol the authority").click()
    token = _token_shown(page, f"Token for {name}")
    assert http("GET", f"{console.stack.api_url}/me", token)[2]["authority_id"] == nis
    assert _violations(page) == []
    page.get_by_role("button", name="I have copied it").click()
    expect(page.get_by_text("Shown once")).to_have_count(0)

    page.get_by_role("button", name=f"New token for {name}").click()
    rotated = _token_shown(page, f"New token for {name}")
    assert rotated != token and http("GET", f"{console.stack.api_url}/me", rotated)[2]["authority_id"] == nis

    page.get_by_role("button", name=f"Revoke {name}").click()
    dialog = page.get_by_role("dialog")
    expect(dialog).to_contain_text(f"End the enrolment of {name}?")
    assert _violations(page) == []
    dialog.get_by_role("button", name=f"Yes, end the enrolment of {name}").click()
    expect(page.get_by_role("status")).to_have_text(f"{name} was revoked.")
    row = _row(page, "Enrolled authorities", name)
    expect(row).to_contain_text("Ended on")
    expect(row.get_by_role("button")).to_have_count(0)


def test_an_admin_adds_a_number_sees_a_refusal_next_to_the_field_and_removes_it(console: Console) -> None:
    page = _admin(console)
    number = f"+3280077{_unique()}"
    page.get_by_label("Number", exact=True).fill("+3290012345")  # premium rate: refused by the API
    page.get_by_role("button", name="Add the number").click()
    expect(page.get_by_label("Number", exact=True)).to_have_accessible_description(re.compile("premium", re.I))
    assert _violations(page) == []
    page.get_by_label("Number", exact=True).fill(number)
    page.get_by_role("button", name="Add the number").click()
    row = _row(page, "Numbers in the pool", number)
    expect(row).to_contain_text("Free")
    expect(row).to_contain_text("Toll-free number (0800)")
    page.get_by_role("button", name=f"Remove {number}").click()
    expect(page.get_by_role("status")).to_have_text(f"{number} was removed from the pool.")
    expect(page.get_by_role("rowheader", name=number)).to_have_count(0)
    assert _violations(page) == []


def test_a_number_in_use_cannot_be_removed_and_says_so(console: Console, authority: Authority) -> None:
    status, _, line = http("POST", f"{console.stack.api_url}/activations", authority.token, activation_body())
    assert status == 201, line
    page = _admin(console)
    row = _row(page, "Numbers in the pool", line["number"])
    expect(row).to_contain_text("In use by a live line")
    expect(row.get_by_role("button")).to_have_count(0)  # only a free number is offered for removal


def test_an_admin_issues_an_operator_token_that_signs_in_on_another_page(console: Console, browser: Any) -> None:
    page = _admin(console)
    label = f"Ploeg nacht {_unique()}"
    page.get_by_label("Role").select_option("operator")
    page.get_by_label("Held by").fill(label)
    page.get_by_role("button", name="Issue the token").click()
    token = _token_shown(page, f"Token for {label} (operator)")
    row = _row(page, "Every token, live and revoked", label)
    expect(row).to_contain_text("Active")

    other = browser.new_context(locale="en-GB", timezone_id="Europe/Brussels")
    try:
        second = other.new_page()
        second.goto(console.url)
        second.wait_for_selector("body[data-ready]")
        second.get_by_label("Token", exact=True).fill(token)
        second.get_by_role("button", name="Sign in").click()
        expect(second.get_by_text(f"Signed in as {label} (operator)").first).to_be_visible()
    finally:
        other.close()

    page.get_by_role("button", name=f"Revoke {label}").click()
    expect(page.get_by_role("dialog")).to_contain_text(f"Revoke the token of {label}?")
    page.get_by_role("button", name=f"Yes, revoke the token of {label}").click()
    expect(row).to_contain_text("Ended on")
    expect(row.get_by_role("button")).to_have_count(0)


def test_a_hostile_label_shows_as_text(console: Console) -> None:
    page = _admin(console)
    alerts: list[str] = []
    page.on("dialog", lambda dialog: (alerts.append(dialog.message), dialog.dismiss()))
    page.get_by_label("Role").select_option("finance")
    page.get_by_label("Held by").fill(HOSTILE)
    page.get_by_role("button", name="Issue the token").click()
    _token_shown(page, f"Token for {HOSTILE} (finance)")
    expect(_row(page, "Every token, live and revoked", HOSTILE).first).to_be_visible()
    assert page.locator("main img").count() == 0
    assert alerts == []
    assert _violations(page) == []
