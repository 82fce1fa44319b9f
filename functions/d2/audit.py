"""The D2 audit trail's rules: one hash chain per activation, append only. Each entry names who (credential id
and label), when (UTC), the action and the ids it concerns (never a phone number or a name), the previous
entry's hash and its own: SHA-256 over the entry's canonical JSON (keys sorted, no spaces, UTF-8), the previous
hash included. Changing, removing or reordering an entry breaks the chain at that entry."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from typing import Any

GENESIS = "0" * 64  # the previous hash of an activation's first entry
SEQUENCE_DIGITS = 12


def sequence_key(seq: int) -> str:
    """The entry's sort key: its sequence number, zero-padded so that text order is number order."""
    return f"{seq:0{SEQUENCE_DIGITS}d}"


def entry_hash(entry: dict[str, Any]) -> str:
    """SHA-256 (hex) over the canonical JSON of the entry without its own hash."""
    body = {key: value for key, value in entry.items() if key != "hash"}
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def next_entry(
    last: dict[str, Any] | None,
    activation_id: str,
    *,
    credential_id: str,
    label: str | None,
    at: str,
    action: str,
    items: list[str],
) -> dict[str, Any]:
    """The entry that follows `last` (None: the activation's first), hashed."""
    seq = int(last["seq"]) + 1 if last else 1
    entry: dict[str, Any] = {
        "activation_id": activation_id,
        "seq": sequence_key(seq),
        "at": at,
        "who": {"credential_id": credential_id, "label": label or ""},
        "action": action,
        "items": list(items),
        "previous_hash": last["hash"] if last else GENESIS,
    }
    entry["hash"] = entry_hash(entry)
    return entry


def verify(entries: Iterable[dict[str, Any]]) -> dict[str, Any]:
    """Walk an activation's entries in sequence order: `{"entries", "intact", "first_broken"}`, the first
    broken entry's sequence number being the first whose hash does not match its content, whose previous hash
    is not its predecessor's, or whose number does not follow."""
    count, previous, expected_seq = 0, GENESIS, 1
    first_broken: int | None = None
    for entry in entries:
        count += 1
        if first_broken is not None:
            continue
        seq = int(entry.get("seq", "0"))
        if seq != expected_seq or entry.get("previous_hash") != previous or entry_hash(entry) != entry.get("hash"):
            first_broken = seq
        previous, expected_seq = str(entry.get("hash")), expected_seq + 1
    return {"entries": count, "intact": first_broken is None, "first_broken": first_broken}
