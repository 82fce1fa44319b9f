"""The pool of pre-provisioned numbers in DynamoDB. A number is free, held by a live activation (it carries the
activation's routing copy, which the routing function reads on every call), or cooling down after a release."""

from __future__ import annotations

from typing import Any

from crisisline import dynamo
from crisisline.dynamo import from_item, to_item, to_value
from crisisline.facts import ROUTING_FIELDS
from crisisline.stores.activations import WriteItem, audit_write

FREE = "free"
# A released number waits until its free_from before another authority gets it, so that late callers of the
# old crisis never hear the new one's message. It is claimable again once that instant has passed.
COOLING = "cooling"
CANDIDATES_PER_ROUND = 25


class NumberStore:
    """The numbers table and its sparse `free-numbers` index (see template.yaml)."""

    def __init__(self, dynamodb: Any, *, numbers_table: str, audit_table: str) -> None:
        self.ddb = dynamodb
        self.numbers_table = numbers_table
        self.audit_table = audit_table

    def add(self, number: str, kind: str, audit: dict[str, Any]) -> bool:
        """Add a free number to the pool. False when it is in the pool already."""
        item = {"number": number, "kind": kind, "pool_state": FREE}
        return dynamo.transact(
            self.ddb,
            [
                {
                    "Put": {
                        "TableName": self.numbers_table,
                        "Item": to_item(item),
                        "ConditionExpression": "attribute_not_exists(#n)",
                        "ExpressionAttributeNames": {"#n": "number"},
                    }
                },
                audit_write(self.audit_table, audit),
            ],
        )

    def list_numbers(self) -> list[dict[str, Any]]:
        return sorted(dynamo.pages(self.ddb, "scan", TableName=self.numbers_table), key=lambda n: n["number"])

    def get(self, number: str) -> dict[str, Any] | None:
        return dynamo.get(self.ddb, self.numbers_table, {"number": number}, consistent=True)

    def remove(self, number: str, audit: dict[str, Any]) -> bool:
        """Take a number out of the pool. False when it is not in the pool or a live activation holds it."""
        return dynamo.transact(
            self.ddb,
            [
                {
                    "Delete": {
                        "TableName": self.numbers_table,
                        "Key": to_item({"number": number}),
                        "ConditionExpression": "attribute_exists(#n) AND attribute_not_exists(activation_id)",
                        "ExpressionAttributeNames": {"#n": "number"},
                    }
                },
                audit_write(self.audit_table, audit),
            ],
        )

    def change_kind(self, number: str, kind: str, new_kind: str, audit: dict[str, Any]) -> bool:
        """Correct the kind of a number nobody holds. False when it is not in the pool, is held, or is no
        longer `kind`."""
        return dynamo.transact(
            self.ddb,
            [
                {
                    "Update": {
                        "TableName": self.numbers_table,
                        "Key": to_item({"number": number}),
                        "UpdateExpression": "SET kind = :new",
                        "ConditionExpression": "attribute_exists(#n) AND attribute_not_exists(activation_id)"
                        " AND kind = :old",
                        "ExpressionAttributeNames": {"#n": "number"},
                        "ExpressionAttributeValues": {":new": to_value(new_kind), ":old": to_value(kind)},
                    }
                },
                audit_write(self.audit_table, audit),
            ],
        )

    def claimable(self, kind: str, now: str, limit: int = CANDIDATES_PER_ROUND) -> list[dict[str, Any]]:
        """Pool numbers of `kind` that may be claimed at `now`: free ones from the sparse free-numbers index;
        only when there are none, released ones whose cool-down has passed."""
        free = self._pool_partition(FREE, kind, limit)
        if free:
            return free
        return [item for item in self._cooling(kind) if item.get("free_from", "") <= now][:limit]

    def pool_by_kind(self) -> dict[str, dict[str, Any]]:
        """Per kind, numbers free and cooling down, and the first instant a cooling one becomes free."""
        summary: dict[str, dict[str, Any]] = {}
        for item in [*self._pool_partition(FREE), *self._cooling()]:
            entry = summary.setdefault(item["kind"], {"free": 0, "cooling": []})
            if item["pool_state"] == FREE:
                entry["free"] += 1
            else:
                entry["cooling"].append(item.get("free_from", ""))
        return summary

    # ------------------------------------------------------------------ write items of an activation's transaction
    def claim(self, activation: dict[str, Any]) -> WriteItem:
        """The write item that gives `activation` its number (`number`) with the routing copy, provided the
        number is of the kind asked for (`number_kind`) and free at `opened_at`: never while its cool-down
        lasts (see ActivationStore.claim)."""
        routing = {field: activation[field if field != "activation_id" else "id"] for field in ROUTING_FIELDS}
        names = {f"#r{i}": field for i, field in enumerate(ROUTING_FIELDS)}
        values = {f":r{i}": to_value(routing[field]) for i, field in enumerate(ROUTING_FIELDS)}
        return {
            "Update": {
                "TableName": self.numbers_table,
                "Key": to_item({"number": activation["number"]}),
                "UpdateExpression": "SET "
                + ", ".join(f"#r{i} = :r{i}" for i in range(len(names)))
                + " REMOVE pool_state, free_from",
                "ConditionExpression": "kind = :kind AND (pool_state = :free OR "
                "(pool_state = :cooling AND free_from <= :now))",
                "ExpressionAttributeNames": names,
                "ExpressionAttributeValues": {
                    **values,
                    ":free": to_value(FREE),
                    ":cooling": to_value(COOLING),
                    ":kind": to_value(activation["number_kind"]),
                    ":now": to_value(activation["opened_at"]),
                },
            }
        }

    def routing_change(self, number: str, activation_id: str, changes: dict[str, Any]) -> WriteItem:
        """The write item that sets `changes` on the routing copy of `number`, provided `activation_id` holds it."""
        return {
            "Update": {
                "TableName": self.numbers_table,
                "Key": to_item({"number": number}),
                "UpdateExpression": "SET " + ", ".join(f"#f{i} = :v{i}" for i in range(len(changes))),
                "ConditionExpression": "activation_id = :a",
                "ExpressionAttributeNames": {f"#f{i}": key for i, key in enumerate(changes)},
                "ExpressionAttributeValues": {
                    **{f":v{i}": to_value(value) for i, value in enumerate(changes.values())},
                    ":a": to_value(activation_id),
                },
            }
        }

    def release(self, number: str, activation_id: str, released_at: str, free_from: str) -> WriteItem:
        """The write item that returns `number` to the pool without its routing copy, provided `activation_id`
        holds it: cooling down until `free_from` when that is later than `released_at`, else free at once."""
        return {
            "Update": {
                "TableName": self.numbers_table,
                "Key": to_item({"number": number}),
                "UpdateExpression": "SET pool_state = :free, free_from = :from REMOVE "
                + ", ".join(f"#r{i}" for i, _ in enumerate(ROUTING_FIELDS)),
                "ConditionExpression": "activation_id = :a",
                "ExpressionAttributeNames": {f"#r{i}": f for i, f in enumerate(ROUTING_FIELDS)},
                "ExpressionAttributeValues": {
                    ":free": to_value(COOLING if free_from > released_at else FREE),
                    ":from": to_value(free_from),
                    ":a": to_value(activation_id),
                },
            }
        }

    # ------------------------------------------------------------------ the free-numbers index
    def _pool_partition(self, state: str, kind: str | None = None, limit: int | None = None) -> list[dict[str, Any]]:
        request: dict[str, Any] = {
            "TableName": self.numbers_table,
            "IndexName": "free-numbers",
            "KeyConditionExpression": "pool_state = :state",
            "ExpressionAttributeValues": {":state": to_value(state)},
        }
        if kind is not None:
            request["FilterExpression"] = "kind = :kind"
            request["ExpressionAttributeValues"][":kind"] = to_value(kind)
        found = []
        for item in dynamo.pages(self.ddb, "query", **request):
            found.append(item)
            if limit is not None and len(found) >= limit:
                break
        return found

    def _cooling(self, kind: str | None = None) -> list[dict[str, Any]]:
        """Released numbers (of `kind`) with their free_from, read consistently from the table itself."""
        keys = [{"number": item["number"]} for item in self._pool_partition(COOLING, kind)]
        found: list[dict[str, Any]] = []
        for start in range(0, len(keys), 100):
            pending: dict[str, Any] = {
                self.numbers_table: {
                    "Keys": [to_item(key) for key in keys[start : start + 100]],
                    "ConsistentRead": True,
                }
            }
            while pending:
                with dynamo.translated_errors():
                    answer = self.ddb.batch_get_item(RequestItems=pending)
                found.extend(from_item(item) for item in answer.get("Responses", {}).get(self.numbers_table, []))
                pending = answer.get("UnprocessedKeys") or {}
        return sorted(
            (item for item in found if item.get("pool_state") == COOLING), key=lambda item: item.get("free_from", "")
        )
