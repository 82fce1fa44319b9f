"""The duty officer is paged only by alarms that can fire: every alarm in template.yaml names a metric the code
publishes (namespace `crisisline`, dimension `service` as Powertools adds it, counted in the function that has
that service name) or an AWS metric of a resource of this template. The situations the alarms name really
publish their metric: a caller sent to the fallback, a refused token, a month closed, a frozen export whose
checksum no longer matches."""

from __future__ import annotations

import ast
import json
import re
import subprocess
import sys
from collections import Counter
from pathlib import Path
from typing import Any

import boto3
import pytest

from crisisline.observability import EVENTS, FAILURES
from finance.billing_store import BillingStore
from infra.local import template
from infra.local.stack import LambdaContext
from tests.billing_support import finance, finance_env
from tests.conftest import Api
from tests.route_support import connect_event
from tests.test_failure_metrics import CAPACITY, NUMBER, LineData, Published, published, route
from tests.test_month_close import BUCKET, CLOSING, month_item, october

__all__ = ["finance", "finance_env", "october", "published", "route"]  # fixtures

FUNCTIONS = Path(__file__).resolve().parents[1] / "functions"
RESOURCES = template.load()["Resources"]
ALARMS = template.resources("AWS::CloudWatch::Alarm")

# The AWS metrics an alarm may name, and the dimension that ties each to a resource of the template's type.
AWS_METRICS = {
    "AWS/Lambda": ({"Errors", "Throttles", "Duration", "Invocations"}, "FunctionName", "AWS::Serverless::Function"),
    "AWS/Kinesis": ({"GetRecords.IteratorAgeMilliseconds"}, "StreamName", "AWS::Kinesis::Stream"),
    "AWS/DynamoDB": ({"ReadThrottleEvents", "WriteThrottleEvents"}, "TableName", "AWS::DynamoDB::Table"),
    "AWS/SQS": ({"ApproximateNumberOfMessagesVisible"}, "QueueName", "AWS::SQS::Queue"),
    "AWS/ApiGateway": ({"5XXError", "4XXError", "Count", "Latency"}, "ApiName", "AWS::Serverless::Api"),
}


def metric_stats(alarm: dict[str, Any]) -> list[dict[str, Any]]:
    """Each metric the alarm reads: {Namespace, MetricName, Dimensions}, from its own fields or its queries."""
    props = alarm["Properties"]
    if "MetricName" in props:
        return [{key: props.get(key, []) for key in ("Namespace", "MetricName", "Dimensions")}]
    return [query["MetricStat"]["Metric"] for query in props["Metrics"] if "MetricStat" in query]


def referenced(value: Any) -> str:
    """The logical id a dimension's value refers to (!Ref X, !GetAtt X.Attr)."""
    if "Ref" in value:
        return str(value["Ref"])
    return str(value["Fn::GetAtt"][0])


def services() -> dict[str, str]:
    """Each function's POWERTOOLS_SERVICE_NAME → its handler's module (`finance.month_close`)."""
    return {
        fn.environment["POWERTOOLS_SERVICE_NAME"]: body["Properties"]["Handler"].rsplit(".", 1)[0]
        for name, body in template.resources("AWS::Serverless::Function").items()
        for fn in [template.functions()[name]]
    }


def module_file(module: str) -> Path | None:
    path = FUNCTIONS.joinpath(*module.split("."))
    for candidate in (path.with_suffix(".py"), path / "__init__.py"):
        if candidate.is_file():
            return candidate
    return None


def imported_modules(module: str) -> set[str]:
    """The module and every module of functions/ it imports, directly or through another."""
    seen: set[str] = set()
    todo = [module]
    while todo:
        current = todo.pop()
        path = module_file(current)
        if current in seen or path is None:
            continue
        seen.add(current)
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                todo.append(node.module)
                todo.extend(f"{node.module}.{alias.name}" for alias in node.names)
            elif isinstance(node, ast.Import):
                todo.extend(alias.name for alias in node.names)
    return seen


