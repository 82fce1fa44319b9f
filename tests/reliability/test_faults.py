"""Part 4 of the reliability proof: DynamoDB failing at every call site of every function.

A call site is one DynamoDB call a function makes on one of its paths (the n-th call of that path). Each path
is first run without faults, recording its calls; then, for every call site, for every error and for both
durations (that one call fails; DynamoDB is down from that call until the invocation ends), the path is run
again from the same state with the fault injected through a botocore `before-call` hook on the function's
client, so the call never reaches the backend. The errors: throttling (ProvisionedThroughputExceededException,
or for a transaction its ThrottlingError cancellation; at full size ThrottlingException too), an internal error
(InternalServerError) and a timeout (ReadTimeoutError; at full size ConnectTimeoutError too).

What must hold:
- routing answers every time, within its budget: the fallback when the line cannot be read, the authority's
  message and the caller's queue without overflow when only the count fails; a single failed read retried;
- the API (both API functions and the authorizer) answers 503 with Retry-After and writes nothing (every table
  compared before and after), or, where the fault hit only bookkeeping after the change, the change whole and
  its answer; the same request after the fault has cleared ends exactly where a fault-free run ends. An
  idempotency record left in progress answers 409 request_in_progress until its window passes, then the retry
  goes through;
- metering reports exactly the records it could not count as batch item failures, and redelivery from the
  first of them (as Lambda retries a Kinesis batch) gives the totals of a fault-free run; also when a write
  was applied and only its answer was lost (a timeout after the write);
- month close raises (the scheduler retries it) and the retried run freezes the month exactly as a fault-free
  run does."""

from __future__ import annotations

import contextlib
import json
import re
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import pytest
from botocore.awsrequest import AWSResponse
from botocore.exceptions import ConnectTimeoutError, ReadTimeoutError
from moto import mock_aws

from infra.local import seed, template
from infra.local.stack import Functions, LambdaContext, forget_cached_state
from tests.billing_support import put_activation, put_usage
from tests.conftest import TOKEN_KEY, Answer, Api, activation_body, authority_body
from tests.reliability import figures
from tests.route_support import connect_event

FULL = figures.full_size()
ERRORS = ["ProvisionedThroughputExceededException", "InternalServerError", "ReadTimeoutError"] + (
    ["ThrottlingException", "ConnectTimeoutError"] if FULL else []
)
DURATIONS = ["one call", "outage"]
# At CI size each error once per call site: throttling for one call (the retries it allows), the others as an
# outage (what is left behind when even the clean-up fails). At full size every error for both durations.
CI_DURATION = {"ProvisionedThroughputExceededException": "one call"}
IN_PROGRESS_WINDOW = 0.4  # the API function's remaining time here: how long an idempotency record blocks
ROUTE_LIMIT = 1.2  # seconds: the 0.8 s budget, a connect timeout, and slack for a loaded CI machine
_running = threading.local()


# ---------------------------------------------------------------------- injecting faults
@dataclass
class Fault:
    error: str
    at: int  # the call of the function (0-based) that fails first
    outage: bool  # every later call of the function fails too
    delay: float = 0.0  # how long a timeout takes to surface
    after_write: bool = False  # the call reaches DynamoDB and only its answer is lost

    def hits(self, index: int) -> bool:
        return index == self.at or (self.outage and index > self.at)

    def answer(self, operation: str, params: dict[str, Any]) -> tuple[AWSResponse, dict[str, Any]]:
        if self.error.endswith("TimeoutError"):
            time.sleep(self.delay)
            raise (ReadTimeoutError if self.error == "ReadTimeoutError" else ConnectTimeoutError)(
                endpoint_url="https://dynamodb.eu-central-1.amazonaws.com"
            )
        status = 500 if self.error == "InternalServerError" else 400
        parsed: dict[str, Any] = {
            "Error": {"Code": self.error, "Message": "injected"},
            "ResponseMetadata": {"HTTPStatusCode": status},
        }
        if operation == "TransactWriteItems" and self.error == "ProvisionedThroughputExceededException":
            # How DynamoDB reports a throttled transaction on an on-demand table.
            items = json.loads(params["body"])["TransactItems"]  # `params` is the request as it is sent
            reasons = [{"Code": "ThrottlingError"}] + [{"Code": "None"}] * (len(items) - 1)
            parsed["Error"] = {"Code": "TransactionCanceledException", "Message": "injected"}
            parsed["CancellationReasons"] = reasons
        return AWSResponse("https://dynamodb.local", status, {}, None), parsed


