"""The crisis centre keeps an authority's activators (the people its agreement names as allowed to open its
line); an activator signed in with their own token changes their PIN for the phone."""

from __future__ import annotations

from typing import Any

from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import expect

from tests.conftest import http
from tests.console.conftest import Authority, Console
from tests.console.test_accessibility import WCAG_AA
from tests.reliability import log_watch

MAYOR = {"name": "Mathias De Clercq", "function": "burgemeester", "phone": "+32475123456", "language": "nl"}


def _violations(page: Any) -> list[str]:
    results = Axe().run(page, options=WCAG_AA)
    return [f"{v['id']}: {[n['target'] for n in v['nodes']]}" for v in results.response["violations"]]


def test_an_admin_adds_an_activator_issues_their_token_once_and_sets_their_pin(
    console: Console, authority: Authority
) -> None:
    page = console.open()
    console.sign_in(console.stack.admin_token)
    expect(page.get_by_role("heading", name="Activators", exact=True)).to_be_visible()
    page.get_by_role("combobox", name="Authority", exact=True).select_option(authority.id)
    expect(page.get_by_text("This authority has no activators yet.")).to_be_visible()

    form = page.get_by_role("form", name="Add an activator")
    form.get_by_label("Name", exact=True).fill(MAYOR["name"])
    form.get_by_label("Function", exact=True).fill(MAYOR["function"])
    form.get_by_label("Phone number", exact=True).fill("0475 12 34 56")
    form.get_by_label("Language", exact=True).select_option("nl")
    form.get_by_role("button", name="Add the activator").click()
    expect(form.locator("#activator-phone-error")).to_contain_text(
        "international form"
    )  # the API's refusal, next to the field
    assert _violations(page) == []
    form.get_by_label("Phone number", exact=True).fill(MAYOR["phone"])
    form.get_by_role("button", name="Add the activator").click()

    table = page.get_by_role("table", name="Activators of the authority")
    row = table.get_by_role("row").filter(has=page.get_by_role("rowheader", name=MAYOR["name"], exact=True))
    expect(row).to_contain_text("+32475123456")
    expect(row).to_contain_text("No PIN yet")
    assert _violations(page) == []

    row.get_by_role("button", name=f"Issue a token for {MAYOR['name']}").click()
    box = page.get_by_role("region", name=f"Token for {MAYOR['name']}")
    expect(box.get_by_text("Shown once")).to_be_visible()
    token = box.get_by_label("Token", exact=True).input_value()
    log_watch.register_token(token)
    assert http("GET", f"{console.stack.api_url}/me", token)[2]["label"] == MAYOR["name"]

    row.get_by_role("button", name=f"Set the PIN of {MAYOR['name']}").click()
    pin_form = page.get_by_role("form", name=f"PIN for the phone of {MAYOR['name']}")
    pin_form.get_by_label("New PIN", exact=True).fill("123456")
    pin_form.get_by_role("button", name=f"Set the PIN of {MAYOR['name']}").click()
    expect(pin_form.get_by_text("too easy to guess")).to_be_visible()
    assert _violations(page) == []
    pin_form.get_by_label("New PIN", exact=True).fill("482915")
    pin_form.get_by_role("button", name=f"Set the PIN of {MAYOR['name']}").click()
    expect(page.get_by_text(f"The PIN of {MAYOR['name']} is set.")).to_be_visible()
    expect(row).to_contain_text("PIN set")
    assert "482915" not in page.content()


def test_an_activator_changes_their_own_pin_with_the_current_one(console: Console, authority: Authority) -> None:
    api, admin = console.stack.api_url, console.stack.admin_token
    status, _, added = http("POST", f"{api}/authorities/{authority.id}/activators", admin, MAYOR)
    assert status == 201, added
    base = f"{api}/authorities/{authority.id}/activators/{added['id']}"
    assert http("PUT", f"{base}/pin", admin, {"pin": "482915"})[0] == 200
    token = http("POST", f"{base}/token", admin)[2]["token"]
    log_watch.register_token(token)

    page = console.open()
    console.sign_in(token)
    section = page.get_by_role("region", name="Your PIN for the phone")
    expect(section).to_be_visible()
    section.get_by_label("Current PIN", exact=True).fill("999111")
    section.get_by_label("New PIN", exact=True).fill("736251")
    section.get_by_label("New PIN again", exact=True).fill("736251")
    section.get_by_role("button", name="Change my PIN").click()
    expect(section.get_by_text("The current PIN is not right. 2 tries left")).to_be_visible()
    assert _violations(page) == []

    section.get_by_label("Current PIN", exact=True).fill("482915")
    section.get_by_label("New PIN", exact=True).fill("736251")
    section.get_by_label("New PIN again", exact=True).fill("736251")
    section.get_by_role("button", name="Change my PIN").click()
    expect(section.get_by_text("Your PIN is changed.")).to_be_visible()
    assert _violations(page) == []
    assert http("PUT", f"{api}/me/pin", token, {"current_pin": "736251", "new_pin": "592746"})[0] == 200
