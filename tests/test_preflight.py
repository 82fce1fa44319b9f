"""`make preflight`: before the first crisis, the operator learns what the account around the stack lacks, each
check PASS or FAIL with what to do, and nothing is changed. CloudFormation and SSM are moto; Connect's instance
details and Service Quotas, which moto lacks, are botocore Stubbers that hold read operations only."""

from __future__ import annotations

import json
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import boto3
import pytest
from botocore.stub import Stubber
from moto import mock_aws

from infra import preflight
from infra.preflight import Preflight, concurrent_calls

REGION = "eu-central-1"
INSTANCE_ID = "11111111-2222-3333-4444-555555555555"
INSTANCE = f"arn:aws:connect:{REGION}:123456789012:instance/{INSTANCE_ID}"
FLOW = f"{INSTANCE}/contact-flow/66666666-7777-8888-9999-000000000000"
STREAM = f"arn:aws:kinesis:{REGION}:123456789012:stream/crisisline-ContactRecordStream"
POOL = ["+3280010001", "+3280010002"]


def test_the_calls_the_line_must_hold_at_once_follow_littles_law() -> None:
    assert concurrent_calls(400) == 27  # 400 × 4 / 60 = 26.7
    assert concurrent_calls(3295) == 220  # November 2015's peak hour
    assert concurrent_calls(400, Decimal(6)) == 40


class ReadOnly:
    """Fails the test on any call that is not Describe, Get or List, and records every call."""

    def __init__(self) -> None:
        self.calls: list[str] = []

    def watch(self, client: Any) -> Any:
        client.meta.events.register("before-call.*.*", self._before)
        return client

    def _before(self, model: Any, **_: Any) -> None:
        self.calls.append(model.name)
        assert model.name.startswith(preflight.READ_PREFIXES), f"the preflight wrote: {model.name}"


