"""The one place that speaks DynamoDB for cost metering (tables in template.yaml):

- ContactsTable: one item per ContactId, the newest counted version of its record (without the caller's
  number), the activation and `period` it was booked into, and its counters, so that a newer version changes
  the aggregates by the difference. Unattributed contacts carry `unattributed_month` (sparse index
  `unattributed`).
- UsageTable: per activation and `period` the ADDed counters. `period` is the booking month `YYYY-MM`, or
  `OPEN#adjusts#FROZEN` for a late record's adjustment booked in the open month OPEN for the frozen month
  FROZEN. `month` is the booking month (index `by-month`, what the export reads).
- MonthsTable: `frozen_at` once month close has frozen a month; read here only, in a ConditionCheck.

Reads for the export and admin: `usage_for_month(month)`, `unattributed(month)`."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from botocore.exceptions import ClientError

from crisisline import dynamo
from crisisline.aws import client
from crisisline.clock import iso, parse_iso
from crisisline.dynamo import cancellation_codes, error_code, from_item, to_item, to_value, translated_errors
from crisisline.months import next_month
from crisisline.usage import COUNTERS, DAY_SECONDS, UsageCounters, booking_month, is_adjustment, usage_month
from ingest.settings import MeterSettings
from ingest.settings import meter as meter_settings

NO_ACTIVATION = "no_activation"  # the reason of a record that matched no activation
_MONTHS_AHEAD = 24  # how far past a frozen month the first open month is looked for


@dataclass(frozen=True)
class AttributeCheck:
    """What the activation a record's `activationId` names must agree with, checked inside the booking: the
    dialled number (unless None), and a live window holding the call: opened at or before `opened_by`, and
    not closed, or closed after `closed_after` (ISO instants). A callback whose SystemEndpoint is no number is
    checked against its `origin` instead: the contact that asked for it, counted to the same activation."""

    activation_id: str
    number: str | None
    opened_by: str
    closed_after: str
    origin: str | None = None


@dataclass(frozen=True)
class Booking:
    """One version of a contact counted in one transaction: its new contact item, the version it replaces
    (None: the first), and the counters to ADD per (activation id, period)."""

    contact: dict[str, Any]
    replaces: str | None
    deltas: dict[tuple[str, str], UsageCounters]
    verify_activation: AttributeCheck | None = None
    # Call seconds per (activation id, period) and Brussels day, ADDed as `call_seconds@YYYY-MM-DD`.
    day_seconds: dict[tuple[str, str], dict[str, int]] = field(default_factory=dict)


@dataclass
class Refused(Exception):
    """The booking's transaction was cancelled; nothing was written. What changed meanwhile:"""

    contact_changed: bool = False
    counted: dict[str, Any] | None = None  # the contact's stored item, when it exists
    frozen: list[str] = field(default_factory=list)  # booking months found frozen
    unknown_activation: bool = False
    disagreeing: dict[str, Any] | None = None  # the named activation, when the record disagrees with it
    origin_unknown: bool = False  # a callback's origin is not counted to the named activation
    conflict: bool = False  # another transaction touched the same items: try again

    def __str__(self) -> str:
        return (
            f"booking refused (contact_changed={self.contact_changed}, frozen={self.frozen}, "
            f"unknown_activation={self.unknown_activation}, disagreeing={self.disagreeing is not None}, "
            f"origin_unknown={self.origin_unknown}, conflict={self.conflict})"
        )