def counted_in(handler_module: str, metric: str) -> bool:
    """Whether the function whose handler is `handler_module` runs code that counts `metric`."""
    pattern = re.compile(rf"count_(failure|event)\(\s*\"{re.escape(metric)}\"\s*\)")
    return any(
        pattern.search(path.read_text(encoding="utf-8"))
        for module in imported_modules(handler_module)
        if (path := module_file(module)) is not None
    )


# ---------------------------------------------------------------------- every alarm can fire
def test_there_are_alarms_and_each_pages_the_duty_officer() -> None:
    assert len(ALARMS) >= 12
    for name, alarm in ALARMS.items():
        props = alarm["Properties"]
        assert props["AlarmActions"] == [{"Ref": "DutyOfficerTopic"}], name
        assert props["AlarmDescription"].strip(), name


def test_every_custom_metric_an_alarm_names_is_counted_by_the_function_of_its_service() -> None:
    known = services()
    checked = 0
    for name, alarm in ALARMS.items():
        for metric in metric_stats(alarm):
            if metric["Namespace"] != "crisisline":
                continue
            checked += 1
            assert metric["MetricName"] in FAILURES | EVENTS, name
            (dimension,) = metric["Dimensions"]
            assert dimension["Name"] == "service", name
            handler = known[dimension["Value"]]  # a function of the template has this service name
            assert counted_in(handler, metric["MetricName"]), f"{name}: {metric['MetricName']} not from {handler}"
    assert checked >= 5


def test_every_aws_metric_an_alarm_names_is_one_of_a_resource_of_the_template() -> None:
    for name, alarm in ALARMS.items():
        for metric in metric_stats(alarm):
            if metric["Namespace"] == "crisisline":
                continue
            names, key, kind = AWS_METRICS[metric["Namespace"]]
            assert metric["MetricName"] in names, name
            dimensions = {d["Name"]: d["Value"] for d in metric["Dimensions"]}
            if kind == "AWS::Serverless::Api":
                # API Gateway's ApiName is the API's Name, which is the stack's.
                assert dimensions == {"ApiName": {"Ref": "AWS::StackName"}, "Stage": {"Ref": "Stage"}}, name
                assert RESOURCES["CrisisApi"]["Properties"]["Name"] == {"Ref": "AWS::StackName"}
                continue
            assert list(dimensions) == [key], name
            assert RESOURCES[referenced(dimensions[key])]["Type"] == kind, name


def test_an_alarm_on_a_contributor_insights_rule_reads_a_rule_of_the_template_over_its_access_log() -> None:
    alarm = ALARMS["RefusedTokensFromOneSourceAlarm"]["Properties"]
    (query,) = alarm["Metrics"]
    assert "RefusedTokensPerSourceRule.RuleName" in query["Expression"]["Fn::Sub"]
    rule = RESOURCES["RefusedTokensPerSourceRule"]
    assert rule["Type"] == "AWS::CloudWatch::InsightRule"
    body = json.loads(rule["Properties"]["RuleBody"]["Fn::Sub"])
    assert body["LogGroupNames"] == ["${ApiAccessLogGroup}"]
    log_format = RESOURCES["CrisisApi"]["Properties"]["AccessLogSetting"]["Format"]
    # The rule's key and filter are fields the access log writes, and 401 is what a refused token gets.
    assert '"ip":"$context.identity.sourceIp"' in log_format and '"status":"$context.status"' in log_format
    assert body["Contribution"] == {"Keys": ["$.ip"], "Filters": [{"Match": "$.status", "In": ["401"]}]}


def test_every_expression_reads_only_the_queries_of_its_alarm() -> None:
    for name, alarm in ALARMS.items():
        queries = alarm["Properties"].get("Metrics", [])
        ids = {query["Id"] for query in queries}
        for query in queries:
            expression = query.get("Expression")
            if isinstance(expression, str):
                words = set(re.findall(r"\b[a-z][a-z0-9]*\b", expression))
                assert words <= ids, f"{name}: {words - ids}"
        assert sum(1 for query in queries if query.get("ReturnData")) == (1 if queries else 0), name


