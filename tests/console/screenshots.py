"""`python -m tests.console.screenshots`: pictures of the console for the README and for reviewers, written to
docs/screenshots/ as PNG, in each of the four languages: the sign-in, the authority's open form (a ready message
chosen, its preview shown) and its live line; the crisis centre's screen with that line's calls this hour against
its capacity; finance's month with the line's metered call; the operator's briefing with questions and answers,
one of them just changed by the authority. It starts a local stack of its own and Debian's chromium, as the
browser tests do; run it again after a change to the screens and commit the pictures."""

from __future__ import annotations

import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from tests.conftest import RunningStack, authority_body, http, started_local_stack
from tests.console.conftest import CHROMIUM

OUT = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
LOCALES = {"nl": "nl-BE", "fr": "fr-BE", "de": "de-BE", "en": "en-GB"}
SIZE = {"width": 1100, "height": 900}
# One Belgian authority per language (NIS code, name), so the crisis centre's and finance's lists read true.
AUTHORITIES = {
    "nl": ("11002", "Stad Antwerpen"),
    "fr": ("62063", "Ville de Liège"),
    "de": ("63023", "Stadt Eupen"),
    "en": ("31005", "City of Bruges"),
}
# Why the line opens, as the authority types it, in its own language.
REASONS = {
    "nl": "Brand in een chemisch bedrijf in de haven; rook boven de stad",
    "fr": "Incendie dans une usine chimique; fumée au-dessus de la ville",
    "de": "Brand in einem Chemiewerk; Rauch über der Stadt",
    "en": "Fire at a chemical plant in the port; smoke over the city",
}
# The questions and answers the authority gives its operators, in each language of the line.
BRIEFING = {
    "nl": [
        ("Moet ik binnen blijven?", "Ja, blijf binnen tot het sein veilig wordt gegeven."),
        ("Mag ik mijn kinderen van school halen?", "Nee, de scholen houden de kinderen binnen en zorgen voor hen."),
    ],
    "fr": [
        ("Dois-je rester à l'intérieur ?", "Oui, restez à l'intérieur jusqu'à la fin de l'alerte."),
        ("Puis-je aller chercher mes enfants à l'école ?", "Non, les écoles gardent les enfants à l'intérieur."),
    ],
    "de": [
        ("Muss ich drinnen bleiben?", "Ja, bleiben Sie drinnen, bis Entwarnung gegeben wird."),
        ("Darf ich meine Kinder von der Schule abholen?", "Nein, die Schulen behalten die Kinder drinnen."),
    ],
    "en": [
        ("Should I stay inside?", "Yes, stay inside until the all-clear is given."),
        ("May I collect my children from school?", "No, the schools keep the children inside and look after them."),
    ],
}
# What the authority changes while the operator reads: a new answer, marked as changed on the briefing.
CHANGED = {
    "nl": "Ja, en zet de ventilatie uit tot het sein veilig wordt gegeven.",
    "fr": "Oui, et coupez la ventilation jusqu'à la fin de l'alerte.",
    "de": "Ja, und schalten Sie die Lüftung aus, bis Entwarnung gegeben wird.",
    "en": "Yes, and switch off ventilation until the all-clear is given.",
}


def _credential(stack: RunningStack, role: str, label: str) -> str:
    status, _, body = http("POST", f"{stack.api_url}/credentials", stack.admin_token, {"role": role, "label": label})
    assert status == 201, body
    return str(body["token"])


def _signed_in(browser: Any, stack: RunningStack, locale: str, token: str, query: str = "") -> Any:
    context = browser.new_context(locale=locale, timezone_id="Europe/Brussels", viewport=SIZE)
    page = context.new_page()
    page.goto(f"{stack.api_url}/console/{query}")
    page.wait_for_selector("body[data-ready]")
    page.locator("#token").fill(token)
    page.locator("#sign-in-form button[type=submit]").click()
    return page


