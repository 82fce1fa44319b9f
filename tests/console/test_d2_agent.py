"""A D2 agent of the FPS Public Health takes a relative's call about someone who may be a victim: the intake opens
from the call with the contact's id in the address, warns of enquiries already recorded about someone alike, and
after saving shows the reference large and spelled for the phone; below it, the agent's own enquiries."""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.conftest import activation_body, http
from tests.console.conftest import Authority, Console
from tests.console.test_finance_screen import _violations

CONTACT = "9b1f2c3d-4e5f-4a6b-8c7d-0e1f2a3b4c5d"


def issue(console: Console, role: str, label: str) -> str:
    from tests.reliability import log_watch

    status, _, body = http(
        "POST", f"{console.stack.api_url}/credentials", console.stack.admin_token, {"role": role, "label": label}
    )
    assert status == 201, body
    log_watch.register_token(body["token"])
    return str(body["token"])


@pytest.fixture
def agent(console: Console) -> str:
    return issue(console, "d2_agent", "Els Janssens")


@pytest.fixture
def d2_line(console: Console, authority: Authority) -> str:
    status, _, opened = http("POST", f"{console.stack.api_url}/activations", authority.token, activation_body())
    assert status == 201, opened
    return str(opened["id"])


def open_intake(console: Console, token: str, activation_id: str, contact: str | None = CONTACT) -> Any:
    page = console.page
    query = f"?activationId={activation_id}" + (f"&contactId={contact}" if contact else "")
    page.goto(f"{console.url}{query}")
    page.wait_for_selector("body[data-ready]")
    console.sign_in(token)
    expect(page.get_by_role("heading", name="New enquiry from a relative")).to_be_visible()
    expect(page.locator("#main")).to_be_focused()  # signed in and the screen drawn: where the keyboard starts
    return page


def fill_intake(page: Any, given: str = "Marie", family: str = "Van den Broeck", born: str = "14/03/1987") -> None:
    page.get_by_label("Given names").fill(given)
    page.get_by_label("Family name").fill(family)
    page.get_by_label("Date of birth").fill(born)
    page.get_by_label("Female").check()
    page.get_by_label("Last seen").fill("Korenmarkt, Saturday 22:00")
    page.get_by_label("Name", exact=True).fill("Jan Van den Broeck")
    page.get_by_label("Phone number to call back").fill("+32 470 99 88 77")
    page.get_by_label("Relationship to the person sought").fill("brother")
    page.get_by_label("Caller's language").select_option("nl")
    page.get_by_role("group", name="May we call back?").get_by_label("Yes").check()


def record(api: str, token: str, activation_id: str, given: str, family: str, born: str) -> dict[str, Any]:
    body = {
        "sought": {"given_names": given, "family_name": family, "birth_date": born},
        "enquirer": {
            "name": "Someone",
            "phone": "+32470111222",
            "relationship": "friend",
            "language": "en",
            "callback_consent": True,
        },
    }
    status, _, recorded = http("POST", f"{api}/activations/{activation_id}/enquiries", token, body)
    assert status == 201, recorded
    return recorded  # type: ignore[no-any-return]


def test_an_agent_records_an_enquiry_from_the_call_and_reads_the_reference_back(
    console: Console, agent: str, d2_line: str
) -> None:
    page = open_intake(console, agent, d2_line)
    expect(page.get_by_text(CONTACT)).to_be_visible()
    assert _violations(page) == []
    fill_intake(page)
    page.get_by_role("button", name="Save the enquiry").click()
    expect(page.get_by_role("heading", name="The enquiry is recorded")).to_be_focused()
    reference = page.locator("#d2-reference").inner_text()
    assert re.fullmatch(r"[0-9A-Z]{4} [0-9A-Z]{3}", reference)
    spelled = page.get_by_role("list").filter(has_text=" van ")  # the enquirer speaks Dutch
    expect(spelled).to_have_attribute("lang", "nl")
    assert spelled.get_by_role("listitem").count() == 7
    expect(page.get_by_text("Spelled in Dutch:")).to_be_visible()
    assert _violations(page) == []
    status, _, stored = http("GET", f"{console.stack.api_url}/activations/{d2_line}/enquiries", agent)
    assert status == 200
    [enquiry] = stored["enquiries"]
    assert enquiry["contact_id"] == CONTACT and enquiry["sought"]["birth_date"] == "1987-03-14"
    assert enquiry["enquirer"]["phone"] == "+32470998877" and enquiry["enquirer"]["callback_consent"] is True
    assert enquiry["reference"].replace("-", " ") == reference
    mine = page.get_by_role("table", name="Enquiries I recorded")
    expect(mine.get_by_role("row").filter(has_text=enquiry["reference"])).to_contain_text("Open")
    page.get_by_role("button", name="New enquiry").click()
    expect(page.get_by_label("Given names")).to_have_value("")