class Injector:
    """Records the DynamoDB calls of one function and fails them as its fault says."""

    def __init__(self) -> None:
        self.function: str | None = None
        self.calls: list[str] = []
        self.fault: Fault | None = None
        self._hooked: set[int] = set()

    def attach(self, client: Any) -> Any:
        if id(client) not in self._hooked:
            client.meta.events.register("before-call.dynamodb", self._before)
            client.meta.events.register("after-call.dynamodb", self._after)
            self._hooked.add(id(client))
        return client

    def watch(self, function: str, fault: Fault | None = None) -> None:
        self.function, self.fault, self.calls = function, fault, []

    def _mine(self) -> bool:
        return getattr(_running, "name", None) == self.function

    def _before(self, model: Any, params: dict[str, Any], **_: Any) -> Any:
        if not self._mine():
            return None
        index = len(self.calls)
        self.calls.append(model.name)
        if self.fault is None or self.fault.after_write or not self.fault.hits(index):
            return None
        return self.fault.answer(model.name, params)

    def _after(self, model: Any, **_: Any) -> None:
        if self._mine() and self.fault is not None and self.fault.after_write and len(self.calls) - 1 == self.fault.at:
            raise ReadTimeoutError(endpoint_url="https://dynamodb.eu-central-1.amazonaws.com")


class As:
    """Run code as one of the template's functions (so its DynamoDB calls are told apart)."""

    def __init__(self, function: str) -> None:
        self.function = function

    def __enter__(self) -> None:
        _running.name = self.function

    def __exit__(self, *_: object) -> None:
        _running.name = None


class TrackedFunctions(Functions):
    """The local stack's functions, each invocation marked with its function and given a short remaining time."""

    def invoke(self, logical_id: str, event: Any) -> Any:
        with As(logical_id):
            return self.handler(logical_id)(event, LambdaContext(logical_id, timeout_seconds=IN_PROGRESS_WINDOW))


# ---------------------------------------------------------------------- the state of every table
class Tables:
    def __init__(self) -> None:
        self.ddb = boto3.client("dynamodb")  # not a function's client: never faulted
        self.names = {
            logical: template.physical_table_name(logical) for logical in template.resources("AWS::DynamoDB::Table")
        }
        self.keys = {
            logical: [k["AttributeName"] for k in self.ddb.describe_table(TableName=name)["Table"]["KeySchema"]]
            for logical, name in self.names.items()
        }

    def snapshot(self) -> dict[str, list[str]]:
        state = {}
        for logical, name in self.names.items():
            pages = self.ddb.get_paginator("scan").paginate(TableName=name, ConsistentRead=True)
            state[logical] = sorted(json.dumps(item, sort_keys=True) for page in pages for item in page["Items"])
        return state

    def restore(self, before: dict[str, list[str]]) -> None:
        now = self.snapshot()
        for logical, name in self.names.items():
            for raw in set(now[logical]) - set(before[logical]):
                item = json.loads(raw)
                self.ddb.delete_item(TableName=name, Key={k: item[k] for k in self.keys[logical]})
            for raw in set(before[logical]) - set(now[logical]):
                self.ddb.put_item(TableName=name, Item=json.loads(raw))


