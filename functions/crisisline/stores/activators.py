"""The people an authority's agreement names as allowed to activate its line, in DynamoDB (ActivatorsTable: one
partition per authority). Each change is written with its audit entry in one transaction; an activator's token
is a credential like any other (CredentialsTable), issued and revoked with the activator's item. The PIN's
wrong tries are counted with conditional writes, so that parallel tries never count past the limit."""

from __future__ import annotations

from typing import Any

from botocore.exceptions import ClientError

from crisisline import dynamo
from crisisline.dynamo import error_code, from_item, to_item, to_value
from crisisline.stores.activations import WriteItem, audit_write


class ActivatorStore:
    """ActivatorsTable, and the credentials and audit items written with its changes (see template.yaml)."""

    def __init__(
        self, dynamodb: Any, *, activators_table: str, credentials_table: str = "", audit_table: str = ""
    ) -> None:
        self.ddb = dynamodb
        self.activators_table = activators_table
        self.credentials_table = credentials_table
        self.audit_table = audit_table

    def get(self, authority_id: str, activator_id: str) -> dict[str, Any] | None:
        return dynamo.get(
            self.ddb,
            self.activators_table,
            {"authority_id": authority_id, "activator_id": activator_id},
            consistent=True,
        )

    def list_activators(self, authority_id: str) -> list[dict[str, Any]]:
        """An authority's activators, in the order they were added."""
        items = dynamo.pages(
            self.ddb,
            "query",
            TableName=self.activators_table,
            KeyConditionExpression="authority_id = :a",
            ExpressionAttributeValues={":a": to_value(authority_id)},
            ConsistentRead=True,
        )
        return sorted(
            items, key=lambda item: (item.get("created_at", ""), item.get("position", 0), item["activator_id"])
        )

    def by_phone(self, phone: str) -> list[dict[str, Any]]:
        """The activators with this phone number (E.164), of every authority: the index by-phone holds only their
        keys (no PIN hash in a second copy), each then read."""
        keys = dynamo.pages(
            self.ddb,
            "query",
            TableName=self.activators_table,
            IndexName="by-phone",
            KeyConditionExpression="phone = :p",
            ExpressionAttributeValues={":p": to_value(phone)},
        )
        found = (self.get(key["authority_id"], key["activator_id"]) for key in keys)
        return [item for item in found if item is not None]

    def new_activator(self, activator: dict[str, Any]) -> WriteItem:
        """The write item that adds an activator (with an authority's enrolment, or alone)."""
        return {
            "Put": {
                "TableName": self.activators_table,
                "Item": to_item(activator),
                "ConditionExpression": "attribute_not_exists(activator_id)",
            }
        }

    def add(self, activator: dict[str, Any], audit: dict[str, Any]) -> bool:
        return dynamo.transact(self.ddb, [self.new_activator(activator), audit_write(self.audit_table, audit)])

    def change(
        self,
        activator: dict[str, Any],
        changes: dict[str, Any],
        audit: dict[str, Any],
        extra: list[WriteItem] | None = None,
    ) -> bool:
        """Set `changes` on the activator as it was read (its revision unchanged since). False when it was changed
        or removed meanwhile: read it again. `extra` adds write items to the same transaction (a token issued or
        revoked with it)."""
        names = {f"#f{i}": key for i, key in enumerate(changes)}
        values = {f":v{i}": to_value(value) for i, value in enumerate(changes.values())}
        seen = int(activator["revision"])
        values.update({":seen": to_value(seen), ":next": to_value(seen + 1)})
        sets = [*(f"#f{i} = :v{i}" for i in range(len(changes))), "revision = :next"]
        return dynamo.transact(
            self.ddb,
            [
                {
                    "Update": {
                        "TableName": self.activators_table,
                        "Key": to_item(_key(activator)),
                        "UpdateExpression": "SET " + ", ".join(sets),
                        "ConditionExpression": "revision = :seen",
                        "ExpressionAttributeNames": names,
                        "ExpressionAttributeValues": values,
                    }
                },
                audit_write(self.audit_table, audit),
                *(extra or []),
            ],
        )

    def remove(self, activator: dict[str, Any], audit: dict[str, Any], extra: list[WriteItem]) -> bool:
        """Delete the activator, with `extra` (its token's revocation), provided it is as it was read."""
        seen = int(activator["revision"])
        return dynamo.transact(
            self.ddb,
            [
                {
                    "Delete": {
                        "TableName": self.activators_table,
                        "Key": to_item(_key(activator)),
                        "ConditionExpression": "revision = :seen",
                        "ExpressionAttributeValues": {":seen": to_value(seen)},
                    }
                },
                audit_write(self.audit_table, audit),
                *extra,
            ],
        )

    # ------------------------------------------------------------------ the activator's token
    def credential_put(self, credential: dict[str, Any]) -> WriteItem:
        return {
            "Put": {
                "TableName": self.credentials_table,
                "Item": to_item(credential),
                "ConditionExpression": "attribute_not_exists(token_hash)",
            }
        }

    def credential_retired(self, token_hash: str, retired: dict[str, Any]) -> list[WriteItem]:
        """The write items that end a token: its item leaves the hash's key (it stops resolving at once) and is
        kept under the revoked key for the credential list."""
        return [
            {"Delete": {"TableName": self.credentials_table, "Key": to_item({"token_hash": token_hash})}},
            {"Put": {"TableName": self.credentials_table, "Item": to_item(retired)}},
        ]

    def credential(self, token_hash: str) -> dict[str, Any] | None:
        return dynamo.get(self.ddb, self.credentials_table, {"token_hash": token_hash})

    # ------------------------------------------------------------------ PIN tries
    def claim_pin_try(self, authority_id: str, activator_id: str, now: str, limit: int) -> dict[str, Any] | None:
        """Count one more PIN try before the PIN is compared, provided the activator is not locked and has had
        fewer than `limit` wrong tries: the activator's item after the count, or None when refused (locked, no
        PIN, no such activator). Tries sent at the same moment each claim one count, so at most `limit` are ever
        compared before the lock."""
        try:
            with dynamo.translated_errors():
                answer = self.ddb.update_item(
                    TableName=self.activators_table,
                    Key=to_item({"authority_id": authority_id, "activator_id": activator_id}),
                    UpdateExpression="SET pin_failures = if_not_exists(pin_failures, :zero) + :one",
                    ConditionExpression="attribute_exists(pin_hash)"
                    " AND (attribute_not_exists(locked_until) OR locked_until <= :now)"
                    " AND (attribute_not_exists(pin_failures) OR pin_failures < :limit)",
                    ExpressionAttributeValues={
                        ":zero": to_value(0),
                        ":one": to_value(1),
                        ":now": to_value(now),
                        ":limit": to_value(limit),
                    },
                    ReturnValues="ALL_NEW",
                )
        except ClientError as error:
            if error_code(error) == "ConditionalCheckFailedException":
                return None
            raise
        return from_item(answer["Attributes"])

    def pin_accepted(self, authority_id: str, activator_id: str) -> None:
        """The right PIN: its wrong tries start again from none."""
        with dynamo.translated_errors():
            self.ddb.update_item(
                TableName=self.activators_table,
                Key=to_item({"authority_id": authority_id, "activator_id": activator_id}),
                UpdateExpression="SET pin_failures = :zero",
                ConditionExpression="attribute_exists(activator_id)",
                ExpressionAttributeValues={":zero": to_value(0)},
            )

    def lock(self, authority_id: str, activator_id: str, until: str) -> None:
        """The last allowed try was wrong: locked until `until`, then tries start again from none."""
        with dynamo.translated_errors():
            self.ddb.update_item(
                TableName=self.activators_table,
                Key=to_item({"authority_id": authority_id, "activator_id": activator_id}),
                UpdateExpression="SET locked_until = :until, pin_failures = :zero",
                ConditionExpression="attribute_exists(activator_id)",
                ExpressionAttributeValues={":until": to_value(until), ":zero": to_value(0)},
            )


def _key(activator: dict[str, Any]) -> dict[str, Any]:
    return {"authority_id": activator["authority_id"], "activator_id": activator["activator_id"]}
