"""The local stack serves the console's static files at /console/, with the console's security headers."""

from __future__ import annotations

import http.client
from urllib.parse import urlsplit

from tests.conftest import RunningStack


def _get(stack: RunningStack, path: str, method: str = "GET") -> tuple[int, dict[str, str], bytes]:
    """A request with the path sent exactly as written (no client-side clean-up of `..`)."""
    address = urlsplit(stack.api_url)
    connection = http.client.HTTPConnection(address.hostname or "127.0.0.1", address.port, timeout=10)
    try:
        connection.request(method, path)
        answer = connection.getresponse()
        return answer.status, {k.lower(): v for k, v in answer.getheaders()}, answer.read()
    finally:
        connection.close()


def test_the_console_opens_at_slash_console_with_its_security_headers(local_stack: RunningStack) -> None:
    status, headers, body = _get(local_stack, "/console/")
    assert status == 200
    assert headers["content-type"] == "text/html; charset=utf-8"
    assert b"<html" in body
    assert headers["content-security-policy"] == (
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
        "frame-ancestors 'none'; base-uri 'none'; form-action 'self'"
    )
    assert headers["x-content-type-options"] == "nosniff"
    assert headers["referrer-policy"] == "no-referrer"


def test_each_kind_of_console_file_has_its_content_type(local_stack: RunningStack) -> None:
    assert _get(local_stack, "/console/js/main.js")[1]["content-type"] == "text/javascript; charset=utf-8"
    assert _get(local_stack, "/console/console.css")[1]["content-type"] == "text/css; charset=utf-8"
    assert _get(local_stack, "/console/i18n/nl.json")[1]["content-type"] == "application/json; charset=utf-8"


def test_slash_console_without_its_slash_leads_to_the_console(local_stack: RunningStack) -> None:
    status, headers, _ = _get(local_stack, "/console")
    assert status == 301 and headers["location"] == "/console/"


def test_no_path_reaches_outside_the_console_folder(local_stack: RunningStack) -> None:
    for path in (
        "/console/../README.md",
        "/console/..%2fREADME.md",
        "/console/%2e%2e/%2e%2e/etc/passwd",
        "/console/js/../../infra/local/console.py",
        "/console//etc/passwd",
        "/console/i18n/../../template.yaml",
    ):
        status, _, body = _get(local_stack, path)
        assert status == 404, path
        assert b"crisisline" not in body and b"root:" not in body, path


def test_the_console_is_read_only(local_stack: RunningStack) -> None:
    assert _get(local_stack, "/console/index.html", "POST")[0] == 405


def test_the_api_still_answers_beside_the_console(local_stack: RunningStack) -> None:
    assert _get(local_stack, "/health")[0] == 200


def test_make_run_says_where_the_console_is(local_stack: RunningStack) -> None:
    assert f"Web console         {local_stack.api_url}/console/" in local_stack.output
