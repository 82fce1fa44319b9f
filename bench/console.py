"""Console figures: for each screen of the web console, on the local stack in Debian's chromium, the time from
navigation until the screen is usable (signed in already: the token in sessionStorage, as after a reload; the
median of LOADS loads) and the bytes of the console's own files (under /console/) it transfers, cache disabled."""

from __future__ import annotations

import json
import os
import statistics
import time
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from bench.common import aim

CHROMIUM = os.environ.get("CRISISLINE_CHROMIUM") or "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
LOADS = 5
USABLE_AIM_SECONDS = 1.0
FILES_AIM_KB = 100.0
SESSION_KEY = "crisisline.console.token"  # where console/js/api.js keeps the token


@dataclass
class Screen:
    """A screen as a person reaches it: whose token (None: signed out), the address's query, and the locators
    that say it is usable (its main heading or control, visible and enabled)."""

    name: str
    token: str | None
    query: str
    usable: Callable[[Any], list[Any]]


def screen_line(name: str, seconds: float, files_bytes: int) -> str:
    """One screen's line: median time to usable and the console files it transferred, each against its aim."""
    kb = files_bytes / 1000
    return (
        f"{name}: usable in {seconds:.2f} s {aim(seconds, USABLE_AIM_SECONDS, note=f'median of {LOADS} loads')}, "
        f"console files {kb:.1f} KB {aim(kb, FILES_AIM_KB, digits=1)}"
    )


def _send(api_url: str, method: str, path: str, token: str, body: Any = None) -> Any:
    request = urllib.request.Request(
        f"{api_url}{path}",
        method=method,
        data=None if body is None else json.dumps(body).encode(),
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=30) as answer:
        return json.loads(answer.read())


def _screens(api_url: str, admin: str) -> list[Screen]:
    """Everyone the screens need, enrolled through the API: an authority without a line, one with a live line
    (also the operator's briefing), a finance and an operator credential."""

    def authority(n: int) -> str:
        body = {
            "id": f"7000{n}",
            "name": f"Gemeente Bench {n}",
            "languages": ["nl", "en"],
            "agreement": {"reference": f"A-{n}", "signed_on": "2026-01-01"},
            "billing": {"reference": f"B-{n}", "email": "b@example.be"},
        }
        return str(_send(api_url, "POST", "/authorities", admin, body)["token"])

    quiet, live = authority(1), authority(2)
    _send(api_url, "POST", "/numbers", admin, {"number": "+3280070001", "kind": "toll_free"})
    line = _send(
        api_url,
        "POST",
        "/activations",
        live,
        {
            "reason": "Chemical fire at the port",
            "languages": ["nl", "en"],
            "message": {"nl": "Blijf binnen.", "en": "Stay inside."},
            "victim_information": True,
            "operators": 4,
        },
    )
    finance = _send(api_url, "POST", "/credentials", admin, {"role": "finance", "label": "Bench"})["token"]
    operator = _send(api_url, "POST", "/credentials", admin, {"role": "operator", "label": "Bench"})["token"]
    return [
        Screen("sign-in", None, "", lambda page: [page.get_by_role("button", name="Sign in")]),
        Screen(
            "authority, open form",
            quiet,
            "",
            lambda page: [
                page.get_by_role("heading", name="Open the crisis line"),
                page.get_by_role("button", name="Open the line"),
            ],
        ),
        Screen(
            "authority, live line",
            live,
            "",
            lambda page: [
                page.get_by_role("heading", name="Your crisis line is open"),
                page.get_by_role("button", name="Close the line"),
            ],
        ),
        Screen(
            "admin",
            admin,
            "",
            lambda page: [
                page.get_by_role("heading", name="Crisis centre"),
                page.get_by_role("button", name="Enrol the authority"),
            ],
        ),
        Screen("finance", finance, "", lambda page: [page.get_by_role("heading", name="Monthly costs")]),
        Screen(
            "operator briefing",
            operator,
            f"?activationId={line['id']}",
            lambda page: [
                page.get_by_role("heading", name="Briefing for operators"),
                page.get_by_role("heading", name="What callers hear"),
            ],
        ),
    ]


def _measure(browser: Any, console_url: str, screen: Screen) -> tuple[float, int]:
    """(median seconds to usable, bytes of /console/ files of the last load), in a fresh context with the
    cache disabled."""
    context = browser.new_context(locale="en-GB", timezone_id="Europe/Brussels")
    context.set_default_timeout(10_000)
    page = context.new_page()
    cdp = context.new_cdp_session(page)
    cdp.send("Network.enable")
    cdp.send("Network.setCacheDisabled", {"cacheDisabled": True})
    url = console_url + screen.query
    if screen.token:
        page.goto(console_url)
        page.wait_for_selector("body[data-ready]")
        page.evaluate("([key, value]) => sessionStorage.setItem(key, value)", [SESSION_KEY, screen.token])
    responses: list[Any] = []
    page.on("response", lambda response: responses.append(response))
    times, files_bytes = [], 0
    try:
        for _ in range(LOADS):
            responses.clear()
            started = time.perf_counter()
            page.goto(url, wait_until="commit")
            page.wait_for_selector("body[data-ready]")
            for locator in screen.usable(page):
                locator.wait_for(state="visible")  # polls each frame: expect() would poll every 100 ms or more
                while not locator.is_enabled():
                    if time.perf_counter() - started > 10:
                        raise TimeoutError(f"{screen.name}: {locator} never enabled")
                    page.wait_for_timeout(5)
            times.append(time.perf_counter() - started)
            page.wait_for_load_state("load")
            files_bytes = sum(
                len(response.body())
                for response in list(responses)
                if urlsplit(response.url).path.startswith("/console/") and response.status == 200
            )
    finally:
        context.close()
    return statistics.median(times), files_bytes


def run() -> list[str]:
    if not os.path.exists(CHROMIUM):
        return [f"no console figures: chromium not found at {CHROMIUM} (sudo apt-get install chromium)"]
    from playwright.sync_api import sync_playwright

    from infra.local import seed
    from infra.local.stack import LocalStack

    os.environ["POWERTOOLS_LOG_LEVEL"] = "ERROR"
    with LocalStack(api_port=0, lambda_port=0, quiet=True) as stack:
        seed.provision()
        admin = seed.admin_credential()
        screens = _screens(stack.api_url, admin)
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            try:
                measured = [
                    (screen.name, *_measure(browser, f"{stack.api_url}/console/", screen)) for screen in screens
                ]
            finally:
                browser.close()
    return [screen_line(name, seconds, files_bytes) for name, seconds, files_bytes in measured]