def test_every_table_is_watched_for_throttling() -> None:
    watched = {
        referenced(d["Value"])
        for alarm in ALARMS.values()
        for metric in metric_stats(alarm)
        if metric["Namespace"] == "AWS/DynamoDB"
        for d in metric["Dimensions"]
    }
    assert watched == set(template.resources("AWS::DynamoDB::Table"))


def test_the_duty_officers_subscriptions_exist_only_when_given() -> None:
    conditions = template.load()["Conditions"]
    for logical, parameter, protocol in (
        ("DutyOfficerEmailSubscription", "DutyOfficerEmail", "email"),
        ("DutyOfficerSmsSubscription", "DutyOfficerSms", "sms"),
    ):
        subscription = RESOURCES[logical]
        assert subscription["Properties"]["Protocol"] == protocol
        assert subscription["Properties"]["Endpoint"] == {"Ref": parameter}
        assert conditions[subscription["Condition"]] == {"Fn::Not": [{"Fn::Equals": [{"Ref": parameter}, ""]}]}
        assert template.load()["Parameters"][parameter]["Default"] == ""


def test_powertools_publishes_a_metric_under_the_functions_service_as_the_alarms_name_it() -> None:
    # In a process of its own: the one Metrics reads its namespace and service when first imported.
    script = (
        "from crisisline.observability import count_failure, publish_failures\n"
        "count_failure('RoutingFallbacks'); publish_failures()\n"
    )
    env = {"POWERTOOLS_SERVICE_NAME": "route", "POWERTOOLS_METRICS_NAMESPACE": "crisisline", "PATH": ""}
    out = subprocess.run(
        [sys.executable, "-c", script], cwd=FUNCTIONS, env=env, capture_output=True, text=True, check=True
    ).stdout
    (line,) = [json.loads(text) for text in out.splitlines() if '"_aws"' in text]
    (directive,) = line["_aws"]["CloudWatchMetrics"]
    assert directive["Namespace"] == "crisisline"
    assert directive["Dimensions"] == [["service"]] and line["service"] == "route"
    fallback = ALARMS["RoutingFallbackAlarm"]["Properties"]
    assert (fallback["MetricName"], fallback["Dimensions"]) == (
        "RoutingFallbacks",
        [{"Name": "service", "Value": "route"}],
    )


# ---------------------------------------------------------------------- the situations publish their metric
def test_a_caller_sent_to_the_fallback_publishes_the_metric_the_fallback_alarm_reads(
    route: Any, published: Published
) -> None:
    answer = route.answer(connect_event(NUMBER, language="nl"), LineData(read_fails=True), CAPACITY)
    assert answer["fallback"] == "true"
    assert published()["RoutingFallbacks"] == 1


def test_a_guessed_token_is_counted_by_the_authorizer(api: Api, published: Published) -> None:
    answer = api.get("/activations", "g" * 43)  # of a token's form, so API Gateway hands it to the authorizer
    assert answer.status == 401
    assert published() == Counter({"AuthFailures": 1})


def test_a_malformed_token_is_refused_before_the_authorizer_so_only_the_access_log_has_it(
    api: Api, published: Published
) -> None:
    # Why refusals per source are counted from the access log: API Gateway refuses this one on its own.
    answer = api.get("/activations", "not-a-token")
    assert answer.status == 401
    assert published() == Counter()


def test_a_month_closed_is_counted_and_so_is_a_rerun(october: None, published: Published) -> None:
    from finance.month_close import lambda_handler

    lambda_handler({}, LambdaContext("MonthCloseFunction"), store=BillingStore(), now=CLOSING)
    assert published() == Counter({"MonthsClosed": 1})
    lambda_handler({}, LambdaContext("MonthCloseFunction"), store=BillingStore(), now=CLOSING)
    assert published() == Counter({"MonthsClosed": 1})


def test_a_failed_month_close_counts_no_month_closed(aws: None, finance_env: None, published: Published) -> None:
    from crisisline.errors import StoreUnavailable
    from finance.month_close import lambda_handler

    class S3Down(BillingStore):
        def put_file(self, key: str, body: bytes, export_format: str, sha256_hex: str) -> None:  # type: ignore[override]
            raise StoreUnavailable("S3 did not answer")

    with pytest.raises(StoreUnavailable):
        lambda_handler({}, LambdaContext("MonthCloseFunction"), store=S3Down(), now=CLOSING)
    assert published()["MonthsClosed"] == 0


