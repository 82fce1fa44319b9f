"""Shared fixtures: moto in-process as the AWS backend, tables built from template.yaml, and an API client
that goes through the same emulated API Gateway (token authorizer included) as the local stack."""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import pytest
from moto import mock_aws

from infra.local import atomic_moto, seed, template
from infra.local.stack import ApiGateway, Functions, forget_cached_state

EVENTS = Path(__file__).resolve().parent / "events"
TOKEN_KEY = "test-hashing-key-0123456789abcdef"


def load_event(name: str) -> dict[str, Any]:
    """A real AWS payload from tests/events, as it is (its callers' numbers watched in the logs)."""
    from tests.reliability import log_watch

    return log_watch.register_callers(json.loads((EVENTS / name).read_text(encoding="utf-8")))  # type: ignore[no-any-return]


def _clear_caches() -> None:
    forget_cached_state()


@pytest.fixture(autouse=True)
def environment(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    for key, value in {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": template.LOCAL_REGION,
        "AWS_REGION": template.LOCAL_REGION,
        "POWERTOOLS_METRICS_DISABLED": "true",
        **template.environment(),
        # A released number is claimable again at once, unless a test sets a cool-down
        # (tests/test_pool_numbers.py); the template's default is 15 minutes.
        "NUMBER_COOLDOWN_SECONDS": "0",
    }.items():
        monkeypatch.setenv(key, value)
    _clear_caches()
    yield
    _clear_caches()


@pytest.fixture
def function_environment(monkeypatch: pytest.MonkeyPatch) -> Callable[..., None]:
    """Gives this process the named functions' own environment from template.yaml (every function's when none
    is named), and forgets what was cached under the previous one."""

    def use(*logical_ids: str) -> None:
        for key, value in template.function_environment(*logical_ids).items():
            monkeypatch.setenv(key, value)
        _clear_caches()

    return use


@pytest.fixture
def aws() -> Iterator[None]:
    """A fresh moto backend with the template's tables and the token hashing key."""
    with mock_aws():
        seed.provision(TOKEN_KEY)
        yield


@dataclass
class Answer:
    status: int
    headers: dict[str, str]
    raw: bytes

    @property
    def body(self) -> Any:
        return json.loads(self.raw) if self.raw else None

    @property
    def error_code(self) -> str | None:
        body = self.body
        return body.get("error", {}).get("code") if isinstance(body, dict) else None


class Api:
    """Calls the API through the emulated API Gateway in this process: authorizer, then handler."""

    def __init__(self, cache_seconds: int = 0, clock: Callable[[], float] = time.monotonic) -> None:
        self.gateway = ApiGateway(Functions(), cache_seconds=cache_seconds, clock=clock)

    def call(
        self,
        method: str,
        path: str,
        token: str | None = None,
        body: Any = None,
        headers: dict[str, str] | None = None,
        raw: bytes | None = None,
    ) -> Answer:
        sent = dict(headers or {})
        if token:
            sent["Authorization"] = f"Bearer {token}"
        data = raw if raw is not None else (b"" if body is None else json.dumps(body).encode())
        if data:
            sent.setdefault("Content-Type", "application/json")
        status, out_headers, out = self.gateway.handle(method, path, sent, data)
        return Answer(status, out_headers, out)

    def get(self, path: str, token: str | None = None, **kw: Any) -> Answer:
        return self.call("GET", path, token, **kw)

    def post(self, path: str, token: str | None = None, body: Any = None, **kw: Any) -> Answer:
        return self.call("POST", path, token, body, **kw)

    def patch(self, path: str, token: str | None = None, body: Any = None, **kw: Any) -> Answer:
        return self.call("PATCH", path, token, body, **kw)


@pytest.fixture
def api(aws: None) -> Api:
    return Api()


@pytest.fixture
def admin(aws: None) -> str:
    return seed.admin_credential()


def authority_body(authority_id: str = "44021", name: str = "Stad Gent", **changes: Any) -> dict[str, Any]:
    return {
        "id": authority_id,
        "name": name,
        "languages": ["nl", "en"],
        "agreement": {"reference": f"NCCN-{authority_id}", "signed_on": "2026-02-01"},
        "billing": {"reference": f"FIN-{authority_id}", "email": "facturen@gent.example"},
        **changes,
    }


def activation_body(**changes: Any) -> dict[str, Any]:
    return {
        "reason": "Chemical fire at the port; smoke over the city",
        "languages": ["nl", "en"],
        "message": {"nl": "Blijf binnen en sluit ramen en deuren.", "en": "Stay inside; close windows and doors."},
        "victim_information": True,
        "operators": 4,
        **changes,
    }


@pytest.fixture
def enrol(api: Api, admin: str) -> Any:
    """Enrol an authority through the API; returns (authority, token)."""

    def _enrol(authority_id: str = "44021", name: str = "Stad Gent") -> tuple[dict[str, Any], str]:
        answer = api.post("/authorities", admin, authority_body(authority_id, name))
        assert answer.status == 201, answer.body
        return answer.body, answer.body["token"]

    return _enrol


@pytest.fixture
def add_numbers(api: Api, admin: str) -> Any:
    def _add(*numbers: str, kind: str = "toll_free") -> list[str]:
        for number in numbers:
            assert api.post("/numbers", admin, {"number": number, "kind": kind}).status == 201
        return list(numbers)

    return _add


@pytest.fixture
def gent(enrol: Any) -> str:
    """The token of an enrolled authority, Stad Gent (44021)."""
    return str(enrol("44021", "Stad Gent")[1])


def env_without_aws() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}


