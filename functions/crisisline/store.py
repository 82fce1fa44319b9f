"""The one place that speaks DynamoDB for authorities, credentials, pool numbers, activations and the audit
trail. Every change that touches several items is one transaction, so an error leaves nothing half-written."""

from __future__ import annotations

import random
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

from botocore.exceptions import ClientError

from crisisline import dynamo, errors
from crisisline.aws import client
from crisisline.clock import iso, parse_iso, utc_now
from crisisline.dynamo import (
    cancellation_codes,
    error_code,
    from_item,
    throttled_cancellation,
    to_item,
    to_value,
    translated_errors,
)
from crisisline.facts import ROUTING_FIELDS
from crisisline.settings import ApiSettings

_shuffler = random.SystemRandom()
FREE = "free"
# A released number waits until its free_from before another authority gets it, so that late callers of the
# old crisis never hear the new one's message. It is claimable again once that instant has passed.
COOLING = "cooling"
REVOKED_PREFIX = "revoked#"  # revoked credentials are kept under this key: no token hashes to it
_CLAIM_ROUNDS = 5
_CANDIDATES_PER_ROUND = 25


def unheld_pool_number(number: str, item: dict[str, Any] | None) -> dict[str, Any]:
    """`item` when it is a pool number no live activation holds; NotFound or NumberInUse otherwise."""
    if item is None:
        raise errors.NotFound(f"{number} is not in the pool.", number=number)
    if item.get("activation_id"):
        raise errors.NumberInUse(
            f"{number} is held by live activation {item['activation_id']}; close it first.",
            number=number,
            activation_id=item["activation_id"],
        )
    return item


