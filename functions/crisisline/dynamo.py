"""Plain dicts to DynamoDB attribute maps and back, and AWS failures to domain errors.

The low-level client is used throughout (not boto3's resource layer) because it imports faster, which the
routing function's cold start depends on."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from decimal import Decimal
from typing import Any

from boto3.dynamodb.types import TypeDeserializer, TypeSerializer
from botocore.exceptions import BotoCoreError, ClientError

from crisisline.errors import StoreUnavailable
from crisisline.facts import TRANSIENT_CODES

_serializer = TypeSerializer()
_deserializer = TypeDeserializer()


def to_item(values: Mapping[str, Any]) -> dict[str, Any]:
    """A plain dict (None values left out) as a DynamoDB attribute map."""
    return {key: _serializer.serialize(_storable(value)) for key, value in values.items() if value is not None}


def to_value(value: Any) -> dict[str, Any]:
    return _serializer.serialize(_storable(value))  # type: ignore[no-any-return]


def from_item(item: Mapping[str, Any]) -> dict[str, Any]:
    """A DynamoDB attribute map as a plain dict; whole numbers come back as int."""
    return {key: _plain(_deserializer.deserialize(value)) for key, value in item.items()}


def _storable(value: Any) -> Any:
    if isinstance(value, float):
        raise TypeError("floats are not stored; use Decimal or int")
    if isinstance(value, dict):
        return {k: _storable(v) for k, v in value.items() if v is not None}
    if isinstance(value, list | tuple):
        return [_storable(v) for v in value]
    return value


def _plain(value: Any) -> Any:
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else value
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, set):
        return sorted(_plain(v) for v in value)
    return value


def error_code(error: ClientError) -> str:
    return str(error.response.get("Error", {}).get("Code", ""))


def cancellation_codes(error: ClientError) -> list[str]:
    """The per-item reasons of a cancelled transaction, in the order of its items."""
    return [str(reason.get("Code") or "None") for reason in error.response.get("CancellationReasons", [])]


# Reasons for which DynamoDB cancels a whole transaction although nothing about it was wrong: it was throttled
# (on-demand tables report ThrottlingError), or it collided with another transaction on the same item.
TRANSIENT_CANCELLATIONS = frozenset({"ThrottlingError", "ProvisionedThroughputExceeded", "TransactionConflict"})


def transient(error: ClientError) -> bool:
    """Whether the same request may succeed a moment later: throttled, a service fault, or a transaction
    cancelled for load or a collision rather than for one of its conditions."""
    code = error_code(error)
    return code in TRANSIENT_CODES or (
        code == "TransactionCanceledException" and not TRANSIENT_CANCELLATIONS.isdisjoint(cancellation_codes(error))
    )


def throttled_cancellation(error: ClientError) -> bool:
    """A transaction cancelled because DynamoDB throttled it (not for a condition, not for a collision)."""
    return error_code(error) == "TransactionCanceledException" and not (
        TRANSIENT_CANCELLATIONS - {"TransactionConflict"}
    ).isdisjoint(cancellation_codes(error))


@contextmanager
def translated_errors() -> Iterator[None]:
    """Turn throttling, service faults and timeouts into StoreUnavailable (HTTP 503, retry later)."""
    try:
        yield
    except ClientError as error:
        if transient(error):
            raise StoreUnavailable("The state store is busy; retry shortly.", retry_after=2) from error
        raise
    except BotoCoreError as error:  # connect and read timeouts, endpoint unreachable
        raise StoreUnavailable("The state store did not answer in time; retry shortly.", retry_after=2) from error


def pages(ddb: Any, operation: str, **request: Any) -> Iterator[dict[str, Any]]:
    """Every item of a paginated `query` or `scan`, as plain dicts, AWS failures as domain errors."""
    with translated_errors():
        for page in ddb.get_paginator(operation).paginate(**request):
            for item in page.get("Items", []):
                yield from_item(item)


def get(ddb: Any, table: str, key: Mapping[str, Any], consistent: bool = False) -> dict[str, Any] | None:
    """One item by its key, or None; AWS failures as domain errors."""
    with translated_errors():
        answer = ddb.get_item(TableName=table, Key=to_item(key), ConsistentRead=consistent)
    item = answer.get("Item")
    return from_item(item) if item else None


def transact(ddb: Any, items: list[dict[str, Any]], any_item: bool = False) -> bool:
    """Write `items` in one TransactWriteItems. False when a condition refused it: the first item's (the item
    the write is about), or with `any_item` any item's. Another refusal is raised, AWS failures as domain
    errors."""
    try:
        with translated_errors():
            ddb.transact_write_items(TransactItems=items)
    except ClientError as error:
        codes = cancellation_codes(error)
        if "ConditionalCheckFailed" in (codes if any_item else codes[:1]):
            return False
        raise
    return True
