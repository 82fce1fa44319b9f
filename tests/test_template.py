"""template.yaml deploys what the project promises: it transforms offline into the functions the local stack
runs, and the API is guarded by the token authorizer. Encryption, wildcard actions, throttling and cfn-lint are
reliability part 7 (tests/reliability/test_template_scan.py)."""

from __future__ import annotations

import re
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


# ---------------------------------------------------------------------- per-client limits in front of the API
ACTIVATION_ROUTES = {
    ("POST", "/activations"),
    ("PATCH", "/activations/{activation_id}"),
    ("POST", "/activations/{activation_id}/close"),
}


def _rate_rules(web_acl: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {rule["Name"]: rule for rule in web_acl["Properties"]["Rules"] if "RateBasedStatement" in rule["Statement"]}


def _matched_paths(statement: dict[str, Any]) -> set[str]:
    """The URI paths a scope-down statement matches (byte matches on the path, alone or in an OR)."""
    found = [statement] if "ByteMatchStatement" in statement else statement.get("OrStatement", {}).get("Statements", [])
    return {
        match["ByteMatchStatement"]["SearchString"]
        for match in found
        if "UriPath" in match.get("ByteMatchStatement", {}).get("FieldToMatch", {})
    }


def test_each_client_address_is_rate_limited_by_a_web_acl_on_the_api_stage(transformed: dict[str, Any]) -> None:
    acls = _of_type(transformed["Resources"], "AWS::WAFv2::WebACL")
    assert len(acls) == 1, "the API has no web ACL: one client can use up the API's whole throttle"
    name, acl = next(iter(acls.items()))
    assert acl["Properties"]["Scope"] == "REGIONAL"
    rules = _rate_rules(acl)
    per_address = [
        rule["Statement"]["RateBasedStatement"]
        for rule in rules.values()
        if "ScopeDownStatement" not in rule["Statement"]["RateBasedStatement"]
    ]
    anonymous = [
        rule["Statement"]["RateBasedStatement"]
        for rule in rules.values()
        if _matched_paths(rule["Statement"]["RateBasedStatement"].get("ScopeDownStatement", {})) == {"/health", "/docs"}
    ]
    assert [statement["AggregateKeyType"] for statement in per_address] == ["IP"]
    assert [statement["AggregateKeyType"] for statement in anonymous] == ["IP"]
    assert anonymous[0]["Limit"] < per_address[0]["Limit"], "anonymous paths get the stricter limit"
    assert all("Block" in rule["Action"] for rule in rules.values())

    associations = _of_type(transformed["Resources"], "AWS::WAFv2::WebACLAssociation")
    assert [body["Properties"]["WebACLArn"] for body in associations.values()] == [{"Fn::GetAtt": [name, "Arn"]}]
    stage_arn = next(iter(associations.values()))["Properties"]["ResourceArn"]["Fn::Sub"]
    assert stage_arn == (
        "arn:${AWS::Partition}:apigateway:${AWS::Region}::/restapis/${CrisisApi}/stages/${CrisisApiStage}"
    )


def _method_settings(transformed: dict[str, Any]) -> dict[tuple[str, str], dict[str, Any]]:
    """(method, resource path as the template's routes name it) → the stage's method setting."""
    stage = next(iter(_of_type(transformed["Resources"], "AWS::ApiGateway::Stage").values()))

    def path(resource_path: str) -> str:  # "/~1activations" → "/activations"; "/*" is every path
        return resource_path if resource_path == "/*" else resource_path[1:].replace("~1", "/")

    return {
        (setting["HttpMethod"], path(setting["ResourcePath"])): setting
        for setting in stage["Properties"]["MethodSettings"]
    }


def test_opening_changing_and_closing_a_line_have_a_throttling_budget_of_their_own(transformed: dict[str, Any]) -> None:
    settings = _method_settings(transformed)
    served = {(route.method, route.path) for route in template.api_routes()}
    assert served >= ACTIVATION_ROUTES
    shared = settings[("*", "/*")]
    for route in ACTIVATION_ROUTES:
        own = settings.get(route)
        assert own is not None, f"{route} draws on the throttle it shares with every other route"
        assert 0 < own["ThrottlingRateLimit"] <= own["ThrottlingBurstLimit"]
    for route in {("GET", "/health"), ("GET", "/docs")}:
        assert settings[route]["ThrottlingRateLimit"] < shared["ThrottlingRateLimit"]


# ---------------------------------------------------------------------- routing keeps its capacity
PEAK_CALLS_PER_HOUR = 3295  # November 2015 (make surge)
INVOCATIONS_PER_CALL = 3
SECONDS_PER_INVOCATION = 0.1
HEADROOM = 100  # 10 for callers arriving together, 10 for slow invocations (cold starts, a retried read)


def test_routing_has_concurrency_reserved_for_the_2015_peak_with_headroom() -> None:
    route = template.resources("AWS::Serverless::Function")["RouteFunction"]["Properties"]
    average = PEAK_CALLS_PER_HOUR * INVOCATIONS_PER_CALL / 3600 * SECONDS_PER_INVOCATION  # Little's law: 0.27
    reserved = route.get("ReservedConcurrentExecutions")
    assert reserved is not None, "other functions' traffic can take every execution the account has"
    assert average * HEADROOM <= reserved <= 100  # and it leaves the account's other 900 to the rest


# ---------------------------------------------------------------------- frozen exports are evidence
INVOICE_YEARS = 10  # Belgian accounting keeps invoices' records ten years
KEY_USE = {
    "kms:Encrypt",
    "kms:Decrypt",
    "kms:ReEncrypt*",
    "kms:ReEncryptFrom",
    "kms:ReEncryptTo",
    "kms:GenerateDataKey",
    "kms:GenerateDataKey*",
    "kms:GenerateDataKeyWithoutPlaintext",
    "kms:*",
}


def _bucket_policy() -> list[dict[str, Any]]:
    return template.load()["Resources"]["ExportsBucketPolicy"]["Properties"]["PolicyDocument"]["Statement"]  # type: ignore[no-any-return]


def test_frozen_exports_are_locked_for_as_long_as_invoices_are_kept_and_nobody_deletes_or_overwrites_them() -> None:
    bucket = template.resources("AWS::S3::Bucket")["ExportsBucket"]["Properties"]
    assert bucket.get("ObjectLockEnabled") is True, "a frozen export can be deleted"
    retention = bucket["ObjectLockConfiguration"]["Rule"]["DefaultRetention"]
    assert retention["Mode"] == "GOVERNANCE" and retention["Years"] >= INVOICE_YEARS
    denied = {
        action
        for statement in _bucket_policy()
        if statement["Effect"] == "Deny" and statement["Principal"] == "*" and "Condition" not in statement
        for action in _listed(statement["Action"])
    }
    assert {"s3:DeleteObject", "s3:DeleteObjectVersion", "s3:BypassGovernanceRetention"} <= denied
    # An upload must be a new object (If-None-Match: *): one that would replace a frozen file is refused.
    assert any(
        statement["Effect"] == "Deny"
        and statement["Action"] == "s3:PutObject"
        and statement.get("Condition") == {"Null": {"s3:if-none-match": "true"}}
        for statement in _bucket_policy()
    )


def test_uploads_must_use_the_exports_key() -> None:
    pinned = [
        statement
        for statement in _bucket_policy()
        if statement["Effect"] == "Deny"
        and statement["Action"] == "s3:PutObject"
        and "s3:x-amz-server-side-encryption-aws-kms-key-id"
        in statement.get("Condition", {}).get("StringNotEqualsIfExists", {})
    ]
    assert [
        s["Condition"]["StringNotEqualsIfExists"]["s3:x-amz-server-side-encryption-aws-kms-key-id"] for s in pinned
    ] == [{"Fn::GetAtt": ["ExportsKey", "Arn"]}]


def test_the_account_administers_the_exports_key_and_only_month_close_and_exports_use_it() -> None:
    key = template.resources("AWS::KMS::Key")["ExportsKey"]["Properties"]["KeyPolicy"]["Statement"]
    unconditional = {
        action for statement in key if "Condition" not in statement for action in _listed(statement["Action"])
    }
    assert {"kms:ScheduleKeyDeletion", "kms:Put*"} <= unconditional  # the key policy stays editable: never orphaned
    assert unconditional & KEY_USE == set(), "every principal of the account may use the key"
    users = {
        action: statement["Condition"]["ArnLike"]["aws:PrincipalArn"]["Fn::Sub"].rsplit("/", 1)[1]
        for statement in key
        if "Condition" in statement
        for action in _listed(statement["Action"])
    }
    assert users == {
        "kms:GenerateDataKey": "${AWS::StackName}-MonthCloseFunctionRole-*",
        "kms:Decrypt": "${AWS::StackName}-ExportFunctionRole-*",
    }
    through_s3 = {"kms:ViaService": {"Fn::Sub": "s3.${AWS::Region}.amazonaws.com"}}
    assert all(statement["Condition"]["StringEquals"] == through_s3 for statement in key if "Condition" in statement)


def _listed(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


# ---------------------------------------------------------------------- Amazon Connect resources
def _connect(*kinds: str) -> dict[str, dict[str, Any]]:
    return {name: body["Properties"] for kind in kinds for name, body in template.resources(kind).items()}


def test_two_stacks_on_one_connect_instance_name_their_queues_hours_and_flow_apart() -> None:
    kinds = ("AWS::Connect::Queue", "AWS::Connect::HoursOfOperation", "AWS::Connect::ContactFlow")
    assert {name: properties["Name"] for name, properties in _connect(*kinds).items()} == {
        "D5Queue": {"Fn::Sub": "${AWS::StackName}-D5"},
        "D2Queue": {"Fn::Sub": "${AWS::StackName}-D2"},
        "AlwaysOpen": {"Fn::Sub": "${AWS::StackName}-always-open"},
        "CrisisLineFlow": {"Fn::Sub": "${AWS::StackName}-entry"},
        "DutyOfficerQueue": {"Fn::Sub": "${AWS::StackName}-duty-officer"},
        "ActivationByPhoneFlow": {"Fn::Sub": "${AWS::StackName}-activate-by-phone"},
    }


def test_the_line_is_open_all_day_every_day_from_midnight_to_midnight() -> None:
    # Connect's hours end at 23:59 at most; 00:00 to 00:00 is its way of saying 24 hours (23:59 would shut the
    # queues for the day's last minute).
    config = _connect("AWS::Connect::HoursOfOperation")["AlwaysOpen"]["Config"]
    midnight = {"Hours": 0, "Minutes": 0}
    assert sorted(day["Day"] for day in config) == sorted(
        ["MONDAY", "TUESDAY", "WEDNESDAY", "THURSDAY", "FRIDAY", "SATURDAY", "SUNDAY"]
    )
    assert all(day["StartTime"] == midnight and day["EndTime"] == midnight for day in config)


def test_callbacks_call_from_the_numbers_caller_id_when_one_is_given_and_the_template_stands_without() -> None:
    loaded = template.load()
    parameter = loaded["Parameters"]["CallbackCallerIdNumberArn"]
    assert parameter["Default"] == ""
    assert re.fullmatch(parameter["AllowedPattern"], "")
    assert re.fullmatch(
        parameter["AllowedPattern"], "arn:aws:connect:eu-central-1:123456789012:phone-number/0a1b2c3d-0000-4000-8000-1"
    )
    assert loaded["Conditions"]["HasCallbackCallerId"] == {
        "Fn::Not": [{"Fn::Equals": [{"Ref": "CallbackCallerIdNumberArn"}, ""]}]
    }
    for queue in _connect("AWS::Connect::Queue").values():
        assert queue["OutboundCallerConfig"] == {
            "Fn::If": [
                "HasCallbackCallerId",
                {"OutboundCallerIdNumberArn": {"Ref": "CallbackCallerIdNumberArn"}},
                {"Ref": "AWS::NoValue"},
            ]
        }


def test_the_flow_is_made_only_once_connect_may_invoke_the_routing_function() -> None:
    flow = template.load()["Resources"]["CrisisLineFlow"]
    assert set(flow["DependsOn"]) == {"RouteFunctionConnectPermission", "RouteFunctionConnectIntegration"}
