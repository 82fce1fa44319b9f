"""The crisis center watches every live line: the admin's list of live activations carries each line's calls this
UTC hour, as routing counts them, against the calls its operators answer in an hour, as routing decides overflow."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import boto3
import pytest

from crisisline import facts
from tests.conftest import Api, activation_body, table_names
from tests.route_support import connect_event

Line = tuple[str, str, str]  # an authority's token, its live activation's id and the number callers dial


@pytest.fixture(autouse=True)
def both_functions(function_environment: Callable[..., None], monkeypatch: pytest.MonkeyPatch) -> None:
    function_environment("ActivateFunction", "RouteFunction")
    # Every call is counted: on a busy machine a count that ran out of routing's budget would fail open, and
    # these tests are about what the crisis center sees, not the budget.
    monkeypatch.setenv("ROUTE_BUDGET_SECONDS", "5")


@pytest.fixture
def lines(api: Api, enrol: Any, add_numbers: Any) -> dict[str, Line]:
    """Stad Gent's line (2 operators) and Stad Antwerpen's (3), both live, by the authority's name."""
    add_numbers("+3280012345", "+3280012346")
    opened = {}
    for authority_id, name, operators in (("44021", "Stad Gent", 2), ("11002", "Stad Antwerpen", 3)):
        _, token = enrol(authority_id, name)
        answer = api.post("/activations", token, activation_body(operators=operators))
        assert answer.status == 201, answer.body
        opened[name] = (token, answer.body["id"], answer.body["number"])
    return opened


def call(number: str, times: int = 1) -> None:
    """Callers who pick a queue on `number`, routed as Amazon Connect's flow asks (only the pick counts)."""
    from route import app

    for _ in range(times):
        assert app.lambda_handler(connect_event(number), None)["status"] == "live"  # the greeting: not counted
        assert app.lambda_handler(connect_event(number, language="nl", choice="1"), None)["overflow"] == "false"


def live_lines(api: Api, token: str) -> dict[str, dict[str, Any]]:
    answer = api.get("/activations?status=live", token)
    assert answer.status == 200, answer.body
    return {line["id"]: line for line in answer.body["activations"]}


def test_a_routed_call_shows_in_the_admins_list_against_the_lines_capacity(
    api: Api, admin: str, lines: dict[str, Line]
) -> None:
    call(lines["Stad Gent"][2], times=3)
    listed = live_lines(api, admin)
    gent, antwerp = listed[lines["Stad Gent"][1]], listed[lines["Stad Antwerpen"][1]]
    per_operator = facts.default_calls_per_operator_hour()
    assert (gent["calls_this_hour"], gent["capacity_per_hour"]) == (3, 2 * per_operator)
    assert (antwerp["calls_this_hour"], antwerp["capacity_per_hour"]) == (0, 3 * per_operator)


def test_an_authoritys_list_carries_no_figures_of_its_own_nor_of_another_line(api: Api, lines: dict[str, Line]) -> None:
    call(lines["Stad Gent"][2], times=2)
    for name, (token, activation_id, _) in lines.items():
        listed = live_lines(api, token)
        assert list(listed) == [activation_id], name
        assert not {"calls_this_hour", "capacity_per_hour"} & set(listed[activation_id]), name


def test_the_capacity_is_the_one_routing_overflows_at_under_the_tariff_in_force(
    api: Api, admin: str, lines: dict[str, Line]
) -> None:
    boto3.client("dynamodb").put_item(
        TableName=table_names()["TariffsTable"],
        Item={"effective_from": {"S": "2020-01-01T00:00:00Z"}, "calls_per_operator_hour": {"N": "2"}},
    )
    _, gent_id, gent_number = lines["Stad Gent"]
    assert live_lines(api, admin)[gent_id]["capacity_per_hour"] == 4  # 2 operators x 2 calls
    call(gent_number, times=4)
    from route import app

    assert app.lambda_handler(connect_event(gent_number, language="nl", choice="1"), None)["overflow"] == "true"
    assert live_lines(api, admin)[gent_id]["calls_this_hour"] == 5


def test_the_admins_list_of_activations_reads_every_lines_counter_in_one_batch(
    api: Api, admin: str, lines: dict[str, Line]
) -> None:
    from activate import logic
    from bench.common import counting_calls
    from crisisline import aws

    aws.reset_clients()  # made again inside the block, so that their calls are counted
    logic.forget_default_stores()
    with counting_calls() as counter:
        live_lines(api, admin)
    dynamodb = [call.split(".", 1)[1] for call in counter.calls if call.startswith("dynamodb.")]
    assert dynamodb.count("BatchGetItem") == 1, dynamodb
    assert dynamodb.count("GetItem") == 1, dynamodb  # the authorizer's read of the token, none per line


def test_a_closed_line_carries_no_figures(api: Api, admin: str, lines: dict[str, Line]) -> None:
    token, gent_id, _ = lines["Stad Gent"]
    assert api.post(f"/activations/{gent_id}/close", token).status == 200
    closed = {line["id"]: line for line in api.get("/activations", admin).body["activations"]}[gent_id]
    assert "calls_this_hour" not in closed


class _Counters:
    """DynamoDB as BatchGetItem sees it under load: the first answer leaves one key unread."""

    def __init__(self, calls: dict[str, int]) -> None:
        self.calls, self.requests = calls, []  # type: ignore[var-annotated]

    def batch_get_item(self, RequestItems: dict[str, Any]) -> dict[str, Any]:  # noqa: N803 - boto3's name
        self.requests.append(RequestItems)
        ((table, request),) = RequestItems.items()
        keys = request["Keys"]
        read, unread = (keys[:-1], keys[-1:]) if len(self.requests) == 1 else (keys, [])
        items = [
            {"activation_id": key["activation_id"], "calls": {"N": str(self.calls[key["activation_id"]["S"]])}}
            for key in read
            if key["activation_id"]["S"] in self.calls
        ]
        return {"Responses": {table: items}, "UnprocessedKeys": {table: {**request, "Keys": unread}} if unread else {}}


def test_keys_dynamodb_left_unread_are_asked_again() -> None:
    from crisisline.stores.capacity import CapacityStore

    ddb = _Counters({"a": 4, "b": 7})
    store = CapacityStore(ddb, call_counters_table="counters", tariffs_table="tariffs")
    at = datetime(2026, 11, 29, 16, 59, tzinfo=UTC)
    assert store.calls_this_hour(["a", "b", "c"], at) == {"a": 4, "b": 7, "c": 0}
    assert len(ddb.requests) == 2
    assert {key["hour"]["S"] for key in ddb.requests[0]["counters"]["Keys"]} == {"2026-11-29T16Z"}


def test_a_counters_hour_is_the_utc_hour_whatever_the_instants_zone() -> None:
    from zoneinfo import ZoneInfo

    brussels = datetime(2026, 7, 1, 1, 30, tzinfo=ZoneInfo("Europe/Brussels"))
    assert facts.counter_hour(brussels) == "2026-06-30T23Z"
    assert facts.overflows(7, 2, 3) and not facts.overflows(6, 2, 3)
