"""The after-action report a mayor reads once the crisis is over: the line's timeline, its calls against
capacity, waits and abandonments, the D5/D2 split and its cost, with the same numbers as the figures endpoint and
the finance export."""

from __future__ import annotations

import base64
import re
import zlib
from collections.abc import Callable
from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest

from crisisline.clock import utc_now
from crisisline.models import Caller
from crisisline.months import month_of
from tests.conftest import Api, activation_body
from tests.route_support import connect_event
from tests.test_figures import meter, record


@pytest.fixture
def gent_line(
    api: Api, gent: str, add_numbers: Any, function_environment: Callable[..., None], monkeypatch: pytest.MonkeyPatch
) -> tuple[str, str, str]:
    function_environment("ActivateFunction", "RouteFunction", "MeterFunction", "ExportFunction")
    monkeypatch.setenv("ROUTE_BUDGET_SECONDS", "5")
    add_numbers("+3280012345")
    opened = api.post("/activations", gent, activation_body(operators=2))
    assert opened.status == 201, opened.body
    return gent, opened.body["id"], opened.body["number"]


def calls_and_records(api: Api, token: str, activation_id: str, number: str) -> None:
    from route import app as route

    for _ in range(3):
        route.lambda_handler(connect_event(number, language="nl", choice="1"), None)
    start = utc_now().replace(microsecond=0) - timedelta(seconds=30)
    meter(record("c-1", number, activation_id, start, 30, 200), record("c-2", number, activation_id, start, 70, None))


def pdf_pages(body: bytes) -> int:
    return len(re.findall(rb"/Type /Page\b", body))


_PDF_STRING = re.compile(rb"\(((?:\\.|[^\\)])*)\)\s*Tj|(T\*|ET)")
_PDF_ESCAPE = re.compile(rb"\\([0-7]{1,3}|.)", re.S)


def pdf_text(body: bytes) -> str:
    """The text a reader sees in one of ReportLab's PDFs: every string its pages show (`Tj`), a line ending at
    each `T*` and `ET`. Its page streams are ASCII85 over Flate, its fonts WinAnsi."""
    lines: list[str] = []
    for stream in re.findall(rb"stream\r?\n(.*?)endstream", body, re.S):
        content = zlib.decompress(base64.a85decode(stream.strip(), adobe=True))
        line = b""
        for shown, end in _PDF_STRING.findall(content):
            if end:
                lines.append(line.decode("cp1252"))
                line = b""
            else:
                line += _PDF_ESCAPE.sub(
                    lambda found: bytes([int(found.group(1), 8)]) if found.group(1)[:1].isdigit() else found.group(1),
                    shown,
                )
    return "\n".join(text for text in lines if text)


def test_the_report_is_read_by_the_lines_authority_and_admin_only(
    api: Api, admin: str, enrol: Any, gent_line: tuple[str, str, str]
) -> None:
    token, activation_id, _ = gent_line
    _, antwerp = enrol("11002", "Stad Antwerpen")
    operator = str(api.post("/credentials", admin, {"role": "operator", "label": "Call center"}).body["token"])
    finance = str(api.post("/credentials", admin, {"role": "finance", "label": "Finance"}).body["token"])
    path = f"/activations/{activation_id}/report"
    assert [api.get(path, who).status for who in (token, admin)] == [200, 200]
    assert api.get(path, antwerp).status == 404
    assert [api.get(path, who).status for who in (operator, finance)] == [403, 403]
    assert api.get(f"{path}?format=docx", token).status == 422


def test_the_pdf_report_has_its_pages_and_the_html_page_its_own_strict_policy(
    api: Api, gent_line: tuple[str, str, str]
) -> None:
    token, activation_id, number = gent_line
    calls_and_records(api, token, activation_id, number)
    assert api.post(f"/activations/{activation_id}/close", token).status == 200
    answer = api.get(f"/activations/{activation_id}/report?format=pdf", token)
    assert answer.status == 200
    assert answer.headers["Content-Type"] == "application/pdf"
    assert answer.raw.startswith(b"%PDF")
    assert pdf_pages(answer.raw) == 3  # timeline; calls and waits; cost
    page = api.get(f"/activations/{activation_id}/report?format=html", token)
    assert page.status == 200 and page.headers["Content-Type"].startswith("text/html")
    policy = page.headers["Content-Security-Policy"]
    assert "default-src 'none'" in policy and "script-src" not in policy and "unsafe-inline" not in policy
    text = page.raw.decode()
    assert "<script" not in text and ' style="' not in text
    assert text.count("<svg") == 2  # calls against capacity; waits and abandonments
    assert "Verslag na de crisis" in text  # Gent speaks Dutch first
    assert "Lijn gesloten" in text


