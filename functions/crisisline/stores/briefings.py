"""The one place that speaks DynamoDB for the operators' briefings: one item per activation in BriefingsTable
(key `activation_id`), written together with its audit entry and only while the activation is live."""

from __future__ import annotations

from typing import Any

from botocore.exceptions import ClientError

from crisisline import dynamo, errors
from crisisline.dynamo import cancellation_codes, to_item, to_value, translated_errors


class BriefingStore:
    """Reads and replaces an activation's briefing (see template.yaml, BriefingsTable)."""

    def __init__(self, dynamodb: Any, *, briefings_table: str, activations_table: str, audit_table: str) -> None:
        self.ddb = dynamodb
        self.briefings_table = briefings_table
        self.activations_table = activations_table
        self.audit_table = audit_table

    def get(self, activation_id: str) -> dict[str, Any] | None:
        """The activation's briefing, or None when nobody has written one yet (revision 0, no items)."""
        return dynamo.get(self.ddb, self.briefings_table, {"activation_id": activation_id}, consistent=True)

    def replace(self, briefing: dict[str, Any], seen_revision: int, audit: dict[str, Any]) -> bool:
        """Write `briefing` (its revision one more than `seen_revision`) with its audit entry, provided the
        activation is still live and nobody changed the briefing since it was read at `seen_revision`. False when
        someone did (read again); ActivationClosed when the activation has closed meanwhile."""
        activation_id = briefing["activation_id"]
        if seen_revision == 0:
            unchanged = "attribute_not_exists(activation_id)"
            values: dict[str, Any] = {}
        else:
            unchanged = "revision = :seen"
            values = {":seen": to_value(seen_revision)}
        try:
            with translated_errors():
                self.ddb.transact_write_items(
                    TransactItems=[
                        {
                            "ConditionCheck": {
                                "TableName": self.activations_table,
                                "Key": to_item({"id": activation_id}),
                                "ConditionExpression": "#status = :live",
                                "ExpressionAttributeNames": {"#status": "status"},
                                "ExpressionAttributeValues": {":live": to_value("live")},
                            }
                        },
                        {
                            "Put": {
                                "TableName": self.briefings_table,
                                "Item": to_item(briefing),
                                "ConditionExpression": unchanged,
                                **({"ExpressionAttributeValues": values} if values else {}),
                            }
                        },
                        {
                            "Put": {
                                "TableName": self.audit_table,
                                "Item": to_item(audit),
                                "ConditionExpression": "attribute_not_exists(entry)",
                            }
                        },
                    ]
                )
        except ClientError as error:
            codes = cancellation_codes(error)
            if codes[:1] == ["ConditionalCheckFailed"]:
                raise errors.ActivationClosed(
                    "This activation is closed; its briefing can no longer change.", activation_id=activation_id
                ) from error
            if codes[1:2] == ["ConditionalCheckFailed"]:
                return False
            raise
        return True
