"""Part 1 of the reliability proof: schemathesis fuzzes every operation of the OpenAPI document that a running
local stack serves (`GET /docs?format=json`), with a valid token of each role, with data that fits the document
and data that does not. No answer may be a 5xx, and none may break the document: a status, content type,
header or body it does not declare, or a request it declares invalid that is accepted.

The stack is this test's own (`python -m infra.local` in a subprocess): the fuzzer enrols, activates, rotates
and revokes at random, which the other end-to-end tests must not see."""

from __future__ import annotations

import contextlib
import re
import time
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

ROLES = ("admin", "authority", "finance")
MODES = (GenerationMode.POSITIVE, GenerationMode.NEGATIVE)
# "Breaks the document": the checks of what an answer must be according to the document. A 5xx is counted on
# its own, from the status.
DOCUMENT_CHECKS = [schemathesis.checks.status_code_conformance, schemathesis.checks.content_type_conformance,
                   schemathesis.checks.response_headers_conformance,
                   schemathesis.checks.response_schema_conformance, schemathesis.checks.negative_data_rejection]
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
    return requests.request(method, stack.api_url + path, json=body, timeout=10,
                            headers={"Authorization": f"Bearer {token}"})


def _tokens_and_ids(stack: RunningStack) -> tuple[dict[str, str], dict[str, dict[str, str]]]:
    """A token per role, and real path parameters per operation so that fuzzing also reaches existing things."""
    finance = _call(stack, "POST", "/credentials", stack.admin_token, {"role": "finance", "label": "Finance team"})
    assert finance.status_code == 201
    assert _call(stack, "POST", "/authorities", stack.admin_token,
                 authority_body(OTHER_AUTHORITY)).status_code == 201
    opened = _call(stack, "POST", "/activations", stack.authority_token, activation_body())
    assert opened.status_code == 201
    activation = {"activation_id": opened.json()["id"]}
    tokens = {"admin": stack.admin_token, "authority": stack.authority_token, "finance": finance.json()["token"]}
    month = time.strftime("%Y-%m")
    real = {
        "GET /authorities/{authority_id}": {"authority_id": stack.authority_id},
        "POST /authorities/{authority_id}/token": {"authority_id": OTHER_AUTHORITY},
        "POST /authorities/{authority_id}/revoke": {"authority_id": OTHER_AUTHORITY},
        "GET /activations/{activation_id}": activation, "PATCH /activations/{activation_id}": activation,
        "POST /activations/{activation_id}/close": activation, "GET /activations/{activation_id}/audit": activation,
        "GET /exports/{month}": {"month": month},
    }
    return tokens, real


def _fuzz(operation: Any, strategy: Any, role: str, token: str, base_url: str, session: requests.Session,
          tally: Tally, label: str) -> None:
    headers = {"Authorization": f"Bearer {token}"}

    @settings(max_examples=EXAMPLES, deadline=None, database=None, derandomize=not figures.full_size(),
              phases=[Phase.explicit, Phase.generate], suppress_health_check=list(HealthCheck))
    @given(case=strategy)
    def fuzz(case: Any) -> None:
        response = case.call(base_url=base_url, headers=headers, session=session, timeout=15)
        tally.sent += 1
        tally.statuses[response.status_code] += 1
        what = f"{operation.method.upper()} {operation.path} as {role} ({label}): {response.status_code}"
        if response.status_code >= 500:
            sent = f"{case.media_type} {case.body!r}"[:300]
            tally.server_errors.append(tally.redacted(f"{what} {response.text[:200]} after {case.path_parameters} "
                                                      f"{case.query} {sent}"))
        try:
            case.validate_response(response, checks=DOCUMENT_CHECKS, headers=headers)
        except FailureGroup as group:
            for failure in group.exceptions:
                tally.off_document.append(tally.redacted(f"{what} {failure.title}: {failure.message[:400]}"))

    # Nothing in an operation without parameters or body can be made invalid: negative mode has no case.
    with contextlib.suppress(Unsatisfiable):
        fuzz()


def test_fuzzing_every_operation_with_every_role_finds_no_5xx_and_nothing_off_the_document(
        own_stack: RunningStack) -> None:
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

    with requests.Session() as session:
        for operation in operations:
            key = f"{operation.method.upper()} {operation.path}"
            for role in ROLES:
                for mode in MODES:
                    _fuzz(operation, operation.as_strategy(generation_mode=mode), role, tokens[role],
                          own_stack.api_url, session, tally, mode.value)
                    if key in real and mode is GenerationMode.POSITIVE:
                        _fuzz(operation, operation.as_strategy(generation_mode=mode, path_parameters=real[key]),
                              role, tokens[role], own_stack.api_url, session, tally, "existing")

    text = (f"{tally.sent} requests over {len(operations)} operations × {len(ROLES)} roles (valid and invalid "
            f"data), responses 5xx {len(tally.server_errors)}, responses that break the document "
            f"{len(tally.off_document)}")
    print(f"\n1. fuzzing the API: {text} ({time.monotonic() - started:.0f} s); "
          f"statuses {sorted(tally.statuses.items())}")
    for line in [*tally.server_errors, *tally.off_document][:40]:
        print("  " + line)
    figures.record("1", text, ok=not tally.server_errors and not tally.off_document)
    assert tally.server_errors == []
    assert tally.off_document == []
    assert tally.sent >= len(operations) * len(ROLES) * len(MODES)
