"""An authority downloads its line's after-action report from the console: while the line is live, and once it
has closed, from the form that opens the next one."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import expect

from tests.conftest import activation_body, http
from tests.console.conftest import Authority, Console
from tests.console.test_accessibility import WCAG_AA


def _violations(page: Any) -> list[str]:
    results = Axe().run(page, options=WCAG_AA)
    return [f"{v['id']}: {[n['target'] for n in v['nodes']]}" for v in results.response["violations"]]


def test_the_authority_downloads_the_report_of_its_live_line_and_of_the_line_it_closed(
    console: Console, authority: Authority
) -> None:
    status, _, line = http("POST", f"{console.stack.api_url}/activations", authority.token, activation_body())
    assert status == 201, line
    page = console.open()
    console.sign_in(authority.token)
    expect(page.get_by_role("heading", name="After-action report")).to_be_visible()
    with page.expect_download() as pdf:
        page.get_by_role("button", name="Download report (PDF)").click()
    assert pdf.value.suggested_filename == f"crisisline-report-{line['id']}.pdf"
    assert Path(pdf.value.path()).read_bytes().startswith(b"%PDF")
    expect(page.get_by_text(f"crisisline-report-{line['id']}.pdf has been downloaded.")).to_be_visible()
    with page.expect_download() as html:
        page.get_by_role("button", name="Download report (HTML)").click()
    assert Path(html.value.path()).read_text(encoding="utf-8").startswith("<!doctype html>")
    assert _violations(page) == []

    status, _, _ = http("POST", f"{console.stack.api_url}/activations/{line['id']}/close", authority.token)
    assert status == 200
    page.reload()
    expect(page.get_by_text(f"Of your last line, {line['number']}, closed on")).to_be_visible()
    with page.expect_download() as closed:
        page.get_by_role("button", name="Download report (PDF)").click()
    assert Path(closed.value.path()).read_bytes().startswith(b"%PDF")
    assert _violations(page) == []
