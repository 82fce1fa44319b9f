"""Part 3 of the reliability proof: many requests at the same moment.

- 50 authorities racing for the last 5 free numbers: exactly 5 lines open, 45 are told 409
  `no_number_available`, and no number is held twice (the numbers table and the activations table agree).
- 20 retries of one request with one Idempotency-Key at once: one activation; every other answer is that
  activation or 409 `request_in_progress`.
- Operator changes sent at once: the operator timeline keeps every one, in time order (N changes, N + 1 entries).

Each race runs twice. Over real HTTP against a started local stack of its own, as API Gateway and Lambda see it: the
activation function there takes one event at a time per process (Powertools keeps the current event at class
level), as one Lambda execution environment does, so the requests queue for it like requests for one
environment. And one layer down, on threads that call the logic and the store directly (moto made atomic per
request, as DynamoDB is), so the claims, the idempotency records and the revision checks really interleave,
as they do across many Lambda environments."""

from __future__ import annotations

import re
import time
from collections import Counter
from collections.abc import Callable, Iterator
from typing import Any, TypeVar

import boto3
import pytest
from aws_lambda_powertools.utilities.idempotency import DynamoDBPersistenceLayer

from activate import logic
from crisisline import errors, settings
from crisisline.aws import client
from crisisline.dynamo import from_item
from crisisline.models import ActivationIn, ActivationPatch, Caller
from infra.local import template
from infra.local.stack import LambdaContext
from tests.conftest import (
    RunningStack,
    activation_body,
    at_once,
    authority_body,
    http,
    started_local_stack,
    table_items,
)
from tests.reliability import figures

T = TypeVar("T")
AUTHORITIES = figures.size(ci=50, full=50)
FREE_NUMBERS = figures.size(ci=5, full=5)
RETRIES = figures.size(ci=20, full=20)
CHANGES = figures.size(ci=20, full=20)


# ---------------------------------------------------------------------- over real HTTP
@pytest.fixture(scope="module")
def own_stack() -> Iterator[RunningStack]:
    """`python -m infra.local` for these races alone: they need the pool to themselves (exactly five numbers
    free), which the session's shared stack cannot give without changing it under the other tests."""
    with started_local_stack() as stack:
        yield stack


class OverHttp:
    """The started stack as a client sees it (admin token), and its AWS backend read directly: what the
    tables hold, not what the API says."""

    def __init__(self, stack: RunningStack) -> None:
        self.url, self.admin = stack.api_url, stack.admin_token
        found = re.search(r"AWS backend \(moto\)\s+(\S+)", stack.output)
        assert found, "the local stack names its AWS backend"
        self.ddb = boto3.client(
            "dynamodb",
            endpoint_url=found.group(1),
            region_name=template.LOCAL_REGION,
            aws_access_key_id="local",
            aws_secret_access_key="local",
        )

    def items(self, logical_id: str) -> list[dict[str, Any]]:
        pages = self.ddb.get_paginator("scan").paginate(
            TableName=template.physical_table_name(logical_id), ConsistentRead=True
        )
        return [from_item(item) for page in pages for item in page.get("Items", [])]

    def enrol(self, authority_id: str) -> str:
        status, _, body = http(
            "POST", f"{self.url}/authorities", self.admin, authority_body(authority_id, f"Gemeente {authority_id}")
        )
        assert status == 201, body
        return str(body["token"])

    def free_numbers(self) -> list[str]:
        status, _, body = http("GET", f"{self.url}/numbers", self.admin)
        assert status == 200, body
        # Authorities get toll-free numbers unless they ask otherwise: the free pool they race for.
        return [n["number"] for n in body["numbers"] if n["state"] == "free" and n["kind"] == "toll_free"]

    def exactly_free(self, count: int, prefix: int) -> list[str]:
        """Make exactly `count` pool numbers free on the shared stack: add numbers, or hold the surplus with
        filler lines. Returns the filler activations, to close afterwards."""
        for n in range(count - len(self.free_numbers())):
            status, _, body = http(
                "POST",
                f"{self.url}/numbers",
                self.admin,
                {"number": f"+32800{prefix // 100 % 10}{n:04d}", "kind": "toll_free"},
            )
            assert status in (201, 409), body
        fillers = []
        for n in range(len(self.free_numbers()) - count):
            status, _, body = http(
                "POST", f"{self.url}/activations", self.enrol(f"{prefix + 50 + n:05d}"), activation_body()
            )
            assert status == 201, body
            fillers.append(body["id"])
        assert len(self.free_numbers()) == count
        return fillers

    def close(self, *activation_ids: str) -> None:
        """Give numbers back to the other tests on this stack."""
        for activation_id in activation_ids:
            status, _, body = http("POST", f"{self.url}/activations/{activation_id}/close", self.admin)
            assert status == 200, body


