"""template.yaml deploys what the project promises: it transforms offline, every table is encrypted and
recoverable, no policy grants a wildcard action, the API is throttled and authorized, and cfn-lint is clean."""

from __future__ import annotations

import copy
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from samtranslator.translator.transform import transform

from infra.local import template

ROOT = Path(__file__).resolve().parents[1]


class _NoManagedPolicies:
    def load(self) -> dict[str, str]:
        return {}


@pytest.fixture(scope="module")
def transformed() -> dict[str, Any]:
    """The template as CloudFormation sees it after the SAM transform (CodeUri as `sam package` leaves it)."""
    source = copy.deepcopy(template.load())
    source["Globals"]["Function"]["CodeUri"] = "s3://crisisline-artifacts/functions.zip"
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("AWS_DEFAULT_REGION", template.LOCAL_REGION)
        return transform(source, {}, _NoManagedPolicies())  # type: ignore[no-any-return]


def _of_type(resources: dict[str, Any], kind: str) -> dict[str, Any]:
    return {name: body for name, body in resources.items() if body["Type"] == kind}


def test_template_transforms_offline_into_lambda_functions(transformed: dict[str, Any]) -> None:
    functions = _of_type(transformed["Resources"], "AWS::Lambda::Function")
    assert {"ActivateFunction", "AuthorizerFunction"} <= set(functions)
    for name, body in functions.items():
        if name in template.functions():
            assert body["Properties"]["Handler"] == template.functions()[name].handler


def test_every_table_is_encrypted_with_point_in_time_recovery() -> None:
    tables = template.resources("AWS::DynamoDB::Table")
    assert tables
    for name, body in tables.items():
        props = body["Properties"]
        assert props.get("SSESpecification", {}).get("SSEEnabled") is True, name
        assert props.get("PointInTimeRecoverySpecification", {}).get("PointInTimeRecoveryEnabled") is True, name
        assert props.get("BillingMode") == "PAY_PER_REQUEST", name


def _actions(policy_document: dict[str, Any]) -> list[str]:
    found: list[str] = []
    for statement in policy_document.get("Statement", []):
        actions = statement.get("Action", [])
        found.extend([actions] if isinstance(actions, str) else actions)
    return found


def test_no_iam_policy_grants_a_wildcard_action(transformed: dict[str, Any]) -> None:
    roles = _of_type(transformed["Resources"], "AWS::IAM::Role")
    assert roles
    actions = [action for role in roles.values() for policy in role["Properties"].get("Policies", [])
               for action in _actions(policy["PolicyDocument"])]
    assert actions, "expected inline policies from the policy templates"
    assert [a for a in actions if isinstance(a, str) and (a == "*" or a.endswith(":*"))] == []


def test_api_is_throttled_and_guarded_by_the_token_authorizer(transformed: dict[str, Any]) -> None:
    stages = _of_type(transformed["Resources"], "AWS::ApiGateway::Stage")
    settings = [s for stage in stages.values() for s in stage["Properties"].get("MethodSettings", [])]
    assert any(s.get("ThrottlingRateLimit") and s.get("ThrottlingBurstLimit") for s in settings)
    function, validation, ttl = template.authorizer()
    assert function == "AuthorizerFunction"
    assert 0 < ttl <= 300
    assert validation.startswith("^Bearer ")


def test_only_health_and_docs_are_open_without_a_token() -> None:
    open_routes = {(route.method, route.path) for route in template.api_routes() if not route.authorized}
    assert open_routes == {("GET", "/health"), ("GET", "/docs")}


def test_cfn_lint_is_clean() -> None:
    lint = subprocess.run([str(Path(sys.executable).parent / "cfn-lint"), str(ROOT / "template.yaml")],
                          capture_output=True, text=True, check=False)
    assert lint.returncode == 0, lint.stdout + lint.stderr
