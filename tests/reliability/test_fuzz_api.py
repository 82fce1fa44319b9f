"""Part 1 of the reliability proof: schemathesis fuzzes every operation of the OpenAPI document that a running
local stack serves (`GET /docs?format=json`), with a valid token of each role, with data that fits the document
and data that does not. No answer may be a 5xx, and none may break the document: a status, content type,
header or body it does not declare, or a request it declares invalid that is accepted.

Before it, each class of hostile input is sent to every operation, and each must be refused as the README says:
bodies nested far over the depth limit (400 body_too_deep, on every route, /health and /docs too), huge and
non-finite numbers in every field of every body (400 or 422; `-0` is JSON's zero and may be accepted), control
characters, direction overrides, lone surrogates and text of zero-width characters only in every free-text field
(422 naming the field), and bodies sent as another media type than JSON (415). None may be a 5xx or break the
document either.

The stack is this test's own (`python -m infra.local` in a subprocess): the fuzzer enrols, activates, rotates
and revokes at random, which the other end-to-end tests must not see."""

from __future__ import annotations

import contextlib
import json
import re
import time
import urllib.parse
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.core.failures import FailureGroup

from infra import openapi
from infra.local import template
from tests.conftest import RunningStack, activation_body, authority_body, started_local_stack
from tests.reliability import figures

ROLES = ("admin", "authority", "finance", "d2_coordinator")
MODES = (GenerationMode.POSITIVE, GenerationMode.NEGATIVE)
# "Breaks the document": the checks of what an answer must be according to the document. A 5xx is counted on
# its own, from the status.
DOCUMENT_CHECKS = [
    schemathesis.checks.status_code_conformance,
    schemathesis.checks.content_type_conformance,
    schemathesis.checks.response_headers_conformance,
    schemathesis.checks.response_schema_conformance,
    schemathesis.checks.negative_data_rejection,
]
EXAMPLES = figures.size(ci=6, full=40)  # per operation, role, mode and set of path parameters
OTHER_AUTHORITY = "44021"  # enrolled for the fuzzer to rotate and revoke; the demo authority's token is used


@dataclass
class Tally:
    sent: int = 0
    statuses: Counter[int] = field(default_factory=Counter)
    server_errors: list[str] = field(default_factory=list)
    off_document: list[str] = field(default_factory=list)
    secrets: list[str] = field(default_factory=list)

    def redacted(self, text: str) -> str:
        """Never print a token: the known ones, and any the API answered with."""
        for secret in self.secrets:
            text = text.replace(secret, "<token>")
        return re.sub(r'("token"\s*:\s*")[^"]*"', r'\1<token>"', text)


@pytest.fixture(scope="module")
def own_stack() -> Iterator[RunningStack]:
    with started_local_stack() as stack:
        yield stack


def _call(stack: RunningStack, method: str, path: str, token: str, body: Any = None) -> requests.Response:
    return requests.request(
        method, stack.api_url + path, json=body, timeout=10, headers={"Authorization": f"Bearer {token}"}
    )


def _tokens_and_ids(stack: RunningStack) -> tuple[dict[str, str], dict[str, dict[str, str]]]:
    """A token per role, and real path parameters per operation so that fuzzing also reaches existing things."""
    finance = _call(stack, "POST", "/credentials", stack.admin_token, {"role": "finance", "label": "Finance team"})
    assert finance.status_code == 201
    assert _call(stack, "POST", "/authorities", stack.admin_token, authority_body(OTHER_AUTHORITY)).status_code == 201
    opened = _call(stack, "POST", "/activations", stack.authority_token, activation_body())
    assert opened.status_code == 201
    activation = {"activation_id": opened.json()["id"]}
    d2 = _call(stack, "POST", "/credentials", stack.admin_token, {"role": "d2_coordinator", "label": "D2 team"})
    assert d2.status_code == 201
    tokens = {
        "admin": stack.admin_token,
        "authority": stack.authority_token,
        "finance": finance.json()["token"],
        "d2_coordinator": d2.json()["token"],
    }
    month = time.strftime("%Y-%m")
    real = {
        "GET /authorities/{authority_id}": {"authority_id": stack.authority_id},
        "POST /authorities/{authority_id}/token": {"authority_id": OTHER_AUTHORITY},
        "POST /authorities/{authority_id}/revoke": {"authority_id": OTHER_AUTHORITY},
        "GET /activations/{activation_id}": activation,
        "PATCH /activations/{activation_id}": activation,
        "POST /activations/{activation_id}/close": activation,
        "GET /activations/{activation_id}/audit": activation,
        "POST /activations/{activation_id}/enquiries": activation,
        "GET /activations/{activation_id}/enquiries": activation,
        "GET /activations/{activation_id}/enquiries/similar": activation,
        "GET /activations/{activation_id}/d2/audit/verify": activation,
        "GET /activations/{activation_id}/d2/figures": activation,
        "GET /activations/{activation_id}/d2/export": activation,
        "GET /activations/{activation_id}/d2/retention": activation,
        "POST /activations/{activation_id}/d2/retention": activation,
        "GET /activations/{activation_id}/callbacks": activation,
        "GET /exports/{month}": {"month": month},
    }
    return tokens, real


