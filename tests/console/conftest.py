"""Browser tests of the web console: one headless chromium for the session (Debian's /usr/bin/chromium), a fresh
page per test on the session's local stack, and a newly enrolled authority per test so that no test sees another's
line."""

from __future__ import annotations

import itertools
import os
import shutil
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest

from tests.conftest import RunningStack, authority_body, http
from tests.reliability import log_watch

CHROMIUM = os.environ.get("CRISISLINE_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
_AUTHORITY_IDS = itertools.count(1)


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    if not os.path.exists(CHROMIUM):
        pytest.fail(f"chromium not found at {CHROMIUM}: sudo apt-get install chromium")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
            ],
        )
        yield browser
        browser.close()


@dataclass
class Console:
    """The console of the session's local stack, open in a fresh browser context."""

    page: Any
    url: str
    stack: RunningStack = field(repr=False)

    def open(self) -> Any:
        self.page.goto(self.url)
        self.page.wait_for_selector("body[data-ready]")
        return self.page

    def sign_in(self, token: str) -> Any:
        self.page.get_by_label("Token", exact=True).fill(token)
        self.page.get_by_role("button", name="Sign in").click()
        return self.page


@pytest.fixture
def console(browser: Any, local_stack: RunningStack) -> Iterator[Console]:
    context = browser.new_context(locale="en-GB", timezone_id="Europe/Brussels")
    context.set_default_timeout(5000)
    page = context.new_page()
    try:
        yield Console(page, f"{local_stack.api_url}/console/", local_stack)
    finally:
        context.close()


@dataclass
class Authority:
    id: str
    name: str
    token: str = field(repr=False)


@pytest.fixture
def authority(local_stack: RunningStack) -> Iterator[Authority]:
    """A municipality enrolled for this test (languages nl and en); its line, if still open, closed after it."""
    authority_id = f"9{next(_AUTHORITY_IDS):04d}"  # one stack per test process: unique on it
    name = f"Gemeente Proef {authority_id}"
    status, _, body = http(
        "POST", f"{local_stack.api_url}/authorities", local_stack.admin_token, authority_body(authority_id, name)
    )
    assert status == 201, body
    log_watch.register_token(body["token"])  # the stack's logs are checked for it at the end of the session
    enrolled = Authority(authority_id, name, body["token"])
    yield enrolled
    _, _, lines = http("GET", f"{local_stack.api_url}/activations?status=live", enrolled.token)
    for line in lines.get("activations", []):
        http("POST", f"{local_stack.api_url}/activations/{line['id']}/close", enrolled.token)
