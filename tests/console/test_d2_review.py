"""A D2 coordinator of the FPS Public Health uploads a hospital's list of victims and survivors and sees which rows
were taken and which not; reads an enquiry's candidates and proposes one; and a second coordinator, at another
desk, confirms it (four eyes), so the relative's enquiry is matched."""

from __future__ import annotations

import json
import urllib.parse
import urllib.request
from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.conftest import http
from tests.console.conftest import Authority, Console
from tests.console.test_d2_agent import d2_line, issue, record  # noqa: F401  (a fixture)
from tests.console.test_d2_coordinator import coordinator, open_screen  # noqa: F401  (a fixture)
from tests.console.test_finance_screen import _violations

HEADER = "source_ref;given_names;family_name;birth_date;sex;status;location"
MARIE = "UZB-1;Marie;Vandenbroeck;1987-03-14;F;hospitalised;UZ Brussel, ward 4"
MARKUP = "<img src=x onerror=alert(1)>"


def csv_body(*rows: str) -> bytes:
    return ("\n".join([HEADER, *rows]) + "\n").encode()


def upload(api: str, token: str, activation_id: str, body: bytes, source: str = "UZ Brussel") -> dict[str, Any]:
    request = urllib.request.Request(
        f"{api}/activations/{activation_id}/lists?source={urllib.parse.quote(source)}", method="POST", data=body
    )
    request.add_header("Authorization", f"Bearer {token}")
    request.add_header("Content-Type", "text/csv")
    with urllib.request.urlopen(request, timeout=30) as answer:
        assert answer.status == 201
        return json.loads(answer.read())  # type: ignore[no-any-return]


def choose_file(page: Any, name: str, body: bytes, mime: str = "text/csv") -> None:
    page.get_by_label("File", exact=True).set_input_files({"name": name, "mimeType": mime, "buffer": body})


@pytest.fixture
def no_alerts(console: Console) -> Iterator[list[str]]:
    """Every dialog a script opens, so a test can say none did."""
    opened: list[str] = []
    console.page.on("dialog", lambda dialog: (opened.append(dialog.message), dialog.dismiss()))
    yield opened


def test_a_coordinator_uploads_a_list_and_sees_the_rows_taken_and_the_row_refused(
    console: Console,
    coordinator: str,  # noqa: F811
    d2_line: str,  # noqa: F811
    no_alerts: list[str],
) -> None:
    page = open_screen(console, coordinator, d2_line)
    lists = page.get_by_role("region", name="Lists of victims and survivors")
    lists.get_by_label("Source of the list").fill(MARKUP)
    refused = f"UZB-2;Pieter;Janssens;1950-01-01;{MARKUP};hospitalised;ward 2"
    choose_file(page, "uzb.csv", csv_body(MARIE, refused))
    lists.get_by_role("button", name="Upload the list").click()
    result = lists.get_by_role("heading", name=f"The list from {MARKUP} is uploaded")
    expect(result).to_be_focused()
    expect(lists.get_by_text("Rows taken: 1")).to_be_visible()
    expect(lists.get_by_text("the candidates are ready")).to_be_visible()
    rejected = lists.get_by_role("table", name="Rows not taken")
    expect(rejected.get_by_role("row")).to_have_count(2)
    expect(rejected.get_by_role("row").nth(1)).to_contain_text("3")
    expect(rejected.get_by_role("row").nth(1)).to_contain_text(f"Column sex has '{MARKUP}'")
    expect(page.get_by_role("status").filter(has_text="List uploaded: 1 rows taken, 1 not taken.")).to_be_attached()
    assert page.locator("#d2c-lists img").count() == 0 and no_alerts == []
    assert _violations(page) == []


def test_a_list_without_its_source_or_that_cannot_be_read_is_refused_next_to_its_field(
    console: Console,
    coordinator: str,  # noqa: F811
    d2_line: str,  # noqa: F811
) -> None:
    page = open_screen(console, coordinator, d2_line)
    lists = page.get_by_role("region", name="Lists of victims and survivors")
    choose_file(page, "uzb.csv", csv_body(MARIE))
    lists.get_by_role("button", name="Upload the list").click()
    expect(lists.locator("#d2c-lists-source-error")).to_have_text("Enter who sent the list.")
    expect(lists.get_by_label("Source of the list")).to_be_focused()
    lists.get_by_label("Source of the list").fill("UZ Brussel")
    choose_file(page, "uzb.csv", b"name;age\nMarie;37\n")
    lists.get_by_role("button", name="Upload the list").click()
    expect(lists.locator("#d2c-lists-file-error")).to_contain_text("The header row has no column")
    expect(lists.get_by_label("File", exact=True)).to_have_attribute("aria-invalid", "true")
    expect(lists.get_by_label("Source of the list")).not_to_have_attribute("aria-invalid", "true")
    assert _violations(page) == []


