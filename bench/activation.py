"""Activation figures: AWS calls per activation, cold import of the API handler against boto3 alone, and
POST /activations latency through the local stack's HTTP adapter."""

from __future__ import annotations

import json
import os
import time
import urllib.request
from typing import Any

from bench.common import aim, cold_import_ratio, counting_calls, percentile

REQUESTS = 200


def _activation(n: int) -> dict[str, Any]:
    return {
        "reason": f"bench {n}",
        "languages": ["nl", "fr"],
        "message": {"nl": "Blijf binnen.", "fr": "Restez."},
        "victim_information": n % 2 == 0,
        "operators": 4,
    }


def _authority(n: int) -> dict[str, Any]:
    return {
        "id": f"{10000 + n:05d}",
        "name": f"Gemeente {n}",
        "languages": ["nl", "fr"],
        "agreement": {"reference": f"A-{n}", "signed_on": "2026-01-01"},
        "billing": {"reference": f"B-{n}", "email": "b@example.be"},
    }


def calls_per_activation() -> list[str]:
    """Count the AWS calls the API makes for one activation (the authorizer's answer already cached)."""
    from moto import mock_aws

    from infra.local import seed, template
    from infra.local.stack import ApiGateway, Functions

    os.environ.update(
        {
            "AWS_ACCESS_KEY_ID": "bench",
            "AWS_SECRET_ACCESS_KEY": "bench",
            "AWS_DEFAULT_REGION": template.LOCAL_REGION,
            **template.environment(),
            "POWERTOOLS_LOG_LEVEL": "ERROR",
        }
    )
    os.environ.pop("AWS_ENDPOINT_URL", None)
    lines = []
    with mock_aws(), counting_calls() as counter:
        seed.provision("bench-key")
        admin = seed.admin_credential()
        gateway = ApiGateway(Functions(), cache_seconds=300)

        def call(method: str, path: str, token: str, body: Any, headers: dict[str, str] | None = None) -> Any:
            sent = {"Authorization": f"Bearer {token}", "Content-Type": "application/json", **(headers or {})}
            status, _, raw = gateway.handle(method, path, sent, json.dumps(body).encode())
            return status, json.loads(raw)

        tokens = []
        for n in range(2):
            status, body = call("POST", "/authorities", admin, _authority(n))
            tokens.append(body["token"])
        for n in range(3):
            call("POST", "/numbers", admin, {"number": f"+3280055{n:03d}", "kind": "toll_free"})
        for token in tokens:  # warm the authorizer cache and the handler
            call("GET", "/activations", token, None)
        for label, token, headers in (
            ("with Idempotency-Key", tokens[0], {"Idempotency-Key": "bench-1"}),
            ("without Idempotency-Key", tokens[1], None),
        ):
            counter.reset()
            status, _ = call("POST", "/activations", token, _activation(1), headers)
            assert status == 201
            lines.append(
                f"AWS calls per activation {label}: {len(counter.calls)} ({', '.join(counter.calls)}) "
                f"{aim(len(counter.calls), 4)}"
            )
    return lines


def cold_import() -> list[str]:
    from infra.local import template

    env = {**os.environ, "AWS_DEFAULT_REGION": template.LOCAL_REGION, **template.environment()}
    module_s, boto_s, ratio = cold_import_ratio("activate.app", env)
    return [
        f"cold import activate.app {module_s * 1000:.0f} ms vs import boto3 {boto_s * 1000:.0f} ms: "
        f"ratio {ratio:.2f} {aim(ratio, 1.6)}"
    ]


def http_latency() -> list[str]:
    from infra.local import seed
    from infra.local.stack import LocalStack

    with LocalStack(api_port=0, lambda_port=0, quiet=True) as stack:
        seed.provision()
        admin = seed.admin_credential()

        def send(method: str, path: str, token: str | None = None, body: Any = None) -> tuple[Any, float]:
            request = urllib.request.Request(
                f"{stack.api_url}{path}",
                method=method,
                data=None if body is None else json.dumps(body).encode(),
                headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"} if token else {},
            )
            started = time.perf_counter()
            with urllib.request.urlopen(request, timeout=30) as answer:
                answer_body = json.loads(answer.read())
            return answer_body, time.perf_counter() - started

        tokens = []
        for n in range(REQUESTS):
            tokens.append(send("POST", "/authorities", admin, _authority(n))[0]["token"])
            send("POST", "/numbers", admin, {"number": f"+32800{n:05d}", "kind": "toll_free"})
        health = [send("GET", "/health")[1] for _ in range(50)]
        times = []
        for n, token in enumerate(tokens):
            opened, seconds = send("POST", "/activations", token, _activation(n))
            assert opened["status"] == "live"
            times.append(seconds)
    p50, p99, h50 = percentile(times, 0.5), percentile(times, 0.99), percentile(health, 0.5)
    return [
        f"local POST /activations over HTTP, {REQUESTS} requests: p50 {p50 * 1000:.1f} ms, "
        f"p99 {p99 * 1000:.1f} ms (p50 {p50 / h50:.1f}x GET /health's {h50 * 1000:.1f} ms, same run)"
    ]


def run() -> list[str]:
    os.environ["POWERTOOLS_LOG_LEVEL"] = "ERROR"
    return calls_per_activation() + cold_import() + http_latency()