def test_a_frozen_export_that_no_longer_matches_its_checksum_is_counted(
    api: Api, finance: str, october: None, published: Published
) -> None:
    from finance.month_close import lambda_handler

    lambda_handler({"month": "2026-10"}, LambdaContext("MonthCloseFunction"), now=CLOSING)
    boto3.client("s3").put_object(
        Bucket=BUCKET, Key=month_item("2026-10")["json_key"], Body=b"{}", ChecksumAlgorithm="SHA256"
    )
    published()  # the close's own
    assert api.get("/exports/2026-10", finance).status == 503
    assert published()["FrozenExportChecksumMismatches"] == 1


# ---------------------------------------------------------------------- the dashboard
def dashboard() -> tuple[dict[str, Any], dict[str, Any]]:
    body = RESOURCES["Dashboard"]["Properties"]
    text = body["DashboardBody"]["Fn::Sub"]
    names = set(re.findall(r"\$\{([^}]+)\}", text))
    for name in names:  # each a pseudo parameter, a parameter or a resource (or its attribute)
        logical = name.split(".")[0]
        assert logical.startswith("AWS::") or logical in RESOURCES or logical in template.load()["Parameters"], name
    return body, json.loads(re.sub(r"\$\{([^}]+)\}", lambda m: m.group(1), text))


def test_the_dashboard_is_named_for_its_stack_and_shows_every_alarm() -> None:
    body, parsed = dashboard()
    assert body["DashboardName"] == {"Fn::Sub": "${AWS::StackName}-crisisline"}
    (alarms,) = [w["properties"]["alarms"] for w in parsed["widgets"] if w["type"] == "alarm"]
    assert sorted(arn.removesuffix(".Arn") for arn in alarms) == sorted(ALARMS)


def test_the_dashboard_shows_live_lines_calls_against_capacity_fallbacks_and_failures() -> None:
    _, parsed = dashboard()
    titles = " | ".join(w["properties"]["title"] for w in parsed["widgets"])
    for shown in ("Live lines", "Calls per hour against capacity", "Fallbacks and failures"):
        assert shown in titles
    shown_names = {
        row[1] for w in parsed["widgets"] if w["type"] == "metric" for row in w["properties"]["metrics"] if len(row) > 1
    }
    assert set(FAILURES) - {"PoolNumbersFailures"} <= shown_names  # deploy time only: its alarm is the deploy


def test_every_custom_metric_on_the_dashboard_is_published() -> None:
    _, parsed = dashboard()
    known = services()
    filtered = {
        t["MetricName"]: body["Properties"]
        for body in template.resources("AWS::Logs::MetricFilter").values()
        for t in body["Properties"]["MetricTransformations"]
        if t["MetricNamespace"] == "crisisline"
    }
    for widget in parsed["widgets"]:
        for row in widget["properties"].get("metrics", []):
            if row[0] != "crisisline":
                continue
            name, dimensions = row[1], [part for part in row[2:] if isinstance(part, str)]
            if name in filtered:
                assert dimensions == []
                continue
            assert dimensions[0] == "service" and counted_in(known[dimensions[1]], name), name


def test_calls_are_counted_from_fields_routing_logs_for_a_counted_call() -> None:
    source = (FUNCTIONS / "route" / "app.py").read_text(encoding="utf-8")
    for body in template.resources("AWS::Logs::MetricFilter").values():
        props = body["Properties"]
        assert props["LogGroupName"] == {"Ref": "RouteLogGroup"}
        for field in re.findall(r"\$\.(\w+)", props["FilterPattern"]):
            assert f'"{field}": ' in source, field
    rule = json.loads(RESOURCES["LiveLinesRule"]["Properties"]["RuleBody"]["Fn::Sub"])
    assert rule["LogGroupNames"] == ["${RouteLogGroup}"]
    assert '"activation_id": ' in source and '"status": decision.status' in source
