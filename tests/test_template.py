"""template.yaml deploys what the project promises: it transforms offline into the functions the local stack
runs, and the API is guarded by the token authorizer. Encryption, wildcard actions, throttling and cfn-lint are
reliability part 7 (tests/reliability/test_template_scan.py)."""

from __future__ import annotations

from typing import Any

import pytest

from infra.local import template
from tests.conftest import sam_transformed


@pytest.fixture(scope="module")
def transformed() -> dict[str, Any]:
    return sam_transformed()


def _of_type(resources: dict[str, Any], kind: str) -> dict[str, Any]:
    return {name: body for name, body in resources.items() if body["Type"] == kind}


def test_template_transforms_offline_into_lambda_functions(transformed: dict[str, Any]) -> None:
    functions = _of_type(transformed["Resources"], "AWS::Lambda::Function")
    assert {"ActivateFunction", "AuthorizerFunction"} <= set(functions)
    for name, body in functions.items():
        if name in template.functions():
            assert body["Properties"]["Handler"] == template.functions()[name].handler


def test_api_is_guarded_by_the_token_authorizer() -> None:
    function, validation, ttl = template.authorizer()
    assert function == "AuthorizerFunction"
    assert 0 < ttl <= 300
    assert validation.startswith("^Bearer ")


def test_only_health_and_docs_are_open_without_a_token() -> None:
    open_routes = {(route.method, route.path) for route in template.api_routes() if not route.authorized}
    assert open_routes == {("GET", "/health"), ("GET", "/docs")}
