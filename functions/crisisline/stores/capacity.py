"""What a live line's load is measured against, as the routing function counts and decides it: the calls counted
this UTC hour per activation (`CallCountersTable`, which only routing writes) and the calls one operator answers
per hour by the tariff version in force (`TariffsTable`). Read only: the crisis center watches its lines here."""

from __future__ import annotations

import time
from collections.abc import Collection
from datetime import datetime
from typing import Any

from crisisline import dynamo
from crisisline.clock import iso
from crisisline.errors import StoreUnavailable
from crisisline.facts import calls_per_operator_hour_at, counter_hour, default_calls_per_operator_hour
from crisisline.tariffs import Tariff, TariffSchedule

BATCH_KEYS = 100  # the most keys one BatchGetItem takes
_UNPROCESSED_ATTEMPTS = 4  # DynamoDB may leave keys unread under load; they are asked again after a short wait


class CapacityStore:
    """The call counters and the tariffs tables (see template.yaml)."""

    def __init__(self, dynamodb: Any, *, call_counters_table: str, tariffs_table: str) -> None:
        self.ddb = dynamodb
        self.call_counters_table = call_counters_table
        self.tariffs_table = tariffs_table

    def calls_this_hour(self, activation_ids: Collection[str], now: datetime) -> dict[str, int]:
        """The calls counted so far in `now`'s UTC hour for each of `activation_ids` (0 for a line nobody has
        called this hour), in one BatchGetItem per hundred lines."""
        hour = counter_hour(now)
        wanted = sorted(set(activation_ids))
        counts = dict.fromkeys(wanted, 0)
        for start in range(0, len(wanted), BATCH_KEYS):
            keys = [
                dynamo.to_item({"activation_id": activation_id, "hour": hour})
                for activation_id in wanted[start : start + BATCH_KEYS]
            ]
            for item in self._batch_get(keys):
                counts[item["activation_id"]] = int(item.get("calls") or 0)
        return counts

    def _batch_get(self, keys: list[dict[str, Any]]) -> list[dict[str, Any]]:
        found: list[dict[str, Any]] = []
        request: dict[str, Any] = {
            self.call_counters_table: {
                "Keys": keys,
                "ProjectionExpression": "#id, #calls",  # `hour` is a reserved word, and not needed
                "ExpressionAttributeNames": {"#id": "activation_id", "#calls": "calls"},
            }
        }
        for attempt in range(_UNPROCESSED_ATTEMPTS):
            if attempt:
                time.sleep(0.05 * 2**attempt)
            with dynamo.translated_errors():
                answer = self.ddb.batch_get_item(RequestItems=request)
            read = answer.get("Responses", {}).get(self.call_counters_table, [])
            found.extend(dynamo.from_item(item) for item in read)
            request = answer.get("UnprocessedKeys") or {}
            if not request:
                return found
        raise StoreUnavailable("The call counters could not all be read; retry shortly.", retry_after=2)

    def calls_per_operator_hour(self, now: datetime) -> int:
        """The calls one operator answers per hour by the tariff version in force at `now` (the packaged
        defaults' before the first version), as routing reads it."""
        versions = sorted(
            (str(item["effective_from"]), int(item["calls_per_operator_hour"]))
            for item in dynamo.pages(
                self.ddb,
                "scan",
                TableName=self.tariffs_table,
                ProjectionExpression="effective_from, calls_per_operator_hour",
            )
            if int(item.get("calls_per_operator_hour") or 0) >= 1
        )
        return calls_per_operator_hour_at(versions, iso(now), default_calls_per_operator_hour())

    def tariff_schedule(self) -> TariffSchedule:
        """Every tariff version (the packaged defaults' before the first): the operator-hour and the calls per
        operator-hour in force at any instant of a line's life."""
        return TariffSchedule(
            [Tariff.from_document(item) for item in dynamo.pages(self.ddb, "scan", TableName=self.tariffs_table)]
        )
