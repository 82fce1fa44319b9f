"""Part 6's watch over every log line of the session: a pytest plugin (registered from tests/conftest.py).

It collects every line the suite emits: each log record that reaches the root logger or a logger that does not
propagate (message, extra fields and traceback), every line a test printed to stdout or stderr (Powertools'
Logger and Metrics print their JSON there), and the output of the local stack's subprocess. It registers every
secret the suite uses: while each test runs, each token that is hashed (`crisisline.tokens.token_hash` sees every
token issued or checked) with its hashing key, and each caller's number that a contact record is built with; the
local stack's tokens and key, and the callers of every Connect event the tests build. At the end of the session,
after everything else, each pytest-xdist worker scans its own lines; a worker that finds a secret fails the run
(the controller sets the exit status), and each worker records its figure line. A finding is reported masked,
never as the secret itself."""

from __future__ import annotations

import functools
import json
import logging
import re
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import pytest

BEARER = re.compile(r"Bearer\s+[A-Za-z0-9_-]{20,}")
# Callers ring from mobile numbers; pool numbers are toll-free (+32 800) or geographic, never +32 45x to 49x.
BELGIAN_MOBILE = re.compile(r"\+324[5-9][0-9]{7}")
_STANDARD = set(vars(logging.makeLogRecord({}))) | {"message", "asctime"}
_SECRETS_TEST = "tests/reliability/test_secrets.py"


@dataclass
class Watch:
    tokens: set[str] = field(default_factory=set)
    keys: set[str] = field(default_factory=set)
    callers: set[str] = field(default_factory=set)
    lines: list[tuple[str, str]] = field(default_factory=list)  # (where, line)
    armed: bool = False  # the session runs test_secrets.py: record the figure
    stored_hashed: list[bool] = field(default_factory=list)  # the storage checks test_secrets.py ran here

    def add(self, where: str, text: str | None) -> None:
        if text:
            self.lines.extend((where, line) for line in text.splitlines() if line.strip())

    def findings(self) -> tuple[dict[str, int], list[str]]:
        """How many lines hold a token, a hashing key, a caller's number; and a masked description of each."""
        kinds = {"tokens": self.tokens, "hashing keys": self.keys, "caller numbers": self.callers}
        patterns = {
            kind: re.compile("|".join(re.escape(value) for value in sorted(values, key=len, reverse=True)))
            for kind, values in kinds.items()
            if values
        }
        counts = dict.fromkeys(kinds, 0)
        described = []
        for where, line in self.lines:
            for kind, pattern in patterns.items():
                found = (
                    pattern.search(line)
                    or (kind == "tokens" and BEARER.search(line))
                    or (kind == "caller numbers" and BELGIAN_MOBILE.search(line))
                )
                if found:
                    counts[kind] += 1
                    shown = line.replace(found.group(0), f"<{kind[:-1]}>")
                    described.append(f"{kind[:-1]} in {where}: {shown[:300]}")
        return counts, described


WATCH = Watch()


# ---------------------------------------------------------------------- registering what must never be logged
def register_token(token: str | None) -> None:
    if token:
        WATCH.tokens.add(token)


def register_key(key: str | bytes | None) -> None:
    if key:
        WATCH.keys.add(key.decode() if isinstance(key, bytes) else key)


def register_callers(value: Any) -> Any:
    """Register every `CustomerEndpoint.Address` inside a Connect event or contact record; returns `value`."""
    if isinstance(value, dict):
        endpoint = value.get("CustomerEndpoint")
        if isinstance(endpoint, dict) and isinstance(endpoint.get("Address"), str):
            WATCH.callers.add(endpoint["Address"])
        for item in value.values():
            register_callers(item)
    elif isinstance(value, list):
        for item in value:
            register_callers(item)
    return value


def add_output(where: str, lines: Iterable[str]) -> None:
    """Lines another process printed (the local stack's subprocess), to be scanned with the rest."""
    for line in lines:
        WATCH.add(where, line)


def _watched(original: Callable[..., Any], after: Callable[..., None]) -> Callable[..., Any]:
    @functools.wraps(original)
    def watched(*args: Any, **kwargs: Any) -> Any:
        result = original(*args, **kwargs)
        after(result, *args, **kwargs)
        return result

    return watched


@contextmanager
def watching() -> Iterator[None]:
    """For one test (setup and teardown included): every token hashed or issued, every contact record built and
    whatever the test reads of its own output is registered; after it, these functions are as they were.

    A module that bound `contact_record` by name (`from … import contact_record`) gets the watched one too."""
    import sys

    from crisisline import tokens
    from infra.connect import contact_record

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(tokens, "token_hash", _watched(tokens.token_hash, _hashed))
        patch.setattr(tokens, "new_token", _watched(tokens.new_token, lambda token, *_, **__: register_token(token)))
        original = contact_record.contact_record
        recorded = _watched(original, lambda record, *_, **__: register_callers(record))
        for module in [
            contact_record,
            *(m for m in list(sys.modules.values()) if m is not None and vars(m).get("contact_record") is original),
        ]:
            patch.setattr(module, "contact_record", recorded)
        # What a test reads itself through capsys or capfd never reaches its report: scan it here.
        patch.setattr(
            pytest.CaptureFixture,
            "readouterr",
            _watched(
                pytest.CaptureFixture.readouterr,
                lambda result, *_, **__: (
                    WATCH.add("captured by a test", result.out),
                    WATCH.add("captured by a test", result.err),
                ),
            ),
        )
        yield


def _hashed(_: str, token: str, key: bytes, *rest: Any, **kw: Any) -> None:
    register_token(token)
    register_key(key)


