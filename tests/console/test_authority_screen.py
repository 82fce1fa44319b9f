"""An authority opens its crisis line in the console, changes it, and closes it."""

from __future__ import annotations

import re
from typing import Any

from playwright.sync_api import expect

from tests.conftest import http
from tests.console.conftest import Authority, Console

HOSTILE = "<img src=x onerror=alert(1)><b>bold</b>"


def _signed_in(console: Console, authority: Authority) -> Any:
    page = console.open()
    console.sign_in(authority.token)
    expect(page.get_by_role("heading", name="Open the crisis line")).to_be_visible()
    return page


def _fill_and_open(page: Any, message_en: str = "Stay inside; close windows and doors.") -> None:
    page.get_by_label("Reason").fill("Chemical fire at the port")
    page.get_by_label("Message in Dutch").fill("Blijf binnen en sluit ramen en deuren.")
    page.get_by_label("Message in English").fill(message_en)
    page.get_by_label("Operators", exact=True).fill("5")
    page.get_by_role("button", name="Open the line").click()
    expect(page.get_by_role("heading", name="Your crisis line is open")).to_be_visible()


def _live(console: Console, authority: Authority) -> list[dict[str, Any]]:
    _, _, body = http("GET", f"{console.stack.api_url}/activations?status=live", authority.token)
    return body["activations"]  # type: ignore[no-any-return]


def test_the_form_starts_from_the_authoritys_languages_and_shows_the_capacity(
    console: Console, authority: Authority
) -> None:
    page = _signed_in(console, authority)
    expect(page.get_by_role("checkbox", name="Dutch")).to_be_checked()
    expect(page.get_by_role("checkbox", name="English")).to_be_checked()
    expect(page.get_by_role("checkbox", name="French")).not_to_be_checked()
    expect(page.get_by_label("Message in French")).to_be_hidden()
    page.get_by_role("checkbox", name="French").check()
    expect(page.get_by_label("Message in French")).to_be_visible()
    page.get_by_label("Operators", exact=True).fill("4")
    expect(page.get_by_text("With 4 operators the line can answer about 48 calls an hour.")).to_be_visible()
    page.get_by_label("Operators", exact=True).fill("10")
    expect(page.get_by_text("With 10 operators the line can answer about 120 calls an hour.")).to_be_visible()


def test_a_form_with_missing_answers_shows_each_error_next_to_its_field(console: Console, authority: Authority) -> None:
    page = _signed_in(console, authority)
    page.get_by_role("button", name="Open the line").click()
    expect(page.get_by_role("alert").filter(has_text="There is a problem")).to_be_visible()
    expect(page.get_by_label("Reason")).to_have_accessible_description(re.compile("Enter the reason"))
    expect(page.get_by_label("Message in Dutch")).to_have_accessible_description(
        re.compile("Enter the message in Dutch")
    )
    page.get_by_role("link", name="Enter the reason for opening the line.").click()
    expect(page.get_by_label("Reason")).to_be_focused()
    assert _live(console, authority) == []


def test_an_authority_opens_its_line_and_sees_the_number_to_copy(console: Console, authority: Authority) -> None:
    page = _signed_in(console, authority)
    _fill_and_open(page)
    [line] = _live(console, authority)
    expect(page.locator("#live-number")).to_have_text(line["number"])
    expect(page.get_by_role("button", name="Copy the number")).to_be_visible()
    expect(page.get_by_role("term").filter(has_text="Open since")).to_be_visible()
    expect(page.get_by_role("list").filter(has_text="Opened")).to_be_visible()
    assert line["operators"] == 5 and line["languages"] == ["nl", "en"]


def test_a_double_click_on_open_the_line_opens_one_line(console: Console, authority: Authority) -> None:
    page = _signed_in(console, authority)
    keys: list[str] = []
    page.on(
        "request",
        lambda request: (
            keys.append(request.headers.get("idempotency-key", ""))
            if request.method == "POST" and request.url.endswith("/activations")
            else None
        ),
    )
    page.get_by_label("Reason").fill("Flooding")
    page.get_by_label("Message in Dutch").fill("Blijf weg van de Schelde.")
    page.get_by_label("Message in English").fill("Keep away from the river.")
    page.get_by_role("button", name="Open the line").dblclick()
    expect(page.get_by_role("heading", name="Your crisis line is open")).to_be_visible()
    assert keys and len(set(keys)) == 1 and keys[0]
    assert len(_live(console, authority)) == 1


