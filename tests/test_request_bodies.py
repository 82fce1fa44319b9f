"""A body the API cannot read is the caller's mistake, on every route: 400 or 422, never the function failing
(API Gateway's 502). Found by fuzzing the API (tests/reliability/test_fuzz_api.py)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from infra.local import template
from tests.billing_support import finance_env
from tests.conftest import Api

__all__ = ["finance_env"]  # fixtures

ROUTES = [
    (
        route.method,
        route.path.replace("{authority_id}", "44021").replace("{activation_id}", "x").replace("{month}", "2026-01"),
    )
    for route in template.api_routes()
    # A D2 list's body is a file, not JSON: tests/test_d2_lists_api.py and tests/test_d2_lists.py judge it.
    if (route.method, route.path) != ("POST", "/activations/{activation_id}/lists")
]


@pytest.mark.parametrize(("method", "path"), ROUTES)
@pytest.mark.parametrize(
    "raw",
    [b"\xf4\x03", b"~\xe7\xe9\xb3\xe7", b'{"reason": ', b" "],
    ids=["not-utf8", "latin1", "truncated-json", "blank"],
)
def test_a_body_that_is_not_json_is_400_on_every_route(
    api: Api, admin: str, finance_env: None, snapshot: Any, method: str, path: str, raw: bytes
) -> None:
    before = snapshot()
    answer = api.call(method, path, admin, raw=raw)
    assert answer.status == 400, answer.raw
    assert answer.error_code == "malformed_json"
    assert snapshot() == before


D2_PARTS = ("/enquiries", "/d2/", "/persons/", "/callbacks", "/entries/", "/matches", "/lists")


@pytest.mark.parametrize(("method", "path"), ROUTES)
def test_a_json_body_that_is_not_an_object_is_422_on_every_route(
    api: Api, admin: str, gent: str, finance_env: None, method: str, path: str
) -> None:
    # a role that may call the route
    token = gent if (method, path) in (("POST", "/activations"), ("PUT", "/me/pin")) else admin
    if any(part in path for part in D2_PARTS):  # the D2 line's staff only
        token = api.post("/credentials", admin, {"role": "d2_coordinator", "label": "D2"}).body["token"]
    answer = api.call(method, path, token, raw=b"[1]")
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
def test_a_json_body_sent_without_a_type_or_as_text_is_read_as_json(
    api: Api, admin: str, finance_env: None, content_type: str | None
) -> None:
    answer = _send(api, "POST", "/credentials", admin, b'{"role": "finance", "label": "Finance team"}', content_type)
    assert answer.status == 201, answer.raw
    assert answer.body["role"] == "finance"
    tariffs = _send(api, "PUT", "/tariffs", admin, b'{"currency": "EUR"}', content_type)
    assert tariffs.status == 422, tariffs.raw  # read as JSON: the fields it lacks are named, not the body
    assert "body" not in {field["field"] for field in tariffs.body["error"]["details"]["fields"]}


@pytest.mark.parametrize(("method", "path"), ROUTES)
@pytest.mark.parametrize(
    "content_type",
    ["application/x-www-form-urlencoded", "multipart/form-data; boundary=x", "application/xml", "text/html"],
)
def test_a_body_sent_as_another_type_than_json_is_415_saying_what_to_send(
    api: Api, admin: str, finance_env: None, snapshot: Any, method: str, path: str, content_type: str
) -> None:
    before = snapshot()
    answer = _send(api, method, path, admin, b'{"role": "finance", "label": "Finance team"}', content_type)
    assert answer.status == 415, answer.raw
    assert answer.error_code == "unsupported_media_type"
    assert "Content-Type: application/json" in answer.body["error"]["message"]
    assert snapshot() == before


# ---------------------------------------------------------------------- depth, numbers, control characters
DEEP_BODIES = {
    "array": b"[" * 1000 + b"]" * 1000,
    "object": b'{"a":' * 400 + b"1" + b"}" * 400,
    "unclosed": b"[" * 2000,
    "just-over": b"[" * 33 + b"]" * 33,
}


@pytest.mark.parametrize(("method", "path"), [*ROUTES, ("GET", "/health"), ("GET", "/docs")])
@pytest.mark.parametrize("raw", DEEP_BODIES.values(), ids=DEEP_BODIES.keys())
def test_a_body_nested_too_deep_is_400_on_every_route(
    api: Api, admin: str, finance_env: None, method: str, path: str, raw: bytes
) -> None:
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
def test_huge_numbers_and_control_characters_are_never_a_server_error(
    api: Api, admin: str, finance_env: None, method: str, path: str, raw: bytes
) -> None:
    answer = api.call(method, path, admin, raw=raw)
    assert answer.status < 500, answer.raw
    if answer.status >= 400:
        assert set(answer.body["error"]) == {"code", "message", "details"}


# ---------------------------------------------------------------------- 422s an official understands
def _field_problems(answer: Any) -> dict[str, str]:
    return {field["field"]: field["problem"] for field in answer.body["error"]["details"]["fields"]}


def test_a_wrong_nis_code_is_explained_in_a_sentence_naming_the_field(api: Api, admin: str) -> None:
    from tests.conftest import authority_body

    answer = api.post("/authorities", admin, authority_body("1"))
    assert answer.status == 422
    assert answer.body["error"]["message"] == "The NIS code is five digits, for example 11002."
    assert _field_problems(answer) == {"id": "The NIS code is five digits, for example 11002."}


def test_a_text_for_a_language_the_line_does_not_offer_is_explained(api: Api, gent: str, add_numbers: Any) -> None:
    from tests.conftest import activation_body

    add_numbers("+3280012345")
    answer = api.post("/activations", gent, activation_body(languages=["fr"], message={"de": "Bleiben Sie drinnen."}))
    assert answer.status == 422
    expected = (
        "The message needs a text in French (fr), because the line offers French; remove the text in "
        "German (de), which the line does not offer."
    )
    assert answer.body["error"]["message"] == expected
    assert _field_problems(answer) == {"message": expected}


def test_a_patch_that_leaves_a_language_without_its_text_is_explained(api: Api, gent: str, add_numbers: Any) -> None:
    from tests.conftest import activation_body

    add_numbers("+3280012345")
    line = api.post("/activations", gent, activation_body()).body
    answer = api.patch(f"/activations/{line['id']}", gent, {"languages": ["nl", "en", "fr"]})
    assert answer.status == 422
    assert answer.body["error"]["message"] == (
        "The message needs a text in French (fr), because the line offers French."
    )


def test_the_message_combines_the_sentences_of_every_field(api: Api, admin: str) -> None:
    answer = api.post("/authorities", admin, {"id": "1", "name": "x" * 201, "languages": ["nl", "xx"], "colour": "red"})
    assert answer.status == 422
    message = answer.body["error"]["message"]
    for sentence in [
        "The NIS code is five digits, for example 11002.",
        "The name is too long: at most 200 characters.",
        "Each language is one of: nl, fr, de or en.",
        "The agreement is missing.",
        "The billing details is missing.",
        'The request does not take a field "colour"; remove it.',
    ]:
        assert sentence in message
    assert set(_field_problems(answer)) == {"id", "name", "languages.1", "agreement", "billing", "colour"}


JARGON = [
    "Input should",
    "String should",
    "Field required",
    "Value error",
    "Extra inputs",
    "Invalid field",
    "[",
    "_type",
    "pattern",
    "'",
]
BAD_REQUESTS = [
    ("POST", "/credentials", {"role": "root"}, "role", "finance, admin, operator, d2_agent or d2_coordinator"),
    ("POST", "/credentials", {}, "role", "missing"),
    ("POST", "/credentials", {"role": 1}, "role", "one of"),
    ("POST", "/numbers", {"number": "0032", "kind": "did"}, "number", "+3280012345"),
    ("POST", "/numbers", {"number": 3280012345, "kind": "did"}, "number", "text"),
    ("POST", "/activations", {"operators": 0}, "operators", "at least 1"),
    ("POST", "/activations", {"operators": 500}, "operators", "at most 200"),
    ("POST", "/activations", {"operators": 1.5}, "operators", "whole number"),
    ("POST", "/activations", {"languages": []}, "languages", "at least 1"),
    ("POST", "/activations", {"languages": ["nl", "nl"]}, "languages", "twice"),
    ("POST", "/activations", {"languages": "nl"}, "languages", "list"),
    ("POST", "/activations", {"message": {"xx": "Hallo"}}, "message.xx.[key]", "nl, fr, de or en"),
    ("POST", "/activations", {"victim_information": "yes"}, "victim_information", "true or false"),
    ("POST", "/activations", {"reason": "r" * 501}, "reason", "at most 500 characters"),
    ("POST", "/activations", {"reason": ""}, "reason", "empty"),
    ("PATCH", "/activations/x", {"operators": None}, "operators", "null"),
    ("PATCH", "/activations/x", {}, "body", "nothing to change"),
    (
        "POST",
        "/authorities",
        {"agreement": {"reference": "A", "signed_on": "01/02/2026"}},
        "agreement.signed_on",
        "YYYY-MM-DD",
    ),
    (
        "POST",
        "/authorities",
        {"agreement": {"reference": "A", "signed_on": "2099-01-01"}},
        "agreement.signed_on",
        "future",
    ),
    ("POST", "/authorities", {"billing": {"reference": "B", "email": "nobody"}}, "billing.email", "name@domain"),
    ("GET", "/authorities/12", None, "authority_id", "five digits"),
    ("GET", "/activations?status=maybe", None, "status", "live or closed"),
    ("PUT", "/tariffs", {"operator_hour": 45}, "operator_hour", "text"),
    ("PUT", "/tariffs", {"operator_hour": "45,00"}, "operator_hour", "45.00"),
]


@pytest.mark.parametrize(("method", "path", "body", "field", "words"), BAD_REQUESTS)
def test_every_validation_problem_reads_as_a_sentence(
    api: Api, admin: str, gent: str, finance_env: None, method: str, path: str, body: Any, field: str, words: str
) -> None:
    token = gent if path.startswith("/activations") and method != "GET" else admin
    answer = api.call(method, path, token, body)
    assert answer.status == 422, answer.body
    problems = _field_problems(answer)
    assert field in problems, problems
    assert words in problems[field]
    for text in [answer.body["error"]["message"], *problems.values()]:
        assert text[0].isupper() and text.endswith("."), text
        assert not [word for word in JARGON if word in text], text


def test_an_idempotency_key_with_spaces_is_explained(api: Api, gent: str) -> None:
    from tests.conftest import activation_body

    answer = api.post("/activations", gent, activation_body(), headers={"Idempotency-Key": "a b"})
    assert answer.status == 422
    assert _field_problems(answer) == {
        "idempotency-key": "The Idempotency-Key header is 1 to 100 visible ASCII characters, without spaces."
    }


def test_every_field_of_the_api_has_a_name_an_official_knows() -> None:
    import json

    from crisisline.models import FIELD_NAMES
    from infra.openapi import DOCUMENT

    document = json.loads(DOCUMENT.read_text())
    schemas = document["components"]["schemas"]
    unnamed = set()

    def walk(schema: dict[str, Any], prefix: str) -> None:
        if "$ref" in schema:
            schema = schemas[schema["$ref"].rsplit("/", 1)[1]]
        for option in schema.get("anyOf", []):
            walk(option, prefix)
        for name, field in schema.get("properties", {}).items():
            key = f"{prefix}.{name}" if prefix else name
            if key not in FIELD_NAMES and not key.startswith("message."):
                unnamed.add(key)
            walk(field, key)

    for path in document["paths"].values():
        for operation in path.values():
            for parameter in operation.get("parameters", []):
                if parameter["name"] not in FIELD_NAMES:
                    unnamed.add(parameter["name"])
            body = operation.get("requestBody", {}).get("content", {}).get("application/json", {})
            if body:
                walk(body["schema"], "")
    assert unnamed == set(), "add each to FIELD_NAMES in crisisline/models.py"


# ---------------------------------------------------------------------- free text a person can read
FREE_TEXT = {
    "name": lambda text: ("POST", "/authorities", "authority", {"name": f"Stad {text}Gent"}),
    "agreement.reference": lambda text: (
        "POST",
        "/authorities",
        "authority",
        {"agreement": {"reference": f"NCCN{text}1", "signed_on": "2026-02-01"}},
    ),
    "billing.reference": lambda text: (
        "POST",
        "/authorities",
        "authority",
        {"billing": {"reference": f"F{text}1", "email": "facturen@gent.example"}},
    ),
    "billing.email": lambda text: (
        "POST",
        "/authorities",
        "authority",
        {"billing": {"reference": "F1", "email": f"fact{text}uren@gent.example"}},
    ),
    "reason": lambda text: ("POST", "/activations", "activation", {"reason": f"Fire{text} at the port"}),
    "message.nl": lambda text: (
        "POST",
        "/activations",
        "activation",
        {"message": {"nl": f"Blijf{text} binnen.", "en": "Stay inside."}},
    ),
}
HIDDEN = {
    "nul": ("\x00", "control character (U+0000)"),
    "bell": ("\x07", "control character (U+0007)"),
    "escape": ("\x1b[31m", "control character (U+001B)"),
    "c1": ("\x85", "control character (U+0085)"),
    "delete": ("\x7f", "control character (U+007F)"),
    "override": ("\u202e", "changes the direction of the text (U+202E)"),
    "isolate": ("\u2066", "changes the direction of the text (U+2066)"),
    "zero-width-space": ("\u200b", "invisible character (U+200B)"),
    "joiner": ("\u200d", "invisible character (U+200D)"),
    "bom": ("\ufeff", "invisible character (U+FEFF)"),
    "lone-surrogate": ("\ud800", "half of a character (a lone surrogate)"),
}


@pytest.mark.parametrize("field", FREE_TEXT)
@pytest.mark.parametrize("hidden", HIDDEN.values(), ids=HIDDEN.keys())
def test_free_text_with_a_hidden_character_is_refused_saying_why(
    api: Api, admin: str, gent: str, add_numbers: Any, snapshot: Any, field: str, hidden: tuple[str, str]
) -> None:
    from tests.conftest import activation_body, authority_body

    text, why = hidden
    method, path, kind, change = FREE_TEXT[field](text)
    token, body = (
        (admin, authority_body("11002", **change)) if kind == "authority" else (gent, activation_body(**change))
    )
    add_numbers("+3280012345")
    before = snapshot()
    answer = api.call(method, path, token, raw=json.dumps(body).encode())
    assert answer.status == 422, answer.body
    problem = _field_problems(answer)[field]
    assert why in problem and problem.endswith("; remove it."), problem
    assert snapshot() == before


@pytest.mark.parametrize("blank", ["\u200b\u200b", "   ", "\u3000", "\u00a0", "\ufeff", "\u3164", "\u2800", "\u0301"])
def test_text_with_nothing_visible_is_refused(api: Api, gent: str, add_numbers: Any, blank: str) -> None:
    from tests.conftest import activation_body

    add_numbers("+3280012345")
    answer = api.post("/activations", gent, activation_body(reason=blank, message={"nl": blank, "en": "Stay in."}))
    assert answer.status == 422, answer.body
    problems = _field_problems(answer)
    assert problems["message.nl"] == "The message in Dutch (nl) has no visible text; callers would hear silence."
    assert problems["reason"] == "The reason has no visible text; write it out."


def test_line_breaks_in_a_message_become_spaces_because_it_is_spoken(api: Api, gent: str, add_numbers: Any) -> None:
    from tests.conftest import activation_body

    add_numbers("+3280012345")
    answer = api.post(
        "/activations",
        gent,
        activation_body(message={"nl": "Blijf binnen.\r\n\r\n\tSluit ramen.\nBel 112.\u2028", "en": "Stay inside."}),
    )
    assert answer.status == 201, answer.body
    assert answer.body["message"]["nl"] == "Blijf binnen. Sluit ramen. Bel 112."
    elsewhere = api.post("/activations", gent, activation_body(reason="Fire\nat the port"))
    assert _field_problems(elsewhere)["reason"] == "The reason contains a control character (U+000A); remove it."