def test_a_message_containing_markup_is_shown_as_text(api: Api, gent_line: tuple[str, str, str]) -> None:
    token, activation_id, _ = gent_line
    typed = '<script>alert("x")</script> & <b>blijf binnen</b>'
    changed = api.patch(f"/activations/{activation_id}", token, {"message": {"nl": typed, "en": "Stay inside."}})
    assert changed.status == 200, changed.body
    text = api.get(f"/activations/{activation_id}/report?format=html", token).raw.decode()
    assert "<script>alert" not in text and "<b>blijf" not in text
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &lt;b&gt;blijf binnen&lt;/b&gt;" in text
    pdf = api.get(f"/activations/{activation_id}/report", token)
    assert pdf.status == 200 and pdf.raw.startswith(b"%PDF")  # ReportLab's markup did not choke on it


def test_the_reports_numbers_are_the_figures_and_the_exports(
    api: Api, admin: str, gent_line: tuple[str, str, str]
) -> None:
    from activate import after_action, logic
    from activate.report_document import euros, page

    token, activation_id, number = gent_line
    calls_and_records(api, token, activation_id, number)
    assert api.patch(f"/activations/{activation_id}", token, {"operators": 5}).status == 200
    assert api.post(f"/activations/{activation_id}/close", token).status == 200
    gent = Caller(role="authority", credential_id="c", authority_id="44021")
    made = after_action.report(gent, activation_id, logic.default_store())
    figures = api.get(f"/activations/{activation_id}/figures", token).body["totals"]
    export = api.get(f"/exports/{month_of(utc_now())}?format=json", admin).body
    lines = [line for line in export["lines"] if line["activation_id"] == activation_id]
    assert lines and made.cost
    assert made.figures.totals.calls_offered == figures["calls_offered"] == 3
    assert made.figures.totals.calls_answered == figures["calls_answered"] == 1
    assert sum(line.calls for line in made.cost) == sum(int(line["calls"]) for line in lines) == 2
    assert made.call_seconds == sum(int(line["call_seconds"]) for line in lines)
    assert made.operator_seconds == sum(
        int(line["operator_seconds"]) + int(line["minimum_top_up_seconds"]) for line in lines
    )
    for name in ("personnel_eur", "number_eur", "telephony_eur", "total_eur"):
        assert made.cost_total[name] == sum((Decimal(line[name]) for line in lines), Decimal("0.00")), name
    assert made.operators_most == 5 and made.events[-1].kind == "closed"
    shown = page(made)
    assert euros(made.cost_total["total_eur"], "nl") in shown
    assert made.cost_total["total_eur"] > 0


def test_a_line_with_no_calls_says_so(api: Api, gent_line: tuple[str, str, str]) -> None:
    token, activation_id, _ = gent_line
    text = api.get(f"/activations/{activation_id}/report?format=html", token).raw.decode()
    assert "Er kwamen geen oproepen binnen op deze lijn." in text
    assert "<svg" not in text
    pdf = api.get(f"/activations/{activation_id}/report", token).raw
    assert pdf.startswith(b"%PDF") and pdf_pages(pdf) == 3


def test_amounts_and_dates_are_written_as_in_belgium() -> None:
    from datetime import UTC, datetime

    from activate.report_document import euros, when

    assert euros(Decimal("1234.56"), "nl") == "€ 1.234,56"
    assert euros(Decimal("1234.56"), "en") == "€1,234.56"
    summer = datetime(2026, 7, 3, 22, 30, tzinfo=UTC)
    assert when(summer, "fr") == "04/07/2026 00:30 (22:30 UTC)"
    assert when(summer, "de") == "04.07.2026 00:30 (22:30 UTC)"


def test_the_timeline_names_who_acted_and_by_which_channel(
    api: Api, admin: str, gent: str, add_numbers: Any, function_environment: Callable[..., None]
) -> None:
    function_environment("ActivateFunction")
    add_numbers("+3280012345")
    added = api.post(
        "/authorities/44021/activators",
        admin,
        {"name": "Mathias <b>De Clercq</b>", "function": "Burgemeester", "phone": "+32475123456", "language": "nl"},
    )
    assert added.status == 201, added.body
    mayor = str(api.post(f"/authorities/44021/activators/{added.body['id']}/token", admin).body["token"])
    console = {"X-Crisisline-Channel": "console"}
    opened = api.post("/activations", mayor, activation_body(operators=2), headers=console)
    assert opened.status == 201, opened.body
    activation_id = opened.body["id"]
    assert api.patch(f"/activations/{activation_id}", gent, {"operators": 4}).status == 200
    assert api.post(f"/activations/{activation_id}/close", mayor).status == 200

    html = api.get(f"/activations/{activation_id}/report?format=html", gent).raw.decode()
    assert "door Mathias &lt;b&gt;De Clercq&lt;/b&gt; (console)" in html  # typed text shown as text
    assert "Operatoren: 2 → 4 — door Stad Gent (API)" in html
    assert "Lijn gesloten — door Mathias &lt;b&gt;De Clercq&lt;/b&gt; (API)" in html
    text = pdf_text(api.get(f"/activations/{activation_id}/report", gent).raw)
    assert "door Mathias <b>De Clercq</b> (console)" in text
