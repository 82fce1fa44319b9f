"""`python -m tests.console.screenshots`: pictures of the console for the README and for reviewers, written to
docs/screenshots/ as PNG: the sign-in, the authority's open form (a ready message chosen, its preview shown)
and its live line, in each of the four languages. It starts a local stack of its own and Debian's chromium, as
the browser tests do; run it again after a change to the screens and commit the pictures."""

from __future__ import annotations

import sys
from pathlib import Path

from tests.conftest import authority_body, http, started_local_stack
from tests.console.conftest import CHROMIUM

OUT = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
LOCALES = {"nl": "nl-BE", "fr": "fr-BE", "de": "de-BE", "en": "en-GB"}
SIZE = {"width": 1100, "height": 900}


def main() -> int:
    from playwright.sync_api import expect, sync_playwright

    OUT.mkdir(parents=True, exist_ok=True)
    with started_local_stack() as stack, sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu"])
        for index, (code, locale) in enumerate(LOCALES.items()):
            authority_id = f"8{index + 1:04d}"
            status, _, enrolled = http(
                "POST",
                f"{stack.api_url}/authorities",
                stack.admin_token,
                authority_body(authority_id, "Stad Gent", languages=["nl", "fr", "de", "en"]),
            )
            assert status == 201, enrolled
            context = browser.new_context(locale=locale, timezone_id="Europe/Brussels", viewport=SIZE)
            page = context.new_page()
            page.goto(f"{stack.api_url}/console/")
            page.wait_for_selector("body[data-ready]")
            page.screenshot(path=OUT / f"sign-in-{code}.png", full_page=True)
            page.locator("#token").fill(enrolled["token"])
            page.locator("#sign-in-form button[type=submit]").click()
            expect(page.locator("#open-form")).to_be_visible()
            page.locator("#reason").fill("Brand in de haven / Incendie au port")
            page.locator("#template").select_option("shelter_in_place")
            page.locator("#open-preview").locator("xpath=..").get_by_role("button").click()
            expect(page.locator("#open-preview ol").first).to_be_visible()
            page.screenshot(path=OUT / f"open-form-{code}.png", full_page=True)
            page.locator("#open-form button[type=submit]").click()
            expect(page.locator("#live-number")).to_be_visible()
            expect(page.locator("#briefing-form button[type=submit]")).to_be_visible()
            page.screenshot(path=OUT / f"live-line-{code}.png", full_page=True)
            _, _, lines = http("GET", f"{stack.api_url}/activations?status=live", enrolled["token"])
            for line in lines.get("activations", []):
                http("POST", f"{stack.api_url}/activations/{line['id']}/close", enrolled["token"])
            context.close()
        browser.close()
    for path in sorted(OUT.glob("*.png")):
        print(path.relative_to(OUT.parents[1]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