@dataclass
class RunningStack:
    """A local stack started as `make run` starts it, in its own process."""

    api_url: str
    lambda_url: str
    lambda_port: int
    admin_token: str = field(repr=False)  # never in a failure report
    authority_token: str = field(repr=False)
    authority_id: str
    numbers: list[str]
    output: str = field(repr=False)  # `make run`'s banner, which shows the tokens
    moto_port: int = 0  # its AWS backend, where `make call` puts contact records


def _free_port() -> int:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture(scope="session")
def local_stack() -> Iterator[RunningStack]:
    """`python -m infra.local` on free ports; stopped at the end of the session."""
    with started_local_stack() as stack:
        yield stack


@contextmanager
def started_local_stack() -> Iterator[RunningStack]:
    """`python -m infra.local` on free ports, in its own process, until the block ends (for a test that needs
    a stack of its own, which other tests' data does not reach and which it may change at will)."""
    import re
    import secrets
    import subprocess
    import sys
    import time

    from tests.reliability import log_watch

    api_port, lambda_port, moto_port = _free_port(), _free_port(), _free_port()
    admin_token = secrets.token_urlsafe(32)
    token_key = secrets.token_hex(32)  # known here, so the logs can be checked for it (reliability part 6)
    env = {
        **env_without_aws(),
        "CRISISLINE_API_PORT": str(api_port),
        "CRISISLINE_LAMBDA_PORT": str(lambda_port),
        "CRISISLINE_MOTO_PORT": str(moto_port),
        "CRISISLINE_ADMIN_TOKEN": admin_token,
        "CRISISLINE_TOKEN_KEY": token_key,
        "PYTHONUNBUFFERED": "1",
        "CRISISLINE_NUMBER_COOLDOWN_SECONDS": "0",
    }  # the tests on one stack give numbers back to each other
    log_watch.register_token(admin_token)
    log_watch.register_key(token_key)
    process = subprocess.Popen(
        [sys.executable, "-m", "infra.local"],
        cwd=Path(__file__).resolve().parents[1],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    lines: list[str] = []
    deadline = time.monotonic() + 60
    assert process.stdout is not None
    while time.monotonic() < deadline:
        line = process.stdout.readline()
        if not line:
            break
        lines.append(line)
        if "Ctrl-C stops it" in line:
            break
    output = "".join(lines)
    found = re.search(r"authority (\d{5}) \(demo\)\s+(\S+)", output)
    if found is None:
        process.kill()
        pytest.fail(f"local stack did not start:\n{output}")
    numbers = re.findall(r"\+32\d+", output)
    log_watch.register_token(found.group(2))
    # Everything the stack prints after its banner (which shows its tokens once, by design) is log output:
    # drained as it comes, so a full pipe never blocks the stack, and scanned at the end of the session.
    drained = log_watch.drain(process, "local stack")
    try:
        yield RunningStack(
            f"http://127.0.0.1:{api_port}",
            f"http://127.0.0.1:{lambda_port}",
            lambda_port,
            admin_token,
            found.group(2),
            found.group(1),
            numbers,
            output,
            moto_port,
        )
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
        drained.join(timeout=5)


def table_names() -> dict[str, str]:
    """Logical id → local name of every DynamoDB table of the template."""
    return {
        logical_id: template.physical_table_name(logical_id)
        for logical_id in template.resources("AWS::DynamoDB::Table")
    }


def table_items(logical_id: str) -> list[dict[str, Any]]:
    """Every item of one of the template's tables, as DynamoDB stores it (attribute maps)."""
    import boto3

    pages = boto3.client("dynamodb").get_paginator("scan").paginate(TableName=table_names()[logical_id])
    return [item for page in pages for item in page.get("Items", [])]


@pytest.fixture
def snapshot(aws: None) -> Any:
    """A function that returns the content of every table, to show that a refused request wrote nothing."""

    def _snapshot() -> dict[str, list[str]]:
        return {
            logical_id: sorted(json.dumps(item, sort_keys=True) for item in table_items(logical_id))
            for logical_id in table_names()
        }

    return _snapshot


@pytest.fixture
def atomic_dynamodb(aws: None) -> Iterator[None]:
    """moto's DynamoDB applies each request whole, as DynamoDB does (infra/local/atomic_moto.py says why)."""
    with atomic_moto.dynamodb_in_process():
        yield


# ---------------------------------------------------------------------- reliability figures (tests/reliability)
def pytest_configure(config: pytest.Config) -> None:
    from tests.reliability import figures

    if not hasattr(config, "workerinput"):  # the controlling process, before any worker records
        figures.forget()

    from tests.reliability.log_watch import LogWatchPlugin  # part 6: every log line of the session, scanned

    config.pluginmanager.register(LogWatchPlugin(config), "log-watch")


def pytest_terminal_summary(terminalreporter: Any) -> None:
    from tests.reliability import figures

    if figures.lines():
        terminalreporter.section("reliability figures")
        for line in figures.report()[0]:
            terminalreporter.write_line(line)


# ---------------------------------------------------------------------- a client over real HTTP
def http(
    method: str, url: str, token: str | None = None, body: Any = None, headers: dict[str, str] | None = None
) -> tuple[int, dict[str, str], Any]:
    """One request to a started stack: (status, headers, JSON body, or raw bytes for other content)."""
    import urllib.error
    import urllib.request

    request = urllib.request.Request(url, method=method, data=None if body is None else json.dumps(body).encode())
    for key, value in (headers or {}).items():
        request.add_header(key, value)
    if token:
        request.add_header("Authorization", f"Bearer {token}")
    if body is not None:
        request.add_header("Content-Type", "application/json")
    try:
        with urllib.request.urlopen(request, timeout=30) as answer:
            raw = answer.read()
            status, answer_headers = answer.status, dict(answer.headers.items())
    except urllib.error.HTTPError as error:
        raw, status, answer_headers = error.read(), error.code, dict(error.headers.items())
    content_type = answer_headers.get("Content-Type", "")
    return status, answer_headers, json.loads(raw) if raw and "json" in content_type else raw


# ---------------------------------------------------------------------- shared helpers
T = TypeVar("T")


def at_once(count: int, work: Callable[[int], T]) -> list[T]:
    """Run `work(0..count-1)` on `count` threads released together."""
    import threading
    from concurrent.futures import ThreadPoolExecutor

    start = threading.Barrier(count)

    def one(index: int) -> T:
        start.wait()
        return work(index)

    with ThreadPoolExecutor(count) as pool:
        return list(pool.map(one, range(count)))


class _NoManagedPolicies:
    def load(self) -> dict[str, str]:
        return {}


def sam_transformed() -> dict[str, Any]:
    """template.yaml as CloudFormation deploys it: after the SAM transform, offline (CodeUri as `sam package`
    leaves it)."""
    import copy

    from samtranslator.translator.transform import transform

    source = copy.deepcopy(template.load())
    source["Globals"]["Function"]["CodeUri"] = "s3://crisisline-artifacts/functions.zip"
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("AWS_DEFAULT_REGION", template.LOCAL_REGION)
        return transform(source, {}, _NoManagedPolicies())  # type: ignore[no-any-return]