def claims_over_http(api: OverHttp) -> str:
    fillers = api.exactly_free(FREE_NUMBERS, 71100)
    free = api.free_numbers()
    racers = [(f"{71200 + n:05d}", api.enrol(f"{71200 + n:05d}")) for n in range(AUTHORITIES)]
    answers = at_once(AUTHORITIES, lambda i: http("POST", f"{api.url}/activations", racers[i][1], activation_body()))
    opened = {racers[i][0]: body for i, (status, _, body) in enumerate(answers) if status == 201}
    try:
        refused = Counter((status, body["error"]["code"]) for status, _, body in answers if status != 201)
        mine = [a for a in api.items("ActivationsTable") if a["authority_id"] in dict(racers)]
        live = [a for a in api.items("ActivationsTable") if a["status"] == "live"]
        held = {n["number"]: n["activation_id"] for n in api.items("NumbersTable") if "activation_id" in n}
        assert len(opened) == FREE_NUMBERS
        assert refused == Counter({(409, "no_number_available"): AUTHORITIES - FREE_NUMBERS})
        assert sorted(body["number"] for body in opened.values()) == sorted(free)
        assert all(body["authority_id"] == authority_id for authority_id, body in opened.items())
        assert sorted(a["id"] for a in mine) == sorted(body["id"] for body in opened.values())  # no stray line
        assert len({a["number"] for a in live}) == len(live)  # no number in two live activations
        assert {body["number"]: body["id"] for body in opened.values()} == {n: held[n] for n in free}
    finally:
        api.close(*[body["id"] for body in opened.values()], *fillers)
    return f"over HTTP {len(opened)} live, {sum(refused.values())} told 409 no_number_available, 0 held twice"


def one_key_over_http(api: OverHttp) -> str:
    fillers = api.exactly_free(2, 71300)
    token = api.enrol("71400")
    send = lambda _: http(  # noqa: E731
        "POST",
        f"{api.url}/activations",
        token,
        activation_body(),
        {"Idempotency-Key": "71400-flood-1"},
    )
    answers = at_once(RETRIES, send)
    ids = {body["id"] for status, _, body in answers if status == 201}
    busy = Counter(
        (status, body["error"]["code"], "Retry-After" in headers) for status, headers, body in answers if status != 201
    )
    stored = [a["id"] for a in api.items("ActivationsTable") if a["authority_id"] == "71400"]
    try:
        assert len(ids) == 1
        assert set(busy) <= {(409, "request_in_progress", True)}
        assert stored == list(ids)
        status, _, again = send(0)
        assert (status, again["id"]) == (201, next(iter(ids)))  # once done, a retry gets the same line
    finally:
        api.close(*stored, *fillers)
    return f"over HTTP 1 activation ({RETRIES - sum(busy.values())} got it, {sum(busy.values())} request_in_progress)"


def changes_over_http(api: OverHttp) -> str:
    fillers = api.exactly_free(1, 71500)
    token = api.enrol("71600")
    status, _, line = http("POST", f"{api.url}/activations", token, activation_body())
    assert status == 201, line
    path = f"{api.url}/activations/{line['id']}"
    try:
        answers = at_once(CHANGES, lambda i: http("PATCH", path, token, {"operators": 10 + i}))
        assert [status for status, _, _ in answers] == [200] * CHANGES
        final = http("GET", path, token)[2]
        timeline = final["operator_timeline"]
        assert len(timeline) == CHANGES + 1
        assert sorted(entry["operators"] for entry in timeline[1:]) == [10 + i for i in range(CHANGES)]
        assert [entry["at"] for entry in timeline] == sorted(entry["at"] for entry in timeline)
        assert timeline[-1]["operators"] == final["operators"]
    finally:
        api.close(line["id"], *fillers)
    return f"over HTTP {len(timeline)} timeline entries in time order"


# ---------------------------------------------------------------------- on threads, in the logic and the store
def _authority(authority_id: str) -> Caller:
    return Caller(
        role="authority",
        credential_id=f"c-{authority_id}",
        authority_id=authority_id,
        authority_name=f"Gemeente {authority_id}",
    )


def _attempt(work: Callable[[], T]) -> T | errors.DomainError:
    try:
        return work()
    except errors.DomainError as error:
        return error


def claims_on_threads(enrol: Any, add_numbers: Any) -> str:
    free = add_numbers(*(f"+3280090{n:03d}" for n in range(FREE_NUMBERS)))
    authorities = [enrol(f"{30000 + n:05d}", f"Gemeente {n}")[0]["id"] for n in range(AUTHORITIES)]
    store, request = logic.default_store(), ActivationIn.model_validate(activation_body())
    outcomes = at_once(
        AUTHORITIES, lambda i: _attempt(lambda: logic.open_activation(_authority(authorities[i]), request, store)[0])
    )
    opened = [o for o in outcomes if isinstance(o, dict)]
    refused = Counter((o.status, o.code) for o in outcomes if isinstance(o, errors.DomainError))
    activations = [from_item(item) for item in table_items("ActivationsTable")]
    assert len(opened) == FREE_NUMBERS
    assert refused == Counter({(409, "no_number_available"): AUTHORITIES - FREE_NUMBERS})
    assert sorted(o["number"] for o in opened) == sorted(free)  # each number once
    assert {n["number"]: n.get("activation_id") for n in store.numbers.list_numbers()} == {
        o["number"]: o["id"] for o in opened
    }  # the numbers table agrees
    assert sorted(a["id"] for a in activations) == sorted(o["id"] for o in opened)  # no stray activation
    assert all(a["number"] in free and a["status"] == "live" for a in activations)
    return f"on threads {len(opened)} live, {sum(refused.values())} told 409, 0 held twice"


