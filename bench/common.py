"""What several benchmarks measure the same way: cold imports in fresh processes, AWS calls per operation."""

from __future__ import annotations

import statistics
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
FUNCTIONS = ROOT / "functions"


def cold_import_seconds(statement: str, runs: int = 5, env: dict[str, str] | None = None) -> float:
    """Median wall time of `python -c <statement>` in fresh processes (interpreter start included)."""
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        subprocess.run([sys.executable, "-c", statement], check=True, cwd=FUNCTIONS, env=env)
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def cold_import_ratio(module: str, env: dict[str, str], runs: int = 5) -> tuple[float, float, float]:
    """(handler module seconds, `import boto3` seconds, ratio), interleaved so both see the same machine."""
    module_times, boto_times = [], []
    for _ in range(runs):
        module_times.append(cold_import_seconds(f"import {module}", 1, env))
        boto_times.append(cold_import_seconds("import boto3", 1, env))
    module_s, boto_s = statistics.median(module_times), statistics.median(boto_times)
    return module_s, boto_s, module_s / boto_s


class CallCounter:
    """Counts AWS API calls made by every boto3 client, through botocore's event system."""

    def __init__(self) -> None:
        self.calls: list[str] = []

    def __call__(self, event_name: str, **_: Any) -> None:
        # event name: before-call.<service>.<Operation>
        self.calls.append(event_name.split(".", 1)[1])

    def reset(self) -> None:
        self.calls.clear()


@contextmanager
def counting_calls() -> Iterator[CallCounter]:
    """Count API calls of clients created inside this block (and of the cached crisisline clients)."""
    import boto3
    from botocore.session import Session

    counter = CallCounter()
    original = Session.create_client

    def create_client(self: Session, *args: Any, **kwargs: Any) -> Any:
        made = original(self, *args, **kwargs)
        made.meta.events.register("before-call.*.*", counter)
        return made

    Session.create_client = create_client  # type: ignore[method-assign]
    boto3.DEFAULT_SESSION = None
    try:
        yield counter
    finally:
        Session.create_client = original  # type: ignore[method-assign]


MISSED = "MISSED"


def aim(value: float, limit: float, *, at_most: bool = True, digits: int = 2, note: str = "") -> str:
    """A figure's aim as its line shows it, `(aim <= 1.6)`, marked `MISSED` when the value (rounded as the line
    shows it, to `digits`) misses it; `note` follows the aim inside the brackets."""
    shown = round(value, digits)
    met = shown <= limit if at_most else shown >= limit
    return f"(aim {'<=' if at_most else '>='} {limit:g}{'' if met else ', ' + MISSED}{'; ' + note if note else ''})"


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]