def test_a_hostile_message_is_shown_as_text(console: Console, authority: Authority) -> None:
    page = _signed_in(console, authority)
    alerts: list[str] = []
    page.on("dialog", lambda dialog: (alerts.append(dialog.message), dialog.dismiss()))
    page.get_by_label("Reason").fill(HOSTILE)
    page.get_by_label("Message in Dutch").fill(HOSTILE)
    page.get_by_label("Message in English").fill("Stay inside.")
    page.get_by_role("button", name="Open the line").click()
    expect(page.get_by_role("heading", name="Your crisis line is open")).to_be_visible()
    expect(page.get_by_label("Message in Dutch")).to_have_value(HOSTILE)
    expect(page.get_by_text(HOSTILE, exact=True).first).to_be_visible()
    assert page.locator("main img").count() == 0 and page.locator("main b").count() == 0
    assert alerts == []


def test_an_authority_changes_its_message_and_operators(console: Console, authority: Authority) -> None:
    page = _signed_in(console, authority)
    _fill_and_open(page)
    page.get_by_label("Message in English").fill("The smoke is clearing; stay inside until 18:00.")
    page.get_by_label("Operators", exact=True).fill("8")
    expect(page.get_by_text("With 8 operators the line can answer about 96 calls an hour.")).to_be_visible()
    page.get_by_role("button", name="Save changes").click()
    expect(page.get_by_role("status").filter(has_text="Your changes have been saved")).to_be_visible()
    [line] = _live(console, authority)
    assert line["message"]["en"] == "The smoke is clearing; stay inside until 18:00." and line["operators"] == 8
    changes = page.get_by_role("listitem").filter(has_text="Changed by your organisation")
    expect(changes).to_contain_text("Operators: 5 → 8")
    expect(changes).to_contain_text(
        "Message: English: Stay inside; close windows and doors. → "
        "English: The smoke is clearing; stay inside until 18:00."
    )
    expect(changes).not_to_contain_text("Dutch")


def test_saving_without_a_change_changes_nothing(console: Console, authority: Authority) -> None:
    page = _signed_in(console, authority)
    _fill_and_open(page)
    page.get_by_role("button", name="Save changes").click()
    expect(page.get_by_role("status").filter(has_text="Nothing has changed")).to_be_visible()
    _, _, trail = http(
        "GET", f"{console.stack.api_url}/activations/{_live(console, authority)[0]['id']}/audit", authority.token
    )
    assert [entry["action"] for entry in trail["entries"]] == ["open"]


def test_a_change_made_meanwhile_by_someone_else_is_reported_and_reloaded(
    console: Console, authority: Authority
) -> None:
    page = _signed_in(console, authority)
    _fill_and_open(page)
    [line] = _live(console, authority)
    status, _, _ = http("PATCH", f"{console.stack.api_url}/activations/{line['id']}", authority.token, {"operators": 7})
    assert status == 200
    page.get_by_label("Message in English").fill("Mine, decided on the old line.")
    page.get_by_role("button", name="Save changes").click()
    expect(page.get_by_role("status").filter(has_text="Someone else changed this line")).to_be_visible()
    expect(page.get_by_label("Operators", exact=True)).to_have_value("7")
    expect(page.get_by_label("Message in English")).to_have_value("Stay inside; close windows and doors.")
    assert _live(console, authority)[0]["message"]["en"] == "Stay inside; close windows and doors."


def test_closing_asks_for_confirmation_naming_the_number(console: Console, authority: Authority) -> None:
    page = _signed_in(console, authority)
    _fill_and_open(page)
    [line] = _live(console, authority)
    page.get_by_role("button", name="Close the line").click()
    dialog = page.get_by_role("dialog")
    expect(dialog).to_contain_text(f"Close the line on {line['number']}?")
    dialog.get_by_role("button", name="No, keep the line open").click()
    expect(dialog).to_be_hidden()
    assert len(_live(console, authority)) == 1
    page.get_by_role("button", name="Close the line").click()
    dialog.get_by_role("button", name=f"Yes, close {line['number']}").click()
    expect(page.get_by_role("status")).to_have_text(f"The line on {line['number']} is closed.")
    expect(page.get_by_role("heading", name="Open the crisis line")).to_be_visible()
    assert _live(console, authority) == []


def test_the_live_line_works_by_keyboard_alone(console: Console, authority: Authority) -> None:
    page = _signed_in(console, authority)
    _fill_and_open(page)
    page.get_by_role("button", name="Close the line").focus()
    page.keyboard.press("Enter")
    expect(page.get_by_role("dialog")).to_be_visible()
    expect(page.get_by_role("button", name="No, keep the line open")).to_be_focused()
    page.keyboard.press("Escape")
    expect(page.get_by_role("dialog")).to_be_hidden()
    assert len(_live(console, authority)) == 1
