"""axe-core finds no WCAG 2.1 AA violation on the console's sign-in and authority screens."""

from __future__ import annotations

from typing import Any

from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import expect

from tests.console.conftest import Authority, Console

WCAG_AA = {"runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"]}}


def _violations(page: Any) -> list[str]:
    results = Axe().run(page, options=WCAG_AA)
    return [f"{v['id']}: {[n['target'] for n in v['nodes']]}" for v in results.response["violations"]]


def test_the_sign_in_screen_has_no_violations_even_with_an_error(console: Console) -> None:
    page = console.open()
    assert _violations(page) == []
    console.sign_in("not-a-token")
    expect(page.get_by_label("Token", exact=True)).to_have_attribute("aria-invalid", "true")
    assert _violations(page) == []


def test_the_authority_screens_have_no_violations(console: Console, authority: Authority) -> None:
    page = console.open()
    console.sign_in(authority.token)
    expect(page.get_by_role("heading", name="Open the crisis line")).to_be_visible()
    assert _violations(page) == []
    page.get_by_role("button", name="Open the line").click()
    expect(page.get_by_text("There is a problem")).to_be_visible()
    assert _violations(page) == []
    page.get_by_label("Reason").fill("Storm damage")
    page.get_by_label("Message in Dutch").fill("Blijf binnen.")
    page.get_by_label("Message in English").fill("Stay inside.")
    page.get_by_role("button", name="Open the line").click()
    expect(page.get_by_role("heading", name="Your crisis line is open")).to_be_visible()
    assert _violations(page) == []
    page.get_by_role("button", name="Close the line").click()
    expect(page.get_by_role("dialog")).to_be_visible()
    assert _violations(page) == []


def test_the_focus_is_visible_on_every_control(console: Console) -> None:
    page = console.open()
    page.keyboard.press("Tab")
    page.keyboard.press("Tab")
    outline = page.evaluate("getComputedStyle(document.activeElement).outlineStyle")
    assert page.evaluate("document.activeElement.id") == "language"
    assert outline == "solid"