@pytest.fixture
def account(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    for key, value in {"AWS_ACCESS_KEY_ID": "x", "AWS_SECRET_ACCESS_KEY": "x", "AWS_DEFAULT_REGION": REGION}.items():
        monkeypatch.setenv(key, value)
    with mock_aws():
        stack_template = {
            "Parameters": {
                name: {"Type": "String", "Default": ""}
                for name in ("ConnectInstanceArn", "TokenKeyParameterName", "ExistingPoolNumbers", "PoolClaimCount")
            },
            "Resources": {"Topic": {"Type": "AWS::SNS::Topic"}},
            "Outputs": {
                "PoolNumbers": {"Value": ",".join(POOL)},
                "CrisisLineFlowArn": {"Value": FLOW},
                "ContactRecordStreamArn": {"Value": STREAM},
            },
        }
        boto3.client("cloudformation").create_stack(
            StackName="crisisline",
            TemplateBody=json.dumps(stack_template),
            Parameters=[
                {"ParameterKey": "ConnectInstanceArn", "ParameterValue": INSTANCE},
                {"ParameterKey": "TokenKeyParameterName", "ParameterValue": "crisisline/token-hash-key"},
                {"ParameterKey": "ExistingPoolNumbers", "ParameterValue": ",".join(POOL)},
                {"ParameterKey": "PoolClaimCount", "ParameterValue": "1"},
            ],
        )
        boto3.client("ssm").put_parameter(Name="/crisisline/token-hash-key", Type="SecureString", Value="k" * 64)
        yield


def connect_answers(
    stub: Stubber,
    *,
    outbound: bool = True,
    logs: str = "true",
    routed_to: str = FLOW,
    stream: str = STREAM,
) -> None:
    stub.add_response(
        "describe_instance",
        {
            "Instance": {
                "Id": INSTANCE_ID,
                "Arn": INSTANCE,
                "InstanceAlias": "crisis-center",
                "InstanceStatus": "ACTIVE",
                "InboundCallsEnabled": True,
                "OutboundCallsEnabled": outbound,
            }
        },
        {"InstanceId": INSTANCE_ID},
    )
    stub.add_response(
        "describe_instance_attribute",
        {"Attribute": {"AttributeType": "CONTACTFLOW_LOGS", "Value": logs}},
        {"InstanceId": INSTANCE_ID, "AttributeType": "CONTACTFLOW_LOGS"},
    )
    stub.add_response(
        "list_phone_numbers_v2",
        {
            "ListPhoneNumbersSummaryList": [
                {"PhoneNumberId": f"id-{n[-1]}", "PhoneNumber": n, "PhoneNumberType": "TOLL_FREE"} for n in POOL
            ]
        },
        {"TargetArn": INSTANCE},
    )
    stub.add_response(
        "list_flow_associations",
        {
            "FlowAssociationSummaryList": [
                {"ResourceId": f"id-{n[-1]}", "FlowId": routed_to, "ResourceType": "VOICE_PHONE_NUMBER"} for n in POOL
            ]
        },
        {"InstanceId": INSTANCE_ID, "ResourceType": "VOICE_PHONE_NUMBER"},
    )
    stub.add_response(
        "list_instance_storage_configs",
        {
            "StorageConfigs": [
                {
                    "AssociationId": "a" * 64,
                    "StorageType": "KINESIS_STREAM",
                    "KinesisStreamConfig": {"StreamArn": stream},
                }
            ]
        },
        {"InstanceId": INSTANCE_ID, "ResourceType": "CONTACT_TRACE_RECORDS"},
    )


def quota_answers(stub: Stubber, *, calls: float | None = 250.0, numbers: float = 10.0) -> None:
    applied = [{"QuotaName": "Phone numbers per instance", "Value": numbers}]
    if calls is not None:
        applied.append({"QuotaName": "Concurrent active calls per instance", "Value": calls})
    stub.add_response("list_service_quotas", {"Quotas": applied}, {"ServiceCode": "connect"})
    if calls is None:
        stub.add_response(
            "list_aws_default_service_quotas",
            {"Quotas": [{"QuotaName": "Concurrent active calls per instance", "Value": 10.0}]},
            {"ServiceCode": "connect"},
        )


def run(calls_per_hour: int = 3295, **answers: Any) -> tuple[list[preflight.Check], ReadOnly]:
    watch = ReadOnly()
    connect = watch.watch(boto3.client("connect", region_name=REGION))
    quotas = watch.watch(boto3.client("service-quotas", region_name=REGION))
    quota_kwargs = {k: answers.pop(k) for k in ("calls", "numbers") if k in answers}
    with Stubber(connect) as connect_stub, Stubber(quotas) as quota_stub:
        connect_answers(connect_stub, **answers)
        quota_answers(quota_stub, **quota_kwargs)
        clients = {
            "cloudformation": watch.watch(boto3.client("cloudformation")),
            "connect": connect,
            "service-quotas": quotas,
            "ssm": watch.watch(boto3.client("ssm")),
        }
        checks = Preflight(clients, [REGION, "eu-west-2"]).run("crisisline", calls_per_hour)
        connect_stub.assert_no_pending_responses()
    return checks, watch


def by_name(checks: list[preflight.Check]) -> dict[str, preflight.Check]:
    return {check.name: check for check in checks}


def test_an_account_ready_for_the_2015_peak_passes_every_check_and_nothing_is_written(account: None) -> None:
    checks, watch = run()
    assert [c.name for c in checks if not c.passed] == []
    assert len(checks) == 9
    assert (
        "3,295 calls/hour × 4 min / 60 = 220 at once; quota in force 250"
        in by_name(checks)["concurrent active calls"].detail
    )
    assert set(watch.calls) >= {"DescribeStacks", "DescribeInstance", "ListServiceQuotas", "DescribeParameters"}


def test_the_default_quota_of_ten_calls_fails_the_peak_and_says_what_to_request(account: None) -> None:
    checks, _ = run(calls=None)
    check = by_name(checks)["concurrent active calls"]
    assert not check.passed and "quota in force 10 (default)" in check.detail
    assert "request 220 or more" in check.todo


def test_a_smaller_hour_fits_a_smaller_quota(account: None) -> None:
    checks, _ = run(calls_per_hour=400, calls=30.0)
    assert by_name(checks)["concurrent active calls"].passed
    assert "= 27 at once" in by_name(checks)["concurrent active calls"].detail


def test_outbound_calls_off_flow_logs_off_and_too_few_numbers_each_fail_with_what_to_do(account: None) -> None:
    checks = by_name(run(outbound=False, logs="false", numbers=2.0)[0])
    assert not checks["outbound calls"].passed and "allow outgoing calls" in checks["outbound calls"].todo
    assert not checks["contact flow logs"].passed and "flow logs" in checks["contact flow logs"].todo
    numbers = checks["phone numbers per instance"]
    assert not numbers.passed and "pool of 3; quota in force 2" in numbers.detail


def test_a_pool_number_routed_to_another_flow_and_a_foreign_record_stream_fail(account: None) -> None:
    other_flow = f"{INSTANCE}/contact-flow/99999999-0000-0000-0000-000000000000"
    other_stream = STREAM.replace("crisisline-", "other-")
    checks = by_name(run(routed_to=other_flow, stream=other_stream)[0])
    assert (
        not checks["pool numbers"].passed
        and "routed elsewhere: +3280010001, +3280010002" in checks["pool numbers"].detail
    )
    assert not checks["contact record stream"].passed and STREAM in checks["contact record stream"].todo


def test_a_token_key_stored_as_plain_string_fails(account: None) -> None:
    boto3.client("ssm").put_parameter(Name="/crisisline/token-hash-key", Type="String", Value="k", Overwrite=True)
    check = by_name(run()[0])["token hashing key"]
    assert not check.passed and "is String" in check.detail and "SecureString" in check.todo


def test_an_instance_in_a_region_without_connect_stops_before_reading_it(account: None) -> None:
    watch = ReadOnly()
    clients = {
        "cloudformation": watch.watch(boto3.client("cloudformation")),
        "connect": watch.watch(boto3.client("connect", region_name=REGION)),
        "service-quotas": watch.watch(boto3.client("service-quotas", region_name=REGION)),
        "ssm": watch.watch(boto3.client("ssm")),
    }
    checks = Preflight(clients, ["us-east-1"]).run("crisisline", 400)
    assert [c.name for c in checks] == ["Connect region", "token hashing key"] and not checks[0].passed
    assert "DescribeInstance" not in watch.calls


def test_a_write_would_fail_the_read_only_watch() -> None:
    watch = ReadOnly()
    client = watch.watch(boto3.client("connect", region_name=REGION, aws_access_key_id="x", aws_secret_access_key="x"))
    with Stubber(client) as stub:
        stub.add_response("claim_phone_number", {"PhoneNumberId": "id"})
        with pytest.raises(AssertionError, match="the preflight wrote: ClaimPhoneNumber"):
            client.claim_phone_number(TargetArn=INSTANCE, PhoneNumber="+3280010001")


def test_the_printed_report_says_pass_or_fail_and_what_to_do() -> None:
    ok = preflight.Check("inbound calls", True, "on", "allow incoming calls")
    bad = preflight.Check("outbound calls", False, "off", "allow outgoing calls")
    assert ok.lines() == ["PASS  inbound calls: on"]
    assert bad.lines() == ["FAIL  outbound calls: off", "      to do: allow outgoing calls"]
