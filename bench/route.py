"""Routing figures: AWS calls per routing decision, cold import of the route handler against boto3 alone, and
a warm decision against one raw GetItem on the same moto backend."""

from __future__ import annotations

import io
import json
import os
import statistics
import time
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from bench.common import aim, cold_import_ratio, counting_calls

NUMBER = "+3280012345"
WARM_ROUNDS = 300


def _event(**parameters: str) -> dict[str, Any]:
    return {
        "Name": "ContactFlowEvent",
        "Details": {
            "Parameters": parameters,
            "ContactData": {
                "ContactId": "bench",
                "Channel": "VOICE",
                "Queue": None,
                "Attributes": {},
                "CustomerEndpoint": {"Address": "+32470000000", "Type": "TELEPHONE_NUMBER"},
                "SystemEndpoint": {"Address": NUMBER, "Type": "TELEPHONE_NUMBER"},
            },
        },
    }


def _route_environment() -> dict[str, str]:
    from infra.local import template

    return {
        "AWS_DEFAULT_REGION": template.LOCAL_REGION,
        "AWS_ACCESS_KEY_ID": "bench",
        "AWS_SECRET_ACCESS_KEY": "bench",
        **template.functions()["RouteFunction"].environment,
    }


@contextmanager
def _live_line() -> Iterator[Any]:
    """A fresh moto backend with one live activation on NUMBER (opened through the API); yields route.app."""
    from moto import mock_aws

    from infra.local import seed, template
    from infra.local.stack import ApiGateway, Functions

    saved = dict(os.environ)
    os.environ.update(
        {
            **template.environment(),
            **_route_environment(),
            "POWERTOOLS_METRICS_DISABLED": "true",
            "POWERTOOLS_LOG_LEVEL": "ERROR",
        }
    )
    os.environ.pop("AWS_ENDPOINT_URL", None)
    try:
        with mock_aws(), warnings.catch_warnings():
            warnings.filterwarnings("ignore", "No application metrics to publish")  # the API's, not ours
            seed.provision("bench-key")
            admin = seed.admin_credential()
            gateway = ApiGateway(Functions(), cache_seconds=300)

            def post(path: str, token: str, body: dict[str, Any]) -> Any:
                status, _, raw = gateway.handle(
                    "POST", path, {"Authorization": f"Bearer {token}"}, json.dumps(body).encode()
                )
                assert status == 201, raw
                return json.loads(raw)

            authority = post(
                "/authorities",
                admin,
                {
                    "id": "44021",
                    "name": "Stad Gent",
                    "languages": ["nl", "en"],
                    "agreement": {"reference": "A-1", "signed_on": "2026-01-01"},
                    "billing": {"reference": "B-1", "email": "b@example.be"},
                },
            )
            post("/numbers", admin, {"number": NUMBER, "kind": "toll_free"})
            post(
                "/activations",
                authority["token"],
                {
                    "reason": "bench",
                    "languages": ["nl", "en"],
                    "message": {"nl": "Blijf binnen.", "en": "Stay in."},
                    "victim_information": True,
                    "operators": 200,
                },
            )
            from crisisline import environment
            from route import app, store

            environment.forget_settings()
            store.forget_default_store()
            # Keep the decision log's formatting cost in the figures, but not on the bench's output.
            app.logger.setLevel("INFO")
            app.logger.registered_handler.setStream(io.StringIO())  # type: ignore[attr-defined]
            try:
                yield app
            finally:
                store.forget_default_store()
                environment.forget_settings()
    finally:
        os.environ.clear()
        os.environ.update(saved)


def calls_per_decision() -> list[str]:
    """AWS calls of each of the flow's three invocations for one call."""
    with _live_line() as app, counting_calls() as counter:
        app.lambda_handler(_event(), None)  # makes the client inside the counting block
        counter.reset()
        app.lambda_handler(_event(language="en", choice="1"), None)
        first_counted = len(counter.calls)  # the environment's first counted call also reads the tariffs
        seen, most = [], 0
        for label, parameters in (
            ("greeting", {}),
            ("language", {"language": "en"}),
            ("choice", {"language": "en", "choice": "2"}),
        ):
            counter.reset()
            app.lambda_handler(_event(**parameters), None)
            seen.append(f"{label} {len(counter.calls)} ({', '.join(counter.calls)})")
            most = max(most, len(counter.calls))
    return [
        f"AWS calls per routing decision: {'; '.join(seen)} {aim(most, 2)}; the first counted call of an "
        f"environment {first_counted} (tariffs read, then cached 5 minutes)"
    ]


