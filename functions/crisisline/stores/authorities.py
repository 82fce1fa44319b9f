"""Authorities and their credentials in DynamoDB. A credential is stored under its token's keyed hash, so a
token resolves with one GetItem; a revoked one is kept under its id (REVOKED_PREFIX), where no token hashes."""

from __future__ import annotations

from typing import Any

from crisisline import dynamo
from crisisline.dynamo import to_item, to_value
from crisisline.stores.activations import WriteItem, audit_write

REVOKED_PREFIX = "revoked#"  # revoked credentials are kept under this key: no token hashes to it


class AuthorityStore:
    """The authorities and credentials tables (see template.yaml). The token authorizer has only the
    credentials table: it resolves tokens (`credential`) and nothing else."""

    def __init__(
        self, dynamodb: Any, *, credentials_table: str, authorities_table: str = "", audit_table: str = ""
    ) -> None:
        self.ddb = dynamodb
        self.credentials_table = credentials_table
        self.authorities_table = authorities_table
        self.audit_table = audit_table

    # ------------------------------------------------------------------ authorities
    def enrol(
        self,
        authority: dict[str, Any],
        credential: dict[str, Any],
        audit: dict[str, Any],
        activators: list[WriteItem] | None = None,
    ) -> bool:
        """Create an authority with its first credential (and its activators' write items, ActivatorStore's).
        False when an authority with its id exists."""
        return dynamo.transact(
            self.ddb,
            [
                {
                    "Put": {
                        "TableName": self.authorities_table,
                        "Item": to_item(authority),
                        "ConditionExpression": "attribute_not_exists(id)",
                    }
                },
                self._new_credential(credential),
                audit_write(self.audit_table, audit),
                *(activators or []),
            ],
        )

    def get(self, authority_id: str, consistent: bool = False) -> dict[str, Any] | None:
        return dynamo.get(self.ddb, self.authorities_table, {"id": authority_id}, consistent=consistent)

    def list_authorities(self) -> list[dict[str, Any]]:
        return sorted(dynamo.pages(self.ddb, "scan", TableName=self.authorities_table), key=lambda a: a["id"])

    def replace_credential(
        self,
        authority_id: str,
        old_hash: str,
        credential: dict[str, Any],
        changes: dict[str, Any],
        audit: dict[str, Any],
        retired: dict[str, Any] | None = None,
        extra: list[WriteItem] | None = None,
    ) -> bool:
        """Swap an authority's credential (rotation, revocation): the old hash stops resolving at once.

        `credential` may be empty (revocation issues none). `changes` are attributes set on the authority.
        `retired` is the old credential as the credential list keeps it; `extra` are write items of other
        stores in the same transaction (its activators' tokens ended with it). False when the authority changed
        meanwhile (its credential replaced, or its enrolment revoked): nothing changes."""
        names = {f"#f{i}": key for i, key in enumerate(changes)}
        values = {f":v{i}": to_value(value) for i, value in enumerate(changes.values())}
        sets = [f"#f{i} = :v{i}" for i in range(len(changes))]
        items: list[WriteItem] = [
            {
                "Update": {
                    "TableName": self.authorities_table,
                    "Key": to_item({"id": authority_id}),
                    "UpdateExpression": "SET " + ", ".join(sets),
                    "ConditionExpression": "token_hash = :old AND attribute_not_exists(revoked_at)",
                    "ExpressionAttributeNames": names,
                    "ExpressionAttributeValues": {**values, ":old": to_value(old_hash)},
                }
            },
            {"Delete": {"TableName": self.credentials_table, "Key": to_item({"token_hash": old_hash})}},
            audit_write(self.audit_table, audit),
        ]
        if credential:
            items.append(self._new_credential(credential))
        if retired:
            items.append({"Put": {"TableName": self.credentials_table, "Item": to_item(retired)}})
        items.extend(extra or [])
        return dynamo.transact(self.ddb, items)

    def set_default_message(
        self, authority_id: str, before: dict[str, str] | None, message: dict[str, str], at: str, audit: dict[str, Any]
    ) -> bool:
        """Store the authority's default message with its audit entry, provided it is still `before` (None: it
        had none) and the authority is enrolled and not revoked. False when it changed meanwhile: nothing
        changes."""
        values: dict[str, Any] = {":m": to_value(message), ":at": to_value(at)}
        if before is None:
            unchanged = "attribute_not_exists(default_message)"
        else:
            unchanged = "default_message = :before"
            values[":before"] = to_value(before)
        return dynamo.transact(
            self.ddb,
            [
                {
                    "Update": {
                        "TableName": self.authorities_table,
                        "Key": to_item({"id": authority_id}),
                        "UpdateExpression": "SET default_message = :m, default_message_changed_at = :at",
                        "ConditionExpression": "attribute_exists(id) AND attribute_not_exists(revoked_at)"
                        f" AND {unchanged}",
                        "ExpressionAttributeValues": values,
                    }
                },
                audit_write(self.audit_table, audit),
            ],
        )

    def live_marker(self, authority_id: str, activation_id: str) -> WriteItem:
        """The write item that marks `activation_id` as the authority's live activation, provided the authority
        is enrolled, not revoked and has none live (see ActivationStore.claim)."""
        return {
            "Update": {
                "TableName": self.authorities_table,
                "Key": to_item({"id": authority_id}),
                "UpdateExpression": "SET live_activation_id = :a",
                "ConditionExpression": "attribute_exists(id) AND attribute_not_exists(revoked_at)"
                " AND attribute_not_exists(live_activation_id)",
                "ExpressionAttributeValues": {":a": to_value(activation_id)},
            }
        }

    def live_marker_removal(self, authority_id: str, activation_id: str) -> WriteItem:
        """The write item that removes the authority's live marker, provided it is `activation_id`'s."""
        return {
            "Update": {
                "TableName": self.authorities_table,
                "Key": to_item({"id": authority_id}),
                "UpdateExpression": "REMOVE live_activation_id",
                "ConditionExpression": "live_activation_id = :a",
                "ExpressionAttributeValues": {":a": to_value(activation_id)},
            }
        }

    # ------------------------------------------------------------------ credentials
    def credential(self, token_hash: str) -> dict[str, Any] | None:
        """The credential stored under a token's keyed hash (one GetItem), or None."""
        return dynamo.get(self.ddb, self.credentials_table, {"token_hash": token_hash})

    def put_credential(self, credential: dict[str, Any], audit: dict[str, Any]) -> None:
        with dynamo.translated_errors():
            self.ddb.transact_write_items(
                TransactItems=[self._new_credential(credential), audit_write(self.audit_table, audit)]
            )

    def list_credentials(self) -> list[dict[str, Any]]:
        """Every credential, live and revoked (items carry the token's keyed hash: never show them as they are)."""
        return sorted(
            dynamo.pages(self.ddb, "scan", TableName=self.credentials_table),
            key=lambda c: (c.get("created_at", ""), c["credential_id"]),
        )

    def credential_by_id(self, credential_id: str) -> dict[str, Any] | None:
        """A credential by its id (the `by-id` index, then a consistent read of the item itself)."""
        keys = dynamo.pages(
            self.ddb,
            "query",
            TableName=self.credentials_table,
            IndexName="by-id",
            KeyConditionExpression="credential_id = :c",
            ExpressionAttributeValues={":c": to_value(credential_id)},
        )
        for key in list(keys):
            found = dynamo.get(self.ddb, self.credentials_table, {"token_hash": key["token_hash"]}, consistent=True)
            if found is not None and found["credential_id"] == credential_id:
                return found
        return None

    def live_admin_hashes(self) -> list[str]:
        """The keys of every admin credential not revoked (a consistent read)."""
        return [
            item["token_hash"]
            for item in dynamo.pages(
                self.ddb,
                "scan",
                TableName=self.credentials_table,
                ConsistentRead=True,
                FilterExpression="#role = :admin",
                ExpressionAttributeNames={"#role": "role"},
                ExpressionAttributeValues={":admin": to_value("admin")},
            )
            if not item["token_hash"].startswith(REVOKED_PREFIX)
        ]

    def revoke_credential(
        self,
        credential: dict[str, Any],
        retired: dict[str, Any],
        audit: dict[str, Any],
        witness_hash: str | None = None,
    ) -> bool:
        """Revoke a live credential: its item moves to the revoked key in one transaction, so its token stops
        resolving at once. With `witness_hash`, only while that other credential is live too: two admins revoking
        each other at the same moment cannot both succeed. False when the credential or the witness is no longer
        live (read again and decide again)."""
        items: list[WriteItem] = [
            {
                "Delete": {
                    "TableName": self.credentials_table,
                    "Key": to_item({"token_hash": credential["token_hash"]}),
                    "ConditionExpression": "attribute_exists(token_hash)",
                }
            },
            self._new_credential(retired),
            audit_write(self.audit_table, audit),
        ]
        if witness_hash is not None:
            items.append(
                {
                    "ConditionCheck": {
                        "TableName": self.credentials_table,
                        "Key": to_item({"token_hash": witness_hash}),
                        "ConditionExpression": "attribute_exists(token_hash)",
                    }
                }
            )
        return dynamo.transact(self.ddb, items, any_item=True)

    # ------------------------------------------------------------------ plumbing
    def _new_credential(self, credential: dict[str, Any]) -> WriteItem:
        return {
            "Put": {
                "TableName": self.credentials_table,
                "Item": to_item(credential),
                "ConditionExpression": "attribute_not_exists(token_hash)",
            }
        }