class Store:
    """DynamoDB access for the activation API (see template.yaml for the tables)."""

    def __init__(self, settings: ApiSettings, dynamodb: Any = None) -> None:
        self.tables = settings
        self.ddb = dynamodb or client("dynamodb")

    # ------------------------------------------------------------------ authorities and credentials
    def enrol_authority(self, authority: dict[str, Any], credential: dict[str, Any], audit: dict[str, Any]) -> None:
        """Create an authority with its first credential; the same id twice is refused."""
        try:
            with translated_errors():
                self.ddb.transact_write_items(
                    TransactItems=[
                        {
                            "Put": {
                                "TableName": self.tables.authorities_table,
                                "Item": to_item(authority),
                                "ConditionExpression": "attribute_not_exists(id)",
                            }
                        },
                        {
                            "Put": {
                                "TableName": self.tables.credentials_table,
                                "Item": to_item(credential),
                                "ConditionExpression": "attribute_not_exists(token_hash)",
                            }
                        },
                        self._audit_put(audit),
                    ]
                )
        except ClientError as error:
            if cancellation_codes(error)[:1] == ["ConditionalCheckFailed"]:
                raise errors.AlreadyEnrolled(
                    f"Authority {authority['id']} is already enrolled.", authority_id=authority["id"]
                ) from error
            raise

    def get_authority(self, authority_id: str) -> dict[str, Any] | None:
        return self._get(self.tables.authorities_table, {"id": authority_id})

    def list_authorities(self) -> list[dict[str, Any]]:
        return sorted(self._scan(self.tables.authorities_table), key=lambda a: a["id"])

    def replace_authority_credential(
        self,
        authority_id: str,
        old_hash: str,
        credential: dict[str, Any],
        changes: dict[str, Any],
        audit: dict[str, Any],
        retired: dict[str, Any] | None = None,
    ) -> None:
        """Swap an authority's credential (rotation, revocation): the old hash stops resolving at once.

        `credential` may be empty (revocation issues none). `changes` are attributes set on the authority.
        `retired` is the old credential as the credential list keeps it (see `retired_credential`)."""
        names = {f"#f{i}": key for i, key in enumerate(changes)}
        values = {f":v{i}": to_value(value) for i, value in enumerate(changes.values())}
        sets = [f"#f{i} = :v{i}" for i in range(len(changes))]
        items: list[dict[str, Any]] = [
            {
                "Update": {
                    "TableName": self.tables.authorities_table,
                    "Key": to_item({"id": authority_id}),
                    "UpdateExpression": "SET " + ", ".join(sets),
                    "ConditionExpression": "token_hash = :old AND attribute_not_exists(revoked_at)",
                    "ExpressionAttributeNames": names,
                    "ExpressionAttributeValues": {**values, ":old": to_value(old_hash)},
                }
            },
            {"Delete": {"TableName": self.tables.credentials_table, "Key": to_item({"token_hash": old_hash})}},
            self._audit_put(audit),
        ]
        if credential:
            items.append(
                {
                    "Put": {
                        "TableName": self.tables.credentials_table,
                        "Item": to_item(credential),
                        "ConditionExpression": "attribute_not_exists(token_hash)",
                    }
                }
            )
        if retired:
            items.append({"Put": {"TableName": self.tables.credentials_table, "Item": to_item(retired)}})
        try:
            with translated_errors():
                self.ddb.transact_write_items(TransactItems=items)
        except ClientError as error:
            if cancellation_codes(error)[:1] == ["ConditionalCheckFailed"]:
                raise errors.Conflict(
                    "The authority changed meanwhile (rotated or revoked); read it again.", authority_id=authority_id
                ) from error
            raise

    def put_credential(self, credential: dict[str, Any], audit: dict[str, Any]) -> None:
        with translated_errors():
            self.ddb.transact_write_items(
                TransactItems=[
                    {
                        "Put": {
                            "TableName": self.tables.credentials_table,
                            "Item": to_item(credential),
                            "ConditionExpression": "attribute_not_exists(token_hash)",
                        }
                    },
                    self._audit_put(audit),
                ]
            )

    def get_credential(self, token_hash: str) -> dict[str, Any] | None:
        return self._get(self.tables.credentials_table, {"token_hash": token_hash})

    def list_credentials(self) -> list[dict[str, Any]]:
        """Every credential, live and revoked (items carry the token's keyed hash: never show them as they are)."""
        return sorted(
            self._scan(self.tables.credentials_table), key=lambda c: (c.get("created_at", ""), c["credential_id"])
        )

    def credential_by_id(self, credential_id: str) -> dict[str, Any] | None:
        """A credential by its id (the `by-id` index, then a consistent read of the item itself)."""
        with translated_errors():
            answer = self.ddb.query(
                TableName=self.tables.credentials_table,
                IndexName="by-id",
                KeyConditionExpression="credential_id = :c",
                ExpressionAttributeValues={":c": to_value(credential_id)},
            )
        for key in answer.get("Items", []):
            found = self._get(
                self.tables.credentials_table, {"token_hash": from_item(key)["token_hash"]}, consistent=True
            )
            if found is not None and found["credential_id"] == credential_id:
                return found
        return None

    def live_admin_hashes(self) -> list[str]:
        """The keys of every admin credential not revoked (a consistent read)."""
        return [
            item["token_hash"]
            for item in self._pages(
                "scan",
                TableName=self.tables.credentials_table,
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
        key = {"token_hash": credential["token_hash"]}
        items: list[dict[str, Any]] = [
            {
                "Delete": {
                    "TableName": self.tables.credentials_table,
                    "Key": to_item(key),
                    "ConditionExpression": "attribute_exists(token_hash)",
                }
            },
            {
                "Put": {
                    "TableName": self.tables.credentials_table,
                    "Item": to_item(retired),
                    "ConditionExpression": "attribute_not_exists(token_hash)",
                }
            },
            self._audit_put(audit),
        ]
        if witness_hash is not None:
            items.append(
                {
                    "ConditionCheck": {
                        "TableName": self.tables.credentials_table,
                        "Key": to_item({"token_hash": witness_hash}),
                        "ConditionExpression": "attribute_exists(token_hash)",
                    }
                }
            )
        try:
            with translated_errors():
                self.ddb.transact_write_items(TransactItems=items)
        except ClientError as error:
            if "ConditionalCheckFailed" in cancellation_codes(error):
                return False
            raise
        return True

    # ------------------------------------------------------------------ pool numbers
    def add_number(self, number: str, kind: str, audit: dict[str, Any]) -> dict[str, Any]:
        item = {"number": number, "kind": kind, "pool_state": FREE}
        try:
            with translated_errors():
                self.ddb.transact_write_items(
                    TransactItems=[
                        {
                            "Put": {
                                "TableName": self.tables.numbers_table,
                                "Item": to_item(item),
                                "ConditionExpression": "attribute_not_exists(#n)",
                                "ExpressionAttributeNames": {"#n": "number"},
                            }
                        },
                        self._audit_put(audit),
                    ]
                )
        except ClientError as error:
            if cancellation_codes(error)[:1] == ["ConditionalCheckFailed"]:
                raise errors.NumberExists(f"{number} is already in the pool.", number=number) from error
            raise
        return item

    def list_numbers(self) -> list[dict[str, Any]]:
        return sorted(self._scan(self.tables.numbers_table), key=lambda n: n["number"])

    def get_number(self, number: str) -> dict[str, Any] | None:
        return self._get(self.tables.numbers_table, {"number": number}, consistent=True)

    def remove_number(self, number: str, audit: dict[str, Any]) -> None:
        """Take a number out of the pool; refused while a live activation holds it."""
        try:
            with translated_errors():
                self.ddb.transact_write_items(
                    TransactItems=[
                        {
                            "Delete": {
                                "TableName": self.tables.numbers_table,
                                "Key": to_item({"number": number}),
                                "ConditionExpression": "attribute_exists(#n) AND attribute_not_exists(activation_id)",
                                "ExpressionAttributeNames": {"#n": "number"},
                            }
                        },
                        self._audit_put(audit),
                    ]
                )
        except ClientError as error:
            if cancellation_codes(error)[:1] == ["ConditionalCheckFailed"]:
                self._explain_number_refusal(number)
                raise errors.Conflict(f"{number} changed meanwhile; read it again.", number=number) from error
            raise

    def change_number_kind(self, number: str, kind: str, new_kind: str, audit: dict[str, Any]) -> None:
        """Correct the kind of a number nobody holds, provided it is still `kind`."""
        try:
            with translated_errors():
                self.ddb.transact_write_items(
                    TransactItems=[
                        {
                            "Update": {
                                "TableName": self.tables.numbers_table,
                                "Key": to_item({"number": number}),
                                "UpdateExpression": "SET kind = :new",
                                "ConditionExpression": "attribute_exists(#n) AND attribute_not_exists(activation_id)"
                                " AND kind = :old",
                                "ExpressionAttributeNames": {"#n": "number"},
                                "ExpressionAttributeValues": {":new": to_value(new_kind), ":old": to_value(kind)},
                            }
                        },
                        self._audit_put(audit),
                    ]
                )
        except ClientError as error:
            if cancellation_codes(error)[:1] == ["ConditionalCheckFailed"]:
                self._explain_number_refusal(number)
                raise errors.Conflict(f"{number} changed meanwhile; read it again.", number=number) from error
            raise

    def _explain_number_refusal(self, number: str) -> None:
        unheld_pool_number(number, self.get_number(number))

    def claimable_numbers(self, kind: str, now: str, limit: int = _CANDIDATES_PER_ROUND) -> list[dict[str, Any]]:
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

    def _pool_partition(self, state: str, kind: str | None = None, limit: int | None = None) -> list[dict[str, Any]]:
        request: dict[str, Any] = {
            "TableName": self.tables.numbers_table,
            "IndexName": "free-numbers",
            "KeyConditionExpression": "pool_state = :state",
            "ExpressionAttributeValues": {":state": to_value(state)},
        }
        if kind is not None:
            request["FilterExpression"] = "kind = :kind"
            request["ExpressionAttributeValues"][":kind"] = to_value(kind)
        found = []
        for item in self._pages("query", **request):
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
                self.tables.numbers_table: {
                    "Keys": [to_item(key) for key in keys[start : start + 100]],
                    "ConsistentRead": True,
                }
            }
            while pending:
                with translated_errors():
                    answer = self.ddb.batch_get_item(RequestItems=pending)
                found.extend(from_item(item) for item in answer.get("Responses", {}).get(self.tables.numbers_table, []))
                pending = answer.get("UnprocessedKeys") or {}
        return sorted(
            (item for item in found if item.get("pool_state") == COOLING), key=lambda item: item.get("free_from", "")
        )

    # ------------------------------------------------------------------ activations
    def open_activation(self, activation: dict[str, Any], audit: dict[str, Any]) -> dict[str, Any]:
        """Claim a free number for `activation` and store it live, in one transaction per attempt.

        Two requests racing for the same number: one transaction wins, the other moves on to another free
        number, and when none is left it is refused. The authority's own item carries its live activation,
        so a second live activation for the same authority is refused in the same transaction. The audit entry
        records the number claimed and its kind."""
        authority_id = activation["authority_id"]
        for _ in range(_CLAIM_ROUNDS):
            candidates = self.claimable_numbers(activation["number_kind"], iso(utc_now()))
            if not candidates:
                self._explain_authority_refusal(authority_id, only_if_refused=True)
                break
            # Racers spread over the pool instead of queueing on one number. The OS's randomness, not the module
            # generator's: environments restored from one SnapStart snapshot share its generator state.
            _shuffler.shuffle(candidates)
            for candidate in candidates:
                opened_at = iso(utc_now())
                opened = {
                    **activation,
                    "number": candidate["number"],
                    "opened_at": opened_at,
                    "operator_timeline": [{"at": opened_at, "operators": activation["operators"]}],
                }
                claim_audit = {
                    **audit,
                    "changes": {**audit["changes"], "number": candidate["number"], "number_kind": candidate["kind"]},
                }
                reasons = self._try_claim(opened, claim_audit)
                if reasons is None:
                    return opened
                if reasons[2] == "ConditionalCheckFailed":
                    self._explain_authority_refusal(authority_id)
                if reasons[0] == "ConditionalCheckFailed":
                    raise errors.Conflict("An activation with this id exists already.")
                # The number was taken meanwhile or the transaction collided: try the next one.
        raise self._exhausted(activation["number_kind"])

    def _exhausted(self, kind: str) -> errors.NoNumberAvailable:
        """Why no number of `kind` could be claimed, and what else the pool has."""
        names = {"toll_free": "toll-free", "did": "geographic"}
        other = "did" if kind == "toll_free" else "toll_free"
        pool = self.pool_by_kind()
        mine, others = pool.get(kind, {"free": 0, "cooling": []}), pool.get(other, {"free": 0, "cooling": []})
        message = f"No {names[kind]} ({kind}) pool number is free"
        if mine["cooling"]:
            message += f"; {len(mine['cooling'])} released recently, the first free again from {mine['cooling'][0]}"
        message += (
            f". {others['free']} {names[other]} ({other}) numbers are free: ask with number_kind "
            f"{other}, or call the crisis center's duty officer."
            if others["free"]
            else f". No {names[other]} ({other}) number is free either. Call the crisis center's duty officer."
        )
        return errors.NoNumberAvailable(
            message,
            number_kind=kind,
            other_kind=other,
            other_kind_free=others["free"],
            next_free_from=mine["cooling"][0] if mine["cooling"] else None,
        )

    def _try_claim(self, activation: dict[str, Any], audit: dict[str, Any]) -> list[str] | None:
        routing = {field: activation[field if field != "activation_id" else "id"] for field in ROUTING_FIELDS}
        names = {f"#r{i}": field for i, field in enumerate(ROUTING_FIELDS)}
        values = {f":r{i}": to_value(routing[field]) for i, field in enumerate(ROUTING_FIELDS)}
        # Cancellations are read before translated_errors sees them: a TransactionConflict here means another
        # claim touched the same number at the same moment, and the caller moves on to another free number.
        with translated_errors():
            try:
                self.ddb.transact_write_items(
                    TransactItems=[
                        {
                            "Put": {
                                "TableName": self.tables.activations_table,
                                "Item": to_item(activation),
                                "ConditionExpression": "attribute_not_exists(id)",
                            }
                        },
                        {
                            "Update": {
                                "TableName": self.tables.numbers_table,
                                "Key": to_item({"number": activation["number"]}),
                                "UpdateExpression": "SET "
                                + ", ".join(f"#r{i} = :r{i}" for i in range(len(names)))
                                + " REMOVE pool_state, free_from",
                                # Of the kind asked for, and free: never while its cool-down lasts.
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
                        },
                        {
                            "Update": {
                                "TableName": self.tables.authorities_table,
                                "Key": to_item({"id": activation["authority_id"]}),
                                "UpdateExpression": "SET live_activation_id = :a",
                                "ConditionExpression": "attribute_exists(id) AND attribute_not_exists(revoked_at)"
                                " AND attribute_not_exists(live_activation_id)",
                                "ExpressionAttributeValues": {":a": to_value(activation["id"])},
                            }
                        },
                        self._audit_put(audit),
                    ]
                )
            except ClientError as error:
                codes = cancellation_codes(error)
                # Throttled is not "taken": moving on to the next number would hammer a throttled table and
                # end in no_number_available while numbers are free.
                if (
                    error_code(error) == "TransactionCanceledException"
                    and len(codes) >= 3
                    and not throttled_cancellation(error)
                ):
                    return codes
                raise
        return None

    def _explain_authority_refusal(self, authority_id: str, only_if_refused: bool = False) -> None:
        """Raise the reason the authority may not open an activation now (with `only_if_refused`, return
        quietly when there is none)."""
        # A strongly consistent read: the transaction that was just refused saw the latest state, so must we.
        authority = self._get(self.tables.authorities_table, {"id": authority_id}, consistent=True) or {}
        if (
            only_if_refused
            and authority
            and not authority.get("revoked_at")
            and not authority.get("live_activation_id")
        ):
            return
        if not authority:
            raise errors.Forbidden("This authority is not enrolled.")
        if authority.get("revoked_at"):
            raise errors.AuthorityRevoked("This authority's enrolment was revoked.")
        live = authority.get("live_activation_id")
        raise errors.ActivationAlreadyLive(
            f"Activation {live} of this authority is live already; change or close it instead.", activation_id=live
        )

    def get_activation(self, activation_id: str) -> dict[str, Any] | None:
        return self._get(self.tables.activations_table, {"id": activation_id}, consistent=True)

    def list_activations(self, authority_id: str | None) -> list[dict[str, Any]]:
        if authority_id is None:
            items = list(self._scan(self.tables.activations_table))
        else:
            items = list(
                self._pages(
                    "query",
                    TableName=self.tables.activations_table,
                    IndexName="by-authority",
                    KeyConditionExpression="authority_id = :a",
                    ExpressionAttributeValues={":a": to_value(authority_id)},
                )
            )
        return sorted(items, key=lambda a: a["requested_at"], reverse=True)

    def update_activation(
        self,
        activation: dict[str, Any],
        changes: dict[str, Any],
        timeline_entry: dict[str, Any] | None,
        audit: dict[str, Any],
    ) -> bool:
        """Change a live activation and its number's routing copy together, provided nobody changed it since
        `activation` was read (its revision). False when someone did: read it again, check again, retry.

        Without that condition two changes read at the same moment could each pass their checks and together
        leave languages without their messages, or an operator timeline out of time order."""
        names = {f"#f{i}": key for i, key in enumerate(changes)}
        values = {f":v{i}": to_value(value) for i, value in enumerate(changes.values())}
        sets = [f"#f{i} = :v{i}" for i in range(len(changes))]
        revision = activation.get("revision")
        activation_sets = [*sets, "revision = :next"]
        activation_values = {**values, ":next": to_value((revision or 0) + 1), ":live": to_value("live")}
        if revision is None:  # opened before activations carried a revision
            condition = "#status = :live AND attribute_not_exists(revision)"
        else:
            condition = "#status = :live AND revision = :seen"
            activation_values[":seen"] = to_value(revision)
        if timeline_entry is not None:
            activation_sets.append("operator_timeline = list_append(operator_timeline, :entry)")
            activation_values[":entry"] = to_value([timeline_entry])
        try:
            with translated_errors():
                self.ddb.transact_write_items(
                    TransactItems=[
                        {
                            "Update": {
                                "TableName": self.tables.activations_table,
                                "Key": to_item({"id": activation["id"]}),
                                "UpdateExpression": "SET " + ", ".join(activation_sets),
                                "ConditionExpression": condition,
                                "ExpressionAttributeNames": {**names, "#status": "status"},
                                "ExpressionAttributeValues": activation_values,
                            }
                        },
                        {
                            "Update": {
                                "TableName": self.tables.numbers_table,
                                "Key": to_item({"number": activation["number"]}),
                                "UpdateExpression": "SET " + ", ".join(sets),
                                "ConditionExpression": "activation_id = :a",
                                "ExpressionAttributeNames": names,
                                "ExpressionAttributeValues": {**values, ":a": to_value(activation["id"])},
                            }
                        },
                        self._audit_put(audit),
                    ]
                )
        except ClientError as error:
            codes = cancellation_codes(error)
            if "ConditionalCheckFailed" not in codes:
                raise
            current = self.get_activation(activation["id"])
            if codes[0] == "ConditionalCheckFailed" and current is not None and current["status"] == "live":
                return False  # changed meanwhile, still live
            raise errors.ActivationClosed(
                "This activation is closed; it can no longer change.", activation_id=activation["id"]
            ) from error
        return True

    def close_activation(self, activation: dict[str, Any], closed_at: str, audit: dict[str, Any]) -> bool:
        """Close a live activation, bump its revision and free its number, provided nobody changed it since
        `activation` was read (its revision). False when it was closed or changed meanwhile (nothing changes):
        read it again."""
        key = {"id": activation["id"]}
        remove = ", ".join(f"#r{i}" for i, _ in enumerate(ROUTING_FIELDS))
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
        cooldown = self.tables.number_cooldown_seconds
        free_from = iso(parse_iso(closed_at) + timedelta(seconds=cooldown))
        try:
            with translated_errors():
                self.ddb.transact_write_items(
                    TransactItems=[
                        {
                            "Update": {
                                "TableName": self.tables.activations_table,
                                "Key": to_item(key),
                                "UpdateExpression": "SET #status = :closed, closed_at = :at, revision = :next",
                                "ConditionExpression": condition,
                                "ExpressionAttributeNames": {"#status": "status"},
                                "ExpressionAttributeValues": values,
                            }
                        },
                        {
                            "Update": {
                                "TableName": self.tables.numbers_table,
                                "Key": to_item({"number": activation["number"]}),
                                "UpdateExpression": f"SET pool_state = :free, free_from = :from REMOVE {remove}",
                                "ConditionExpression": "activation_id = :a",
                                "ExpressionAttributeNames": {f"#r{i}": f for i, f in enumerate(ROUTING_FIELDS)},
                                "ExpressionAttributeValues": {
                                    ":free": to_value(COOLING if cooldown else FREE),
                                    ":from": to_value(free_from),
                                    ":a": to_value(activation["id"]),
                                },
                            }
                        },
                        {
                            "Update": {
                                "TableName": self.tables.authorities_table,
                                "Key": to_item({"id": activation["authority_id"]}),
                                "UpdateExpression": "REMOVE live_activation_id",
                                "ConditionExpression": "live_activation_id = :a",
                                "ExpressionAttributeValues": {":a": to_value(activation["id"])},
                            }
                        },
                        self._audit_put(audit),
                    ]
                )
        except ClientError as error:
            if cancellation_codes(error)[:1] == ["ConditionalCheckFailed"]:
                return False
            raise
        return True

    # ------------------------------------------------------------------ audit trail
    def audit_entries(self, subject: str) -> list[dict[str, Any]]:
        return list(
            self._pages(
                "query",
                TableName=self.tables.audit_table,
                KeyConditionExpression="subject = :s",
                ExpressionAttributeValues={":s": to_value(subject)},
            )
        )

    def _audit_put(self, audit: dict[str, Any]) -> dict[str, Any]:
        return {
            "Put": {
                "TableName": self.tables.audit_table,
                "Item": to_item(audit),
                "ConditionExpression": "attribute_not_exists(entry)",
            }
        }

    # ------------------------------------------------------------------ plumbing
    def _get(self, table: str, key: dict[str, Any], consistent: bool = False) -> dict[str, Any] | None:
        with translated_errors():
            answer = self.ddb.get_item(TableName=table, Key=to_item(key), ConsistentRead=consistent)
        item = answer.get("Item")
        return from_item(item) if item else None

    def _scan(self, table: str) -> Iterator[dict[str, Any]]:
        return self._pages("scan", TableName=table)

    def _pages(self, operation: str, **request: Any) -> Iterator[dict[str, Any]]:
        return dynamo.pages(self.ddb, operation, **request)
