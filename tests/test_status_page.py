"""An authority's public page, /status/{authority_id}: the address it publishes in advance shows its line while
it is live (each language's message, the number to call, when it was last updated) and otherwise that no crisis
line is open. The page is a file in the status bucket, written when the line opens, changes and closes."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

import boto3
import pytest

from crisisline import status_page
from infra.local import template
from infra.web_headers import SECURITY_HEADERS
from tests.conftest import Api, activation_body, http
from tests.test_failure_metrics import Published, published

__all__ = ["published"]  # fixture

BUCKET = template.physical_bucket_name("WebBucket")
NUMBER = "+3280012345"
CLOSED = {
    "nl": "Er is geen crisislijn open.",
    "fr": "Aucune ligne de crise n'est ouverte.",
    "de": "Derzeit ist kein Krisentelefon geschaltet.",
    "en": "No crisis line is open.",
}


def stored(authority_id: str = "44021") -> tuple[str, dict[str, Any]]:
    """The page as the bucket holds it, and the object's headers."""
    answer = boto3.client("s3").get_object(Bucket=BUCKET, Key=f"status/{authority_id}/index.html")
    return answer["Body"].read().decode(), answer


def sections(page: str) -> dict[str, str]:
    return dict(re.findall(r'<section lang="(\w\w)">(.*?)</section>', page, re.S))


@pytest.fixture
def line(api: Api, gent: str, add_numbers: Any) -> str:
    """Stad Gent's live line (Dutch and English) on NUMBER."""
    add_numbers(NUMBER)
    answer = api.post("/activations", gent, activation_body())
    assert answer.status == 201, answer.body
    return str(answer.body["id"])


def test_an_open_line_shows_each_language_the_number_to_call_and_when_it_was_updated(line: str) -> None:
    page, headers = stored()
    assert headers["ContentType"] == "text/html; charset=utf-8"
    assert headers["CacheControl"] == "public, max-age=30"
    blocks = sections(page)
    assert set(blocks) == {"nl", "en"}
    assert "Blijf binnen en sluit ramen en deuren." in blocks["nl"]
    assert "Stay inside; close windows and doors." in blocks["en"]
    assert f'<a class="call" href="tel:{NUMBER}">' in page
    assert "Stad Gent" in page
    updated = re.search(r'<time datetime="([^"]+)">(\d\d/\d\d/\d{4} \d\d:\d\d)</time> \(Brussels\)', page)
    assert updated is not None, page
    instant = datetime.fromisoformat(updated.group(1).replace("Z", "+00:00"))
    assert instant.tzinfo is not None and abs((datetime.now(UTC) - instant).total_seconds()) < 60
    assert not any(text in page for text in CLOSED.values())


def test_a_change_of_message_is_on_the_page_at_once(api: Api, gent: str, line: str) -> None:
    answer = api.patch(f"/activations/{line}", gent, {"message": {"nl": "Ramen mogen weer open.", "en": "Open up."}})
    assert answer.status == 200, answer.body
    blocks = sections(stored()[0])
    assert "Ramen mogen weer open." in blocks["nl"] and "Open up." in blocks["en"]


def test_a_message_with_markup_is_shown_as_the_text_that_was_typed(api: Api, gent: str, line: str) -> None:
    typed = "<script>alert('x')</script> <b>Stay</b> <img src=x onerror=alert(1)> & \"quoted\""
    answer = api.patch(f"/activations/{line}", gent, {"message": {"nl": "Blijf binnen.", "en": typed}})
    assert answer.status == 200, answer.body
    page = stored()[0]
    assert "<script" not in page and "<b>" not in page and "<img" not in page
    assert "&lt;script&gt;alert('x')&lt;/script&gt; &lt;b&gt;Stay&lt;/b&gt; &lt;img src=x onerror=alert(1)&gt;" in page
    assert '&amp; "quoted"' in page


def test_closing_the_line_says_no_crisis_line_is_open_in_the_four_languages(api: Api, gent: str, line: str) -> None:
    assert api.post(f"/activations/{line}/close", gent).status == 200
    page = stored()[0]
    blocks = sections(page)
    assert set(blocks) == {"nl", "fr", "de", "en"}
    for lang, text in CLOSED.items():
        assert text in blocks[lang]
    assert "tel:" not in page and "Blijf binnen" not in page