def test_a_refused_field_is_shown_next_to_it(console: Console, agent: str, d2_line: str) -> None:
    page = open_intake(console, agent, d2_line)
    page.get_by_role("button", name="Save the enquiry").click()
    expect(page.get_by_role("alert")).to_contain_text("Choose yes or no: may we call back?")
    fill_intake(page, born="1987-13")
    page.get_by_label("Phone number to call back").fill("0470 99 88 77")
    page.get_by_role("button", name="Save the enquiry").click()
    birth = page.locator("#d2-sought-birth-date-field")
    expect(birth.locator(".error-message")).not_to_be_empty()
    expect(page.get_by_label("Date of birth")).to_have_attribute("aria-invalid", "true")
    expect(page.locator("#d2-enquirer-phone-field .error-message")).not_to_be_empty()
    assert _violations(page) == []


def test_a_second_similar_enquiry_is_warned_of_while_typing(console: Console, agent: str, d2_line: str) -> None:
    api = console.stack.api_url
    first = record(api, agent, d2_line, "Marie", "Van den Broeck", "1987-03")
    other = issue(console, "d2_agent", "Sophie Dubois")
    record(api, other, d2_line, "Marie", "Vandenbroeck", "1987")
    page = open_intake(console, agent, d2_line)
    page.get_by_label("Given names").fill("Marie")
    page.get_by_label("Family name").fill("Van den Broek")
    warning = page.get_by_role("status").filter(has_text="similar enquiries already recorded")
    expect(warning).to_contain_text("2 similar enquiries already recorded")
    expect(warning).to_contain_text(first["reference"])  # the agent's own, not the other agent's
    assert _violations(page) == []


def test_an_agent_never_sees_another_agents_enquiry(console: Console, agent: str, d2_line: str) -> None:
    other = issue(console, "d2_agent", "Sophie Dubois")
    theirs = record(console.stack.api_url, other, d2_line, "Pieter", "Claes", "1950")
    page = open_intake(console, agent, d2_line)
    expect(page.get_by_text("You have not recorded any enquiry yet.")).to_be_visible()
    page.get_by_label("Reference", exact=True).fill(theirs["reference"].lower())
    page.get_by_role("button", name="Search").click()
    expect(page.get_by_text("No enquiry with this reference that you may see.")).to_be_visible()
    expect(page.get_by_text("Claes")).to_have_count(0)
    assert _violations(page) == []


def test_the_intake_works_with_the_keyboard_alone_and_typed_markup_stays_text(
    console: Console, agent: str, d2_line: str
) -> None:
    page = open_intake(console, agent, d2_line, contact=None)
    page.get_by_label("Given names").focus()
    steps = [
        ("Given names", "<b>Marie</b>"),
        ("Family name", "Peeters"),
        ("Date of birth", "1987"),
        ("Age", ""),
        ("Not known", ""),  # the sex: a group of radios, Not known chosen
        ("Place of residence", "Gent"),
        ("Nationality", "Belgian"),
        ("Description", "Red coat"),
        ("Last seen", "Station"),
        ("Name", "Jan Peeters"),
        ("Phone number to call back", "+32470998877"),
        ("Relationship to the person sought", "father"),
        ("Caller's language", ""),  # stays Dutch
        ("Yes", " "),  # a callback: the first radio of its group, chosen with the space bar
    ]
    for name, typed in steps:
        expect(page.get_by_label(name, exact=True)).to_be_focused()
        if typed:
            page.keyboard.type(typed)
        if name != "Yes":
            page.keyboard.press("Tab")
    expect(page.get_by_role("group", name="May we call back?").get_by_label("Yes")).to_be_checked()
    page.keyboard.press("Tab")
    expect(page.get_by_role("button", name="Save the enquiry")).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="The enquiry is recorded")).to_be_focused()
    row = page.get_by_role("table", name="Enquiries I recorded").get_by_role("row").nth(1)
    expect(row).to_contain_text("<b>Marie</b> Peeters")
    assert page.locator("#d2-mine b").count() == 0
