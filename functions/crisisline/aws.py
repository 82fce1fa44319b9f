"""AWS clients, made once per process and lazily, with timeouts short enough that a hanging dependency
turns into a clear error instead of a stuck request. `AWS_ENDPOINT_URL` (set by the local stack) points them
at the embedded moto server."""

from __future__ import annotations

from functools import cache
from typing import Any

import boto3
from botocore.config import Config

API_CLIENT_CONFIG = Config(
    connect_timeout=2,
    read_timeout=3,
    retries={"mode": "standard", "total_max_attempts": 3},
)


@cache
def client(service: str) -> Any:
    """A shared boto3 client for `service` with the API's timeouts."""
    return boto3.client(service, config=API_CLIENT_CONFIG)  # type: ignore[call-overload]


def reset_clients() -> None:
    """Forget cached clients (tests switch backends between cases)."""
    client.cache_clear()
