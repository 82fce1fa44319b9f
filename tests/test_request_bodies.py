"""A body the API cannot read is the caller's mistake, on every route: 400 or 422, never the function failing
(API Gateway's 502). Found by fuzzing the API (tests/reliability/test_fuzz_api.py)."""

from __future__ import annotations

from typing import Any

import pytest

from infra.local import template
from tests.billing_support import finance_env
from tests.conftest import Api

__all__ = ["finance_env"]  # fixtures

ROUTES = [(route.method, route.path.replace("{authority_id}", "44021").replace("{activation_id}", "x")
           .replace("{month}", "2026-01")) for route in template.api_routes()]


@pytest.mark.parametrize(("method", "path"), ROUTES)
@pytest.mark.parametrize("raw", [b"\xf4\x03", b'~\xe7\xe9\xb3\xe7', b'{"reason": ', b" "],
                         ids=["not-utf8", "latin1", "truncated-json", "blank"])
def test_a_body_that_is_not_json_is_400_on_every_route(api: Api, admin: str, finance_env: None, snapshot: Any,
                                                       method: str, path: str, raw: bytes) -> None:
    before = snapshot()
    answer = api.call(method, path, admin, raw=raw)
    assert answer.status == 400, answer.raw
    assert answer.error_code == "malformed_json"
    assert snapshot() == before


@pytest.mark.parametrize(("method", "path"), ROUTES)
def test_a_json_body_that_is_not_an_object_is_422_on_every_route(api: Api, admin: str, finance_env: None,
                                                                method: str, path: str) -> None:
    answer = api.call(method, path, admin, raw=b"[1]")
    assert answer.status == 422, answer.raw
    assert answer.error_code == "validation_error"


def test_each_field_takes_only_the_json_type_the_document_gives(api: Api, admin: str, gent: str) -> None:
    from tests.conftest import activation_body, authority_body

    wrong_types = [
        ("/authorities", admin, authority_body("44022", agreement={"reference": "A", "signed_on": 1767225600})),
        ("/activations", gent, activation_body(operators="4")),
        ("/activations", gent, activation_body(victim_information="yes")),
        ("/numbers", admin, {"number": 3280012345, "kind": "did"}),
    ]
    for path, token, body in wrong_types:
        answer = api.post(path, token, body)
        assert answer.status == 422, (path, answer.body)
        assert answer.error_code == "validation_error"
    assert api.get("/authorities/44022", admin).status == 404
    assert api.get("/activations", gent).body["activations"] == []


# ---------------------------------------------------------------------- media types
def _send(api: Api, method: str, path: str, token: str, data: bytes, content_type: str | None) -> Any:
    """One request with exactly the given Content-Type (none when None), as curl or a script would send it."""
    from tests.conftest import Answer

    headers = {"Authorization": f"Bearer {token}"}
    if content_type is not None:
        headers["Content-Type"] = content_type
    return Answer(*api.gateway.handle(method, path, headers, data))


@pytest.mark.parametrize("content_type", [None, "text/plain", "text/plain; charset=utf-8", "TEXT/PLAIN"])
def test_a_json_body_sent_without_a_type_or_as_text_is_read_as_json(api: Api, admin: str, finance_env: None,
                                                                    content_type: str | None) -> None:
    answer = _send(api, "POST", "/credentials", admin, b'{"role": "finance"}', content_type)
    assert answer.status == 201, answer.raw
    assert answer.body["role"] == "finance"
    tariffs = _send(api, "PUT", "/tariffs", admin, b'{"currency": "EUR"}', content_type)
    assert tariffs.status == 422, tariffs.raw  # read as JSON: the fields it lacks are named, not the body
    assert "body" not in {field["field"] for field in tariffs.body["error"]["details"]["fields"]}


@pytest.mark.parametrize(("method", "path"), ROUTES)
@pytest.mark.parametrize("content_type", ["application/x-www-form-urlencoded", "multipart/form-data; boundary=x",
                                          "application/xml", "text/html"])
def test_a_body_sent_as_another_type_than_json_is_415_saying_what_to_send(
        api: Api, admin: str, finance_env: None, snapshot: Any, method: str, path: str, content_type: str) -> None:
    before = snapshot()
    answer = _send(api, method, path, admin, b'{"role": "finance"}', content_type)
    assert answer.status == 415, answer.raw
    assert answer.error_code == "unsupported_media_type"
    assert "Content-Type: application/json" in answer.body["error"]["message"]
    assert snapshot() == before


# ---------------------------------------------------------------------- depth, numbers, control characters
DEEP_BODIES = {"array": b"[" * 1000 + b"]" * 1000, "object": b'{"a":' * 400 + b"1" + b"}" * 400,
               "unclosed": b"[" * 2000, "just-over": b"[" * 33 + b"]" * 33}


@pytest.mark.parametrize(("method", "path"), [*ROUTES, ("GET", "/health"), ("GET", "/docs")])
@pytest.mark.parametrize("raw", DEEP_BODIES.values(), ids=DEEP_BODIES.keys())
def test_a_body_nested_too_deep_is_400_on_every_route(api: Api, admin: str, finance_env: None, method: str,
                                                      path: str, raw: bytes) -> None:
    answer = api.call(method, path, admin, raw=raw)
    assert answer.status == 400, answer.raw
    assert answer.error_code == "body_too_deep"


def test_brackets_inside_text_do_not_count_as_depth(api: Api, gent: str, add_numbers: Any) -> None:
    from tests.conftest import activation_body

    add_numbers("+3280012345")
    answer = api.post("/activations", gent, activation_body(reason="[[[[" * 60 + ' \\" {{{{' * 20))
    assert answer.status == 201, answer.body


HOSTILE_BODIES = {
    "huge-exponent": b'{"operators": 1e999999, "role": 1e999999, "operator_hour": 1e999999}',
    "long-integer": b'{"operators": ' + b"9" * 10_000 + b"}",
    "integer-under-the-limit": b'{"operators": ' + b"9" * 4000 + b', "calls_per_operator_hour": ' + b"9" * 4000 + b"}",
    "nan": b'{"operators": NaN}',
    "infinity": b'{"operators": -Infinity}',
    "raw-control": b'{"reason": "a\x00b\x07c\x1bd", "role": "fin\x00ance"}',
    "escaped-control": b'{"reason": "a\\u0000b", "role": "\\u001bfinance", "message": {"nl": "\\u0007"}}',
    "lone-surrogate": b'{"reason": "\\ud800", "role": "\\udfff", "effective_from": "\\ud800"}',
    "control-outside-text": b'{\x01"role": "finance"}',
}


@pytest.mark.parametrize(("method", "path"), [*ROUTES, ("GET", "/health")])
@pytest.mark.parametrize("raw", HOSTILE_BODIES.values(), ids=HOSTILE_BODIES.keys())
def test_huge_numbers_and_control_characters_are_never_a_server_error(api: Api, admin: str, finance_env: None,
                                                                      method: str, path: str, raw: bytes) -> None:
    answer = api.call(method, path, admin, raw=raw)
    assert answer.status < 500, answer.raw
    if answer.status >= 400:
        assert set(answer.body["error"]) == {"code", "message", "details"}