def _metered_call(stack: RunningStack, line: dict[str, Any], language: str) -> None:
    """A call through the simulated contact flow, its contact record on the stream, until the month shows it."""
    import boto3

    from crisisline.months import month_of
    from infra.connect import contact_record
    from infra.connect.simulator import LambdaEndpoint, simulate_call
    from infra.local import template
    from infra.local.streams import physical_stream_name

    call = simulate_call(line["number"], language=language, press="2", invoker=LambdaEndpoint(stack.lambda_port))
    kinesis = boto3.client(
        "kinesis",
        endpoint_url=f"http://127.0.0.1:{stack.moto_port}",
        region_name=template.LOCAL_REGION,
        aws_access_key_id="local",
        aws_secret_access_key="local",
    )
    contact_record.put_on_stream(call.records(), physical_stream_name("ContactRecordStream"), kinesis)
    month = month_of(datetime.now(UTC))
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        _, _, export = http("GET", f"{stack.api_url}/exports/{month}", stack.admin_token)
        if any(one["activation_id"] == line["id"] and one.get("calls") for one in export["lines"]):
            return
        time.sleep(0.3)
    raise AssertionError("the call was not metered in time")


def _routed_calls(stack: RunningStack, line: dict[str, Any], language: str, count: int) -> None:
    from tests.route_support import connect_event
    from tests.test_route_local_stack import invoke

    for _ in range(count):
        assert invoke(stack, connect_event(line["number"], language=language, choice="1"))["status"] == "live"


def _briefing(stack: RunningStack, token: str, line: dict[str, Any], changed: str = "") -> None:
    items = {
        code: [{"question": question, "answer": answer} for question, answer in BRIEFING[code]]
        for code in line["languages"]
    }
    if changed:
        items[changed][0]["answer"] = CHANGED[changed]
    status, _, body = http("PUT", f"{stack.api_url}/activations/{line['id']}/briefing", token, {"items": items})
    assert status == 200, body


def main() -> int:
    from playwright.sync_api import expect, sync_playwright

    OUT.mkdir(parents=True, exist_ok=True)
    with started_local_stack() as stack, sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu"])
        finance = _credential(stack, "finance", "Financiën / Finances")
        operator = _credential(stack, "operator", "Operator 112")
        for code, locale in LOCALES.items():
            authority_id, name = AUTHORITIES[code]
            status, _, enrolled = http(
                "POST",
                f"{stack.api_url}/authorities",
                stack.admin_token,
                authority_body(authority_id, name, languages=["nl", "fr", "de", "en"]),
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
            page.locator("#reason").fill(REASONS[code])
            page.locator("#template").select_option("shelter_in_place")
            page.locator("#open-preview").locator("xpath=..").get_by_role("button").click()
            expect(page.locator("#open-preview ol").first).to_be_visible()
            page.screenshot(path=OUT / f"open-form-{code}.png", full_page=True)
            page.locator("#open-form button[type=submit]").click()
            expect(page.locator("#live-number")).to_be_visible()
            expect(page.locator("#briefing-form button[type=submit]")).to_be_visible()
            page.screenshot(path=OUT / f"live-line-{code}.png", full_page=True)
            context.close()
            _, _, lines = http("GET", f"{stack.api_url}/activations?status=live", enrolled["token"])
            [line] = lines["activations"]

            _metered_call(stack, line, code)
            _routed_calls(stack, line, code, 2)
            page = _signed_in(browser, stack, locale, stack.admin_token)
            row = page.locator("#lines-title").locator("xpath=..").get_by_role("row").filter(has_text=name)
            expect(row.get_by_role("meter")).to_have_attribute("value", "3")
            # The top of the page as it is laid out (signing in may have scrolled to the screen's heading).
            page.screenshot(path=OUT / f"admin-{code}.png", full_page=True, clip={"x": 0, "y": 0, **SIZE})
            page.context.close()

            page = _signed_in(browser, stack, locale, finance)
            expect(page.get_by_role("row").filter(has_text=name)).to_be_visible()
            page.screenshot(path=OUT / f"finance-{code}.png", full_page=True)
            page.context.close()

            _briefing(stack, enrolled["token"], line)
            page = _signed_in(browser, stack, locale, operator, f"?activationId={line['id']}")
            expect(page.locator(".briefing-number")).to_have_text(line["number"])
            _briefing(stack, enrolled["token"], line, changed=code)
            expect(page.get_by_text(CHANGED[code], exact=True)).to_be_visible(timeout=8000)  # read every 3 s
            page.screenshot(path=OUT / f"operator-{code}.png", full_page=True)
            page.context.close()

            for one in lines["activations"]:
                http("POST", f"{stack.api_url}/activations/{one['id']}/close", enrolled["token"])
        browser.close()
    for path in sorted(OUT.glob("*.png")):
        print(path.relative_to(OUT.parents[1]), path.stat().st_size)
    return 0


if __name__ == "__main__":
    sys.exit(main())
