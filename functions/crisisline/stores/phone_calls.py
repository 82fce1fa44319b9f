"""The phone activation's own table (PhoneActivationTable): each calling number's PIN tries this hour, counted
under the number's keyed hash (never the number), and each call whose caller gave the right PIN, by its Connect
contact id, so that the flow's later steps act only for a call that was recognised. Both items expire."""

from __future__ import annotations

from typing import Any

from botocore.exceptions import ClientError

from crisisline import dynamo
from crisisline.dynamo import error_code, to_item, to_value


class PhoneCallStore:
    """PhoneActivationTable (see template.yaml): key `key`, TTL `expires_at` (epoch seconds)."""

    def __init__(self, dynamodb: Any, *, table: str) -> None:
        self.ddb = dynamodb
        self.table = table

    def count_try(self, caller_hash: str, hour: str, limit: int, expires_at: int) -> bool:
        """Count one PIN try from a calling number in this UTC hour, unless it had `limit` already: False then."""
        try:
            with dynamo.translated_errors():
                self.ddb.update_item(
                    TableName=self.table,
                    Key=to_item({"key": f"tries#{caller_hash}#{hour}"}),
                    UpdateExpression="SET tries = if_not_exists(tries, :zero) + :one, expires_at = :expires",
                    ConditionExpression="attribute_not_exists(tries) OR tries < :limit",
                    ExpressionAttributeValues={
                        ":zero": to_value(0),
                        ":one": to_value(1),
                        ":limit": to_value(limit),
                        ":expires": to_value(expires_at),
                    },
                )
        except ClientError as error:
            if error_code(error) == "ConditionalCheckFailedException":
                return False
            raise
        return True

    def recognise(self, contact_id: str, activator: dict[str, Any], expires_at: int) -> None:
        """The call `contact_id` is the activator's (the right PIN was given)."""
        with dynamo.translated_errors():
            self.ddb.put_item(
                TableName=self.table,
                Item=to_item(
                    {
                        "key": f"contact#{contact_id}",
                        "authority_id": activator["authority_id"],
                        "activator_id": activator["activator_id"],
                        "expires_at": expires_at,
                    }
                ),
            )

    def recognised(self, contact_id: str) -> dict[str, Any] | None:
        """Whose call `contact_id` is, once the right PIN was given (None before, or once expired)."""
        return dynamo.get(self.ddb, self.table, {"key": f"contact#{contact_id}"}, consistent=True)
