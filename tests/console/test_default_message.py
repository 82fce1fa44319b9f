"""An authority keeps its default message in the console, finds it again after a reload, and opens its line with
it; the screen has no accessibility violation in any of these states."""

from __future__ import annotations

import re
from typing import Any

from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import expect

from tests.conftest import http
from tests.console.conftest import Authority, Console

WCAG_AA = {"runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"]}}
NL = "Blijf binnen en sluit ramen en deuren."
FR = "Restez à l'intérieur; fermez portes et fenêtres."


def _violations(page: Any) -> list[str]:
    results = Axe().run(page, options=WCAG_AA)
    return [f"{v['id']}: {[n['target'] for n in v['nodes']]}" for v in results.response["violations"]]


def _signed_in(console: Console, authority: Authority) -> Any:
    page = console.open()
    console.sign_in(authority.token)
    expect(page.get_by_role("heading", name="Open the crisis line")).to_be_visible()
    return page


def test_an_authority_saves_its_default_message_and_finds_it_after_a_reload(
    console: Console, authority: Authority
) -> None:
    page = _signed_in(console, authority)
    expect(page.get_by_role("heading", name="Default message")).to_be_visible()
    expect(page.get_by_role("button", name="Use the default message")).to_be_hidden()
    assert _violations(page) == []

    page.get_by_label("Dutch text of the default message").fill(NL)
    page.get_by_label("French text of the default message").fill(FR)
    page.get_by_role("button", name="Save the default message").click()

    expect(page.get_by_text("The default message has been saved.")).to_be_visible()
    expect(page.get_by_role("button", name="Use the default message")).to_be_visible()
    assert _violations(page) == []
    _, _, stored = http("GET", f"{console.stack.api_url}/authorities/{authority.id}/default-message", authority.token)
    assert stored["message"] == {"nl": NL, "fr": FR}

    page.reload()
    page.wait_for_selector("body[data-ready]")
    expect(page.get_by_label("Dutch text of the default message")).to_have_value(NL)
    expect(page.get_by_label("French text of the default message")).to_have_value(FR)
    expect(page.get_by_label("English text of the default message")).to_have_value("")


def test_an_empty_default_message_is_refused_next_to_its_field(console: Console, authority: Authority) -> None:
    page = _signed_in(console, authority)
    page.get_by_role("button", name="Save the default message").click()

    dutch = page.get_by_label("Dutch text of the default message")
    expect(dutch).to_have_accessible_description(re.compile("Enter the default message in at least one language"))
    expect(dutch).to_have_attribute("aria-invalid", "true")
    expect(dutch).to_be_focused()
    assert _violations(page) == []


def test_an_authority_opens_its_line_with_the_default_message(console: Console, authority: Authority) -> None:
    http(
        "PUT",
        f"{console.stack.api_url}/authorities/{authority.id}/default-message",
        authority.token,
        {"message": {"nl": NL, "fr": FR}},
    )
    page = _signed_in(console, authority)
    page.get_by_label("Reason").fill("Chemical fire at the port")

    page.get_by_role("button", name="Use the default message").click()

    expect(page.get_by_role("checkbox", name="French")).to_be_checked()
    expect(page.get_by_role("checkbox", name="English")).not_to_be_checked()
    expect(page.get_by_label("Message in Dutch")).to_have_value(NL)
    expect(page.get_by_label("Message in French")).to_have_value(FR)
    expect(page.get_by_label("Message in English")).to_be_hidden()
    page.get_by_role("button", name="Open the line").click()
    expect(page.get_by_role("heading", name="Your crisis line is open")).to_be_visible()
    _, _, lines = http("GET", f"{console.stack.api_url}/activations?status=live", authority.token)
    [line] = lines["activations"]
    assert line["languages"] == ["nl", "fr"] and line["message"] == {"nl": NL, "fr": FR}
    assert _violations(page) == []
