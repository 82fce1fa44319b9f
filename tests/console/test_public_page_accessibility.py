"""A citizen reads an authority's public page, /status/{authority_id}, as the local stack serves it: axe-core finds
no WCAG 2.1 AA violation on it, with a live line in three languages and with no line open."""

from __future__ import annotations

import itertools

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import expect

from tests.conftest import RunningStack, activation_body, authority_body, http
from tests.console.conftest import Console
from tests.console.test_accessibility import WCAG_AA

_IDS = itertools.count(1)
MESSAGES = {
    "nl": "Blijf binnen en sluit ramen en deuren.",
    "fr": "Restez à l'intérieur; fermez portes et fenêtres.",
    "en": "Stay inside; close windows and doors.",
}


def _violations(console: Console) -> list[str]:
    results = Axe().run(console.page, options=WCAG_AA)
    return [f"{v['id']}: {[n['target'] for n in v['nodes']]}" for v in results.response["violations"]]


@pytest.fixture
def trilingual(local_stack: RunningStack) -> tuple[str, str]:
    """A municipality enrolled in Dutch, French and English: (its id, its token)."""
    from tests.reliability import log_watch

    authority_id = f"8{next(_IDS):04d}"
    body = authority_body(authority_id, f"Commune Essai {authority_id}", languages=["nl", "fr", "en"])
    status, _, enrolled = http("POST", f"{local_stack.api_url}/authorities", local_stack.admin_token, body)
    assert status == 201, enrolled
    log_watch.register_token(enrolled["token"])
    return authority_id, str(enrolled["token"])


def test_the_public_page_of_a_live_line_in_three_languages_has_no_violations(
    console: Console, trilingual: tuple[str, str]
) -> None:
    authority_id, token = trilingual
    api = console.stack.api_url
    line = activation_body(languages=["nl", "fr", "en"], message=MESSAGES)
    status, _, opened = http("POST", f"{api}/activations", token, line)
    assert status == 201, opened
    try:
        console.page.goto(f"{api}/status/{authority_id}")
        expect(console.page.get_by_role("link", name=opened["number"])).to_be_visible()
        expect(console.page.get_by_text(MESSAGES["fr"])).to_be_visible()
        assert _violations(console) == []
    finally:
        http("POST", f"{api}/activations/{opened['id']}/close", token)


def test_the_public_page_with_no_line_open_has_no_violations(console: Console, trilingual: tuple[str, str]) -> None:
    authority_id, _ = trilingual
    console.page.goto(f"{console.stack.api_url}/status/{authority_id}")
    expect(console.page.get_by_text("No crisis line is open.")).to_be_visible()
    assert _violations(console) == []
