"""`make surge`: replay Belgium's November 2015 peak hour, 3,295 calls, against one live activation with 4
operators, and print where the callers ended up and how fast the routing function answered; the line's
after-action report (`GET /activations/{id}/report`) as it stands after that hour goes to `surge-report.pdf`.

Each simulated call invokes the routing function as the contact flow does: the greeting, then the language
pick, then the D5/D2 pick (the only invocation that counts the call). The hour is compressed: calls run
concurrently on a thread pool as fast as the machine allows, and each one carries its own instant inside the
same UTC hour, so every call falls in one counter bucket. The backend is moto in-process, with its DynamoDB
requests serialised: moto applies an UpdateItem without a lock (concurrent ADDs get lost), where DynamoDB
makes each request on an item atomic."""

from __future__ import annotations

import contextlib
import json
import os
import random
import sys
import tempfile
import threading
import time
import warnings
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

PEAK_CALLS = 3_295  # calls in the busiest hour of November 2015
OPERATORS = 4
NUMBER = "+3280012345"
# Roughly how Belgian callers pick: the line offers all four languages.
LANGUAGE_SHARE = {"nl": 0.55, "fr": 0.37, "de": 0.02, "en": 0.06}
D2_SHARE = 0.2  # callers asking about a person who may be involved
REPORT_FILE = Path("surge-report.pdf")


@dataclass
class SurgeReport:
    calls: int
    capacity: int
    outcomes: Counter[str] = field(default_factory=Counter)
    invocation_ms: list[float] = field(default_factory=list)
    aws_calls: int = 0
    seconds: float = 0.0
    workers: int = 0
    unchecked: int = 0  # calls queued although their count failed or came too late (fail open)
    operators: int = OPERATORS
    after_action_pdf: bytes = b""  # the line's after-action report once the hour is replayed

    def percentile_ms(self, fraction: float) -> float:
        ordered = sorted(self.invocation_ms)
        return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))] if ordered else 0.0

    def lines(self) -> list[str]:
        invocations = len(self.invocation_ms)
        operators = f"{self.operators} operator{'' if self.operators == 1 else 's'}"
        return [
            f"{self.calls} calls in one hour, {operators}, capacity {self.capacity} calls this hour "
            f"(replayed in {self.seconds:.1f} s by {self.workers} concurrent callers)",
            f"  reached D5                  {self.outcomes['D5']:>6}",
            f"  reached D2                  {self.outcomes['D2']:>6}",
            f"  overflow, callback offered  {self.outcomes['overflow']:>6}",
            f"  fallback (D5, generic)      {self.outcomes['fallback']:>6}",
            f"  errors                      {self.outcomes['error']:>6}",
            f"  queued without a capacity check (counter failed or late; fail open) {self.unchecked}",
            f"routing function over {invocations} invocations: p50 {self.percentile_ms(0.5):.1f} ms, "
            f"p99 {self.percentile_ms(0.99):.1f} ms; AWS calls per invocation "
            f"{self.aws_calls / max(invocations, 1):.2f}",
        ]


@contextmanager
def _environment() -> Iterator[None]:
    """The functions' environment from template.yaml, on moto in this process; the previous one restored after."""
    from infra.local import template

    saved = dict(os.environ)

    os.environ.update(
        {
            "AWS_ACCESS_KEY_ID": "surge",
            "AWS_SECRET_ACCESS_KEY": "surge",
            "AWS_DEFAULT_REGION": template.LOCAL_REGION,
            "AWS_REGION": template.LOCAL_REGION,
            "POWERTOOLS_METRICS_DISABLED": "true",
            "POWERTOOLS_LOG_LEVEL": "WARNING",
            **template.function_environment("RouteFunction"),
        }
    )
    os.environ.pop("AWS_ENDPOINT_URL", None)
    try:
        yield
    finally:
        os.environ.clear()
        os.environ.update(saved)


