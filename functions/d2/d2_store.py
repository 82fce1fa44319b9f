"""The only code that speaks DynamoDB for D2. Everything D2 of an activation lives under its one partition key
in D2Table, so that a purge deletes an activation's D2 data with a query:

- `ENQ#<enquiry id>`: an enquiry (status, reference, the sought person's id, the enquirer, who recorded it);
- `PERSON#<person id>`: a sought person (one per enquiry, never merged automatically);
- `REF#<reference>`: the reference's claim, pointing at its enquiry (unique within the activation);
- `DEDUP#<hash>`: a recorded request (agent, contact or Idempotency-Key, and body), pointing at its enquiry;
- `ENTRY#…` (list rows), `LIST#…` (uploads), `CAND#…` (scored candidates), `MATCH#…` and `PAIR#…` (matches);
- `BLOCK#<n>`: the matching engine's blocking index of the list rows (`<key> <entry id>`, a key's item by hash).
- `SOUGHT#<n>`: what scoring reads of the open enquiries' sought persons, one attribute per enquiry (named by its
  id, an enquiry's item by hash), kept in step with the enquiry's status in the same transactions.
- `RETENTION`: how many days after the activation closes its D2 data is kept, when extended.

D2ArchiveTable keeps, per activation, what survives its purge: `FIGURES` (aggregate counts), `PURGE` (the
purge under way: what it found) and `ERASURE` (the signed record of what was deleted).

The audit trail is D2AuditTable: key activation_id and `seq`, each entry put only where none is."""

from __future__ import annotations

import hashlib
import time
from collections.abc import Iterable
from typing import Any

from botocore.exceptions import ClientError
from pydantic import BaseModel, ConfigDict, Field

from crisisline import dynamo, environment, errors
from crisisline.dynamo import cancellation_codes, error_code, to_item, to_value, translated_errors
from crisisline.settings import ConsoleAccess, load

BATCH = 25  # BatchWriteItem's most items a request
BATCH_GET = 100  # BatchGetItem's most keys a request
BATCH_ATTEMPTS = 8
# Items the blocking index of an activation's list rows is spread over: fewer means fewer writes per list and
# larger items per read (a new enquiry reads the items of its 10 to 25 keys).
BLOCK_ITEMS = 512
# Items the open enquiries' scoring snapshot is spread over. An enquiry's attribute is at most about 1,700 bytes
# (its id, two names of 200 characters of up to 4 bytes each, a birth date, an age, a sex), so an item stays under
# DynamoDB's 400 KB up to some 230 enquiries: 256 items hold 20,000 open enquiries (about 100 an item at most) even
# with the longest names, and a list's scoring reads them in three requests.
SOUGHT_ITEMS = 256


class D2Settings(ConsoleAccess):
    """D2Function's: its two tables, the activations it checks, and what a write reads to re-check its caller."""

    d2_table: str = Field(min_length=3)
    d2_audit_table: str = Field(min_length=3)
    d2_archive_table: str = Field(min_length=3)
    d2_retention_days: int = Field(default=30, ge=1, le=3650)
    activations_table: str = Field(min_length=3)
    credentials_table: str = Field(min_length=3)
    token_key_parameter: str = Field(min_length=2)
    # Hours without news before a relative who consented gets an interim "no news yet" call, and between two.
    d2_no_news_hours: int = Field(default=6, ge=1, le=168)