def _fuzz(
    operation: Any,
    strategy: Any,
    role: str,
    token: str,
    base_url: str,
    session: requests.Session,
    tally: Tally,
    label: str,
) -> None:
    headers = {"Authorization": f"Bearer {token}"}

    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        database=None,
        derandomize=not figures.full_size(),
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(case=strategy)
    def fuzz(case: Any) -> None:
        response = case.call(base_url=base_url, headers=headers, session=session, timeout=15)
        tally.sent += 1
        tally.statuses[response.status_code] += 1
        what = f"{operation.method.upper()} {operation.path} as {role} ({label}): {response.status_code}"
        if response.status_code >= 500:
            sent = f"{case.media_type} {case.body!r}"[:300]
            tally.server_errors.append(
                tally.redacted(f"{what} {response.text[:200]} after {case.path_parameters} {case.query} {sent}")
            )
        try:
            case.validate_response(response, checks=DOCUMENT_CHECKS, headers=headers)
        except FailureGroup as group:
            for failure in group.exceptions:
                tally.off_document.append(tally.redacted(f"{what} {failure.title}: {failure.message[:400]}"))

    # Nothing in an operation without parameters or body can be made invalid: negative mode has no case.
    with contextlib.suppress(Unsatisfiable):
        fuzz()


# ---------------------------------------------------------------------- hostile input, class by class
NESTED = {
    "array": "[" * 1000 + "]" * 1000,
    "object": '{"a":' * 1000 + "1" + "}" * 1000,
    "just over the limit": "[" * 33 + "]" * 33,
}
# Written into the JSON as they are: JSON has no NaN or Infinity, and an integer of 10,000 digits is over
# Python's limit for reading one.
NUMBERS = ["1e999999", "9" * 10_000, "NaN", "Infinity", "-Infinity", "-0"]
ZERO = "-0"  # JSON's zero: a field that takes 0 may accept it
TEXT = {
    "control characters": ["\x00", "\x07", "\x1b[31m", "\x7f", "\x85"],
    "direction overrides": ["\u202e", "\u202d", "\u2066", "\u200f"],
    "lone surrogates": ["\ud800", "\udfff"],  # sent as \\ud800 escapes: json.dumps escapes every non-ASCII character
    "zero-width only": ["\u200b", "\u200b\u200c\u200d", "\ufeff"],
}
ODD_TYPES = [
    "application/xml",
    "application/x-www-form-urlencoded",
    "multipart/form-data; boundary=x",
    "text/html",
    "application/octet-stream",
    "text/csv",
]
# A valid body per operation with a body model: hostile input goes into one field at a time.
BASE_BODIES: dict[str, dict[str, Any]] = {
    "POST /authorities": authority_body("11002", "Stad Antwerpen"),
    "POST /credentials": {"role": "finance", "label": "Finance team"},
    "POST /authorities/{authority_id}/activators": {
        "name": "Mathias De Clercq",
        "function": "burgemeester",
        "phone": "+32475123456",
        "language": "nl",
    },
    "PATCH /authorities/{authority_id}/activators/{activator_id}": {"function": "schepen"},
    "PUT /authorities/{authority_id}/activators/{activator_id}/pin": {"pin": "482915"},
    "PUT /me/pin": {"current_pin": "482915", "new_pin": "736251"},
    "PUT /authorities/{authority_id}/default-message": {"message": {"nl": "Blijf binnen.", "fr": "Restez chez vous."}},
    "POST /numbers": {"number": "+3280099999", "kind": "toll_free"},
    "PATCH /numbers/{number}": {"kind": "did"},
    "POST /activations": activation_body(),
    "PATCH /activations/{activation_id}": {"message": {"nl": "Blijf binnen.", "en": "Stay inside."}, "operators": 3},
    "POST /activations/{activation_id}/enquiries": {
        "sought": {"given_names": "Marie", "family_name": "Peeters", "birth_date": "1987-03"},
        "enquirer": {
            "name": "Jan Peeters",
            "phone": "+32470998877",
            "relationship": "brother",
            "language": "nl",
            "callback_consent": True,
        },
    },
    "POST /activations/{activation_id}/d2/retention": {"days": 90, "reason": "Judicial inquiry"},
    "POST /activations/{activation_id}/persons/{person_id}/links": {"person_id": "0ther0person"},
    "POST /activations/{activation_id}/callbacks/{callback_id}/done": {"outcome": "reached", "note": "voicemail"},
    "POST /activations/{activation_id}/entries/{entry_id}/disclosure": {"refused": True},
    "POST /activations/{activation_id}/matches": {"reference": "K7MD-4QX", "entry_id": "0" * 32},
    "POST /preview": {"languages": ["nl", "en"], "message": {"nl": "Blijf binnen.", "en": "Stay inside."}},
    "PUT /activations/{activation_id}/briefing": {
        "items": {"nl": [{"question": "Mag ik naar buiten?", "answer": "Nee, blijf binnen."}]}
    },
    "PUT /tariffs": {
        "effective_from": "2999-01-01",
        "operator_hour": "50.00",
        "number_day": {"did": "0.10", "toll_free": "0.45"},
        "telephony_minute": {"did": "0.01", "toll_free": "0.04"},
        "service_minute": "0.018",
        "personnel_minimum_hours": "4",
        "calls_per_operator_hour": 12,
        "grace_minutes": 5,
    },
}
PLACEHOLDER = "\x00hostile\x00"


