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