def cold_import() -> list[str]:
    env = {**{k: v for k, v in os.environ.items() if not k.startswith("AWS_")}, **_route_environment()}
    module_s, boto_s, ratio = cold_import_ratio("route.app", env)
    # What the choice of a dataclass over pydantic settings (as crisisline.settings) saves at every cold start.
    pydantic_s, boto_again_s, pydantic_ratio = cold_import_ratio("boto3, crisisline.settings", env)
    return [
        f"cold import route.app {module_s * 1000:.0f} ms vs import boto3 {boto_s * 1000:.0f} ms: "
        f"ratio {ratio:.2f} {aim(ratio, 1.25)}",
        f"for comparison, boto3 + crisisline.settings (pydantic) {pydantic_s * 1000:.0f} ms vs "
        f"import boto3 {boto_again_s * 1000:.0f} ms: ratio {pydantic_ratio:.2f}",
    ]


def warm_decision() -> list[str]:
    """Median warm decision against one raw GetItem on the same moto backend, interleaved."""
    import boto3

    from infra.local import template

    with _live_line() as app:
        raw = boto3.client("dynamodb")
        table = template.physical_table_name("NumbersTable")
        greeting, choice = _event(), _event(language="en", choice="1")
        timings: dict[str, list[float]] = {"get": [], "greeting": [], "choice": []}
        for round_ in range(WARM_ROUNDS + 20):
            for name, run in (
                ("get", lambda: raw.get_item(TableName=table, Key={"number": {"S": NUMBER}})),
                ("greeting", lambda: app.lambda_handler(greeting, None)),
                ("choice", lambda: app.lambda_handler(choice, None)),
            ):
                started = time.perf_counter()
                run()
                if round_ >= 20:  # the first rounds warm the clients and connections
                    timings[name].append(time.perf_counter() - started)
    get, greeting_s, choice_s = (statistics.median(timings[n]) for n in ("get", "greeting", "choice"))
    return [
        f"warm decision without choice (1 GetItem) {greeting_s * 1000:.2f} ms vs raw GetItem "
        f"{get * 1000:.2f} ms: ratio {greeting_s / get:.2f} {aim(greeting_s / get, 2)}",
        f"warm decision with choice (GetItem + counter UpdateItem) {choice_s * 1000:.2f} ms: "
        f"ratio {choice_s / get:.2f} (two API calls)",
    ]


@contextmanager
def _silent_endpoint() -> Iterator[str]:
    """An endpoint that accepts connections and never answers: DynamoDB hanging."""
    import socket

    with socket.create_server(("127.0.0.1", 0)) as listener:
        listener.listen(16)  # connections wait in the backlog, unanswered
        yield f"http://127.0.0.1:{listener.getsockname()[1]}"


def hanging_dynamodb() -> list[str]:
    """How long a caller waits for the fallback when DynamoDB hangs: the reads the budget holds, then D5."""
    from route import settings
    from route.store import RoutingStore, dynamodb_client

    with _live_line() as app, _silent_endpoint() as endpoint:
        data = RoutingStore(settings.route(), dynamodb_client(endpoint_url=endpoint))
        per_hour, budget = settings.route().calls_per_operator_hour, settings.route().budget_seconds
        timings = []
        for _ in range(3):
            started = time.perf_counter()
            answer = app.answer(_event(language="en", choice="1"), data, per_hour)
            timings.append(time.perf_counter() - started)
            assert answer["fallback"] == "true", answer
    slowest = max(timings)
    return [
        f"fallback when DynamoDB hangs: slowest of 3 {slowest:.2f} s, routing budget {budget:g} s "
        f"{aim(slowest, 1.2, note='Connect allows 8 s')}"
    ]


def run() -> list[str]:
    return calls_per_decision() + cold_import() + warm_decision() + hanging_dynamodb()
