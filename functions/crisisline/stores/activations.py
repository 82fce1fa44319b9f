"""Activations, their operator timeline and the audit trail, in DynamoDB. Opening, changing and closing a line
each write the activation together with items of other aggregates (its number, its authority's live marker) in
one transaction: this store builds it from the write items the number and authority stores provide."""

from __future__ import annotations

from typing import Any

from botocore.exceptions import ClientError

from crisisline import dynamo
from crisisline.dynamo import cancellation_codes, error_code, throttled_cancellation, to_item, to_value

WriteItem = dict[str, Any]  # one item of a TransactWriteItems request, as a store builds it


def audit_write(audit_table: str, entry: dict[str, Any]) -> WriteItem:
    """The write item that adds `entry` to the audit trail; every audited change carries one."""
    return {
        "Put": {
            "TableName": audit_table,
            "Item": to_item(entry),
            "ConditionExpression": "attribute_not_exists(entry)",
        }
    }


class ActivationStore:
    """The activations table and the audit trail (see template.yaml)."""

    def __init__(self, dynamodb: Any, *, activations_table: str, audit_table: str) -> None:
        self.ddb = dynamodb
        self.activations_table = activations_table
        self.audit_table = audit_table

    def claim(
        self, activation: dict[str, Any], audit: dict[str, Any], number: WriteItem, authority: WriteItem
    ) -> set[str] | None:
        """Store `activation` live in one transaction with the claim of its number (`number`) and its
        authority's live marker (`authority`). None when it was written; otherwise the parts whose condition
        failed, of `activation`, `number` and `authority`: none when the transaction collided with another on
        the same number. Throttling and service faults are raised (StoreUnavailable), never reported as a
        number taken: moving on to the next number would hammer a throttled table."""
        items = [
            {
                "Put": {
                    "TableName": self.activations_table,
                    "Item": to_item(activation),
                    "ConditionExpression": "attribute_not_exists(id)",
                }
            },
            number,
            authority,
            audit_write(self.audit_table, audit),
        ]
        # Cancellations are read before translated_errors sees them: a TransactionConflict here means another
        # claim touched the same number at the same moment, and the caller moves on to another free number.
        with dynamo.translated_errors():
            try:
                self.ddb.transact_write_items(TransactItems=items)
            except ClientError as error:
                codes = cancellation_codes(error)
                if (
                    error_code(error) == "TransactionCanceledException"
                    and len(codes) >= 3
                    and not throttled_cancellation(error)
                ):
                    parts = zip(_CLAIM_PARTS, codes[:3], strict=True)
                    return {part for part, code in parts if code == "ConditionalCheckFailed"}
                raise
        return None

    def get(self, activation_id: str) -> dict[str, Any] | None:
        return dynamo.get(self.ddb, self.activations_table, {"id": activation_id}, consistent=True)

    def list_activations(self, authority_id: str | None) -> list[dict[str, Any]]:
        """Every activation, or one authority's, the latest requested first."""
        if authority_id is None:
            items = list(dynamo.pages(self.ddb, "scan", TableName=self.activations_table))
        else:
            items = list(
                dynamo.pages(
                    self.ddb,
                    "query",
                    TableName=self.activations_table,
                    IndexName="by-authority",
                    KeyConditionExpression="authority_id = :a",
                    ExpressionAttributeValues={":a": to_value(authority_id)},
                )
            )
        return sorted(items, key=lambda a: a["requested_at"], reverse=True)

    def update(
        self,
        activation: dict[str, Any],
        changes: dict[str, Any],
        timeline_entry: dict[str, Any] | None,
        audit: dict[str, Any],
        number: WriteItem,
    ) -> bool:
        """Change a live activation together with its number's routing copy (`number`), provided it is still
        live and nobody changed it since `activation` was read (its revision). False when either condition
        failed: read it again.

        Without that condition two changes read at the same moment could each pass their checks and together
        leave languages without their messages, or an operator timeline out of time order."""
        names = {f"#f{i}": key for i, key in enumerate(changes)}
        values = {f":v{i}": to_value(value) for i, value in enumerate(changes.values())}
        sets = [*(f"#f{i} = :v{i}" for i in range(len(changes))), "revision = :next"]
        seen = int(activation.get("revision") or 0)
        values.update(
            {
                ":next": to_value(seen + 1),
                ":seen": to_value(seen),
                ":live": to_value("live"),
            }
        )
        if timeline_entry is not None:
            sets.append("operator_timeline = list_append(operator_timeline, :entry)")
            values[":entry"] = to_value([timeline_entry])
        return dynamo.transact(
            self.ddb,
            [
                {
                    "Update": {
                        "TableName": self.activations_table,
                        "Key": to_item({"id": activation["id"]}),
                        "UpdateExpression": "SET " + ", ".join(sets),
                        "ConditionExpression": "#status = :live AND revision = :seen",
                        "ExpressionAttributeNames": {**names, "#status": "status"},
                        "ExpressionAttributeValues": values,
                    }
                },
                number,
                audit_write(self.audit_table, audit),
            ],
            any_item=True,
        )

    def close(
        self,
        activation: dict[str, Any],
        closed_at: str,
        audit: dict[str, Any],
        number: WriteItem,
        authority: WriteItem,
    ) -> bool:
        """Close a live activation and bump its revision, with the release of its number (`number`) and of its
        authority's live marker (`authority`), provided nobody changed it since `activation` was read. False
        when it was closed or changed meanwhile (nothing changes): read it again."""
        revision = activation.get("revision")
        values = {
            ":closed": to_value("closed"),
            ":live": to_value("live"),
            ":at": to_value(closed_at),
            ":next": to_value((revision or 0) + 1),
        }
        if revision is None:  # opened before activations carried a revision
            condition = "#status = :live AND attribute_not_exists(revision)"
        else:
            condition = "#status = :live AND revision = :seen"
            values[":seen"] = to_value(revision)
        return dynamo.transact(
            self.ddb,
            [
                {
                    "Update": {
                        "TableName": self.activations_table,
                        "Key": to_item({"id": activation["id"]}),
                        "UpdateExpression": "SET #status = :closed, closed_at = :at, revision = :next",
                        "ConditionExpression": condition,
                        "ExpressionAttributeNames": {"#status": "status"},
                        "ExpressionAttributeValues": values,
                    }
                },
                number,
                authority,
                audit_write(self.audit_table, audit),
            ],
        )

    def audit_entries(self, subject: str) -> list[dict[str, Any]]:
        """The audit trail of one subject (`activation#…`, `authority#…`, `credential#…`, `number#…`)."""
        return list(
            dynamo.pages(
                self.ddb,
                "query",
                TableName=self.audit_table,
                KeyConditionExpression="subject = :s",
                ExpressionAttributeValues={":s": to_value(subject)},
            )
        )


_CLAIM_PARTS = ("activation", "number", "authority")
