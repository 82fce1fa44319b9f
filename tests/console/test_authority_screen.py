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


def test_a_template_fills_each_chosen_languages_message_and_asks_before_replacing_typed_text(
    console: Console, authority: Authority
) -> None:
    page = _signed_in(console, authority)
    _, _, body = http("GET", f"{console.stack.api_url}/incident-templates", authority.token)
    flood = next(one for one in body["templates"] if one["id"] == "flood")
    page.get_by_label("Start from a template").select_option(label=flood["title"]["en"])
    expect(page.get_by_label("Message in Dutch")).to_have_value(flood["message"]["nl"])
    expect(page.get_by_label("Message in English")).to_have_value(flood["message"]["en"])
    page.get_by_label("Message in English").fill("My own words.")
    asked: list[str] = []
    page.once("dialog", lambda dialog: (asked.append(dialog.message), dialog.dismiss()))
    page.get_by_label("Start from a template").select_option("explosion")
    expect(page.get_by_label("Message in English")).to_have_value("My own words.")
    assert asked and "replaces the messages you typed" in asked[0]
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_label("Start from a template").select_option("explosion")
    explosion = next(one for one in body["templates"] if one["id"] == "explosion")
    expect(page.get_by_label("Message in English")).to_have_value(explosion["message"]["en"])


def test_the_preview_lists_what_a_caller_hears_in_order_per_language_before_and_after_opening(
    console: Console, authority: Authority
) -> None:
    page = _signed_in(console, authority)
    page.get_by_label("Message in Dutch").fill("Blijf binnen.")
    page.get_by_label("Message in English").fill("Stay inside.")
    page.get_by_role("button", name="Preview").click()
    english = page.get_by_role("heading", name="A caller who chooses English")
    expect(english).to_be_visible()
    _, _, heard = http(
        "POST",
        f"{console.stack.api_url}/preview",
        authority.token,
        {"languages": ["nl", "en"], "message": {"nl": "Blijf binnen.", "en": "Stay inside."}},
    )
    items = page.locator("#open-preview ol").nth(1).get_by_role("listitem")
    expect(items).to_have_text([part["text"] for part in heard["languages"]["en"]])
    expect(items.nth(0)).to_have_attribute("lang", "nl")
    _fill_and_open(page, message_en="Stay inside; close windows and doors.")
    page.get_by_label("Message in English").fill("The smoke is clearing.")
    page.get_by_role("button", name="Preview").click()
    expect(page.locator("#live-preview ol").nth(1).get_by_role("listitem")).to_contain_text(["The smoke is clearing."])


def test_a_preview_of_an_incomplete_form_says_what_is_missing(console: Console, authority: Authority) -> None:
    page = _signed_in(console, authority)
    page.get_by_role("button", name="Preview").click()
    expect(page.get_by_role("button", name="Preview")).to_have_accessible_description(
        re.compile("fill in the message in each")
    )


def test_an_authority_writes_the_operators_questions_and_answers(console: Console, authority: Authority) -> None:
    page = _signed_in(console, authority)
    _fill_and_open(page)
    page.get_by_role("button", name="Add a question in English").click()
    expect(page.get_by_label("Question 1 (English)")).to_be_focused()
    page.get_by_label("Question 1 (English)").fill("Can I pick up my children from school?")
    page.get_by_label("Answer 1 (English)").fill("Yes: the schools keep the children inside until 16:00.")
    page.get_by_role("button", name="Add a question in Dutch").click()
    page.get_by_label("Question 1 (Dutch)").fill("Mag ik naar buiten?")
    page.get_by_label("Answer 1 (Dutch)").fill("Nee, blijf binnen.")
    page.get_by_role("button", name="Add a question in Dutch").click()
    page.get_by_role("button", name="Remove question 2 (Dutch)").click()
    page.get_by_role("button", name="Save questions and answers").click()
    expect(page.get_by_role("status").filter(has_text="The questions and answers have been saved")).to_be_visible()
    [line] = _live(console, authority)
    _, _, sheet = http("GET", f"{console.stack.api_url}/activations/{line['id']}/briefing", authority.token)
    assert sheet["items"] == {
        "nl": [{"question": "Mag ik naar buiten?", "answer": "Nee, blijf binnen."}],
        "en": [
            {
                "question": "Can I pick up my children from school?",
                "answer": "Yes: the schools keep the children inside until 16:00.",
            }
        ],
    }


