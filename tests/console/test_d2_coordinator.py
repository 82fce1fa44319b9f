"""A D2 coordinator of the FPS Public Health follows every enquiry on a line: filters them by status, finds one by
its reference as a relative reads it out, reads its details and records an
enquiry with the same intake form as the agents."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import expect

from tests.console.conftest import Console
from tests.console.test_d2_agent import d2_line, fill_intake, issue, record  # noqa: F401  (a fixture)
from tests.console.test_finance_screen import _violations


@pytest.fixture
def coordinator(console: Console) -> str:
    return issue(console, "d2_coordinator", "Karel Peeters")


def open_screen(console: Console, token: str, activation_id: str) -> Any:
    page = console.page
    page.goto(f"{console.url}?activationId={activation_id}")
    page.wait_for_selector("body[data-ready]")
    console.sign_in(token)
    expect(page.get_by_role("heading", name="Victim information: coordination", level=1)).to_be_visible()
    expect(page.locator("#main")).to_be_focused()
    return page


def test_a_coordinator_sees_every_agents_enquiries_and_reads_one_by_its_reference(
    console: Console,
    coordinator: str,
    d2_line: str,  # noqa: F811
) -> None:
    api = console.stack.api_url
    first = record(api, issue(console, "d2_agent", "Els Janssens"), d2_line, "Marie", "<b>Peeters</b>", "1987")
    second = record(api, issue(console, "d2_agent", "Sophie Dubois"), d2_line, "Pieter", "Claes", "1950-01-02")
    page = open_screen(console, coordinator, d2_line)
    table = page.get_by_role("table", name="Every enquiry on this line")
    expect(table.get_by_role("row")).to_have_count(3)
    expect(table).to_contain_text("Marie <b>Peeters</b>")
    assert page.locator("#d2c-list b").count() == 0
    assert _violations(page) == []
    table.get_by_role("button", name=second["reference"]).click()
    details = page.get_by_role("article")
    expect(details.get_by_role("heading")).to_be_focused()
    expect(details).to_contain_text("1950-01-02")
    expect(details).to_contain_text("Sophie Dubois")
    expect(details.get_by_role("term").filter(has_text="Caller's name")).to_be_visible()
    page.get_by_label("Reference", exact=True).fill(first["reference"].lower().replace("-", " "))
    page.get_by_role("button", name="Search").click()
    expect(page.get_by_role("article")).to_contain_text("Els Janssens")
    assert _violations(page) == []


def test_the_status_filter_shows_only_enquiries_of_that_status(
    console: Console,
    coordinator: str,
    d2_line: str,  # noqa: F811
) -> None:
    record(console.stack.api_url, coordinator, d2_line, "Marie", "Peeters", "1987")
    page = open_screen(console, coordinator, d2_line)
    page.get_by_label("Status", exact=True).select_option("matched")
    page.get_by_role("button", name="Show").click()
    expect(page.get_by_text("No enquiries with this status.")).to_be_visible()
    expect(page.get_by_label("Status", exact=True)).to_have_value("matched")
    page.get_by_label("Status", exact=True).select_option("open")
    page.get_by_role("button", name="Show").click()
    expect(page.get_by_role("table", name="Every enquiry on this line").get_by_role("row")).to_have_count(2)


def test_the_coordinator_records_with_the_intake_form_and_sees_the_parts_to_come(
    console: Console,
    coordinator: str,
    d2_line: str,  # noqa: F811
) -> None:
    page = open_screen(console, coordinator, d2_line)
    for title in ("Lists of victims and survivors", "Matches to review", "Related enquiries", "Callbacks"):
        expect(page.get_by_role("region", name=title)).to_be_visible()
    intake = page.get_by_role("region", name="New enquiry from a relative")
    expect(intake.get_by_role("heading", level=2)).to_be_visible()
    fill_intake(page)
    page.get_by_role("button", name="Save the enquiry").click()
    expect(page.get_by_role("heading", name="The enquiry is recorded", level=2)).to_be_visible()
    expect(page.get_by_role("table", name="Every enquiry on this line").get_by_role("row")).to_have_count(2)
    assert _violations(page) == []


def test_the_coordinator_is_warned_with_references_and_grades(
    console: Console,
    coordinator: str,
    d2_line: str,  # noqa: F811
) -> None:
    earlier = record(console.stack.api_url, coordinator, d2_line, "Marie", "Van den Broeck", "1987-03-14")
    page = open_screen(console, coordinator, d2_line)
    page.get_by_label("Given names").fill("Marie")
    page.get_by_label("Family name").fill("Vandenbroeck")
    page.get_by_label("Date of birth").fill("14/03/1987")
    warning = page.get_by_role("status").filter(has_text="1 similar enquiry already recorded")
    expect(warning).to_contain_text(f"{earlier['reference']} (A)")
