"""What a line's figures are computed from, read only: routing's call counter of each UTC hour since the line
opened (`CallCountersTable`) and the contacts metering counted to it (`ContactsTable`, index `by-activation`,
which holds only what the figures read: never a contact record or a caller's number); and, for the
after-action report's cost, the usage metering aggregates per period (`UsageTable`), as the export prices it."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from crisisline import dynamo
from crisisline.facts import counter_hour
from crisisline.figures import ContactFacts, contact_facts


class FiguresStore:
    """The call counters and the contacts tables (see template.yaml)."""

    def __init__(self, dynamodb: Any, *, contacts_table: str, call_counters_table: str, usage_table: str = "") -> None:
        self.ddb = dynamodb
        self.contacts_table = contacts_table
        self.call_counters_table = call_counters_table
        self.usage_table = usage_table

    def usage(self, activation_id: str) -> list[dict[str, Any]]:
        """Every usage aggregate of the activation: each month's own and each adjustment for a frozen month."""
        return list(
            dynamo.pages(
                self.ddb,
                "query",
                TableName=self.usage_table,
                ConsistentRead=True,
                KeyConditionExpression="activation_id = :a",
                ExpressionAttributeValues={":a": dynamo.to_value(activation_id)},
            )
        )

    def contacts(self, activation_id: str) -> list[ContactFacts]:
        """Every contact counted to the activation, in the order of their InitiationTimestamp."""
        return [
            contact_facts(item)
            for item in dynamo.pages(
                self.ddb,
                "query",
                TableName=self.contacts_table,
                IndexName="by-activation",
                KeyConditionExpression="activation_id = :a",
                ExpressionAttributeValues={":a": dynamo.to_value(activation_id)},
            )
        ]

    def routed_per_hour(self, activation_id: str, since: datetime) -> dict[str, int]:
        """Routing's count of each UTC hour from `since`'s (keys as `crisisline.facts.counter_hour`); hours
        nobody called, and those whose counter has expired (a week after), are absent."""
        return {
            str(item["hour"]): int(item.get("calls") or 0)
            for item in dynamo.pages(
                self.ddb,
                "query",
                TableName=self.call_counters_table,
                KeyConditionExpression="activation_id = :a AND #h >= :h",
                ExpressionAttributeNames={"#h": "hour"},
                ExpressionAttributeValues={
                    ":a": dynamo.to_value(activation_id),
                    ":h": dynamo.to_value(counter_hour(since)),
                },
            )
        }
