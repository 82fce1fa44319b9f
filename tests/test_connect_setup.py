"""The pool's numbers at deploy: claimed once, never twice, each routed into the crisis flow, and CloudFormation
always hears back. Connect is an in-memory fake (moto implements only Connect's instance calls); the boto3
adapter is checked against the service model with botocore's Stubber."""

from __future__ import annotations

from typing import Any

import boto3
import pytest
from botocore.stub import Stubber
from connect_setup import app
from connect_setup.connect import BotoConnect, ClaimedNumber
from connect_setup.pool import POOL_DESCRIPTION, PoolRequest, PoolShortage, ensure_pool

INSTANCE = "arn:aws:connect:eu-central-1:123456789012:instance/11111111-2222-3333-4444-555555555555"
FLOW = f"{INSTANCE}/contact-flow/66666666-7777-8888-9999-000000000000"


class FakeConnect:
    """An instance with numbers for sale and a record of what was claimed and associated."""

    def __init__(self, for_sale: list[str], claimed: list[ClaimedNumber] | None = None) -> None:
        self.for_sale = list(for_sale)
        self.numbers = list(claimed or [])
        self.associations: dict[str, str] = {}
        self.claims = 0

    def claimed(self, instance_arn: str) -> list[ClaimedNumber]:
        assert instance_arn == INSTANCE
        return list(self.numbers)

    def available(self, instance_arn: str, country: str, number_type: str, count: int) -> list[str]:
        assert (country, number_type) == ("BE", "TOLL_FREE")
        return self.for_sale[:count]

    def claim(self, instance_arn: str, number: str, description: str) -> ClaimedNumber:
        self.for_sale.remove(number)
        self.claims += 1
        claimed = ClaimedNumber(f"id-{number[-4:]}", number, description)
        self.numbers.append(claimed)
        return claimed

    def associate(self, instance_arn: str, number_id: str, flow_arn: str) -> None:
        self.associations[number_id] = flow_arn


def request(count: int = 3) -> PoolRequest:
    return PoolRequest(INSTANCE, FLOW, "BE", "TOLL_FREE", count)


def test_a_first_deploy_claims_the_pool_and_routes_every_number_to_the_flow() -> None:
    connect = FakeConnect(["+3280010001", "+3280010002", "+3280010003", "+3280010004"])
    assert ensure_pool(request(3), connect) == ["+3280010001", "+3280010002", "+3280010003"]
    assert set(connect.associations.values()) == {FLOW} and len(connect.associations) == 3
    assert all(n.description == POOL_DESCRIPTION for n in connect.numbers)


def test_a_second_deploy_claims_nothing_and_ignores_numbers_that_are_not_the_pools() -> None:
    connect = FakeConnect(
        ["+3280010009"],
        [ClaimedNumber("id-1", "+3280010001", POOL_DESCRIPTION), ClaimedNumber("id-x", "+3225550000", "switchboard")],
    )
    assert ensure_pool(request(1), connect) == ["+3280010001"]
    assert connect.claims == 0 and "id-x" not in connect.associations


def test_raising_the_count_claims_only_the_missing_numbers() -> None:
    connect = FakeConnect(["+3280010002", "+3280010003"], [ClaimedNumber("id-1", "+3280010001", POOL_DESCRIPTION)])
    assert len(ensure_pool(request(3), connect)) == 3 and connect.claims == 2


def test_too_few_numbers_for_sale_is_a_shortage() -> None:
    with pytest.raises(PoolShortage):
        ensure_pool(request(3), FakeConnect(["+3280010001"]))


def event(kind: str = "Create", count: str = "2") -> dict[str, Any]:
    return {
        "RequestType": kind,
        "ResponseURL": "https://cloudformation-custom-resource-response.example/x",
        "StackId": "arn:aws:cloudformation:eu-central-1:123456789012:stack/crisisline/1",
        "RequestId": "r-1",
        "LogicalResourceId": "PoolNumbers",
        "ResourceType": "Custom::PoolNumbers",
        "ResourceProperties": {
            "ServiceToken": "arn:…",
            "InstanceArn": INSTANCE,
            "ContactFlowArn": FLOW,
            "CountryCode": "BE",
            "NumberType": "TOLL_FREE",
            "Count": count,
        },
    }


def test_the_custom_resource_answers_success_with_the_numbers() -> None:
    answers: list[tuple[str, dict[str, Any]]] = []
    connect = FakeConnect(["+3280010001", "+3280010002"])
    app.lambda_handler(event(), None, connect, lambda url, body: answers.append((url, body)))
    [(url, body)] = answers
    assert url.startswith("https://") and body["Status"] == "SUCCESS"
    assert body["Data"] == {"Numbers": "+3280010001,+3280010002", "Count": "2"}
    assert body["PhysicalResourceId"] == "PoolNumbers-pool" and body["RequestId"] == "r-1"


def test_a_failure_still_answers_cloudformation_with_the_reason() -> None:
    answers: list[dict[str, Any]] = []
    app.lambda_handler(event(count="5"), None, FakeConnect([]), lambda url, body: answers.append(body))
    assert answers[0]["Status"] == "FAILED" and "PoolShortage" in answers[0]["Reason"]


def test_deleting_the_stack_releases_no_number() -> None:
    answers: list[dict[str, Any]] = []
    connect = FakeConnect([], [ClaimedNumber("id-1", "+3280010001", POOL_DESCRIPTION)])
    app.lambda_handler(
        {**event("Delete"), "PhysicalResourceId": "PoolNumbers-pool"},
        None,
        connect,
        lambda url, body: answers.append(body),
    )
    assert answers[0]["Status"] == "SUCCESS" and connect.numbers and not connect.associations


def test_the_boto_adapter_sends_what_connects_api_expects() -> None:
    client = boto3.client("connect", region_name="eu-central-1", aws_access_key_id="x", aws_secret_access_key="x")
    with Stubber(client) as stub:
        stub.add_response(
            "list_phone_numbers_v2",
            {
                "ListPhoneNumbersSummaryList": [
                    {"PhoneNumberId": "id-1", "PhoneNumber": "+3280010001", "PhoneNumberDescription": POOL_DESCRIPTION}
                ]
            },
            {"TargetArn": INSTANCE, "MaxResults": 100},
        )
        stub.add_response(
            "search_available_phone_numbers",
            {
                "AvailableNumbersList": [
                    {"PhoneNumber": "+3280010002", "PhoneNumberCountryCode": "BE", "PhoneNumberType": "TOLL_FREE"}
                ]
            },
            {"TargetArn": INSTANCE, "PhoneNumberCountryCode": "BE", "PhoneNumberType": "TOLL_FREE", "MaxResults": 1},
        )
        stub.add_response(
            "claim_phone_number",
            {"PhoneNumberId": "id-2", "PhoneNumberArn": "arn:…/id-2"},
            {"TargetArn": INSTANCE, "PhoneNumber": "+3280010002", "PhoneNumberDescription": POOL_DESCRIPTION},
        )
        for number_id in ("id-1", "id-2"):
            stub.add_response(
                "associate_phone_number_contact_flow",
                {},
                {
                    "PhoneNumberId": number_id,
                    "InstanceId": "11111111-2222-3333-4444-555555555555",
                    "ContactFlowId": "66666666-7777-8888-9999-000000000000",
                },
            )
        assert ensure_pool(request(2), BotoConnect(client)) == ["+3280010001", "+3280010002"]
        stub.assert_no_pending_responses()