def one_key_on_threads(enrol: Any, add_numbers: Any) -> str:
    add_numbers("+3280091000", "+3280091001")
    authority = enrol("30100", "Gemeente Herhaal")[0]["id"]
    store, request = logic.default_store(), ActivationIn.model_validate(activation_body())
    # The records and configuration the handler hands over: DynamoDB's idempotency table, one invocation's time.
    config = logic.idempotency_config(settings.api().idempotency_seconds)
    config.register_lambda_context(LambdaContext("ActivateFunction"))
    records = DynamoDBPersistenceLayer(table_name=settings.api().idempotency_table, boto3_client=client("dynamodb"))
    idempotency = logic.Idempotency(records, config)
    outcomes = at_once(
        RETRIES,
        lambda _: _attempt(
            lambda: logic.open_activation(_authority(authority), request, store, "30100-flood-1", idempotency)[0]
        ),
    )  # type: ignore[arg-type]
    ids = {o["id"] for o in outcomes if isinstance(o, dict)}
    busy = Counter((o.status, o.code) for o in outcomes if isinstance(o, errors.DomainError))
    stored = [
        from_item(item)["id"]
        for item in table_items("ActivationsTable")
        if from_item(item)["authority_id"] == authority
    ]
    assert len(ids) == 1
    assert set(busy) <= {(409, "request_in_progress")}
    assert stored == list(ids)
    return f"on threads 1 activation ({RETRIES - sum(busy.values())} got it, {sum(busy.values())} request_in_progress)"


def changes_on_threads(enrol: Any, add_numbers: Any) -> str:
    add_numbers("+3280092000")
    authority = enrol("30200", "Gemeente Wissel")[0]["id"]
    store = logic.default_store()
    line, _ = logic.open_activation(_authority(authority), ActivationIn.model_validate(activation_body()), store)
    outcomes = at_once(
        CHANGES,
        lambda i: _attempt(
            lambda: logic.update_activation(_authority(authority), line["id"], ActivationPatch(operators=10 + i), store)
        ),
    )
    assert [o for o in outcomes if isinstance(o, errors.DomainError)] == []
    final = store.activations.get(line["id"])
    assert final is not None
    timeline = final["operator_timeline"]
    assert len(timeline) == CHANGES + 1
    assert sorted(entry["operators"] for entry in timeline[1:]) == [10 + i for i in range(CHANGES)]
    assert [entry["at"] for entry in timeline] == sorted(entry["at"] for entry in timeline)
    routing = next(n for n in store.numbers.list_numbers() if n.get("activation_id") == line["id"])
    assert timeline[-1]["operators"] == final["operators"] == routing["operators"]
    audit = store.activations.audit_entries(f"activation#{line['id']}")
    assert sorted(e["changes"]["operators"]["after"] for e in audit if e["action"] == "update") == [
        10 + i for i in range(CHANGES)
    ]
    return f"on threads {len(timeline)} in time order"


# ---------------------------------------------------------------------- the figure
def test_races_for_the_last_numbers_for_one_idempotency_key_and_for_one_line_keep_every_rule(
    own_stack: RunningStack, atomic_dynamodb: None, enrol: Any, add_numbers: Any
) -> None:
    api = OverHttp(own_stack)
    races = {
        f"{AUTHORITIES} authorities for {FREE_NUMBERS} free numbers": [
            lambda: claims_over_http(api),
            lambda: claims_on_threads(enrol, add_numbers),
        ],
        f"{RETRIES} retries with one Idempotency-Key": [
            lambda: one_key_over_http(api),
            lambda: one_key_on_threads(enrol, add_numbers),
        ],
        f"{CHANGES} operator PATCHes at once": [
            lambda: changes_over_http(api),
            lambda: changes_on_threads(enrol, add_numbers),
        ],
    }
    started = time.monotonic()
    texts, failures = [], []
    for name, runs in races.items():
        found = []
        for run in runs:
            try:
                found.append(run())
            except AssertionError as failure:
                failures.append(failure)
                found.append("FAILED")
        texts.append(f"{name}: {', '.join(found)}")
    figures.record("3", "; ".join(texts) + f" ({time.monotonic() - started:.0f} s)", ok=not failures)
    if failures:
        raise failures[0]