_VOLATILE = [
    (re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"), "<uuid>"),
    (re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|\+00:00)"), "<instant>"),
    (re.compile(r"(?<![0-9a-zA-Z])[0-9a-f]{12,64}(?![0-9a-zA-Z])"), "<hex>"),
    (re.compile(r'"N": "\d{10,13}"'), '"N": "<epoch>"'),
]


def normalized(state: dict[str, list[str]]) -> dict[str, list[str]]:
    """The state with generated ids, instants and expiry times blanked, to compare two runs of one path."""

    def blank(raw: str) -> str:
        for pattern, placeholder in _VOLATILE:
            raw = pattern.sub(placeholder, raw)
        return raw

    return {table: sorted(blank(raw) for raw in items) for table, items in state.items()}


def in_progress_only(state: dict[str, list[str]], done: dict[str, list[str]]) -> bool:
    """The change whole, and only its idempotency record still in progress instead of done."""
    ours = normalized(state)
    return (
        all(ours[t] == done[t] for t in done if t != "IdempotencyTable")
        and len(ours["IdempotencyTable"]) == len(done["IdempotencyTable"])
        and all("INPROGRESS" in raw or raw in done["IdempotencyTable"] for raw in ours["IdempotencyTable"])
    )


def without_in_progress(state: dict[str, list[str]]) -> dict[str, list[str]]:
    return {**state, "IdempotencyTable": [raw for raw in state["IdempotencyTable"] if "INPROGRESS" not in raw]}


# ---------------------------------------------------------------------- tallies for the figure line
@dataclass
class Tally:
    sites: set[tuple[str, str, int]] = field(default_factory=set)
    injections: int = 0
    routing: list[bool] = field(default_factory=list)
    routing_kinds: dict[str, int] = field(default_factory=dict)
    routing_slowest: float = 0.0
    api_503: list[bool] = field(default_factory=list)
    api_whole: int = 0
    half_written: int = 0
    left_in_progress: int = 0
    retries: list[bool] = field(default_factory=list)
    metering: list[bool] = field(default_factory=list)
    month_close: list[bool] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    def check(self, ok: bool, what: str) -> bool:
        if not ok and len(self.problems) < 20:
            self.problems.append(what)
        return ok


def _faults(calls: list[str], **extra: Any) -> Iterator[Fault]:
    for at in range(len(calls)):
        for error in ERRORS:
            for duration in DURATIONS if FULL else [CI_DURATION.get(error, "outage")]:
                yield Fault(error, at, duration == "outage", **extra)


# ---------------------------------------------------------------------- the API (and its authorizer)
@dataclass
class World:
    api: Api
    admin: str
    finance: str
    gent: str
    antwerp: str
    line: str  # Antwerp's live activation
    finance_id: str = ""
    second_admin_id: str = ""


def _world() -> World:
    api = Api()
    api.gateway.functions = TrackedFunctions()
    admin = seed.admin_credential()
    tokens = {}
    for authority_id, name in (("44021", "Stad Gent"), ("11002", "Stad Antwerpen")):
        answer = api.post("/authorities", admin, authority_body(authority_id, name))
        assert answer.status == 201, answer.body
        tokens[authority_id] = answer.body["token"]
    for number in ("+3280012345", "+3280012346"):
        assert api.post("/numbers", admin, {"number": number, "kind": "toll_free"}).status == 201
    line = api.post("/activations", tokens["11002"], activation_body())
    assert line.status == 201, line.body
    finance = api.post("/credentials", admin, {"role": "finance", "label": "Finance team"}).body
    put_activation("gent-oct", "2026-10-05T10:00", "2026-10-05T13:00", operators=2)
    put_activation("gent-sep", "2026-09-05T10:00", "2026-09-05T13:00", operators=2)
    put_usage("gent-oct", "2026-10", calls=20, answered_calls=18, abandoned_calls=2, call_seconds=3000)
    put_usage("gent-sep", "2026-10", adjusts="2026-09", calls=1, call_seconds=60)  # an adjustment line
    return World(api, admin, finance["token"], tokens["44021"], tokens["11002"], line.body["id"], finance["id"])


def _close_september(world: World) -> None:
    from finance.month_close import lambda_handler

    lambda_handler(
        {"month": "2026-09"},
        LambdaContext("MonthCloseFunction"),  # type: ignore[arg-type]
        now=datetime(2026, 10, 1, 4, tzinfo=UTC),
    )


def _open_gent(world: World) -> None:
    assert world.api.post("/activations", world.gent, activation_body()).status == 201


def _open_gent_with_key(world: World) -> None:
    assert (
        world.api.post("/activations", world.gent, activation_body(), headers={"Idempotency-Key": "gent-1"}).status
        == 201
    )


def _second_admin(world: World) -> None:
    answer = world.api.post("/credentials", world.admin, {"role": "admin", "label": "Duty officer"})
    world.second_admin_id = answer.body["id"]


def _number_of_either_kind(world: World) -> None:
    assert world.api.post("/numbers", world.admin, {"number": "+3278150000", "kind": "did"}).status == 201


def _enrol_brussels(world: World) -> None:
    _open_gent(world)
    answer = world.api.post("/authorities", world.admin, authority_body("21004", "Brussel"))
    world.gent = answer.body["token"]  # the request below opens as Brussels, for whom no number is left


TARIFF = {
    "effective_from": "2999-01-01",
    "operator_hour": "50.00",
    "number_day": {"did": "0.10", "toll_free": "0.45"},
    "telephony_minute": {"did": "0.01", "toll_free": "0.04"},
    "service_minute": "0.018",
    "personnel_minimum_hours": "4",
    "calls_per_operator_hour": 12,
}

# (function, path, extra fault-free setup, the request)
API_PATHS: list[tuple[str, str, Callable[[World], None] | None, Callable[[World], Answer]]] = [
    ("AuthorizerFunction", "any request's token", None, lambda w: w.api.get("/numbers", w.admin)),
    (
        "ActivateFunction",
        "POST /authorities",
        None,
        lambda w: w.api.post("/authorities", w.admin, authority_body("21004", "Brussel")),
    ),
    ("ActivateFunction", "GET /authorities", None, lambda w: w.api.get("/authorities", w.admin)),
    ("ActivateFunction", "GET /authorities/{id}", None, lambda w: w.api.get("/authorities/44021", w.gent)),
    (
        "ActivateFunction",
        "POST /authorities/{id}/token",
        None,
        lambda w: w.api.post("/authorities/44021/token", w.admin),
    ),
    (
        "ActivateFunction",
        "POST /authorities/{id}/revoke",
        None,
        lambda w: w.api.post("/authorities/44021/revoke", w.admin),
    ),
    (
        "ActivateFunction",
        "POST /credentials",
        None,
        lambda w: w.api.post("/credentials", w.admin, {"role": "finance", "label": "Finance team"}),
    ),
    (
        "ActivateFunction",
        "POST /numbers",
        None,
        lambda w: w.api.post("/numbers", w.admin, {"number": "+3280012399", "kind": "toll_free"}),
    ),
    ("ActivateFunction", "GET /numbers", None, lambda w: w.api.get("/numbers", w.admin)),
    (
        "ActivateFunction",
        "PATCH /numbers/{number}",
        _number_of_either_kind,
        lambda w: w.api.patch("/numbers/+3278150000", w.admin, {"kind": "toll_free"}),
    ),
    (
        "ActivateFunction",
        "DELETE /numbers/{number}",
        None,
        lambda w: w.api.call("DELETE", "/numbers/+3280012346", w.admin),
    ),
    ("ActivateFunction", "GET /credentials", None, lambda w: w.api.get("/credentials", w.admin)),
    (
        "ActivateFunction",
        "POST /credentials/{id}/revoke",
        None,
        lambda w: w.api.post(f"/credentials/{w.finance_id}/revoke", w.admin),
    ),
    (
        "ActivateFunction",
        "POST /credentials/{id}/revoke, an admin's",
        _second_admin,
        lambda w: w.api.post(f"/credentials/{w.second_admin_id}/revoke", w.admin),
    ),
    ("ActivateFunction", "POST /activations", None, lambda w: w.api.post("/activations", w.gent, activation_body())),
    (
        "ActivateFunction",
        "POST /activations with Idempotency-Key",
        None,
        lambda w: w.api.post("/activations", w.gent, activation_body(), headers={"Idempotency-Key": "gent-1"}),
    ),
    (
        "ActivateFunction",
        "POST /activations, a retry of a done key",
        _open_gent_with_key,
        lambda w: w.api.post("/activations", w.gent, activation_body(), headers={"Idempotency-Key": "gent-1"}),
    ),
    (
        "ActivateFunction",
        "POST /activations, no number left",
        _enrol_brussels,
        lambda w: w.api.post("/activations", w.gent, activation_body()),
    ),
    ("ActivateFunction", "GET /activations (authority)", None, lambda w: w.api.get("/activations", w.antwerp)),
    ("ActivateFunction", "GET /activations (admin)", None, lambda w: w.api.get("/activations", w.admin)),
    ("ActivateFunction", "GET /activations/{id}", None, lambda w: w.api.get(f"/activations/{w.line}", w.antwerp)),
    (
        "ActivateFunction",
        "PATCH /activations/{id}",
        None,
        lambda w: w.api.patch(f"/activations/{w.line}", w.antwerp, {"operators": 9}),
    ),
    (
        "ActivateFunction",
        "POST /activations/{id}/close",
        None,
        lambda w: w.api.post(f"/activations/{w.line}/close", w.antwerp),
    ),
    (
        "ActivateFunction",
        "GET /activations/{id}/audit",
        None,
        lambda w: w.api.get(f"/activations/{w.line}/audit", w.antwerp),
    ),
    ("ExportFunction", "GET /exports/{month}", None, lambda w: w.api.get("/exports/2026-10", w.finance)),
    (
        "ExportFunction",
        "GET /exports/{month}, frozen",
        _close_september,
        lambda w: w.api.get("/exports/2026-09", w.finance),
    ),
    ("ExportFunction", "GET /tariffs", None, lambda w: w.api.get("/tariffs", w.finance)),
    ("ExportFunction", "PUT /tariffs", None, lambda w: w.api.call("PUT", "/tariffs", w.admin, TARIFF)),
    ("ExportFunction", "GET /unattributed", None, lambda w: w.api.get("/unattributed?month=2026-10", w.admin)),
]


def _comparable(answer: Answer) -> Any:
    """The answer with generated ids and instants blanked (tokens too: each rotation makes a new one)."""
    text = answer.raw.decode("utf-8", "replace")
    with contextlib.suppress(ValueError):
        text = json.dumps(json.loads(text), sort_keys=True)  # maps come back from DynamoDB in any order
    text = re.sub(r'"token":\s*"[A-Za-z0-9_-]+"', '"token": "<token>"', text)
    text = re.sub(r"X-Amz-[A-Za-z-]+=[^&\"]+", "<signed>", text)
    return answer.status, normalized({"answer": [text]})["answer"]


def _api_path(
    injector: Injector,
    tally: Tally,
    function: str,
    path: str,
    setup: Callable[[World], None] | None,
    request: Callable[[World], Answer],
) -> None:
    with mock_aws():
        seed.provision(TOKEN_KEY)
        forget_cached_state()
        from crisisline.aws import client

        injector.attach(client("dynamodb"))
        world = _world()
        if setup is not None:
            setup(world)
        tables = Tables()
        base = tables.snapshot()
        injector.watch(function)
        reference = request(world)
        calls = list(injector.calls)
        assert calls, f"{path}: {function} made no DynamoDB call"
        done = normalized(tables.snapshot())
        tables.restore(base)
        for fault in _faults(calls):
            tally.injections += 1
            tally.sites.add((function, path, fault.at))
            where = f"{function} {path} call {fault.at} ({calls[fault.at]}) {fault.error}" + (
                " outage" if fault.outage else ""
            )
            injector.watch(function, fault)
            answer = request(world)
            injector.watch("")
            after = tables.snapshot()
            in_progress = after != base and without_in_progress(after) == base
            if answer.status == 503:
                tally.api_503.append(
                    tally.check(
                        answer.headers.get("Retry-After", "").isdigit() and answer.error_code == "unavailable",
                        f"{where}: 503 without Retry-After or code",
                    )
                )
                if not tally.check(after == base or in_progress, f"{where}: 503 but tables changed"):
                    tally.half_written += 1
            elif _comparable(answer) == _comparable(reference) and fault.at > 0 and in_progress_only(after, done):
                tally.api_whole += 1
            else:
                tally.api_503.append(tally.check(False, f"{where}: answered {answer.status} {answer.raw[:120]!r}"))
                tally.half_written += after != base
            # The fault clears: the same request again ends where a fault-free run ends.
            if any("INPROGRESS" in raw for raw in after["IdempotencyTable"]):
                tally.left_in_progress += 1
                early = request(world)
                tally.check(
                    answer.status != 503
                    or (
                        (early.status, early.error_code) == (409, "request_in_progress")
                        and "Retry-After" in early.headers
                    ),
                    f"{where}: in progress answered {early.status}",
                )
                time.sleep(IN_PROGRESS_WINDOW + 0.05)
            again = request(world)
            final = normalized(tables.snapshot())
            differ = [t for t in done if final[t] != done[t]]
            tally.retries.append(
                tally.check(
                    _comparable(again) == _comparable(reference) and not differ,
                    f"{where}: the retry answered {_comparable(again)} (fault-free {_comparable(reference)}); "
                    f"tables that differ from a fault-free run: {differ}",
                )
            )
            tables.restore(base)


# ---------------------------------------------------------------------- routing
ROUTE_NUMBER, INACTIVE = "+3280012345", "+3280012346"


def _route_paths(injector: Injector, tally: Tally) -> None:
    from crisisline import environment
    from route import app, settings
    from route.store import READ_TIMEOUT, RoutingStore, dynamodb_client

    with mock_aws():
        seed.provision(TOKEN_KEY)
        forget_cached_state()
        world = _world()
        tables = Tables()
        base = tables.snapshot()
        store = RoutingStore(settings.route(), injector.attach(dynamodb_client()))
        invocations = {
            "greeting": connect_event(ROUTE_NUMBER),
            "language": connect_event(ROUTE_NUMBER, language="en"),
            "choice of D2": connect_event(ROUTE_NUMBER, language="en", choice="2"),
            "inactive number": connect_event(INACTIVE, language="nl"),
        }
        assert world.line
        for name, event in invocations.items():
            with As("RouteFunction"):
                injector.watch("RouteFunction")
                reference = app.answer(event, store, settings.route().calls_per_operator_hour)
                calls = list(injector.calls)
                tables.restore(base)
                for fault in _faults(calls, delay=READ_TIMEOUT):
                    tally.injections += 1
                    tally.sites.add(("RouteFunction", name, fault.at))
                    where = f"RouteFunction {name} call {fault.at} ({calls[fault.at]}) {fault.error}"
                    injector.watch("RouteFunction", fault)
                    started = time.monotonic()
                    try:
                        answer = app.answer(event, store, settings.route().calls_per_operator_hour)
                    except Exception as error:  # noqa: BLE001 - the point: it must not raise
                        tally.routing.append(tally.check(False, f"{where}: raised {error!r}"))
                        continue
                    finally:
                        elapsed = time.monotonic() - started
                        injector.watch("")
                        tables.restore(base)
                    tally.routing_slowest = max(tally.routing_slowest, elapsed)
                    read_failed = calls[fault.at] == "GetItem" and fault.outage  # retries spent: no read at all
                    if answer["fallback"] == "true":
                        kind = "fallback"
                        ok = calls[fault.at] == "GetItem" and answer["queue"] == "D5" and bool(answer["message"])
                    elif answer == reference:
                        kind = "the authority's answer"
                        ok = not fault.outage or (calls[fault.at] == "UpdateItem" and reference["overflow"] == "false")
                    else:
                        kind = "fail-open"
                        ok = calls[fault.at] == "UpdateItem" and answer == {**reference, "overflow": "false"}
                    ok = ok and elapsed < ROUTE_LIMIT and (not read_failed or kind == "fallback")
                    tally.routing_kinds[kind] = tally.routing_kinds.get(kind, 0) + 1
                    tally.routing.append(tally.check(ok, f"{where}: {kind} in {elapsed:.2f} s: {answer}"))
    environment.forget_settings()


# ---------------------------------------------------------------------- metering
START = datetime(2026, 11, 28, 21, 30, tzinfo=UTC)


def _meter_paths(injector: Injector, tally: Tally) -> None:
    from ingest import app
    from tests.test_meter_ingest import Stream, record
    from tests.test_meter_ingest import put_activation as put_live

    with mock_aws():
        seed.provision(TOKEN_KEY)
        forget_cached_state()
        from crisisline.aws import client

        injector.attach(client("dynamodb"))
        app.default_store.cache_clear()
        put_live("act-gent", "+3280012345", START - timedelta(days=60))
        stream = Stream()
        tables = Tables()
        tables.ddb.put_item(
            TableName=template.physical_table_name("MonthsTable"),
            Item={"month": {"S": "2026-10"}, "frozen_at": {"S": "2026-11-01T05:00:00.000Z"}},
        )

        def deliver(event: dict[str, Any]) -> list[str]:
            with As("MeterFunction"):
                answer = app.lambda_handler(event, LambdaContext("MeterFunction"))
            return [failure["itemIdentifier"] for failure in answer["batchItemFailures"]]

        assert deliver(stream.event(record("c-0"))) == []
        base = tables.snapshot()
        batch = [
            record("c-new", START + timedelta(minutes=1)),  # attributed by the flow's attribute
            record("c-by-number", START + timedelta(minutes=2), activation=None),
            record("c-0", talk_seconds=500, updated_after=60),  # a newer version of a counted contact
            record("c-unknown", START + timedelta(minutes=3), activation="act-gone"),
            record("c-late", START - timedelta(days=40)),
        ]  # October, frozen: next month's adjustment
        event = stream.event(*batch)
        sequences = [r["kinesis"]["sequenceNumber"] for r in event["Records"]]
        injector.watch("MeterFunction")
        bounds = []
        for one in event["Records"]:  # the same calls as the whole batch, record by record: who made which
            assert deliver({"Records": [one]}) == []
            bounds.append(len(injector.calls))
        calls = list(injector.calls)
        done = normalized(tables.snapshot())
        tables.restore(base)
        faults = [
            *_faults(calls),
            *(Fault("ReadTimeoutError", at, False, after_write=True) for at in range(len(calls))),
        ]
        for fault in faults:
            tally.injections += 1
            tally.sites.add(("MeterFunction", "a batch of every kind of record", fault.at))
            where = f"MeterFunction call {fault.at} ({calls[fault.at]}) {fault.error}" + (
                " outage" if fault.outage else " after the write" if fault.after_write else ""
            )
            injector.watch("MeterFunction", fault)
            failed = deliver(event)
            injector.watch("")
            owner = next(i for i, bound in enumerate(bounds) if fault.at < bound)
            expected = sequences[owner:] if fault.outage else [sequences[owner]]
            reported = tally.check(failed == expected, f"{where}: reported {failed}, expected {expected}")
            # Lambda retries from the first reported failure (and bisects); redelivered as it would be.
            first = sequences.index(failed[0]) if failed else len(sequences)
            again = deliver({"Records": event["Records"][first:]})
            exact = normalized(tables.snapshot()) == done
            tally.metering.append(
                tally.check(reported and again == [] and exact, f"{where}: after redelivery the totals are not exact")
            )
            tables.restore(base)


# ---------------------------------------------------------------------- month close
def _month_close(injector: Injector, tally: Tally) -> None:
    from crisisline.errors import StoreUnavailable
    from finance.month_close import lambda_handler

    closing = datetime(2026, 11, 1, 5, 0, tzinfo=UTC)
    with mock_aws():
        seed.provision(TOKEN_KEY)
        forget_cached_state()
        from crisisline.aws import client

        injector.attach(client("dynamodb"))
        put_activation("gent-oct", "2026-10-05T10:00", "2026-10-05T13:00", operators=2)
        put_activation(
            "brussels-oct",
            "2026-10-31T22:00",
            "2026-11-01T03:00",
            authority_id="21004",
            authority_name="Brussel",
            number="+3280012346",
        )
        put_activation("gent-sep", "2026-09-05T10:00", "2026-09-05T13:00")
        put_usage("gent-oct", "2026-10", calls=20, answered_calls=18, abandoned_calls=2, call_seconds=3000)
        put_usage("brussels-oct", "2026-10", calls=5, answered_calls=5, call_seconds=600)
        put_usage("gent-sep", "2026-10", adjusts="2026-09", calls=1, call_seconds=60)
        tables = Tables()
        base = tables.snapshot()

        def close() -> dict[str, Any]:
            with As("MonthCloseFunction"):
                return lambda_handler(
                    {"month": "2026-10"},
                    LambdaContext("MonthCloseFunction"),  # type: ignore[arg-type]
                    now=closing,
                )

        injector.watch("MonthCloseFunction")
        reference = close()
        calls = list(injector.calls)
        done = normalized(tables.snapshot())
        tables.restore(base)
        for fault in _faults(calls):
            tally.injections += 1
            tally.sites.add(("MonthCloseFunction", "the month before", fault.at))
            where = f"MonthCloseFunction call {fault.at} ({calls[fault.at]}) {fault.error}"
            injector.watch("MonthCloseFunction", fault)
            try:
                close()
                raised = False
            except StoreUnavailable:
                raised = True
            injector.watch("")
            retried = close()  # EventBridge Scheduler's retry
            s3 = boto3.client("s3")
            bucket = template.physical_bucket_name("ExportsBucket")
            # Every recorded file is there as recorded; CSV and JSON byte for byte those of a fault-free run
            # (an XLSX carries the instant it was written).
            files_ok = all(
                s3.head_object(Bucket=bucket, Key=retried[f"{kind}_key"])["Metadata"]["sha256"]
                == retried[f"{kind}_sha256"]
                for kind in ("csv", "xlsx", "json")
            ) and all(retried[f"{kind}_sha256"] == reference[f"{kind}_sha256"] for kind in ("csv", "json"))
            tally.month_close.append(
                tally.check(
                    raised and files_ok and normalized(tables.snapshot()) == done,
                    f"{where}: raised {raised}, files as recorded and as fault-free {files_ok}",
                )
            )
            tables.restore(base)


# ---------------------------------------------------------------------- the figure
@pytest.fixture
def every_function_environment(function_environment: Callable[..., None]) -> None:
    """Every function's own variables on top of Globals (they do not conflict)."""
    function_environment()


def test_dynamodb_failing_at_every_call_site_of_every_function_breaks_no_rule(every_function_environment: None) -> None:
    injector, tally = Injector(), Tally()
    started = time.monotonic()
    _month_close(injector, tally)
    for function, path, setup, request in API_PATHS:
        _api_path(injector, tally, function, path, setup, request)
    _route_paths(injector, tally)
    _meter_paths(injector, tally)
    elapsed = time.monotonic() - started

    functions = {function for function, _, _ in tally.sites}
    kinds = ", ".join(f"{kind} {count}" for kind, count in sorted(tally.routing_kinds.items()))
    text = (
        f"{len(ERRORS)} errors (throttling, internal error, timeout) × {len(DURATIONS) if FULL else 1} "
        f"duration{'s' if FULL else ''} at {len(tally.sites)} call "
        f"sites in {len(functions)} functions, {tally.injections} injections: routing answered "
        f"{sum(tally.routing)}/{len(tally.routing)} ({kinds}; slowest {tally.routing_slowest:.2f} s), "
        f"API 503 with Retry-After {sum(tally.api_503)}/{len(tally.api_503)} (+{tally.api_whole} whole "
        f"and answered), half-written {tally.half_written}, retries after the fault as fault-free "
        f"{sum(tally.retries)}/{len(tally.retries)} ({tally.left_in_progress} past an in-progress record), "
        f"metering exact after redelivery {sum(tally.metering)}/{len(tally.metering)}, month close "
        f"completed by the retried run {sum(tally.month_close)}/{len(tally.month_close)} ({elapsed:.0f} s)"
    )
    figures.record("4", text, ok=not tally.problems)
    assert tally.problems == [], "\n".join(tally.problems)
    assert len(functions) == 6