def test_a_list_for_a_line_closed_meanwhile_is_refused_with_the_apis_reason(
    console: Console,
    authority: Authority,
    coordinator: str,  # noqa: F811
    d2_line: str,  # noqa: F811
) -> None:
    page = open_screen(console, coordinator, d2_line)
    status, _, _ = http("POST", f"{console.stack.api_url}/activations/{d2_line}/close", authority.token)
    assert status == 200
    lists = page.get_by_role("region", name="Lists of victims and survivors")
    lists.get_by_label("Source of the list").fill("UZ Brussel")
    choose_file(page, "uzb.csv", csv_body(MARIE))
    lists.get_by_role("button", name="Upload the list").click()
    expect(lists.get_by_role("alert")).to_have_text(
        "This activation is not live: enquiries are recorded only while its line is open."
    )
    expect(lists.get_by_role("heading", name="The list from UZ Brussel is uploaded")).to_have_count(0)


def test_a_coordinator_proposes_a_candidate_and_cannot_confirm_it_alone(
    console: Console,
    coordinator: str,  # noqa: F811
    d2_line: str,  # noqa: F811
) -> None:
    api = console.stack.api_url
    recorded = record(api, coordinator, d2_line, "Marie", "Van den Broeck", "1987-03-14")
    upload(api, coordinator, d2_line, csv_body(MARIE))
    page = open_screen(console, coordinator, d2_line)
    review = page.get_by_role("region", name="Matches to review")
    expect(review.get_by_text("No proposed match is waiting.")).to_be_visible()
    review.get_by_label("Open enquiry").select_option(recorded["reference"])
    review.get_by_role("button", name="Find candidates").click()
    expect(review.get_by_role("heading", name=f"Candidates for enquiry {recorded['reference']}")).to_be_focused()
    found = review.get_by_role("table", name="List rows that may be the person sought, best first")
    [row] = found.get_by_role("row").all()[1:]
    expect(row).to_contain_text("UZ Brussel · UZB-1")
    expect(row).to_contain_text("A")
    expect(row).to_contain_text("strong")
    expect(row).to_contain_text("birth date")
    assert _violations(page) == []
    row.get_by_role("button", name="Propose match").click()
    queue = review.get_by_role("table", name="Proposed matches")
    expect(review.get_by_role("heading", name="Proposed matches awaiting a second coordinator")).to_be_focused()
    expect(queue.get_by_role("row")).to_have_count(2)
    proposed = queue.get_by_role("row").nth(1)
    expect(proposed).to_contain_text(recorded["reference"])
    expect(proposed).to_contain_text("UZ Brussel · UZB-1")
    expect(proposed).to_contain_text("Karel Peeters")
    expect(proposed).to_contain_text("You proposed this match: another coordinator must confirm it.")
    expect(page.get_by_role("status").filter(has_text="Match proposed for enquiry")).to_be_attached()
    row.get_by_role("button", name="Propose match").click()  # twice: the pair already has its match
    expect(row.get_by_role("alert")).to_have_text(
        "This enquiry and list row already have a match (proposed): it cannot be proposed again."
    )
    proposed.get_by_role("button", name="Confirm").click()
    expect(proposed.get_by_role("alert")).to_have_text(
        "You proposed this match, so you cannot confirm it: another coordinator must confirm it."
    )
    expect(queue.get_by_role("row")).to_have_count(2)  # still waiting
    assert _violations(page) == []


def test_a_second_coordinator_confirms_the_match_and_the_enquiry_is_matched(
    browser: Any,
    console: Console,
    coordinator: str,  # noqa: F811
    d2_line: str,  # noqa: F811
) -> None:
    api = console.stack.api_url
    recorded = record(api, coordinator, d2_line, "Marie", "Van den Broeck", "1987-03-14")
    upload(api, coordinator, d2_line, csv_body(MARIE))
    # The first coordinator proposes at their desk.
    page = open_screen(console, coordinator, d2_line)
    review = page.get_by_role("region", name="Matches to review")
    review.get_by_label("Or type its reference").fill(recorded["reference"].lower().replace("-", " "))
    review.get_by_role("button", name="Find candidates").click()
    review.get_by_role("button", name="Propose match").click()
    expect(review.get_by_role("table", name="Proposed matches").get_by_role("row")).to_have_count(2)
    # The second coordinator, another person with another token, in another browser.
    second = issue(console, "d2_coordinator", "An Claes")
    context = browser.new_context(locale="en-GB", timezone_id="Europe/Brussels")
    context.set_default_timeout(5000)
    try:
        other = Console(context.new_page(), console.url, console.stack)
        desk = open_screen(other, second, d2_line)
        queue = desk.get_by_role("region", name="Matches to review").get_by_role("table", name="Proposed matches")
        waiting = queue.get_by_role("row").nth(1)
        expect(waiting).to_contain_text("Karel Peeters")
        expect(waiting).not_to_contain_text("You proposed this match")
        assert _violations(desk) == []
        waiting.get_by_role("button", name="Confirm").click()
        expect(desk.get_by_text("No proposed match is waiting.")).to_be_visible()
        expect(desk.get_by_role("heading", name="Proposed matches awaiting a second coordinator")).to_be_focused()
        expect(
            desk.get_by_role("status").filter(
                has_text=f"Match confirmed: enquiry {recorded['reference']} is now matched."
            )
        ).to_be_attached()
        desk.get_by_label("Status", exact=True).select_option("matched")
        desk.get_by_role("button", name="Show").click()
        matched = desk.get_by_role("table", name="Every enquiry on this line")
        expect(matched.get_by_role("row").filter(has_text=recorded["reference"])).to_contain_text("Matched")
        assert _violations(desk) == []
    finally:
        context.close()