def test_an_enrolled_authority_has_its_page_before_its_first_crisis(api: Api, gent: str) -> None:
    page, _ = stored()
    assert CLOSED["en"] in page and "Stad Gent" in page
    stylesheet = boto3.client("s3").get_object(Bucket=BUCKET, Key="status/status.css")
    assert stylesheet["ContentType"] == "text/css; charset=utf-8"
    assert stylesheet["Body"].read().decode() == status_page.STYLESHEET


def test_a_page_that_cannot_be_published_neither_fails_nor_undoes_the_opening_and_is_counted(
    api: Api, gent: str, add_numbers: Any, published: Published
) -> None:
    add_numbers(NUMBER)
    s3 = boto3.client("s3")
    for item in s3.list_objects_v2(Bucket=BUCKET).get("Contents", []):
        s3.delete_object(Bucket=BUCKET, Key=item["Key"])
    s3.delete_bucket(Bucket=BUCKET)  # the bucket is gone: every put fails
    answer = api.post("/activations", gent, activation_body())
    assert answer.status == 201, answer.body
    assert api.get(f"/activations/{answer.body['id']}", gent).body["status"] == "live"
    assert published()["StatusPageFailures"] == 1


def test_the_page_has_no_script_and_no_inline_style_and_stays_under_50_kb_at_its_largest() -> None:
    longest = {lang: "&" * 2000 for lang in ("nl", "fr", "de", "en")}  # each & is five bytes once escaped
    line = {"languages": ["nl", "fr", "de", "en"], "message": longest, "number": NUMBER}
    page = status_page.render("44021", "É" * 200, line, datetime(2026, 11, 29, 23, 30, tzinfo=UTC))
    assert len(page.encode()) < 50_000
    assert "<script" not in page and "<style" not in page and " style=" not in page
    assert '<link rel="stylesheet" href="/status/status.css">' in page
    assert '<meta name="viewport" content="width=device-width, initial-scale=1">' in page
    assert '<time datetime="2026-11-29T23:30:00.000Z">30/11/2026 00:30</time>' in page  # Brussels, winter


def test_the_page_never_reloads_by_itself_and_offers_the_reader_a_reload_link() -> None:
    """A timed refresh moves a screen reader's place (WCAG 2.2.1): the reader reloads when they choose."""
    line = {"languages": ["nl", "fr"], "message": {"nl": "Blijf binnen.", "fr": "Restez."}, "number": NUMBER}
    page = status_page.render("44021", "Stad Gent", line, datetime(2026, 11, 29, 23, 30, tzinfo=UTC))
    assert 'http-equiv="refresh"' not in page
    assert '<a href="">Opnieuw laden · Recharger</a>' in page


# ---------------------------------------------------------------------- over HTTP, from the local stack
def test_the_local_stack_serves_the_page_with_the_deployed_headers(local_stack: Any) -> None:
    opened = http(
        "POST",
        f"{local_stack.api_url}/activations",
        local_stack.authority_token,
        {**activation_body(languages=["fr", "nl"], message={"fr": "Restez <chez> vous.", "nl": "Blijf binnen."})},
    )
    assert opened[0] == 201, opened
    try:
        status, headers, body = http("GET", f"{local_stack.api_url}/status/{local_stack.authority_id}")
        assert status == 200
        assert headers["Content-Type"] == "text/html; charset=utf-8"
        assert headers["Cache-Control"] == "public, max-age=30"
        for name, value in SECURITY_HEADERS.items():
            assert headers[name] == value
        page = body.decode()
        assert "Restez &lt;chez&gt; vous." in page and f'href="tel:{opened[2]["number"]}"' in page
        status, headers, css = http("GET", f"{local_stack.api_url}/status/status.css")
        assert status == 200 and headers["Content-Type"] == "text/css; charset=utf-8"
        assert css.decode() == status_page.STYLESHEET
    finally:
        closed = http("POST", f"{local_stack.api_url}/activations/{opened[2]['id']}/close", local_stack.authority_token)
        assert closed[0] == 200
    status, _, body = http("GET", f"{local_stack.api_url}/status/{local_stack.authority_id}/")
    assert status == 200 and CLOSED["fr"] in body.decode()


def test_the_local_stack_answers_an_address_never_published_with_no_crisis_line_is_open(local_stack: Any) -> None:
    status, headers, body = http("GET", f"{local_stack.api_url}/status/99999")
    assert status == 200
    assert headers["Content-Security-Policy"] == SECURITY_HEADERS["Content-Security-Policy"]
    assert all(text in body.decode() for text in CLOSED.values())