class _Capture(logging.Handler):
    """Keeps each record as one line: message, extra fields, traceback, whatever the handlers print."""

    def filter(self, record: logging.LogRecord) -> bool:
        # Powertools' Logger adds a filter to every root handler that drops its own loggers' records (they are
        # printed by its own handler already); this handler must see them all the same.
        return True

    def emit(self, record: logging.LogRecord) -> None:
        try:
            extra = {key: value for key, value in vars(record).items() if key not in _STANDARD}
            text = record.getMessage()
            if extra:
                text += " " + json.dumps(extra, default=str)
            if record.exc_info:
                text += " " + logging.Formatter().formatException(record.exc_info).replace("\n", " | ")
            WATCH.add(f"log {record.name}", text.replace("\n", " | "))
        except Exception:  # noqa: BLE001 - a record that cannot be rendered is kept as its bare message
            WATCH.add(f"log {record.name}", str(record.msg))


CAPTURE = _Capture(level=logging.DEBUG)


def _attach() -> None:
    """The root logger, and every logger that does not pass its records on to it."""
    loggers = [logging.getLogger()] + [
        logger
        for logger in logging.Logger.manager.loggerDict.values()
        if isinstance(logger, logging.Logger) and not logger.propagate
    ]
    for logger in loggers:
        if CAPTURE not in logger.handlers:
            logger.addHandler(CAPTURE)


# ---------------------------------------------------------------------- the plugin
class LogWatchPlugin:
    def __init__(self, config: pytest.Config) -> None:
        self.config = config
        self.reports: list[dict[str, Any]] = []

    def pytest_configure(self, config: pytest.Config) -> None:
        from infra.connect import simulator
        from tests import conftest

        WATCH.keys.add(conftest.TOKEN_KEY)
        WATCH.callers.add(simulator.SIMULATED_CALLER)
        _attach()

    @pytest.hookimpl(hookwrapper=True)
    def pytest_runtest_protocol(self, item: pytest.Item, nextitem: pytest.Item | None) -> Iterator[None]:
        with watching():
            yield

    def pytest_collection_modifyitems(self, items: list[pytest.Item]) -> None:
        WATCH.armed = any(item.nodeid.startswith(_SECRETS_TEST) for item in items)

    def pytest_runtest_setup(self, item: pytest.Item) -> None:
        _attach()  # loggers made since (a function's module imported by the last test)

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        if self._controller():
            return  # the workers keep their own lines
        for title, text in report.sections:  # this phase's own output (a report repeats earlier phases')
            if title in (f"Captured stdout {report.when}", f"Captured stderr {report.when}"):
                WATCH.add(f"{report.nodeid} ({title.rsplit(' ', 2)[-2]} {report.when})", text)

    @pytest.hookimpl(tryfirst=True)
    def pytest_sessionfinish(self, session: pytest.Session) -> None:
        worker = getattr(self.config, "workerinput", {}).get("workerid")
        if self._controller():
            # The controller: the workers scanned their own lines; fail the run if one found something.
            if any(report["found"] for report in self.reports):
                session.exitstatus = pytest.ExitCode.TESTS_FAILED
            return
        counts, described = WATCH.findings()
        found = sum(counts.values())
        report = {
            "worker": worker or "main",
            "lines": len(WATCH.lines),
            "counts": counts,
            "found": found,
            "described": described[:20],
        }
        if WATCH.armed:
            from tests.reliability import figures

            stored = (
                f"; credentials stored hashed ({len(WATCH.stored_hashed)} checks)"
                if WATCH.stored_hashed and all(WATCH.stored_hashed)
                else "; credentials NOT stored hashed"
                if WATCH.stored_hashed
                else ""
            )
            figures.record(
                "6",
                f"{report['worker']}: {len(WATCH.lines):,} log lines scanned, "
                + ", ".join(f"{kind} {count}" for kind, count in counts.items())
                + f" ({len(WATCH.tokens):,} tokens, {len(WATCH.keys)} keys, "
                f"{len(WATCH.callers):,} caller numbers watched){stored}",
                ok=found == 0 and all(WATCH.stored_hashed),
            )
        if worker is not None:
            self.config.workeroutput["log_watch"] = report  # type: ignore[attr-defined]
        else:
            self.reports.append(report)
            if found:
                session.exitstatus = pytest.ExitCode.TESTS_FAILED

    def _controller(self) -> bool:
        return not hasattr(self.config, "workerinput") and self.config.pluginmanager.has_plugin("dsession")

    @pytest.hookimpl(optionalhook=True)
    def pytest_testnodedown(self, node: Any, error: Any) -> None:
        report = getattr(node, "workeroutput", {}).get("log_watch")
        if report:
            self.reports.append(report)

    def pytest_terminal_summary(self, terminalreporter: Any) -> None:
        found = [report for report in self.reports if report["found"]]
        if found:
            terminalreporter.section("secrets or caller numbers in the logs", red=True)
            for report in found:
                for line in report["described"]:
                    terminalreporter.write_line(f"{report['worker']}: {line}")


class _Drain:
    """Reads a subprocess's stdout and stderr to their end in threads, handing each line to the watch."""

    def __init__(self, process: Any, where: str) -> None:
        import threading

        self.threads = [
            threading.Thread(target=self._read, args=(stream, f"{where} {name}"), daemon=True)
            for name, stream in (("stdout", process.stdout), ("stderr", process.stderr))
            if stream
        ]
        for thread in self.threads:
            thread.start()

    @staticmethod
    def _read(stream: Any, where: str) -> None:
        for line in stream:
            WATCH.add(where, line)

    def join(self, timeout: float) -> None:
        for thread in self.threads:
            thread.join(timeout)


def drain(process: Any, where: str) -> _Drain:
    return _Drain(process, where)