@dataclass
class Hostile:
    """Requests per class, and every answer that was a 5xx, broke the document or was not the refusal due."""

    sent: Counter[str] = field(default_factory=Counter)
    server_errors: list[str] = field(default_factory=list)
    off_document: list[str] = field(default_factory=list)
    unexpected: list[str] = field(default_factory=list)

    def summary(self) -> str:
        classes = ", ".join(f"{name} {count}" for name, count in self.sent.items())
        return (
            f"hostile input {sum(self.sent.values())} requests ({classes}): 5xx {len(self.server_errors)}, "
            f"off the document {len(self.off_document)}, not refused as due {len(self.unexpected)}"
        )


def _leaves(value: Any, path: tuple[str, ...] = ()) -> Iterator[tuple[str, ...]]:
    """The path of every value in a body that is not an object (a list counts as one value)."""
    if isinstance(value, dict) and value:
        for key, inner in value.items():
            yield from _leaves(inner, (*path, key))
    elif path:
        yield path


def _with(body: dict[str, Any], path: tuple[str, ...], value: Any) -> dict[str, Any]:
    changed = json.loads(json.dumps(body))
    inner = changed
    for key in path[:-1]:
        inner = inner[key]
    inner[path[-1]] = value
    return changed  # type: ignore[no-any-return]


def _schema_at(document: dict[str, Any], schema: dict[str, Any], path: tuple[str, ...]) -> dict[str, Any]:
    """The document's schema of the value at `path` in a body of `schema` ({} when it says nothing)."""
    schema = _resolved(document, schema)
    for key in path:
        schema = _resolved(document, schema.get("properties", {}).get(key) or schema.get("additionalProperties") or {})
    return schema


