"""What the routing tests share: Connect events built from AWS's real sample, a server that never answers,
and injected DynamoDB failures."""

from __future__ import annotations

import copy
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from botocore.awsrequest import AWSResponse

from tests.conftest import load_event
from tests.reliability import log_watch

SAMPLE = "connect-lambda-event.json"


def connect_event(dialled: str, caller: str = "+32470123456", **parameters: str) -> dict[str, Any]:
    """AWS's sample Connect event, dialling `dialled` from `caller`, with the flow's parameters."""
    event = copy.deepcopy(load_event(SAMPLE))
    event["Details"]["ContactData"]["SystemEndpoint"]["Address"] = dialled
    event["Details"]["ContactData"]["CustomerEndpoint"]["Address"] = caller
    event["Details"]["Parameters"] = dict(parameters)
    return log_watch.register_callers(event)  # type: ignore[no-any-return]


@contextmanager
def silent_server() -> Iterator[str]:
    """An endpoint that accepts TCP connections and never answers: DynamoDB hanging."""
    listener = socket.create_server(("127.0.0.1", 0))
    held: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        listener.settimeout(0.1)
        while not stop.is_set():
            try:
                connection, _ = listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            held.append(connection)

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{listener.getsockname()[1]}"
    finally:
        stop.set()
        thread.join(timeout=2)
        for connection in held:
            connection.close()
        listener.close()


class InjectedErrors:
    """Makes a client's `operation` answer with DynamoDB's error `code` (before anything reaches the backend),
    `times` times, and records the attempts."""

    def __init__(self, client: Any, operation: str, code: str, times: int = 1_000, status: int = 400) -> None:
        self.code, self.status, self.left, self.attempts = code, status, times, 0
        client.meta.events.register(f"before-call.dynamodb.{operation}", self)

    def __call__(self, **_: Any) -> tuple[AWSResponse, dict[str, Any]] | None:
        self.attempts += 1
        if self.left <= 0:
            return None
        self.left -= 1
        response = AWSResponse("https://dynamodb.local", self.status, {}, None)
        return response, {
            "Error": {"Code": self.code, "Message": "injected"},
            "ResponseMetadata": {"HTTPStatusCode": self.status},
        }


class Attempts:
    """Counts the requests a client sends for `operation` (each attempt, retries included)."""

    def __init__(self, client: Any, operation: str) -> None:
        self.count = 0
        client.meta.events.register(f"before-call.dynamodb.{operation}", self)

    def __call__(self, **_: Any) -> None:
        self.count += 1


class SplitClient:
    """Reads from one DynamoDB client and counts through another (to make only the counter hang)."""

    def __init__(self, reads: Any, counts: Any) -> None:
        self.get_item = reads.get_item
        self.update_item = counts.update_item
