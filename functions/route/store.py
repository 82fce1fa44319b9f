"""The routing function's only DynamoDB access: one GetItem on the dialled pool number, and one atomic counter
update when the caller picks a queue. At most two API calls per decision.

Its own client, not `crisisline.aws.client`: the API's 3 s read timeout and botocore's retries (a throttled
request may sleep up to a second before its retry) would leave a caller in silence. Here botocore does not retry;
this module retries within the decision's deadline, and every failure becomes `StoreUnavailable`, which the logic
turns into a fallback answer."""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from crisisline.clock import iso
from crisisline.errors import StoreUnavailable
from crisisline.facts import (
    ROUTING_FIELDS,
    SERVICE_FAULT_CODES,
    THROTTLING_CODES,
    calls_per_operator_hour_at,
    counter_hour,
)
from route.models import LiveLine
from route.settings import RouteSettings

CONNECT_TIMEOUT = 0.2
READ_TIMEOUT = 0.3
# An attempt starts only while a whole read timeout is left before the deadline; connections are kept alive,
# so a decision ends at most CONNECT_TIMEOUT after its deadline.
READ_ATTEMPTS = 2
COUNT_ATTEMPTS = 2
COUNTER_DAYS = 7  # counters expire (DynamoDB TTL) a week after their hour

ROUTE_CLIENT_CONFIG = Config(
    connect_timeout=CONNECT_TIMEOUT,
    read_timeout=READ_TIMEOUT,
    retries={"mode": "standard", "total_max_attempts": 1},
    tcp_keepalive=True,
)

# Refusals for load: nothing was written, the same request may succeed a moment later.
_THROTTLED = THROTTLING_CODES
# Service faults: a write may or may not have happened, so only reads retry them.
_TRANSIENT = THROTTLING_CODES | SERVICE_FAULT_CODES
# The part of the routing copy a decision reads (what LiveLine holds).
_ROUTING_ATTRIBUTES = tuple(name for name in ROUTING_FIELDS if name in LiveLine.__dataclass_fields__)
_PROJECTION = ", ".join(f"#a{i}" for i in range(len(_ROUTING_ATTRIBUTES)))
_PROJECTION_NAMES = {f"#a{i}": name for i, name in enumerate(_ROUTING_ATTRIBUTES)}


def dynamodb_client(endpoint_url: str | None = None) -> Any:
    """A DynamoDB client with the routing function's short timeouts (AWS_ENDPOINT_URL applies when set)."""
    return boto3.client("dynamodb", config=ROUTE_CLIENT_CONFIG, endpoint_url=endpoint_url)


class RoutingStore:
    """Reads a pool number's routing copy and counts calls per activation and UTC hour."""

    def __init__(self, settings: RouteSettings, dynamodb: Any) -> None:
        self.settings = settings
        self.ddb = dynamodb

    def live_line(self, number: str, deadline: float) -> LiveLine | None:
        """The live activation behind `number`, or None when the number is free or unknown."""
        answer = self._attempt(
            self.ddb.get_item,
            deadline,
            READ_ATTEMPTS,
            _TRANSIENT,
            True,
            TableName=self.settings.numbers_table,
            Key={"number": {"S": number}},
            ConsistentRead=True,  # a line is live the moment the API answers
            ProjectionExpression=_PROJECTION,
            ExpressionAttributeNames=_PROJECTION_NAMES,
        )
        item = answer.get("Item")
        if not item or "activation_id" not in item:
            return None
        try:
            line = LiveLine(
                activation_id=item["activation_id"]["S"],
                authority_name=item["authority_name"]["S"],
                languages=tuple(value["S"] for value in item["languages"]["L"]),
                message={language: value["S"] for language, value in item["message"]["M"].items()},
                victim_information=item["victim_information"]["BOOL"],
                operators=int(item["operators"]["N"]),
            )
        except (KeyError, TypeError, ValueError) as error:
            raise StoreUnavailable("The number's routing copy is incomplete.") from error
        if not line.languages:
            raise StoreUnavailable("The number's routing copy offers no language.")
        return line

    def count_call(self, activation_id: str, now: datetime, deadline: float) -> int:
        """Count one call against the activation's current UTC hour; the count including this call.

        One atomic UpdateItem (ADD), so concurrent Lambdas never hand out the same count. Only a throttled
        update is retried: one that timed out or failed inside DynamoDB may have been applied, and counting a
        caller twice would send another caller to the callback."""
        hour = now.astimezone(UTC).replace(minute=0, second=0, microsecond=0)
        expires = hour + timedelta(days=COUNTER_DAYS)
        answer = self._attempt(
            self.ddb.update_item,
            deadline,
            COUNT_ATTEMPTS,
            _THROTTLED,
            False,
            TableName=self.settings.call_counters_table,
            Key={"activation_id": {"S": activation_id}, "hour": {"S": counter_hour(hour)}},
            UpdateExpression="ADD calls :one SET expires_at = :expires",
            ExpressionAttributeValues={":one": {"N": "1"}, ":expires": {"N": str(int(expires.timestamp()))}},
            ReturnValues="UPDATED_NEW",
        )
        return int(answer["Attributes"]["calls"]["N"])

    @staticmethod
    def _attempt(
        operation: Callable[..., Any],
        deadline: float,
        attempts: int,
        retry_codes: frozenset[str],
        retry_timeouts: bool,
        **request: Any,
    ) -> Any:
        """Call `operation`, retrying transient failures while the deadline allows a whole attempt."""
        last: Exception | None = None
        for attempt in range(attempts):
            if attempt:
                time.sleep(random.uniform(0.01, 0.04))  # jitter before a retry
            if deadline - time.monotonic() < READ_TIMEOUT:
                break
            try:
                return operation(**request)
            except ClientError as error:
                code = str(error.response.get("Error", {}).get("Code", ""))
                if code not in retry_codes:
                    raise StoreUnavailable(f"The state store refused: {code}.") from error
                last = error
            except BotoCoreError as error:  # connect or read timeout, endpoint unreachable
                if not retry_timeouts:
                    raise StoreUnavailable("The state store did not answer in time.") from error
                last = error
        if last is None:
            raise StoreUnavailable("No time was left to ask the state store.")
        raise StoreUnavailable("The state store did not answer within the routing budget.") from last