def _resolved(document: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    """`schema` itself, not a reference to it nor a choice of it or null."""
    while "$ref" in schema or "anyOf" in schema:
        if "$ref" in schema:
            schema = document["components"]["schemas"][schema["$ref"].rsplit("/", 1)[1]]
        else:
            schema = next((option for option in schema["anyOf"] if option.get("type") != "null"), {})
    return schema


def _free_text(schema: dict[str, Any], sample: str) -> bool:
    """Text a person writes: a string without choices or a format, whose form in the document (if any) lets an
    invisible character through, so that only the API's rule for text can refuse it."""
    if schema.get("type") != "string" or {"enum", "const", "format"} & schema.keys():
        return False
    return "pattern" not in schema or re.search(schema["pattern"], f"{sample[:1]}\u200b{sample[1:]}") is not None


def _send_hostile(
    stack: RunningStack,
    session: requests.Session,
    tally: Hostile,
    kind: str,
    case: Any,
    method: str,
    path: str,
    token: str,
    raw: bytes,
    content_type: str,
    due: Any,
) -> None:
    """Send one hostile request; `due(response)` is None when it was refused as due, else what was wrong."""
    response = session.request(
        method,
        stack.api_url + path,
        data=raw,
        timeout=15,
        headers={"Authorization": f"Bearer {token}", "Content-Type": content_type},
    )
    tally.sent[kind] += 1
    what = f"{kind}: {method} {path} as {content_type} ({raw[:80]!r}): {response.status_code} {response.text[:200]}"
    if response.status_code >= 500:
        tally.server_errors.append(what)
    if case is not None:  # None: /docs, which the document does not describe
        try:
            # Not negative_data_rejection: a case made by hand has no generated data to judge.
            case.validate_response(response, checks=DOCUMENT_CHECKS[:-1])
        except FailureGroup as group:
            tally.off_document.extend(f"{what}: {failure.title}" for failure in group.exceptions)
    problem = due(response)
    if problem:
        tally.unexpected.append(f"{what}: {problem}")


def _error_code(response: requests.Response) -> str | None:
    try:
        return str(response.json()["error"]["code"])
    except (ValueError, KeyError, TypeError):
        return None


def _refused_with(status: int, code: str) -> Any:
    def due(response: requests.Response) -> str | None:
        found = (response.status_code, _error_code(response))
        return None if found == (status, code) else f"expected {status} {code}"

    return due


def _refused_naming(field_name: str) -> Any:
    def due(response: requests.Response) -> str | None:
        if (response.status_code, _error_code(response)) != (422, "validation_error"):
            return f"expected 422 validation_error naming {field_name}"
        named = {problem.get("field") for problem in response.json()["error"]["details"].get("fields", [])}
        return None if field_name in named else f"expected {field_name} among the fields named, got {named}"

    return due


def _refused_number(token: str, has_body_model: bool) -> Any:
    def due(response: requests.Response) -> str | None:
        if token == ZERO or not has_body_model:
            return None  # JSON's zero, or a body the route does not read: not a 5xx and on the document is all
        if (response.status_code, _error_code(response)) in ((400, "malformed_json"), (422, "validation_error")):
            return None
        return "expected 400 malformed_json or 422 validation_error"

    return due


def _path_parameters(path: str, real: dict[str, str]) -> dict[str, str]:
    """A value for each parameter of `path`: the real one when known, else one of the right form."""
    known = {
        "authority_id": "44021",
        "credential_id": "no-such-credential",
        "activator_id": "0123456789abcdef",
        "number": "+3280099999",
        "month": time.strftime("%Y-%m"),
        "reference": "K7MD-4QX",
        "person_id": "no-such-person",
        "other_person_id": "no-such-person",
        "callback_id": "no-such-callback",
        "entry_id": "no-such-entry",
        "match_id": "0" * 32,
        **real,
    }
    return {name: known[name] for name in re.findall(r"\{(\w+)\}", path)}


def _hostile_input(
    stack: RunningStack, tokens: dict[str, str], operations: list[Any], document: dict[str, Any], activation_id: str
) -> Hostile:
    """Every class of hostile input at every operation (and /docs), with a token of a role that may call it."""
    tally = Hostile()
    targets = [(operation, operation.method.upper(), operation.path) for operation in operations]
    with requests.Session() as session:
        for operation, method, template_path in [*targets, (None, *openapi.DOCS_ROUTE)]:
            key = f"{method} {template_path}"
            if key == "POST /activations/{activation_id}/lists":
                continue  # the body is a file, read by d2.lists.read_list: tests/test_d2_lists.py fuzzes it
            d2 = any(part in key for part in ("/enquiries", "/persons/", "/callbacks", "/entries/", "/d2/", "/matches"))
            role = "d2_coordinator" if d2 else "authority" if key in ("POST /activations", "PUT /me/pin") else "admin"
            token = tokens[role]
            parameters = _path_parameters(template_path, {"activation_id": activation_id})
            path = template_path.format(
                **{name: urllib.parse.quote(value, safe="") for name, value in parameters.items()}
            )
            operation_document = document["paths"].get(template_path, {}).get(method.lower(), {})
            assert ("requestBody" in operation_document) == (key in BASE_BODIES), (
                f"{key}: give it a valid body in BASE_BODIES"
            )

            case = operation.Case(path_parameters=parameters, media_type="application/json") if operation else None

            def send(
                kind: str,
                raw: bytes,
                due: Any,
                content_type: str = "application/json",
                case: Any = case,
                method: str = method,
                path: str = path,
                token: str = token,
            ) -> None:
                _send_hostile(stack, session, tally, kind, case, method, path, token, raw, content_type, due)

            _attack(send, BASE_BODIES.get(key), operation_document, document)
    return tally


def _attack(
    send: Any, base: dict[str, Any] | None, operation_document: dict[str, Any], document: dict[str, Any]
) -> None:
    """Each class at one operation: `base` is its valid body (None: the route reads no body)."""
    full = figures.full_size()
    body = base if base is not None else {"note": "hostile"}
    for raw in NESTED.values():
        send("nested", raw.encode(), _refused_with(400, "body_too_deep"))
    for content_type in ODD_TYPES if full else ODD_TYPES[:2]:
        send("content types", json.dumps(body).encode(), _refused_with(415, "unsupported_media_type"), content_type)
    leaves = list(_leaves(body))
    for leaf in leaves if full else leaves[::2]:
        text = json.dumps(_with(body, leaf, PLACEHOLDER))
        for number in NUMBERS:
            send(
                "huge numbers",
                text.replace(json.dumps(PLACEHOLDER), number).encode(),
                _refused_number(number, base is not None),
            )
    if base is None:
        return
    schema = operation_document["requestBody"]["content"]["application/json"]["schema"]
    for leaf in leaves:
        sample = str(_leaf(base, leaf))
        if not _free_text(_schema_at(document, schema, leaf), sample):
            continue
        for kind, values in TEXT.items():
            for value in values if full else values[:1]:
                text = value if kind == "zero-width only" else f"{sample[:1]}{value}{sample[1:]}"
                send(kind, json.dumps(_with(base, leaf, text)).encode(), _refused_naming(".".join(leaf)))


def _leaf(body: dict[str, Any], path: tuple[str, ...]) -> Any:
    for key in path:
        body = body[key]
    return body


def test_fuzzing_every_operation_with_every_role_finds_no_5xx_and_nothing_off_the_document(
    own_stack: RunningStack,
) -> None:
    started = time.monotonic()
    tokens, real = _tokens_and_ids(own_stack)
    tally = Tally(secrets=list(tokens.values()))
    schema = schemathesis.openapi.from_url(f"{own_stack.api_url}/docs?format=json", timeout=10)
    # Each request carries the role's valid token (bad tokens are part 5's, the access matrix); and a query
    # parameter the document does not name is ignored, as API Gateway and the resolvers do, not "invalid data".
    schema.config.generation.update(with_security_parameters=False, allow_extra_parameters=False)
    operations = [result.ok() for result in schema.get_all_operations()]
    served = {(operation.method.upper(), operation.path) for operation in operations}
    routes = {(route.method, route.path) for route in template.api_routes()} - {openapi.DOCS_ROUTE}
    assert served == routes, "the served document must describe every route of the template's API"
    document = requests.get(f"{own_stack.api_url}/docs?format=json", timeout=10).json()
    # Hostile input first, while the tokens and the open line are as set up.
    hostile = _hostile_input(
        own_stack, tokens, operations, document, real["GET /activations/{activation_id}"]["activation_id"]
    )

    with requests.Session() as session:
        for operation in operations:
            key = f"{operation.method.upper()} {operation.path}"
            for role in ROLES:
                for mode in MODES:
                    _fuzz(
                        operation,
                        operation.as_strategy(generation_mode=mode),
                        role,
                        tokens[role],
                        own_stack.api_url,
                        session,
                        tally,
                        mode.value,
                    )
                    if key in real and mode is GenerationMode.POSITIVE:
                        _fuzz(
                            operation,
                            operation.as_strategy(generation_mode=mode, path_parameters=real[key]),
                            role,
                            tokens[role],
                            own_stack.api_url,
                            session,
                            tally,
                            "existing",
                        )

    text = (
        f"{tally.sent} requests over {len(operations)} operations × {len(ROLES)} roles (valid and invalid "
        f"data), responses 5xx {len(tally.server_errors)}, responses that break the document "
        f"{len(tally.off_document)}; {hostile.summary()}"
    )
    print(
        f"\n1. fuzzing the API: {text} ({time.monotonic() - started:.0f} s); statuses {sorted(tally.statuses.items())}"
    )
    for line in [
        *tally.server_errors,
        *tally.off_document,
        *hostile.server_errors,
        *hostile.off_document,
        *hostile.unexpected,
    ][:40]:
        print("  " + tally.redacted(line))
    hostile_ok = not hostile.server_errors and not hostile.off_document and not hostile.unexpected
    figures.record("1", text, ok=not tally.server_errors and not tally.off_document and hostile_ok)
    assert tally.server_errors == []
    assert tally.off_document == []
    assert hostile.server_errors == []
    assert hostile.off_document == []
    assert hostile.unexpected == []
    assert set(hostile.sent) == {"nested", "content types", "huge numbers", *TEXT}
    assert tally.sent >= len(operations) * len(ROLES) * len(MODES)
