"""The public page as a citizen's phone shows it: 320 px wide, nothing to scroll sideways, the number to call
large and on one line. In the console's browser session (one Chromium per test process)."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

from crisisline import status_page

NUMBER = "+3280012345"


def test_the_page_reads_on_a_320_pixel_phone_without_sideways_scrolling_and_the_number_on_one_line(
    browser: Any,
) -> None:
    from playwright.sync_api import Route

    line = {
        "languages": ["nl", "fr", "de", "en"],
        "number": NUMBER,
        "message": {
            lang: "Blijf binnen; sluit ramen en deuren. " * 20 + "x" * 120 for lang in ("nl", "fr", "de", "en")
        },
    }
    files = {
        "/status/44021": (
            status_page.render("44021", "Ville de Bruxelles / Stad Brussel", line, datetime.now(UTC)),
            "text/html",
        ),
        "/status/status.css": (status_page.STYLESHEET, "text/css"),
    }

    def serve(route: Route) -> None:
        body, content_type = files[route.request.url.removeprefix("https://status.test")]
        route.fulfill(body=body, content_type=content_type)

    context = browser.new_context(viewport={"width": 320, "height": 640})
    try:
        page = context.new_page()
        page.route("https://status.test/**", serve)
        page.goto("https://status.test/status/44021")
        assert page.evaluate("document.documentElement.scrollWidth") <= 320
        call = page.get_by_role("link", name=re.compile(re.escape(NUMBER)))
        assert call.get_attribute("href") == f"tel:{NUMBER}"
        box = call.bounding_box()
        assert box is not None and box["width"] <= 320
        size = float(call.evaluate("link => getComputedStyle(link).fontSize").removesuffix("px"))
        assert size >= 24, "the number to call is large"
        number_lines = page.evaluate(
            "() => { const r = document.createRange();"
            " const link = document.querySelector('a.call'); r.selectNodeContents(link.lastChild);"
            " return r.getClientRects().length; }"
        )
        assert number_lines == 1, "the number breaks over two lines"
    finally:
        context.close()