def _open_activation(operators: int, victim_information: bool) -> tuple[str, Callable[[], bytes]]:
    """Enrol an authority and open its line through the API, as a municipality would; the line's id, and how
    its authority reads the line's after-action report."""
    from infra.local import seed
    from infra.local.stack import ApiGateway, Functions

    seed.provision("surge-hashing-key")
    admin = seed.admin_credential()
    gateway = ApiGateway(Functions(), cache_seconds=300)

    def post(path: str, token: str, body: dict[str, Any]) -> Any:
        status, _, raw = gateway.handle(
            "POST",
            path,
            {"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
            json.dumps(body).encode(),
        )
        if status != 201:
            raise RuntimeError(f"POST {path} answered {status}: {raw!r}")
        return json.loads(raw)

    authority = post(
        "/authorities",
        admin,
        {
            "id": "21004",
            "name": "Ville de Bruxelles / Stad Brussel",
            "languages": ["nl", "fr", "de", "en"],
            "agreement": {"reference": "NCCN-2015-11", "signed_on": "2015-11-01"},
            "billing": {"reference": "BXL-FIN-7", "email": "finance@bruxelles.example"},
        },
    )
    post("/numbers", admin, {"number": NUMBER, "kind": "toll_free"})
    activation = post(
        "/activations",
        authority["token"],
        {
            "reason": "Terrorist threat level 4: information for the public",
            "languages": ["nl", "fr", "de", "en"],
            "message": {
                "nl": "Blijf op de hoogte via de officiële kanalen.",
                "fr": "Suivez les canaux officiels.",
                "de": "Folgen Sie den offiziellen Kanälen.",
                "en": "Follow the official channels.",
            },
            "victim_information": victim_information,
            "operators": operators,
        },
    )

    def after_action_report() -> bytes:
        path = f"/activations/{activation['id']}/report?format=pdf"
        status, _, raw = gateway.handle("GET", path, {"Authorization": f"Bearer {authority['token']}"}, b"")
        if status != 200:
            raise RuntimeError(f"GET {path} answered {status}: {raw[:200]!r}")
        return bytes(raw)

    return str(activation["id"]), after_action_report


def _caller(rng: random.Random) -> tuple[str, str]:
    language = rng.choices(list(LANGUAGE_SHARE), weights=list(LANGUAGE_SHARE.values()))[0]
    return language, "2" if rng.random() < D2_SHARE else "1"


def replay(
    calls: int = PEAK_CALLS,
    operators: int = OPERATORS,
    workers: int = 8,
    seed: int = 2015,
    victim_information: bool = True,
) -> SurgeReport:
    """Replay `calls` calls of one hour against a fresh in-process backend; where each caller ended up."""
    from moto import mock_aws

    from bench.common import counting_calls
    from infra.local import atomic_moto

    with _environment(), mock_aws(), atomic_moto.dynamodb_in_process(), warnings.catch_warnings():
        warnings.filterwarnings("ignore", "No application metrics to publish")  # the API's, not the route's
        _, after_action_report = _open_activation(operators, victim_information)
        from crisisline import environment
        from route import app, settings, store

        environment.forget_settings()
        store.forget_default_store()
        app.logger.setLevel("WARNING")
        per_hour = settings.route().calls_per_operator_hour  # the configured value: the replay sets no tariff
        capacity = operators * per_hour
        hour = datetime.now(UTC).replace(minute=0, second=0, microsecond=0)
        rng = random.Random(seed)  # a reproducible caller mix
        callers = [_caller(rng) for _ in range(calls)]
        report = SurgeReport(calls=calls, capacity=capacity, workers=workers, operators=operators)
        lock = threading.Lock()

        def one_call(n: int) -> str:
            language, choice = callers[n]
            instant = hour + timedelta(seconds=n * 3600 / calls)
            steps: tuple[dict[str, str], ...] = ({}, {"language": language}, {"language": language, "choice": choice})
            answers, timings = [], []
            try:
                for parameters in steps:
                    event = _event(n, parameters)
                    started = time.perf_counter()
                    answers.append(app.answer(event, data, per_hour, clock=lambda: instant))
                    timings.append((time.perf_counter() - started) * 1000)
                    if answers[-1].get("fallback") == "true" or answers[-1].get("status") != "live":
                        break  # the flow stops asking: D5 with its technical-problem prompt, or hang-up
            except Exception:  # noqa: BLE001 - counted: the routing function must never raise
                return "error"
            finally:
                with lock:
                    report.invocation_ms.extend(timings)
            return outcome(answers)

        with counting_calls() as counter:  # counts the calls of the client made inside it
            data = _Observed(store.default_store(settings.route()), report, lock)
            started = time.perf_counter()
            with ThreadPoolExecutor(max_workers=workers) as pool:
                report.outcomes.update(pool.map(one_call, range(calls)))
            report.seconds = time.perf_counter() - started
        report.aws_calls = len(counter.calls)
        report.after_action_pdf = after_action_report()
        store.forget_default_store()
        environment.forget_settings()
    return report


class _Observed:
    """The routing function's store, noting each count that failed or was skipped for lack of time."""

    def __init__(self, store: Any, report: SurgeReport, lock: threading.Lock) -> None:
        self.store, self.report, self.lock = store, report, lock

    def live_line(self, number: str, deadline: float) -> Any:
        return self.store.live_line(number, deadline)

    def count_call(self, activation_id: str, now: datetime, deadline: float) -> int:
        from crisisline.errors import StoreUnavailable

        try:
            return int(self.store.count_call(activation_id, now, deadline))
        except StoreUnavailable:
            with self.lock:
                self.report.unchecked += 1
            raise


def outcome(answers: list[dict[str, str]]) -> str:
    """Where the flow sends a caller, given the routing function's three answers."""
    expected = {
        "status",
        "activationId",
        "authorityName",
        "languages",
        "message",
        "victimInformation",
        "queue",
        "d2Refused",
        "overflow",
        "fallback",
    }
    if any(set(a) != expected or not all(isinstance(v, str) for v in a.values()) for a in answers):
        return "error"
    if any(a["fallback"] == "true" for a in answers):
        return "fallback"
    if any(a["status"] != "live" for a in answers):
        return "error"  # the line is live throughout the replay
    final = answers[-1]
    return "overflow" if final["overflow"] == "true" else final["queue"]


def _event(n: int, parameters: dict[str, str]) -> dict[str, Any]:
    return {
        "Name": "ContactFlowEvent",
        "Details": {
            "ContactData": {
                "Attributes": {},
                "Channel": "VOICE",
                "ContactId": f"surge-{n:05d}",
                "CustomerEndpoint": {"Address": f"+3247{n:07d}", "Type": "TELEPHONE_NUMBER"},
                "InitialContactId": f"surge-{n:05d}",
                "InitiationMethod": "INBOUND",
                "InstanceARN": "arn:aws:connect:eu-central-1:123456789012:instance/surge",
                "PreviousContactId": f"surge-{n:05d}",
                "Queue": None,
                "SystemEndpoint": {"Address": NUMBER, "Type": "TELEPHONE_NUMBER"},
            },
            "Parameters": parameters,
        },
    }


@contextmanager
def output_to(path: Path) -> Iterator[None]:
    """Everything written meanwhile, by print or by a logger holding the process's stdout or stderr, into
    `path`: the functions' log lines stay out of the summary."""
    sys.stdout.flush()
    sys.stderr.flush()
    saved = os.dup(1), os.dup(2)
    with path.open("a", encoding="utf-8") as log, contextlib.redirect_stdout(log), contextlib.redirect_stderr(log):
        os.dup2(log.fileno(), 1)
        os.dup2(log.fileno(), 2)
        try:
            yield
        finally:
            for stream in (sys.__stdout__, sys.__stderr__, log):
                if stream is not None:
                    stream.flush()
            os.dup2(saved[0], 1)
            os.dup2(saved[1], 2)
            for fd in saved:
                os.close(fd)


def main() -> int:
    handle, name = tempfile.mkstemp(prefix="crisisline-surge-", suffix=".log")
    os.close(handle)
    log = Path(name)
    print(f"Replaying {PEAK_CALLS:,} calls ...", flush=True)
    with output_to(log):
        report = replay()
    print("\n".join(report.lines()))
    if report.after_action_pdf:
        REPORT_FILE.write_bytes(report.after_action_pdf)
        print(f"the line's after-action report: {REPORT_FILE} ({len(report.after_action_pdf):,} bytes)")
    print(f"(the functions' log lines: {log})", flush=True)
    return 1 if report.outcomes["error"] else 0


if __name__ == "__main__":
    sys.exit(main())
