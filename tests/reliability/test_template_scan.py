"""Part 7, the template: cfn-lint clean, cfn-lint's serverless rules (cfn-lint-serverless) with no error-level
finding, every table encrypted with point-in-time recovery, no IAM policy that allows a wildcard action (in the
template as CloudFormation sees it after the SAM transform), and the API throttled."""

from __future__ import annotations

import json
import subprocess
import sys
from collections import Counter
from pathlib import Path
from typing import Any

from infra.local import template
from tests.conftest import sam_transformed
from tests.reliability import figures

ROOT = Path(__file__).resolve().parents[2]
CFN_LINT = str(Path(sys.executable).parent / "cfn-lint")
IAM_POLICY_TYPES = ("AWS::IAM::Policy", "AWS::IAM::ManagedPolicy")


def findings(*rules: str) -> list[dict[str, Any]]:
    """cfn-lint's findings on template.yaml (JSON format), with the given extra rule modules appended."""
    appended = [argument for rule in rules for argument in ("--append-rules", rule)]
    lint = subprocess.run(
        [CFN_LINT, "--format", "json", *appended, "--", str(ROOT / "template.yaml")],
        capture_output=True,
        text=True,
        check=False,
        cwd=ROOT,
    )
    assert lint.stdout.strip(), lint.stderr
    return json.loads(lint.stdout)  # type: ignore[no-any-return]


def _listed(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def wildcard_actions(resources: dict[str, Any]) -> list[str]:
    """`resource: action` for every Allow statement of an IAM policy (role inline policies, IAM policies)
    whose action is `*` or `service:*` or ends in a wildcard."""
    documents: list[tuple[str, dict[str, Any]]] = []
    for name, body in resources.items():
        props = body.get("Properties", {})
        if body["Type"] == "AWS::IAM::Role":
            documents += [(name, policy["PolicyDocument"]) for policy in props.get("Policies", [])]
        elif body["Type"] in IAM_POLICY_TYPES:
            documents.append((name, props["PolicyDocument"]))
    found = []
    for name, document in documents:
        for statement in _listed(document.get("Statement", [])):
            if statement.get("Effect") != "Allow":
                continue
            for action in _listed(statement.get("Action", [])) + _listed(statement.get("NotAction", [])):
                if isinstance(action, str) and action.endswith("*"):
                    found.append(f"{name}: {action}")
    return found


def unprotected_tables() -> tuple[int, list[str]]:
    """(tables, names of those without server-side encryption or point-in-time recovery)."""
    tables = template.resources("AWS::DynamoDB::Table")
    bad = [
        name
        for name, body in tables.items()
        if body["Properties"].get("SSESpecification", {}).get("SSEEnabled") is not True
        or body["Properties"].get("PointInTimeRecoverySpecification", {}).get("PointInTimeRecoveryEnabled") is not True
    ]
    return len(tables), bad


def throttling(resources: dict[str, Any]) -> list[tuple[float, int]]:
    """(rate per second, burst) of every stage-wide method setting of the API's stages."""
    return [
        (setting["ThrottlingRateLimit"], setting["ThrottlingBurstLimit"])
        for body in resources.values()
        if body["Type"] == "AWS::ApiGateway::Stage"
        for setting in body["Properties"].get("MethodSettings", [])
        if setting.get("ResourcePath") == "/*"
        and setting.get("HttpMethod") == "*"
        and setting.get("ThrottlingRateLimit")
        and setting.get("ThrottlingBurstLimit")
    ]


def waivers() -> list[str]:
    """`rule on resource` for every finding a resource's cfn-lint Metadata waives (each says why beside it)."""
    return [
        f"{rule} on {name}"
        for name, body in template.load()["Resources"].items()
        for rule in body.get("Metadata", {}).get("cfn-lint", {}).get("config", {}).get("ignore_checks", [])
    ]


def _level_counts(found: list[dict[str, Any]]) -> Counter[str]:
    return Counter(finding["Level"] for finding in found)


def _ids(found: list[dict[str, Any]], level: str) -> str:
    ids = sorted({finding["Rule"]["Id"] for finding in found if finding["Level"] == level})
    return f" ({', '.join(ids)})" if ids else ""


def test_the_template_passes_cfn_lint_and_the_serverless_security_rules() -> None:
    plain = findings()
    serverless = findings("cfn_lint_serverless.rules")
    deployed = sam_transformed()["Resources"]
    tables, unprotected = unprotected_tables()
    wildcards = wildcard_actions(deployed)
    throttled = throttling(deployed)

    levels = _level_counts(serverless)
    rate, burst = throttled[0] if throttled else (0, 0)
    ok = not plain and not levels["Error"] and not unprotected and not wildcards and bool(throttled)
    figures.record(
        "7",
        f"cfn-lint {len(plain)} findings; serverless rules {levels['Error']} errors"
        f"{_ids(serverless, 'Error')}, {levels['Warning']} warnings{_ids(serverless, 'Warning')}, "
        f"waived: {', '.join(waivers()) or 'none'}; "
        f"{tables - len(unprotected)} of {tables} tables encrypted with PITR; "
        f"{len(wildcards)} wildcard actions; API throttled {rate:g} rps / burst {burst}",
        ok=ok,
    )

    assert plain == [], [f"{f['Rule']['Id']} {f['Message']}" for f in plain]
    assert [f"{f['Rule']['Id']} {f['Message']}" for f in serverless if f["Level"] == "Error"] == []
    assert unprotected == []
    assert wildcards == []
    assert throttled, "the API's stage has no stage-wide throttling"


def test_every_function_logs_to_a_group_with_a_retention_and_is_traced() -> None:
    groups = template.resources("AWS::Logs::LogGroup")
    named = {str(body["Properties"].get("LogGroupName", {}).get("Fn::Sub", "")) for body in groups.values()}
    functions = template.resources("AWS::Serverless::Function")
    assert all("RetentionInDays" in body["Properties"] for body in groups.values())
    assert {f"/aws/lambda/${{{name}}}" for name in functions} <= named
    assert template.load()["Globals"]["Function"]["Tracing"] == "Active"


def test_the_api_writes_an_access_log_without_headers() -> None:
    api = next(iter(template.resources("AWS::Serverless::Api").values()))["Properties"]
    assert api["TracingEnabled"] is True
    access = api["AccessLogSetting"]
    assert access["DestinationArn"] == {"Fn::GetAtt": ["ApiAccessLogGroup", "Arn"]}
    # Headers carry bearer tokens; the access log names the request, never its headers.
    assert "header" not in access["Format"].lower()
    json.loads(access["Format"].replace("$context.", "context_"))  # one JSON object per request