# How long a process keeps the tariffs' calls per operator-hour. A new tariff version may not take effect in the
# past, so routing uses a new capacity at most this long after it takes effect.
TARIFF_CACHE_SECONDS = 300
# After a failed read, the configured value serves this long before the tariffs are asked again.
TARIFF_RETRY_SECONDS = 30


class TariffCapacity:
    """The calls one operator answers per hour, from the tariff version in force (PUT /tariffs), read at most
    once per TARIFF_CACHE_SECONDS per process, so a routing decision still costs two DynamoDB calls."""

    def __init__(self, settings: RouteSettings, dynamodb: Any) -> None:
        self.settings = settings
        self.ddb = dynamodb
        self._versions: list[tuple[str, int]] = []  # (effective_from ISO UTC, calls per operator-hour), sorted
        self._read_at: float | None = None
        self._retry_at = 0.0
        self._lock = threading.Lock()

    def calls_per_operator_hour(self, now: datetime, deadline: float) -> int:
        """The version in force at `now`; the configured value when there is none or the tariffs cannot be
        read within the deadline (routing never waits on them)."""
        if not self.settings.tariffs_table:
            return self.settings.calls_per_operator_hour
        moment = time.monotonic()
        stale = self._read_at is None or moment - self._read_at > TARIFF_CACHE_SECONDS
        # One reader at a time; concurrent callers meanwhile use what is known (or the configured value).
        if stale and moment >= self._retry_at and self._lock.acquire(blocking=False):
            try:
                self._versions = self._read(deadline)
                self._read_at = moment
            except StoreUnavailable:
                self._retry_at = moment + TARIFF_RETRY_SECONDS
            finally:
                self._lock.release()
        return calls_per_operator_hour_at(self._versions, iso(now), self.settings.calls_per_operator_hour)

    def _read(self, deadline: float) -> list[tuple[str, int]]:
        answer = RoutingStore._attempt(
            self.ddb.scan,
            deadline,
            1,
            _TRANSIENT,
            False,
            TableName=self.settings.tariffs_table,
            ProjectionExpression="effective_from, calls_per_operator_hour",
        )
        try:
            versions = [
                (item["effective_from"]["S"], int(item["calls_per_operator_hour"]["N"]))
                for item in answer.get("Items", [])
            ]
        except (KeyError, TypeError, ValueError) as error:
            raise StoreUnavailable("A tariff version is incomplete.") from error
        return sorted(version for version in versions if version[1] >= 1)


_default: RoutingStore | None = None
_default_capacity: TariffCapacity | None = None
_default_lock = threading.Lock()


def default_store(settings: RouteSettings) -> RoutingStore:
    """The process's store and client, made on first use (boto3's session is not safe to share while a
    client is being made, hence the lock)."""
    global _default
    with _default_lock:
        if _default is None:
            _default = RoutingStore(settings, dynamodb_client())
        return _default


def default_capacity(settings: RouteSettings) -> TariffCapacity:
    """The process's tariff capacity, sharing the store's client."""
    global _default_capacity
    store = default_store(settings)
    with _default_lock:
        if _default_capacity is None:
            _default_capacity = TariffCapacity(settings, store.ddb)
        return _default_capacity


def forget_default_store() -> None:
    """Tests switch backends and settings between cases."""
    global _default, _default_capacity
    with _default_lock:
        _default = None
        _default_capacity = None