def test_an_empty_answer_is_shown_next_to_its_field_and_nothing_is_saved(
    console: Console, authority: Authority
) -> None:
    page = _signed_in(console, authority)
    _fill_and_open(page)
    page.get_by_role("button", name="Add a question in English").click()
    page.get_by_label("Question 1 (English)").fill("Is the water safe?")
    page.get_by_role("button", name="Save questions and answers").click()
    expect(page.get_by_label("Answer 1 (English)")).to_have_accessible_description(
        re.compile("Enter the answer to question 1")
    )
    [line] = _live(console, authority)
    _, _, sheet = http("GET", f"{console.stack.api_url}/activations/{line['id']}/briefing", authority.token)
    assert sheet["revision"] == 0


def test_questions_changed_meanwhile_by_someone_else_are_reported_and_reloaded(
    console: Console, authority: Authority
) -> None:
    page = _signed_in(console, authority)
    _fill_and_open(page)
    expect(page.get_by_role("button", name="Save questions and answers")).to_be_visible()
    [line] = _live(console, authority)
    theirs = {"items": {"en": [{"question": "Theirs?", "answer": "Saved first."}]}}
    status, _, _ = http("PUT", f"{console.stack.api_url}/activations/{line['id']}/briefing", authority.token, theirs)
    assert status == 200
    page.get_by_role("button", name="Add a question in English").click()
    page.get_by_label("Question 1 (English)").fill("Mine?")
    page.get_by_label("Answer 1 (English)").fill("Decided on the old sheet.")
    page.get_by_role("button", name="Save questions and answers").click()
    expect(page.get_by_role("status").filter(has_text="Someone else changed the questions")).to_be_visible()
    expect(page.get_by_label("Question 1 (English)")).to_have_value("Theirs?")


def test_the_template_preview_and_questions_states_have_no_accessibility_violations(
    console: Console, authority: Authority
) -> None:
    from tests.console.test_accessibility import _violations

    page = _signed_in(console, authority)
    page.get_by_label("Start from a template").select_option("flood")
    page.get_by_role("button", name="Preview").click()
    expect(page.get_by_role("heading", name="A caller who chooses Dutch")).to_be_visible()
    assert _violations(page) == []
    page.get_by_label("Reason").fill("Flooding")
    page.get_by_role("button", name="Open the line").click()
    expect(page.get_by_role("heading", name="Your crisis line is open")).to_be_visible()
    page.get_by_role("button", name="Preview").click()
    expect(page.get_by_role("heading", name="A caller who chooses English")).to_be_visible()
    page.get_by_role("button", name="Add a question in English").click()
    page.get_by_role("button", name="Save questions and answers").click()
    expect(page.get_by_label("Question 1 (English)")).to_have_attribute("aria-invalid", "true")
    assert _violations(page) == []


def test_the_public_page_follows_what_the_authority_does_in_the_console(console: Console, authority: Authority) -> None:
    page = _signed_in(console, authority)
    public = page.context.new_page()
    status_url = f"{console.stack.api_url}/status/{authority.id}"
    _fill_and_open(page)
    public.goto(status_url)
    expect(public.locator("body")).to_contain_text("Stay inside; close windows and doors.")
    page.get_by_label("Message in English").fill("The smoke is clearing; stay inside until 18:00.")
    page.get_by_role("button", name="Save changes").click()
    expect(page.get_by_role("status").filter(has_text="Your changes have been saved")).to_be_visible()
    public.reload()  # as a reader would: a browser keeps the page up to 30 s
    expect(public.locator("body")).to_contain_text("The smoke is clearing; stay inside until 18:00.")
    expect(public.locator("body")).not_to_contain_text("close windows and doors")
    page.get_by_role("button", name="Close the line").click()
    page.get_by_role("dialog").get_by_role("button", name=re.compile("^Yes, close")).click()
    expect(page.get_by_role("heading", name="Open the crisis line")).to_be_visible()
    public.reload()  # as a reader would: a browser keeps the page up to 30 s
    expect(public.locator("body")).to_contain_text("No crisis line is open.")
    expect(public.locator("body")).not_to_contain_text("The smoke is clearing")
