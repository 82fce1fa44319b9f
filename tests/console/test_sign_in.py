"""Signing in and out of the console, and its language."""

from __future__ import annotations

import re

from playwright.sync_api import expect

from tests.conftest import http
from tests.console.conftest import Authority, Console
from tests.reliability import log_watch


def _storage(page: object) -> dict[str, str]:
    return page.evaluate(  # type: ignore[attr-defined, no-any-return]
        "() => ({session: JSON.stringify(sessionStorage), local: JSON.stringify(localStorage), url: location.href})"
    )


def test_an_authority_signs_in_with_its_token_and_sees_its_name(console: Console, authority: Authority) -> None:
    page = console.open()
    console.sign_in(authority.token)
    expect(page.get_by_text(f"Signed in as {authority.name} (authority)")).to_be_visible()
    expect(page.get_by_role("heading", name="Open the crisis line")).to_be_visible()
    stored = _storage(page)
    assert authority.token in stored["session"]
    assert authority.token not in stored["local"] and authority.token not in stored["url"]


def test_a_wrong_token_is_refused_with_an_error_next_to_the_field(console: Console) -> None:
    page = console.open()
    console.sign_in("x" * 43)
    field = page.get_by_label("Token", exact=True)
    expect(field).to_have_attribute("aria-invalid", "true")
    expect(field).to_have_accessible_description(re.compile("This token was not accepted"))
    expect(page.locator("#token-error")).to_have_attribute("aria-live", "assertive")
    assert _storage(page)["session"] == "{}"
    expect(page.get_by_role("button", name="Sign out")).to_be_hidden()


def test_an_empty_token_is_asked_for_without_calling_the_api(console: Console) -> None:
    page = console.open()
    requests: list[str] = []
    page.on("request", lambda request: requests.append(request.url))
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_label("Token", exact=True)).to_have_accessible_description(re.compile("Enter your token"))
    assert not [url for url in requests if url.endswith("/me")]


def test_signing_out_forgets_the_token_which_was_never_in_a_url_or_local_storage(
    console: Console, authority: Authority
) -> None:
    page = console.open()
    urls: list[str] = []
    page.on("request", lambda request: urls.append(request.url))
    console.sign_in(authority.token)
    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
    stored = _storage(page)
    assert stored["session"] == "{}"
    assert authority.token not in stored["local"]
    assert not [url for url in urls if authority.token in url]
    page.reload()
    page.wait_for_selector("body[data-ready]")
    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()


def test_a_reload_keeps_the_person_signed_in_within_the_tab(console: Console, authority: Authority) -> None:
    page = console.open()
    console.sign_in(authority.token)
    expect(page.get_by_role("heading", name="Open the crisis line")).to_be_visible()
    page.reload()
    expect(page.get_by_role("heading", name="Open the crisis line")).to_be_visible()


def test_the_language_is_switched_remembered_and_set_on_the_page(console: Console, authority: Authority) -> None:
    page = console.open()
    assert page.evaluate("document.documentElement.lang") == "en"
    page.get_by_label("Language", exact=True).select_option("nl")
    expect(page.get_by_role("button", name="Aanmelden")).to_be_visible()
    assert page.evaluate("document.documentElement.lang") == "nl"
    page.get_by_label("Token", exact=True).fill(authority.token)
    page.get_by_role("button", name="Aanmelden").click()
    expect(page.get_by_role("heading", name="De crisislijn openen")).to_be_visible()
    page.get_by_label("Taal", exact=True).select_option("fr")
    expect(page.get_by_role("heading", name="Ouvrir la ligne de crise")).to_be_visible()
    expect(page.get_by_role("button", name="Se déconnecter")).to_be_visible()
    page.reload()
    page.wait_for_selector("body[data-ready]")
    assert page.evaluate("document.documentElement.lang") == "fr"
    assert page.evaluate("localStorage.getItem('crisisline.console.language')") == "fr"
    assert authority.token not in _storage(page)["local"]


def test_the_language_follows_the_browser_at_first(console: Console) -> None:
    context = console.page.context.browser.new_context(locale="de-BE")
    try:
        page = context.new_page()
        page.goto(console.url)
        page.wait_for_selector("body[data-ready]")
        assert page.evaluate("document.documentElement.lang") == "de"
        expect(page.get_by_role("button", name="Anmelden")).to_be_visible()
    finally:
        context.close()


def test_an_operator_signed_in_sees_who_they_are_and_where_to_paste_a_line(console: Console) -> None:
    status, _, issued = http(
        "POST",
        f"{console.stack.api_url}/credentials",
        console.stack.admin_token,
        {"role": "operator", "label": "Nacht"},
    )
    assert status == 201, issued
    log_watch.register_token(issued["token"])
    page = console.open()
    console.sign_in(issued["token"])
    expect(page.locator("#who")).to_contain_text("(operator)")
    expect(page.locator("#who")).to_contain_text("Nacht")
    expect(page.get_by_label("Activation id")).to_be_visible()


def test_the_console_loads_without_a_failed_request_or_a_script_error(console: Console) -> None:
    problems: list[str] = []
    console.page.on("console", lambda message: problems.append(message.text) if message.type == "error" else None)
    console.page.on("pageerror", lambda error: problems.append(str(error)))
    page = console.open()
    page.wait_for_load_state("networkidle")
    assert problems == []
