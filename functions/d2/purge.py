"""The D2 purge (D2PurgeFunction, daily): erases each closed activation's D2 data once its retention has ended
(D2_RETENTION_DAYS after it closed, or longer where a D2 coordinator extended it).

For each such activation, in this order, so that an interrupted run is finished by the next:
1. the aggregate figures (d2/figures.py) go to D2ArchiveTable as `FIGURES`, and what is about to be deleted
   (counts per item type, the audit chain's last hash) as `PURGE`: both are put only where none is, so a resumed
   purge keeps what the first run found, not what a half-deleted partition would say;
2. every item under the activation's partition key in D2Table (enquiries, persons, references, lists, entries,
   candidates, matches, links, callbacks, idempotency records, retention) and its audit chain in D2AuditTable
   are deleted in batches of 25;
3. a record of the erasure (what was deleted, the last audit hash, when, by which schedule) is signed with KMS
   (an asymmetric key, ECDSA P-256 with SHA-256) and stored as `ERASURE`; the activation is marked
   `d2_purged_at`, after which its personal endpoints answer 410 and its figures come from the archive.

The archive is its own table rather than a separate key in the audit table: the purge deletes the audit chain
whole, and a table that holds no personal data at all is simpler to keep (and to grant) than a partition that
must be spared. A second run finds the activation marked and does nothing."""

from __future__ import annotations

import base64
import hashlib
import json
from collections import Counter
from collections.abc import Callable
from datetime import datetime
from typing import Any, Final

from aws_lambda_powertools.utilities.typing import LambdaContext
from botocore.exceptions import ClientError

from crisisline.aws import client
from crisisline.clock import iso, utc_now
from crisisline.observability import logger
from d2 import figures, privacy
from d2.d2_store import D2Store, d2_purge_settings

d2_purge_settings()  # fail the cold start, not the night's purge halfway, when the environment is incomplete
BATCH: Final = 25  # BatchWriteItem's limit
SIGNING_ALGORITHM: Final = "ECDSA_SHA_256"


# ---------------------------------------------------------------------- the signed record
def canonical(record: dict[str, Any]) -> bytes:
    """The bytes signed: the record without its signature, as JSON with sorted keys and no spaces."""
    body = {key: value for key, value in record.items() if key not in ("signature", "activation_id", "sk")}
    return json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


class ErasureSigner:
    """Signs and verifies erasure records with a KMS asymmetric key (the private half never leaves KMS)."""

    def __init__(self, kms: Any, key_id: str) -> None:
        self.kms = kms
        self.key_id = key_id

    def sign(self, record: dict[str, Any]) -> dict[str, Any]:
        digest = hashlib.sha256(canonical(record)).digest()
        answer = self.kms.sign(
            KeyId=self.key_id, Message=digest, MessageType="DIGEST", SigningAlgorithm=SIGNING_ALGORITHM
        )
        return {
            **record,
            "signature": {
                "key_id": answer["KeyId"],
                "algorithm": SIGNING_ALGORITHM,
                "value": base64.b64encode(answer["Signature"]).decode("ascii"),
            },
        }

    def verify(self, record: dict[str, Any]) -> bool:
        """True when the record is exactly what was signed."""
        signature = record.get("signature") or {}
        try:
            answer = self.kms.verify(
                KeyId=signature.get("key_id") or self.key_id,
                Message=hashlib.sha256(canonical(record)).digest(),
                MessageType="DIGEST",
                Signature=base64.b64decode(signature.get("value", "")),
                SigningAlgorithm=signature.get("algorithm") or SIGNING_ALGORITHM,
            )
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") == "KMSInvalidSignatureException":
                return False
            raise
        return bool(answer.get("SignatureValid"))


def verify_erasure(record: dict[str, Any], signer: ErasureSigner | None = None) -> bool:
    """Whether an archived erasure record (`ERASURE`) is intact and signed by the purge's key."""
    if signer is None:
        signer = ErasureSigner(client("kms"), d2_purge_settings().d2_erasure_key)
    return signer.verify(record)


# ---------------------------------------------------------------------- the purge
def _kind(sort_key: str) -> str:
    return sort_key.split("#", 1)[0]


def _plan(store: D2Store, activation_id: str, now: datetime) -> dict[str, Any]:
    """Archive the figures and what is about to be deleted, once; answer the plan the first run stored."""
    items = store.partition(activation_id)
    # As JSON text: kept exactly as computed (a null median included), read back without number conversions.
    computed = json.dumps(figures.compute(items), sort_keys=True)
    store.archive(activation_id, "FIGURES", {"figures": computed, "at": iso(now)})
    chain = store.audit_entries(activation_id)
    counts = Counter(_kind(str(item["sk"])) for item in items)
    counts["AUDIT"] = len(chain)
    store.archive(
        activation_id,
        "PURGE",
        {
            "deleted": dict(sorted(counts.items())),
            "last_audit_hash": chain[-1]["hash"] if chain else None,
            "started_at": iso(now),
        },
    )
    return store.archived(activation_id, "PURGE") or {}


def purge_activation(
    store: D2Store, signer: ErasureSigner, activation_id: str, now: datetime, schedule: str
) -> dict[str, Any]:
    """Erase one activation's D2 data (see the module's docstring); answers the signed erasure record."""
    plan = _plan(store, activation_id, now)
    for table, keys in ((store.table, store.partition_keys), (store.audit_table, store.audit_keys)):
        remaining = keys(activation_id)
        for start in range(0, len(remaining), BATCH):
            store.delete_batch(table, remaining[start : start + BATCH])
    record = signer.sign(
        {
            "activation_id": activation_id,
            "deleted": plan.get("deleted", {}),
            "last_audit_hash": plan.get("last_audit_hash"),
            "started_at": plan.get("started_at"),
            "erased_at": iso(now),
            "schedule": schedule,
        }
    )
    if not store.archive(activation_id, "ERASURE", record):
        record = store.archived(activation_id, "ERASURE") or record
    store.mark_purged(activation_id, iso(now))
    return record


def due(store: D2Store, now: datetime, default_days: int) -> list[str]:
    """The closed, not yet purged activations whose retention has ended."""
    found = []
    for activation in store.closed_activations():
        if activation.get("d2_purged_at"):
            continue
        ends = privacy.purge_after(activation, store.retention(str(activation["id"])), default_days)
        if ends is not None and ends <= now:
            found.append(str(activation["id"]))
    return sorted(found)


def run(store: D2Store, signer: ErasureSigner, now: datetime, default_days: int, schedule: str) -> dict[str, Any]:
    """Purge every activation that is due; answers which were purged."""
    purged = []
    for activation_id in due(store, now, default_days):
        record = purge_activation(store, signer, activation_id, now, schedule)
        purged.append(activation_id)
        logger.info("d2 data purged", extra={"activation_id": activation_id, "deleted": record["deleted"]})
    return {"purged": purged}


def lambda_handler(
    event: dict[str, Any],
    context: LambdaContext | None = None,
    now: Callable[[], datetime] = utc_now,
) -> dict[str, Any]:
    settings = d2_purge_settings()
    store = D2Store(client("dynamodb"), settings)
    signer = ErasureSigner(client("kms"), settings.d2_erasure_key)
    schedule = str((event or {}).get("schedule") or "D2PurgeDaily")
    return run(store, signer, now(), settings.d2_retention_days, schedule)
