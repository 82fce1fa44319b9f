"""Facts that more than one function relies on, each written once here.

The standard library only: the routing function imports this module, and its cold start is on a caller's line
(no pydantic, no boto3, no domain models)."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from functools import cache
from pathlib import Path
from typing import TypeVar

# The languages a line may speak, in the order the contact flow offers them (1 nl, 2 fr, 3 de, 4 en).
LANGUAGES = ("nl", "fr", "de", "en")

# DynamoDB refused for load: nothing was written, the same request may succeed a moment later.
THROTTLING_CODES = frozenset({"ProvisionedThroughputExceededException", "ThrottlingException", "RequestLimitExceeded"})
# DynamoDB failed inside: a write may or may not have happened.
SERVICE_FAULT_CODES = frozenset({"InternalServerError", "InternalFailure", "ServiceUnavailable"})
# Error codes that mean "try again later", never "your request was wrong".
TRANSIENT_CODES = THROTTLING_CODES | SERVICE_FAULT_CODES | {"TransactionInProgressException"}

# Fields of a live activation copied onto its pool number, so that routing a call is one read. The activation's
# own `id` is copied as `activation_id`.
ROUTING_FIELDS = (
    "activation_id",
    "authority_id",
    "authority_name",
    "languages",
    "message",
    "victim_information",
    "operators",
    "opened_at",
)

# The hour a call counts in, as the key of `CallCountersTable` (with the activation's id): its UTC hour.
COUNTER_HOUR_FORMAT = "%Y-%m-%dT%HZ"


def counter_hour(instant: datetime) -> str:
    """The key of the call counter `instant` counts in: its UTC hour (`2026-11-29T16Z`)."""
    return instant.astimezone(UTC).strftime(COUNTER_HOUR_FORMAT)


def hourly_capacity(operators: int, calls_per_operator_hour: int) -> int:
    """The calls a line's operators answer in an hour; a call beyond it this hour overflows to a callback."""
    return operators * calls_per_operator_hour


def overflows(calls_this_hour: int, operators: int, calls_per_operator_hour: int) -> bool:
    """Whether the call that brought this hour's count to `calls_this_hour` exceeds the line's capacity."""
    return calls_this_hour > hourly_capacity(operators, calls_per_operator_hour)


def calls_per_operator_hour_at(versions: Iterable[tuple[str, int]], instant: str, otherwise: int) -> int:
    """Of tariff versions as (effective_from, calls per operator-hour) in time order, ISO UTC text, the calls of
    the version in force at `instant`; `otherwise` before the first."""
    current = in_force(versions, instant, lambda version: version[0])
    return current[1] if current else otherwise


# The default tariffs, in force before the first version added with PUT /tariffs. Packaged beside the code,
# since each function's package is `functions/` only.
TARIFFS_FILE = Path(__file__).with_name("tariffs.json")

Version = TypeVar("Version")
Instant = TypeVar("Instant")


@cache
def default_tariffs() -> dict[str, object]:
    """The default tariffs as written in TARIFFS_FILE (amounts as decimal text)."""
    document: dict[str, object] = json.loads(TARIFFS_FILE.read_text(encoding="utf-8"))
    return document


def default_calls_per_operator_hour() -> int:
    """The calls one operator answers per hour by the default tariffs."""
    return int(str(default_tariffs()["calls_per_operator_hour"]))


def in_force(
    versions: Iterable[Version], instant: Instant, effective_from: Callable[[Version], Instant]
) -> Version | None:
    """The version in force at `instant`: of `versions` in time order, the last that took effect at or before it
    (None when none had yet). A version takes effect at its `effective_from` and stays until the next one's."""
    current = None
    for version in versions:
        if effective_from(version) > instant:  # type: ignore[operator]
            break
        current = version
    return current
