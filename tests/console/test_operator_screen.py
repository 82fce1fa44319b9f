"""An operator reads a live line's briefing in the console, opened from the call with the activation id in the
address; what the authority changes shows within seconds, marked and announced; a closed line says so."""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.conftest import activation_body, http
from tests.console.conftest import Authority, Console
from tests.console.test_finance_screen import _violations

HOSTILE = "<img src=x onerror=alert(1)><b>bold</b>"


@pytest.fixture
def operator_token(console: Console) -> str:
    from tests.reliability import log_watch

    status, _, body = http(
        "POST",
        f"{console.stack.api_url}/credentials",
        console.stack.admin_token,
        {"role": "operator", "label": "Agent"},
    )
    assert status == 201, body
    log_watch.register_token(body["token"])
    return str(body["token"])


@pytest.fixture
def line(console: Console, authority: Authority) -> dict[str, Any]:
    api = console.stack.api_url
    status, _, opened = http("POST", f"{api}/activations", authority.token, activation_body())
    assert status == 201, opened
    items = {"nl": [{"question": "Moet ik binnen blijven?", "answer": "Ja, tot het sein veilig."}], "en": []}
    status, _, sheet = http("PUT", f"{api}/activations/{opened['id']}/briefing", authority.token, {"items": items})
    assert status == 200, sheet
    return opened  # type: ignore[no-any-return]


def _briefing(console: Console, token: str, activation_id: str) -> Any:
    page = console.page
    page.goto(f"{console.url}?activationId={activation_id}")
    page.wait_for_selector("body[data-ready]")
    console.sign_in(token)
    expect(page.get_by_role("heading", name="Briefing for operators")).to_be_visible()
    expect(page.get_by_role("heading", name="What callers hear").or_(page.locator("#operator-ended"))).to_be_visible()
    return page


def test_an_operator_opens_the_briefing_from_the_address_and_reads_the_line(
    console: Console, operator_token: str, line: dict[str, Any]
) -> None:
    page = _briefing(console, operator_token, line["id"])
    expect(page.locator(".briefing-number")).to_have_text(line["number"])
    expect(page.get_by_role("definition").filter(has_text="Chemical fire at the port")).to_be_visible()
    dutch = page.get_by_text("Blijf binnen en sluit ramen en deuren.")
    expect(dutch).to_have_attribute("lang", "nl")
    expect(page.get_by_text("Stay inside; close windows and doors.")).to_have_attribute("lang", "en")
    expect(page.get_by_role("heading", name="Questions and answers in Dutch")).to_be_visible()
    expect(page.get_by_role("term").filter(has_text="Moet ik binnen blijven?")).to_be_visible()
    expect(page.get_by_text("No questions and answers yet.")).to_be_visible()  # English has none
    assert "activationId" in page.url and operator_token not in page.url
    # Read again every 3 s with the last ETag: while nothing changed, a 304 without a body.
    with page.expect_response(lambda answer: answer.url.endswith("/briefing"), timeout=5000) as polled:
        pass
    assert polled.value.status == 304 and polled.value.request.headers.get("if-none-match")
    assert _violations(page) == []


def test_a_change_by_the_authority_shows_within_seconds_marked_and_announced_as_text(
    console: Console, authority: Authority, operator_token: str, line: dict[str, Any]
) -> None:
    page = _briefing(console, operator_token, line["id"])
    api = console.stack.api_url
    status, _, _ = http(
        "PATCH",
        f"{api}/activations/{line['id']}",
        authority.token,
        {"message": {"nl": HOSTILE, "en": "Stay inside; close windows and doors."}},
    )
    assert status == 200
    items = {"nl": [{"question": "Waar is het verzamelpunt?", "answer": HOSTILE}], "en": []}
    assert http("PUT", f"{api}/activations/{line['id']}/briefing", authority.token, {"items": items})[0] == 200

    message = page.get_by_text(HOSTILE, exact=True).first
    expect(message).to_be_visible(timeout=8000)  # polled every 3 s
    expect(page.locator("[lang=nl].briefing-message")).to_have_text(HOSTILE)
    expect(page.get_by_role("term").filter(has_text="Waar is het verzamelpunt?")).to_be_visible(timeout=8000)
    assert page.locator("img").count() == 0 and page.locator("b").count() == 0
    changed = page.locator(".changed").filter(has=page.get_by_text("Changed", exact=True))
    expect(changed.filter(has=page.get_by_role("heading", name=re.compile("Message in Dutch")))).to_be_visible()
    expect(
        page.get_by_role("status").filter(has_text=re.compile(r"Changed: .*(message \(nl\)|questions)"))
    ).to_be_attached()
    expect(changed.filter(has=page.get_by_role("heading", name=re.compile("Message in English")))).to_have_count(0)
    assert _violations(page) == []


def test_a_closed_line_says_so_plainly(
    console: Console, authority: Authority, operator_token: str, line: dict[str, Any]
) -> None:
    page = _briefing(console, operator_token, line["id"])
    assert http("POST", f"{console.stack.api_url}/activations/{line['id']}/close", authority.token)[0] == 200
    expect(page.get_by_text("This line has closed. Callers hear that it is not active.")).to_be_visible(timeout=8000)
    expect(page.get_by_text("Blijf binnen en sluit ramen en deuren.")).to_have_count(0)
    assert _violations(page) == []


def test_without_an_id_the_operator_pastes_one(console: Console, operator_token: str, line: dict[str, Any]) -> None:
    page = console.open()
    console.sign_in(operator_token)
    field = page.get_by_label("Activation id")
    page.get_by_role("button", name="Show the briefing").click()
    expect(field).to_have_accessible_description(re.compile("Enter the activation id"))
    assert _violations(page) == []
    field.fill(f"  {line['id']} ")
    page.get_by_role("button", name="Show the briefing").click()
    expect(page.locator(".briefing-number")).to_have_text(line["number"])
    assert page.url.endswith(f"?activationId={line['id']}")


def test_an_unknown_id_in_the_address_says_the_line_is_not_open(console: Console, operator_token: str) -> None:
    page = _briefing(console, operator_token, "00000000-0000-4000-8000-000000000000")
    expect(page.get_by_text("This line is not open: it has closed, or the activation id is wrong.")).to_be_visible()
