"""The pool's numbers at deploy: the center's existing numbers taken as they are, claims only where asked and
never twice, each number routed into the crisis flow once Connect has finished claiming it and entered in the
pool table with its kind, a country without numbers leaving a short pool (said so) instead of a rollback, and
CloudFormation always hears back. Connect is an in-memory fake (moto implements only Connect's instance calls);
the boto3 adapter is checked against the service model with botocore's Stubber."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import boto3
from botocore.stub import Stubber
from connect_setup.connect import BotoConnect, ClaimedNumber
from connect_setup.pool import POOL_DESCRIPTION, WAIT_ROUNDS, PoolRequest, claim_token, ensure_pool

INSTANCE = "arn:aws:connect:eu-central-1:123456789012:instance/11111111-2222-3333-4444-555555555555"
FLOW = f"{INSTANCE}/contact-flow/66666666-7777-8888-9999-000000000000"
STACK = "arn:aws:cloudformation:eu-central-1:123456789012:stack/crisisline/1"


def phone_arn(number_id: str) -> str:
    return f"arn:aws:connect:eu-central-1:123456789012:phone-number/{number_id}"


class FakeConnect:
    """An instance with numbers for sale, claims that complete after `claim_rounds` status checks, and a
    record of what was claimed (per client token) and associated."""

    def __init__(
        self,
        for_sale: list[str],
        claimed: list[ClaimedNumber] | None = None,
        claim_rounds: int = 1,
        failing: tuple[str, ...] = (),
    ) -> None:
        self.for_sale = list(for_sale)
        self.numbers = list(claimed or [])
        self.associations: dict[str, str] = {}
        self.tokens: dict[str, ClaimedNumber] = {}
        self.checks: dict[str, int] = {}
        self.claim_rounds = claim_rounds
        self.failing = failing
        self.claims = 0

    def claimed(self, instance_arn: str) -> list[ClaimedNumber]:
        assert instance_arn == INSTANCE
        return list(self.numbers)

    def available(self, instance_arn: str, country: str, number_type: str, count: int) -> list[str]:
        assert (country, number_type) == ("BE", "TOLL_FREE")
        return self.for_sale[:count]

    def claim(self, instance_arn: str, number: str, description: str, client_token: str) -> ClaimedNumber:
        if client_token in self.tokens:  # Connect's idempotency: the same token claims once
            return self.tokens[client_token]
        self.for_sale.remove(number)
        self.claims += 1
        claimed = ClaimedNumber(f"id-{number[-4:]}", number, description, phone_arn(f"id-{number[-4:]}"), "TOLL_FREE")
        self.numbers.append(claimed)
        self.tokens[client_token] = claimed
        return claimed

    def status(self, number_id: str) -> str:
        self.checks[number_id] = self.checks.get(number_id, 0) + 1
        if any(number_id.endswith(n[-4:]) for n in self.failing):
            return "FAILED"
        return "CLAIMED" if self.checks[number_id] >= self.claim_rounds else "IN_PROGRESS"

    def associate(self, instance_arn: str, number_id: str, flow_arn: str) -> None:
        assert self.checks.get(number_id, self.claim_rounds) >= self.claim_rounds, "associated before claimed"
        self.associations[number_id] = flow_arn


class FakeTable:
    def __init__(self) -> None:
        self.entries: dict[str, str] = {}

    def enter(self, number: str, kind: str) -> bool:
        if number in self.entries:
            return False
        self.entries[number] = kind
        return True


def no_sleep(seconds: float) -> None:
    pass


def request(claim: int = 0, existing: tuple[str, ...] = (), stack: str = STACK) -> PoolRequest:
    return PoolRequest(INSTANCE, FLOW, "BE", "TOLL_FREE", claim, existing, stack)


def test_the_centers_existing_numbers_enter_the_pool_by_arn_or_number_with_their_kind_and_nothing_is_claimed() -> None:
    connect = FakeConnect(
        ["+3280010009"],
        [
            ClaimedNumber("id-a", "+3280020001", "leaflet", phone_arn("id-a"), "TOLL_FREE"),
            ClaimedNumber("id-b", "+3225550001", "", phone_arn("id-b"), "DID"),
            ClaimedNumber("id-x", "+3225550000", "switchboard", phone_arn("id-x"), "DID"),
        ],
    )
    table = FakeTable()
    result = ensure_pool(request(0, (phone_arn("id-a"), "+3225550001")), connect, table, no_sleep)
    assert result.numbers == ["+3225550001", "+3280020001"] and result.missing == 0 and not result.notes
    assert table.entries == {"+3280020001": "toll_free", "+3225550001": "did"}
    assert connect.claims == 0 and connect.associations == {"id-a": FLOW, "id-b": FLOW}


def test_an_existing_number_that_is_not_on_the_instance_is_named_and_the_rest_still_deploys() -> None:
    connect = FakeConnect([], [ClaimedNumber("id-a", "+3280020001", "", phone_arn("id-a"), "TOLL_FREE")])
    result = ensure_pool(request(0, ("+3280020001", "+3280099999")), connect, FakeTable(), no_sleep)
    assert result.numbers == ["+3280020001"] and "+3280099999 is not claimed to the instance" in result.notes


def test_claims_are_made_only_where_asked_and_each_waits_until_connect_says_claimed() -> None:
    connect = FakeConnect(["+3280010001", "+3280010002", "+3280010003"], claim_rounds=3)
    table = FakeTable()
    result = ensure_pool(request(2), connect, table, no_sleep)
    assert result.numbers == ["+3280010001", "+3280010002"] and connect.claims == 2
    assert connect.checks == {"id-0001": 3, "id-0002": 3}
    assert set(connect.associations) == {"id-0001", "id-0002"} and set(table.entries.values()) == {"toll_free"}


def test_a_country_that_offers_no_number_leaves_a_short_pool_that_says_so() -> None:
    result = ensure_pool(request(3), FakeConnect(["+3280010001"]), FakeTable(), no_sleep)
    assert result.numbers == ["+3280010001"] and result.missing == 2
    assert "Connect offers no TOLL_FREE number in BE: 2 of 3 claim(s) not made" in result.notes


def test_a_claim_that_never_completes_is_waited_for_a_bounded_time_and_not_routed() -> None:
    naps: list[float] = []
    connect = FakeConnect(["+3280010001"], claim_rounds=WAIT_ROUNDS + 5)
    table = FakeTable()
    result = ensure_pool(request(1), connect, table, naps.append)
    assert connect.checks["id-0001"] == WAIT_ROUNDS and len(naps) == WAIT_ROUNDS - 1
    assert result.numbers == [] and not connect.associations and not table.entries
    assert any("still being claimed" in note for note in result.notes)


def test_a_failed_claim_is_neither_routed_nor_entered() -> None:
    connect = FakeConnect(["+3280010001", "+3280010002"], failing=("+3280010001",))
    result = ensure_pool(request(2), connect, FakeTable(), no_sleep)
    assert result.numbers == ["+3280010002"] and "claiming +3280010001 failed" in result.notes


def test_a_retried_create_claims_each_slot_once() -> None:
    connect = FakeConnect(["+3280010001", "+3280010002"])
    ensure_pool(request(1), connect, FakeTable(), no_sleep)
    connect.numbers.clear()  # as if the first claim was not listed yet when CloudFormation retried
    ensure_pool(request(1), connect, FakeTable(), no_sleep)
    assert connect.claims == 1
    assert claim_token(STACK, 0) == claim_token(STACK, 0) != claim_token(STACK, 1) != claim_token("other", 1)


def test_a_second_deploy_claims_nothing_and_ignores_numbers_that_are_not_the_pools() -> None:
    connect = FakeConnect(
        ["+3280010009"],
        [
            ClaimedNumber("id-1", "+3280010001", POOL_DESCRIPTION, phone_arn("id-1"), "TOLL_FREE"),
            ClaimedNumber("id-x", "+3225550000", "switchboard", phone_arn("id-x"), "DID"),
        ],
    )
    table = FakeTable()
    assert ensure_pool(request(1), connect, table, no_sleep).numbers == ["+3280010001"]
    assert connect.claims == 0 and "id-x" not in connect.associations and "+3225550000" not in table.entries


def test_a_premium_rate_number_is_never_routed_to_the_crisis_flow() -> None:
    connect = FakeConnect([], [ClaimedNumber("id-p", "+3290012345", "", phone_arn("id-p"), "DID")])
    result = ensure_pool(request(0, ("+3290012345",)), connect, FakeTable(), no_sleep)
    assert result.numbers == [] and not connect.associations and result.notes


def handle(*args: Any) -> None:
    """The custom resource's handler, imported once the test's environment is set (it validates it at import)."""
    from connect_setup import app

    app.lambda_handler(*args)


def event(kind: str = "Create", claim: str = "2", existing: Any = "") -> dict[str, Any]:
    return {
        "RequestType": kind,
        "ResponseURL": "https://cloudformation-custom-resource-response.example/x",
        "StackId": STACK,
        "RequestId": "r-1",
        "LogicalResourceId": "PoolNumbers",
        "ResourceType": "Custom::PoolNumbers",
        "ResourceProperties": {
            "ServiceToken": "arn:…",
            "InstanceArn": INSTANCE,
            "ContactFlowArn": FLOW,
            "CountryCode": "BE",
            "NumberType": "TOLL_FREE",
            "ClaimCount": claim,
            "ExistingNumbers": existing,
        },
    }


def test_the_custom_resource_answers_success_with_the_numbers() -> None:
    answers: list[tuple[str, dict[str, Any]]] = []
    connect = FakeConnect(["+3280010001", "+3280010002"])
    handle(event(), None, connect, lambda url, body: answers.append((url, body)), FakeTable(), no_sleep)
    [(url, body)] = answers
    assert url.startswith("https://") and body["Status"] == "SUCCESS"
    assert body["Data"] == {"Numbers": "+3280010001,+3280010002", "Count": "2", "Missing": "0", "Notes": "complete"}
    assert body["PhysicalResourceId"] == "PoolNumbers-pool" and body["RequestId"] == "r-1"


def test_a_country_without_numbers_is_a_success_with_an_empty_pool_not_a_rollback() -> None:
    answers: list[dict[str, Any]] = []
    handle(event(claim="5"), None, FakeConnect([]), lambda url, body: answers.append(body), FakeTable())
    assert answers[0]["Status"] == "SUCCESS"
    assert answers[0]["Data"]["Count"] == "0" and answers[0]["Data"]["Missing"] == "5"
    assert "Connect offers no TOLL_FREE number in BE" in answers[0]["Data"]["Notes"]


def test_existing_numbers_arrive_as_cloudformations_list_or_as_one_string() -> None:
    connect = FakeConnect([], [ClaimedNumber("id-a", "+3280020001", "", phone_arn("id-a"), "TOLL_FREE")])
    answers: list[dict[str, Any]] = []
    for given in (["+3280020001"], " +3280020001 ,"):
        handle(event(claim="0", existing=given), None, connect, lambda u, b: answers.append(b), FakeTable())
    assert [answer["Data"]["Numbers"] for answer in answers] == ["+3280020001", "+3280020001"]


class Down(FakeConnect):
    def claimed(self, instance_arn: str) -> list[ClaimedNumber]:
        raise RuntimeError("Connect did not answer")


def test_a_failure_still_answers_cloudformation_with_the_reason() -> None:
    answers: list[dict[str, Any]] = []
    handle(event(), None, Down([]), lambda url, body: answers.append(body), FakeTable())
    assert answers[0]["Status"] == "FAILED" and "Connect did not answer" in answers[0]["Reason"]


def test_deleting_the_stack_releases_no_number() -> None:
    answers: list[dict[str, Any]] = []
    connect = FakeConnect([], [ClaimedNumber("id-1", "+3280010001", POOL_DESCRIPTION)])
    handle(
        {**event("Delete"), "PhysicalResourceId": "PoolNumbers-pool"},
        None,
        connect,
        lambda url, body: answers.append(body),
        FakeTable(),
    )
    assert answers[0]["Status"] == "SUCCESS" and connect.numbers and not connect.associations


def test_the_pool_table_gets_each_number_once_with_its_kind_and_an_audit_entry(
    aws: None, function_environment: Callable[..., None]
) -> None:
    from tests.conftest import table_items

    function_environment("ConnectSetupFunction")
    from connect_setup import app

    table = app.NumbersTable()
    assert table.enter("+3280010001", "toll_free") is True
    assert table.enter("+3280010001", "toll_free") is False
    [item] = table_items("NumbersTable")
    assert item["kind"] == {"S": "toll_free"} and item["pool_state"] == {"S": "free"}
    [audit] = table_items("AuditTable")
    assert audit["subject"] == {"S": "number#+3280010001"} and audit["actor"]["M"]["role"] == {"S": "deploy"}


def test_the_boto_adapter_sends_what_connects_api_expects() -> None:
    client = boto3.client("connect", region_name="eu-central-1", aws_access_key_id="x", aws_secret_access_key="x")
    with Stubber(client) as stub:
        stub.add_response(
            "list_phone_numbers_v2",
            {
                "ListPhoneNumbersSummaryList": [
                    {
                        "PhoneNumberId": "id-1",
                        "PhoneNumberArn": phone_arn("id-1"),
                        "PhoneNumber": "+3280010001",
                        "PhoneNumberType": "TOLL_FREE",
                        "PhoneNumberDescription": POOL_DESCRIPTION,
                    }
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
            {"PhoneNumberId": "id-2", "PhoneNumberArn": phone_arn("id-2")},
            {
                "TargetArn": INSTANCE,
                "PhoneNumber": "+3280010002",
                "PhoneNumberDescription": POOL_DESCRIPTION,
                "ClientToken": claim_token(STACK, 1),
            },
        )
        for status in ("IN_PROGRESS", "CLAIMED"):
            stub.add_response(
                "describe_phone_number",
                {"ClaimedPhoneNumberSummary": {"PhoneNumberId": "id-2", "PhoneNumberStatus": {"Status": status}}},
                {"PhoneNumberId": "id-2"},
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
        result = ensure_pool(request(2), BotoConnect(client), FakeTable(), no_sleep)
        assert result.numbers == ["+3280010001", "+3280010002"]
        stub.assert_no_pending_responses()


def test_the_activation_phone_number_is_routed_to_its_own_flow_and_claims_nothing() -> None:
    activation_flow = f"{INSTANCE}/contact-flow/aaaaaaaa-7777-8888-9999-000000000000"
    connect = FakeConnect(["+3280010001"])
    answers: list[dict[str, Any]] = []
    routed = {
        **event(),
        "LogicalResourceId": "ActivationPhoneNumber",
        "ResourceType": "Custom::ActivationPhoneNumber",
        "ResourceProperties": {
            "ServiceToken": "arn:…",
            "InstanceArn": INSTANCE,
            "ContactFlowArn": activation_flow,
            "PhoneNumberArn": phone_arn("id-act1"),
        },
    }
    handle(routed, None, connect, lambda url, body: answers.append(body), FakeTable(), no_sleep)
    assert answers[0]["Status"] == "SUCCESS"
    assert connect.associations == {"id-act1": activation_flow} and connect.claims == 0