class UsageStore:
    """DynamoDB access for metering and for the reads of the export and admin."""

    def __init__(self, settings: MeterSettings | None = None, dynamodb: Any = None) -> None:
        self.tables = settings or meter_settings()
        self.ddb = dynamodb or client("dynamodb")

    # ------------------------------------------------------------------ ingest
    def book(self, booking: Booking) -> None:
        """Write the contact item and ADD every delta in one transaction, provided the contact is still at the
        version `booking.replaces`, no booking month is frozen, and the named activation exists.
        Raises Refused (nothing written) otherwise."""
        contact_put: dict[str, Any] = {
            "TableName": self.tables.contacts_table,
            "Item": to_item(booking.contact),
            "ReturnValuesOnConditionCheckFailure": "ALL_OLD",
        }
        if booking.replaces is None:
            contact_put["ConditionExpression"] = "attribute_not_exists(contact_id)"
        else:
            contact_put["ConditionExpression"] = "last_update = :seen"
            contact_put["ExpressionAttributeValues"] = {":seen": to_value(booking.replaces)}
        items: list[dict[str, Any]] = [{"Put": contact_put}]
        months: list[str] = []
        for (activation_id, period), delta in booking.deltas.items():
            days = booking.day_seconds.get((activation_id, period), {})
            items.append({"Update": self._usage_update(activation_id, period, delta, days)})
            if booking_month(period) not in months:
                months.append(booking_month(period))
        first_month = len(items)
        for month in months:
            items.append(
                {
                    "ConditionCheck": {
                        "TableName": self.tables.months_table,
                        "Key": to_item({"month": month}),
                        "ConditionExpression": "attribute_not_exists(frozen_at)",
                    }
                }
            )
        check = booking.verify_activation
        if check is not None:
            items.append({"ConditionCheck": self._attribute_check(check)})
            if check.origin is not None:
                items.append(
                    {
                        "ConditionCheck": {
                            "TableName": self.tables.contacts_table,
                            "Key": to_item({"contact_id": check.origin}),
                            "ConditionExpression": "activation_id = :a",
                            "ExpressionAttributeValues": {":a": to_value(check.activation_id)},
                        }
                    }
                )
        with translated_errors():
            try:
                self.ddb.transact_write_items(TransactItems=items)
            except ClientError as error:
                if error_code(error) != "TransactionCanceledException":
                    raise
                raise self._refusal(error, months, first_month, check) from None

    def _attribute_check(self, check: AttributeCheck) -> dict[str, Any]:
        condition = (
            "attribute_exists(id) AND opened_at <= :opened_by"
            " AND (attribute_not_exists(closed_at) OR closed_at > :closed_after)"
        )
        values = {":opened_by": to_value(check.opened_by), ":closed_after": to_value(check.closed_after)}
        names = {}
        if check.number is not None:
            condition += " AND #number = :number"
            values[":number"] = to_value(check.number)
            names["#number"] = "number"
        return {
            "TableName": self.tables.activations_table,
            "Key": to_item({"id": check.activation_id}),
            "ConditionExpression": condition,
            "ExpressionAttributeValues": values,
            **({"ExpressionAttributeNames": names} if names else {}),
            # What the activation holds comes back only when the record disagrees with it: no extra read.
            "ReturnValuesOnConditionCheckFailure": "ALL_OLD",
        }

    def set_aside(self, item: dict[str, Any]) -> None:
        """Keep a record that is not billed for review (GET /unattributed): `item` carries its own key,
        `unattributed_month` and `reason`, and never a counted contact's key."""
        with translated_errors():
            self.ddb.put_item(TableName=self.tables.contacts_table, Item=to_item(item))

    def _usage_update(
        self, activation_id: str, period: str, delta: UsageCounters, days: dict[str, int] | None = None
    ) -> dict[str, Any]:
        names = {"#month": "month", **{f"#{name}": name for name in COUNTERS}}
        values = {
            ":month": to_value(booking_month(period)),
            **{f":{name}": to_value(value) for name, value in zip(COUNTERS, delta.values(), strict=True)},
        }
        day_adds = []
        for index, (day, seconds) in enumerate(sorted((days or {}).items())):
            names[f"#day{index}"] = f"{DAY_SECONDS}{day}"
            values[f":day{index}"] = to_value(seconds)
            day_adds.append(f"#day{index} :day{index}")
        expression = "SET #month = :month"
        if is_adjustment(period):
            expression += ", #adjusts = :adjusts"
            names["#adjusts"] = "adjusts"
            values[":adjusts"] = to_value(usage_month(period))
        expression += " ADD " + ", ".join([f"#{name} :{name}" for name in COUNTERS] + day_adds)
        return {
            "TableName": self.tables.usage_table,
            "Key": to_item({"activation_id": activation_id, "period": period}),
            "UpdateExpression": expression,
            "ExpressionAttributeNames": names,
            "ExpressionAttributeValues": values,
        }

    @staticmethod
    def _refusal(error: ClientError, months: list[str], first_month: int, check: AttributeCheck | None) -> Refused:
        reasons = error.response.get("CancellationReasons", [])
        codes = cancellation_codes(error)

        def failed(index: int) -> bool:
            return index < len(codes) and codes[index] == "ConditionalCheckFailed"

        def old_item(index: int) -> dict[str, Any] | None:
            item = reasons[index].get("Item") if index < len(reasons) else None
            return from_item(item) if item else None

        refused = Refused(conflict="TransactionConflict" in codes)
        if failed(0):
            refused.contact_changed = True
            refused.counted = old_item(0)
        for offset, month in enumerate(months):
            if failed(first_month + offset):
                refused.frozen.append(month)
        activation_index = first_month + len(months)
        if check is not None and failed(activation_index):
            refused.disagreeing = old_item(activation_index)
            refused.unknown_activation = refused.disagreeing is None
        if check is not None and check.origin is not None and failed(activation_index + 1):
            refused.origin_unknown = True
        if not (
            refused.conflict
            or refused.contact_changed
            or refused.frozen
            or refused.unknown_activation
            or refused.disagreeing is not None
            or refused.origin_unknown
        ):
            # Validation or throughput reasons: not a race that another attempt would settle.
            raise error
        return refused

    def counted_contact(self, contact_id: str) -> dict[str, Any] | None:
        """The stored (newest counted) version of a contact, strongly consistent."""
        with translated_errors():
            answer = self.ddb.get_item(
                TableName=self.tables.contacts_table, Key=to_item({"contact_id": contact_id}), ConsistentRead=True
            )
        item = answer.get("Item")
        return from_item(item) if item else None

    def is_frozen(self, month: str) -> bool:
        with translated_errors():
            answer = self.ddb.get_item(
                TableName=self.tables.months_table,
                Key=to_item({"month": month}),
                ConsistentRead=True,
                ProjectionExpression="frozen_at",
            )
        return "frozen_at" in answer.get("Item", {})

    def first_open_month_after(self, month: str) -> str:
        """The first month after `month` that month close has not frozen (usually the next one)."""
        candidate = next_month(month)
        for _ in range(_MONTHS_AHEAD):
            if not self.is_frozen(candidate):
                return candidate
            candidate = next_month(candidate)
        raise RuntimeError(f"no open month within {_MONTHS_AHEAD} months after {month}")

    def activation_on_number(self, number: str, at: datetime, grace: timedelta = timedelta(0)) -> str | None:
        """The activation whose live window [opened_at, closed_at + grace) on `number` holds the instant `at`."""
        with translated_errors():
            answer = self.ddb.query(
                TableName=self.tables.activations_table,
                IndexName="by-number",
                Limit=1,
                ScanIndexForward=False,
                KeyConditionExpression="#n = :n AND opened_at <= :at",
                ProjectionExpression="id, opened_at, closed_at",
                ExpressionAttributeNames={"#n": "number"},
                ExpressionAttributeValues={":n": to_value(number), ":at": to_value(iso(at))},
            )
        for item in (from_item(raw) for raw in answer.get("Items", [])):
            closed_at = item.get("closed_at")
            if closed_at is None or at < parse_iso(closed_at) + grace:
                return str(item["id"])
        return None

    # ------------------------------------------------------------------ reads for the export and admin
    def usage_for_month(self, month: str) -> list[dict[str, Any]]:
        """Every usage item booked in `month` (its own usage and adjustments for frozen months): dicts with
        activation_id, period, month, [adjusts,] calls, d2_calls, answered_calls, abandoned_calls,
        call_seconds, queue_seconds (ints). Ordered by activation id."""
        return list(
            self._pages(
                "query",
                TableName=self.tables.usage_table,
                IndexName="by-month",
                KeyConditionExpression="#m = :m",
                ExpressionAttributeNames={"#m": "month"},
                ExpressionAttributeValues={":m": to_value(month)},
            )
        )

    def unattributed(self, month: str | None = None) -> list[dict[str, Any]]:
        """Contacts that matched no activation or were set aside for review (all months when `month` is None):
        dicts with contact_id, unattributed_month, `reason` (see ingest.metering), last_update, system_number,
        initiated_at, the counters when plausible, `record` (the contact record as JSON, without the caller's
        number) and, for a version kept beside its counted contact, `version_of`. Ordered by month, then key."""
        if month is None:
            items = self._pages("scan", TableName=self.tables.contacts_table, IndexName="unattributed")
        else:
            items = self._pages(
                "query",
                TableName=self.tables.contacts_table,
                IndexName="unattributed",
                KeyConditionExpression="unattributed_month = :m",
                ExpressionAttributeValues={":m": to_value(month)},
            )
        listed = ({"reason": NO_ACTIVATION, **item} for item in items)  # kept before reasons were recorded
        return sorted(listed, key=lambda item: (item["unattributed_month"], item["contact_id"]))

    def _pages(self, operation: str, **request: Any) -> Iterator[dict[str, Any]]:
        return dynamo.pages(self.ddb, operation, **request)