class D2PurgeSettings(BaseModel):
    """D2PurgeFunction's: the tables it empties, the archive it keeps, the retention and the signing key."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    d2_table: str = Field(min_length=3)
    d2_audit_table: str = Field(min_length=3)
    d2_archive_table: str = Field(min_length=3)
    d2_retention_days: int = Field(default=30, ge=1, le=3650)
    activations_table: str = Field(min_length=3)
    d2_erasure_key: str = Field(min_length=3)


@environment.settings
def d2_purge_settings() -> D2PurgeSettings:
    return load(D2PurgeSettings)


@environment.settings
def d2_settings() -> D2Settings:
    return load(D2Settings)


class Refused(Exception):
    """A write whose condition failed: `part` says which (activation, reference, duplicate, audit)."""

    def __init__(self, part: str) -> None:
        super().__init__(part)
        self.part = part


class D2Store:
    """D2Table, D2AuditTable and the activation an enquiry is recorded on (see template.yaml)."""

    def __init__(self, dynamodb: Any, settings: D2Settings | D2PurgeSettings) -> None:
        self.ddb = dynamodb
        self.table = settings.d2_table
        self.audit_table = settings.d2_audit_table
        self.activations_table = settings.activations_table
        self.archive_table = settings.d2_archive_table

    # ------------------------------------------------------------------ activations
    def activation(self, activation_id: str) -> dict[str, Any] | None:
        return dynamo.get(self.ddb, self.activations_table, {"id": activation_id}, consistent=True)

    # ------------------------------------------------------------------ enquiries
    def record_enquiry(
        self,
        enquiry: dict[str, Any],
        person: dict[str, Any],
        dedup_key: str | None,
        audit: dict[str, Any],
        sought: str | None = None,
    ) -> None:
        """Write the enquiry, its person, its reference's claim, its request's record (`dedup_key`), its line in
        the open enquiries' scoring snapshot (`sought`, when scored) and its audit entry in one transaction,
        provided the activation is still live with a D2 line. Refused(part)
        when a condition fails: `activation`, `reference` (taken), `duplicate` (the request was recorded),
        `audit` (another entry took this sequence number)."""
        activation_id = enquiry["activation_id"]
        parts = ["activation", "enquiry", "person", "reference"]
        items: list[dict[str, Any]] = [
            {
                "ConditionCheck": {
                    "TableName": self.activations_table,
                    "Key": to_item({"id": activation_id}),
                    "ConditionExpression": "#status = :live AND victim_information = :yes",
                    "ExpressionAttributeNames": {"#status": "status"},
                    "ExpressionAttributeValues": {":live": to_value("live"), ":yes": to_value(True)},
                }
            },
            self._new(activation_id, f"ENQ#{enquiry['id']}", enquiry),
            self._new(activation_id, f"PERSON#{person['id']}", person),
            self._new(activation_id, f"REF#{enquiry['reference']}", {"enquiry_id": enquiry["id"]}),
        ]
        if dedup_key is not None:
            parts.append("duplicate")
            items.append(self._new(activation_id, f"DEDUP#{dedup_key}", {"enquiry_id": enquiry["id"]}))
        if sought is not None:
            parts.append("sought")
            items.append(self._sought_update(activation_id, str(enquiry["id"]), sought))
        parts.append("audit")
        items.append(self._audit_put(audit))
        try:
            with translated_errors():
                self.ddb.transact_write_items(TransactItems=items)
        except ClientError as error:
            codes = cancellation_codes(error)
            for part, code in zip(parts, codes, strict=False):
                if code == "ConditionalCheckFailed":
                    raise Refused(part) from error
            raise

    def _new(self, activation_id: str, sk: str, values: dict[str, Any]) -> dict[str, Any]:
        return {
            "Put": {
                "TableName": self.table,
                "Item": to_item({**values, "activation_id": activation_id, "sk": sk}),
                "ConditionExpression": "attribute_not_exists(sk)",
            }
        }

    def recorded_request(self, activation_id: str, dedup_key: str) -> str | None:
        """The enquiry id an earlier identical request recorded, or None."""
        item = self._get(activation_id, f"DEDUP#{dedup_key}")
        return str(item["enquiry_id"]) if item else None

    def enquiry_id_by_reference(self, activation_id: str, reference: str) -> str | None:
        item = self._get(activation_id, f"REF#{reference}")
        return str(item["enquiry_id"]) if item else None

    def enquiry(self, activation_id: str, enquiry_id: str) -> tuple[dict[str, Any], dict[str, Any]] | None:
        """An enquiry and its sought person, or None."""
        enquiry = self._get(activation_id, f"ENQ#{enquiry_id}")
        if enquiry is None:
            return None
        person = self._get(activation_id, f"PERSON#{enquiry['person_id']}") or {}
        return enquiry, person

    def enquiries(self, activation_id: str) -> list[tuple[dict[str, Any], dict[str, Any]]]:
        """Every enquiry of the activation with its sought person, oldest first."""
        enquiries = self._items(activation_id, "ENQ#")
        persons = {person["id"]: person for person in self._items(activation_id, "PERSON#")}
        pairs = [(enquiry, persons.get(enquiry["person_id"], {})) for enquiry in enquiries]
        return sorted(pairs, key=lambda pair: str(pair[0].get("recorded_at", "")))

    def _get(self, activation_id: str, sk: str) -> dict[str, Any] | None:
        return dynamo.get(self.ddb, self.table, {"activation_id": activation_id, "sk": sk}, consistent=True)

    def _items(
        self,
        activation_id: str,
        prefix: str,
        fields: tuple[str, ...] = (),
        where: tuple[str, Any] | None = None,
    ) -> list[dict[str, Any]]:
        """The items whose sort key begins with `prefix`; `fields`: only those attributes; `where`: only the items
        whose attribute (name, value) has that value."""
        request: dict[str, Any] = {
            "TableName": self.table,
            "KeyConditionExpression": "activation_id = :a AND begins_with(sk, :p)",
            "ExpressionAttributeValues": {":a": to_value(activation_id), ":p": to_value(prefix)},
            "ConsistentRead": True,
        }
        names: dict[str, str] = {}
        if fields:
            request["ProjectionExpression"], names = _projection(fields)
        if where is not None:
            names["#where"] = where[0]
            request["FilterExpression"] = "#where = :where"
            request["ExpressionAttributeValues"][":where"] = to_value(where[1])
        if names:
            request["ExpressionAttributeNames"] = names
        return list(dynamo.pages(self.ddb, "query", **request))

    def _get_all(
        self, activation_id: str, sort_keys: Iterable[str], fields: tuple[str, ...] = ()
    ) -> list[dict[str, Any]]:
        """The items of these sort keys that exist, 100 a BatchGetItem, asking again for the keys DynamoDB left
        unprocessed; `fields`: only those attributes."""
        keys = [to_item({"activation_id": activation_id, "sk": sk}) for sk in dict.fromkeys(sort_keys)]
        shape: dict[str, Any] = {"ConsistentRead": True}
        if fields:
            shape["ProjectionExpression"], shape["ExpressionAttributeNames"] = _projection(fields)
        found: list[dict[str, Any]] = []
        for start in range(0, len(keys), BATCH_GET):
            pending = {self.table: {**shape, "Keys": keys[start : start + BATCH_GET]}}
            for attempt in range(BATCH_ATTEMPTS):
                with translated_errors():
                    answer = self.ddb.batch_get_item(RequestItems=pending)
                found.extend(dynamo.from_item(item) for item in answer.get("Responses", {}).get(self.table, []))
                pending = answer.get("UnprocessedKeys") or {}
                if not pending:
                    break
                time.sleep(min(0.05 * 2**attempt, 1.0))
            else:
                raise errors.StoreUnavailable("The D2 table is busy; retry shortly.", retry_after=1)
        return found

    # ------------------------------------------------------------------ the audit trail
    def last_audit_entry(self, activation_id: str) -> dict[str, Any] | None:
        with translated_errors():
            answer = self.ddb.query(
                TableName=self.audit_table,
                KeyConditionExpression="activation_id = :a",
                ExpressionAttributeValues={":a": to_value(activation_id)},
                ScanIndexForward=False,
                Limit=1,
                ConsistentRead=True,
            )
        items = answer.get("Items") or []
        return dynamo.from_item(items[0]) if items else None

    def append_audit(self, entry: dict[str, Any]) -> bool:
        """Put `entry` where no entry has its sequence number; False when another writer took it."""
        put = self._audit_put(entry)["Put"]
        try:
            with translated_errors():
                self.ddb.put_item(**put)
        except ClientError as error:
            if error_code(error) == "ConditionalCheckFailedException":
                return False
            raise
        return True

    def audit_entries(self, activation_id: str) -> list[dict[str, Any]]:
        """The activation's audit entries in sequence order."""
        return list(
            dynamo.pages(
                self.ddb,
                "query",
                TableName=self.audit_table,
                KeyConditionExpression="activation_id = :a",
                ExpressionAttributeValues={":a": to_value(activation_id)},
                ConsistentRead=True,
            )
        )

    def _audit_put(self, entry: dict[str, Any]) -> dict[str, Any]:
        return {
            "Put": {
                "TableName": self.audit_table,
                "Item": to_item(entry),
                "ConditionExpression": "attribute_not_exists(seq)",
            }
        }

    # ------------------------------------------------------------------ retention, figures and purge
    def partition(self, activation_id: str) -> list[dict[str, Any]]:
        """Every D2 item of the activation."""
        return list(
            dynamo.pages(
                self.ddb,
                "query",
                TableName=self.table,
                KeyConditionExpression="activation_id = :a",
                ExpressionAttributeValues={":a": to_value(activation_id)},
                ConsistentRead=True,
            )
        )

    def retention(self, activation_id: str) -> dict[str, Any] | None:
        return self._get(activation_id, "RETENTION")

    def extend_retention(self, retention: dict[str, Any], previous_days: int | None, audit: dict[str, Any]) -> None:
        """Put the activation's retention with its audit entry, provided it still has `previous_days` (None: no
        retention item yet). Refused("retention") when another extension came first, ("audit") on a race."""
        put: dict[str, Any] = {
            "TableName": self.table,
            "Item": to_item({**retention, "sk": "RETENTION"}),
        }
        if previous_days is None:
            put["ConditionExpression"] = "attribute_not_exists(sk)"
        else:
            put["ConditionExpression"] = "#days = :days"
            put["ExpressionAttributeNames"] = {"#days": "days"}
            put["ExpressionAttributeValues"] = {":days": to_value(previous_days)}
        try:
            with translated_errors():
                self.ddb.transact_write_items(TransactItems=[{"Put": put}, self._audit_put(audit)])
        except ClientError as error:
            codes = cancellation_codes(error)
            for part, code in zip(("retention", "audit"), codes, strict=False):
                if code == "ConditionalCheckFailed":
                    raise Refused(part) from error
            raise

    def closed_activations(self) -> list[dict[str, Any]]:
        """Every closed activation (id, closed_at, d2_purged_at)."""
        return list(
            dynamo.pages(
                self.ddb,
                "scan",
                TableName=self.activations_table,
                FilterExpression="#status = :closed",
                ExpressionAttributeNames={"#status": "status"},
                ExpressionAttributeValues={":closed": to_value("closed")},
                ProjectionExpression="id, closed_at, d2_purged_at",
            )
        )

    def mark_purged(self, activation_id: str, at: str) -> None:
        with translated_errors():
            self.ddb.update_item(
                TableName=self.activations_table,
                Key=to_item({"id": activation_id}),
                UpdateExpression="SET d2_purged_at = if_not_exists(d2_purged_at, :at)",
                ExpressionAttributeValues={":at": to_value(at)},
            )

    def archived(self, activation_id: str, key: str) -> dict[str, Any] | None:
        return dynamo.get(self.ddb, self.archive_table, {"activation_id": activation_id, "sk": key}, consistent=True)

    def archive(self, activation_id: str, key: str, values: dict[str, Any]) -> bool:
        """Put an archive item where none is; False when one already was (a purge resumed keeps the first)."""
        try:
            with translated_errors():
                self.ddb.put_item(
                    TableName=self.archive_table,
                    Item=to_item({**values, "activation_id": activation_id, "sk": key}),
                    ConditionExpression="attribute_not_exists(sk)",
                )
        except ClientError as error:
            if error_code(error) == "ConditionalCheckFailedException":
                return False
            raise
        return True

    def delete_batch(self, table: str, keys: list[dict[str, Any]]) -> None:
        """Delete up to 25 items by key, sending again what DynamoDB left unprocessed."""
        requests = [{"DeleteRequest": {"Key": to_item(key)}} for key in keys]
        while requests:
            with translated_errors():
                answer = self.ddb.batch_write_item(RequestItems={table: requests})
            requests = answer.get("UnprocessedItems", {}).get(table, [])

    def partition_keys(self, activation_id: str) -> list[dict[str, Any]]:
        """The keys of every D2 item of the activation."""
        return [
            {"activation_id": activation_id, "sk": item["sk"]}
            for item in dynamo.pages(
                self.ddb,
                "query",
                TableName=self.table,
                KeyConditionExpression="activation_id = :a",
                ExpressionAttributeValues={":a": to_value(activation_id)},
                ProjectionExpression="activation_id, sk",
                ConsistentRead=True,
            )
        ]

    def audit_keys(self, activation_id: str) -> list[dict[str, Any]]:
        return [
            {"activation_id": activation_id, "seq": item["seq"]}
            for item in dynamo.pages(
                self.ddb,
                "query",
                TableName=self.audit_table,
                KeyConditionExpression="activation_id = :a",
                ExpressionAttributeValues={":a": to_value(activation_id)},
                ProjectionExpression="activation_id, seq",
                ConsistentRead=True,
            )
        ]

    # ------------------------------------------------------------------ related enquiries, links and callbacks
    # `LINK#<person>#<other>` (both directions), `CALLBACK#<callback id>` written here; `MATCH#` and `ENTRY#` read
    # (and an entry's disclosure_refused set) in the shapes the list and match parts write.
    def person(self, activation_id: str, person_id: str) -> dict[str, Any] | None:
        return self._get(activation_id, f"PERSON#{person_id}")

    def links(self, activation_id: str) -> list[dict[str, Any]]:
        """Every link of the activation, each direction its own item."""
        return self._items(activation_id, "LINK#")

    def matches(self, activation_id: str) -> list[dict[str, Any]]:
        return self._items(activation_id, "MATCH#")

    def entries(self, activation_id: str) -> list[dict[str, Any]]:
        return self._items(activation_id, "ENTRY#")

    def callbacks(self, activation_id: str) -> list[dict[str, Any]]:
        """The callbacks done (each attempt its own item), in no particular order."""
        return self._items(activation_id, "CALLBACK#")

    def link_persons(self, activation_id: str, link: dict[str, Any], audit: dict[str, Any]) -> None:
        """Write a link in both directions with its audit entry; Refused("audit") when another entry took the
        sequence number. Linking again rewrites the same two items."""
        one, other = link["person_id"], link["other_person_id"]
        back = {**link, "person_id": other, "other_person_id": one}
        self._in_one_transaction(
            [
                ("link", self._put(activation_id, f"LINK#{one}#{other}", link)),
                ("link", self._put(activation_id, f"LINK#{other}#{one}", back)),
                ("audit", self._audit_put(audit)),
            ]
        )

    def unlink_persons(self, activation_id: str, person_id: str, other_person_id: str, audit: dict[str, Any]) -> None:
        """Delete a link's two items with its audit entry; Refused("link") when the two were not linked."""
        deletes = [
            {
                "Delete": {
                    "TableName": self.table,
                    "Key": to_item({"activation_id": activation_id, "sk": sk}),
                    "ConditionExpression": "attribute_exists(sk)",
                }
            }
            for sk in (f"LINK#{person_id}#{other_person_id}", f"LINK#{other_person_id}#{person_id}")
        ]
        self._in_one_transaction([("link", deletes[0]), ("link", deletes[1]), ("audit", self._audit_put(audit))])

    def record_callback(self, activation_id: str, callback: dict[str, Any], audit: dict[str, Any]) -> None:
        """Write a done callback with its audit entry; Refused("audit") on a raced sequence number."""
        self._in_one_transaction(
            [
                ("callback", self._new(activation_id, f"CALLBACK#{callback['callback_id']}", callback)),
                ("audit", self._audit_put(audit)),
            ]
        )

    def set_disclosure(self, activation_id: str, entry_id: str, refused: bool, at: str, audit: dict[str, Any]) -> None:
        """Record whether the found person refused disclosure of their whereabouts; Refused("entry") when the
        activation has no such list entry."""
        update = {
            "Update": {
                "TableName": self.table,
                "Key": to_item({"activation_id": activation_id, "sk": f"ENTRY#{entry_id}"}),
                "UpdateExpression": "SET disclosure_refused = :refused, updated_at = :at",
                "ConditionExpression": "attribute_exists(sk)",
                "ExpressionAttributeValues": {":refused": to_value(refused), ":at": to_value(at)},
            }
        }
        self._in_one_transaction([("entry", update), ("audit", self._audit_put(audit))])

    def entry(self, activation_id: str, entry_id: str) -> dict[str, Any] | None:
        return self._get(activation_id, f"ENTRY#{entry_id}")

    def _put(self, activation_id: str, sk: str, values: dict[str, Any]) -> dict[str, Any]:
        return {"Put": {"TableName": self.table, "Item": to_item({**values, "activation_id": activation_id, "sk": sk})}}

    def _in_one_transaction(self, parts: list[tuple[str, dict[str, Any]]]) -> None:
        try:
            with translated_errors():
                self.ddb.transact_write_items(TransactItems=[item for _, item in parts])
        except ClientError as error:
            for (part, _), code in zip(parts, cancellation_codes(error), strict=False):
                if code == "ConditionalCheckFailed":
                    raise Refused(part) from error
            raise

    # ================================================================== lists, candidates and matches
    # `ENTRY#<entry id>` list rows, `LIST#<list id>` uploads, `CAND#<enquiry id>#<entry id>` scored candidates,
    # `MATCH#<match id>` matches and `PAIR#<enquiry id>#<entry id>` (a pair's one match: proposed, confirmed or
    # rejected, so a pair is proposed once and a rejected pair stays rejected).
    def put_entries(self, activation_id: str, entries: list[dict[str, Any]]) -> None:
        """Write list rows (new or updated whole) in batches."""
        self._put_all(activation_id, [(f"ENTRY#{entry['entry_id']}", entry) for entry in entries])

    def entries_by_id(
        self, activation_id: str, entry_ids: Iterable[str], fields: tuple[str, ...] = ()
    ) -> list[dict[str, Any]]:
        """The list rows of these ids that exist (`fields`: only those attributes), 100 a request."""
        return self._get_all(activation_id, (f"ENTRY#{entry_id}" for entry_id in entry_ids), fields)

    def list_rows(self, activation_id: str, list_id: str, fields: tuple[str, ...] = ()) -> list[dict[str, Any]]:
        """The rows a list wrote that it still holds (a later list of its source may have taken some over)."""
        return self._items(activation_id, "ENTRY#", fields, where=("list_id", list_id))

    def file_blocks(self, activation_id: str, blocks: dict[str, set[str]]) -> None:
        """Add list rows' ids under their blocking keys. The keys are spread over `BLOCK_ITEMS` items
        (`BLOCK#<n>`, a key's item its hash), each a set of `<key> <entry id>` members: a 5,000-row list files
        about 20,000 pairs in at most that many writes instead of one write per key. ADD to a set is atomic, so two
        lists filed at once lose nothing, and a row filed again changes nothing."""
        members: dict[str, set[str]] = {}
        for key, entry_ids in blocks.items():
            members.setdefault(_block_item(key), set()).update(f"{key} {entry_id}" for entry_id in entry_ids)
        for sk, filed in sorted(members.items()):
            with translated_errors():
                self.ddb.update_item(
                    TableName=self.table,
                    Key=to_item({"activation_id": activation_id, "sk": sk}),
                    UpdateExpression="ADD members :filed",
                    ExpressionAttributeValues={":filed": {"SS": sorted(filed)}},
                )

    def _sought_update(self, activation_id: str, enquiry_id: str, sought: str | None) -> dict[str, Any]:
        """Set (or, with None, remove) an enquiry's attribute in its snapshot item: an update of one attribute,
        so two enquiries recorded at once into the same item both land."""
        update: dict[str, Any] = {
            "TableName": self.table,
            "Key": to_item({"activation_id": activation_id, "sk": _sought_item(enquiry_id)}),
            "UpdateExpression": "REMOVE #e" if sought is None else "SET #e = :sought",
            "ExpressionAttributeNames": {"#e": enquiry_id},
        }
        if sought is not None:
            update["ExpressionAttributeValues"] = {":sought": to_value(sought)}
        return {"Update": update}

    def open_sought(self, activation_id: str) -> dict[str, str]:
        """Every open enquiry's id and its line in the scoring snapshot: a read of the `SOUGHT#` items by key."""
        found: dict[str, str] = {}
        for item in self._get_all(activation_id, (f"SOUGHT#{n}" for n in range(SOUGHT_ITEMS))):
            found.update((str(name), str(value)) for name, value in item.items() if name not in ("activation_id", "sk"))
        return found

    def blocked_entry_ids(self, activation_id: str, keys: Iterable[str]) -> set[str]:
        """The ids of the list rows filed under any of these blocking keys: one read of their items."""
        wanted = set(keys)
        items = self._get_all(activation_id, sorted({_block_item(key) for key in wanted}), ("members",))
        found = set()
        for item in items:
            for member in item.get("members") or ():
                key, _, entry_id = str(member).rpartition(" ")
                if key in wanted:
                    found.add(entry_id)
        return found

    def put_list(self, activation_id: str, upload: dict[str, Any]) -> None:
        self._put_all(activation_id, [(f"LIST#{upload['list_id']}", upload)])

    def put_candidates(self, activation_id: str, candidates: list[dict[str, Any]]) -> None:
        """Write scored candidates, each replacing the pair's earlier score."""
        self._put_all(
            activation_id,
            [(f"CAND#{item['enquiry_id']}#{item['entry_id']}", item) for item in candidates],
        )

    def candidates(self, activation_id: str, enquiry_id: str) -> list[dict[str, Any]]:
        """The scored candidates of one enquiry: one query."""
        return self._items(activation_id, f"CAND#{enquiry_id}#")

    def pairs(self, activation_id: str) -> list[dict[str, Any]]:
        """Every pair that has a match (proposed, confirmed or rejected)."""
        return self._items(activation_id, "PAIR#")

    def pair(self, activation_id: str, enquiry_id: str, entry_id: str) -> dict[str, Any] | None:
        return self._get(activation_id, f"PAIR#{enquiry_id}#{entry_id}")

    def match(self, activation_id: str, match_id: str) -> dict[str, Any] | None:
        return self._get(activation_id, f"MATCH#{match_id}")

    def propose_match(self, activation_id: str, match: dict[str, Any], audit: dict[str, Any]) -> None:
        """The match, its pair's claim and the audit entry at once. Refused("pair") when the pair already has a
        match (proposed, confirmed or rejected), Refused("audit") when another entry took the number."""
        pair = {"match_id": match["match_id"], "status": "proposed"}
        self._transact(
            ["pair", "match", "audit"],
            [
                self._new(activation_id, f"PAIR#{match['enquiry_id']}#{match['entry_id']}", pair),
                self._new(activation_id, f"MATCH#{match['match_id']}", match),
                self._audit_put(audit),
            ],
        )

    def decide_match(
        self,
        activation_id: str,
        match: dict[str, Any],
        status: str,
        by: dict[str, str],
        at: str,
        audit: dict[str, Any],
    ) -> None:
        """A proposed match confirmed or rejected, with its pair and audit entry; a confirmation also sets the
        enquiry's status to `matched`, and only another credential than the proposer's confirms. Refused("match")
        when the match is no longer proposed (decided meanwhile) or, for a confirmation, `by` proposed it."""
        key = {"activation_id": activation_id, "sk": f"MATCH#{match['match_id']}"}
        condition = "#status = :proposed"
        values: dict[str, Any] = {":proposed": "proposed", ":status": status, ":by": by, ":at": at}
        if status == "confirmed":
            condition += " AND proposed_by.credential_id <> :me"
            values[":me"] = by["credential_id"]
        items: list[dict[str, Any]] = [
            {
                "Update": {
                    "TableName": self.table,
                    "Key": to_item(key),
                    "UpdateExpression": "SET #status = :status, decided_by = :by, decided_at = :at",
                    "ConditionExpression": condition,
                    "ExpressionAttributeNames": {"#status": "status"},
                    "ExpressionAttributeValues": to_item(values),
                }
            },
            self._set_status(activation_id, f"PAIR#{match['enquiry_id']}#{match['entry_id']}", status),
        ]
        parts = ["match", "pair"]
        if status == "confirmed":
            items.append(self._set_status(activation_id, f"ENQ#{match['enquiry_id']}", "matched"))
            parts.append("enquiry")
            items.append(self._sought_update(activation_id, str(match["enquiry_id"]), None))
            parts.append("sought")
        items.append(self._audit_put(audit))
        parts.append("audit")
        self._transact(parts, items)

    def _set_status(self, activation_id: str, sk: str, status: str) -> dict[str, Any]:
        return {
            "Update": {
                "TableName": self.table,
                "Key": to_item({"activation_id": activation_id, "sk": sk}),
                "UpdateExpression": "SET #status = :status",
                "ConditionExpression": "attribute_exists(sk)",
                "ExpressionAttributeNames": {"#status": "status"},
                "ExpressionAttributeValues": {":status": to_value(status)},
            }
        }

    def _transact(self, parts: list[str], items: list[dict[str, Any]]) -> None:
        try:
            with translated_errors():
                self.ddb.transact_write_items(TransactItems=items)
        except ClientError as error:
            for part, code in zip(parts, cancellation_codes(error), strict=False):
                if code == "ConditionalCheckFailed":
                    raise Refused(part) from error
            raise

    def _put_all(self, activation_id: str, items: list[tuple[str, dict[str, Any]]]) -> None:
        requests = [
            {"PutRequest": {"Item": to_item({**values, "activation_id": activation_id, "sk": sk})}}
            for sk, values in items
        ]
        for start in range(0, len(requests), BATCH):
            pending = {self.table: requests[start : start + BATCH]}
            for attempt in range(BATCH_ATTEMPTS):
                with translated_errors():
                    answer = self.ddb.batch_write_item(RequestItems=pending)
                pending = answer.get("UnprocessedItems") or {}
                if not pending:
                    break
                time.sleep(min(0.05 * 2**attempt, 1.0))
            else:
                raise errors.StoreUnavailable("The D2 table is busy; retry shortly.", retry_after=1)


def _projection(fields: tuple[str, ...]) -> tuple[str, dict[str, str]]:
    """A ProjectionExpression of these attributes, each by a placeholder (`status`, `source` are reserved words)."""
    names = {f"#f{number}": name for number, name in enumerate(fields)}
    return ", ".join(names), names


def _spread(prefix: str, value: str, items: int) -> str:
    """The sort key of the one of `items` items `value` is kept in: the same in every process (not Python's hash)."""
    return f"{prefix}#{int.from_bytes(hashlib.sha256(value.encode()).digest()[:4], 'big') % items}"


def _block_item(key: str) -> str:
    """The item a blocking key is filed in."""
    return _spread("BLOCK", key, BLOCK_ITEMS)


def _sought_item(enquiry_id: str) -> str:
    """The snapshot item an enquiry's sought person is kept in."""
    return _spread("SOUGHT", enquiry_id, SOUGHT_ITEMS)
