"""Scoring at once: a new or changed list row is graded against the open enquiries, and a new enquiry against
the lists, each through the matching engine's blocking index (never every pair). The results are stored as
candidates (`CAND#<enquiry id>#<entry id>`), so an enquiry's candidates are one query. A pair that a coordinator
rejected is never scored again. Plain Python: the store is handed in.

The store keeps the engine's blocking index of the list rows (`BLOCK#<key>`) and a snapshot of the open
enquiries' sought persons (`SOUGHT#<n>`, one compact line each, written with the enquiry and removed in the
transaction that ends its being open): scoring a list files its rows in the index first and then reads the
snapshot, while recording an enquiry writes it (and its line) first and then reads the rows of its blocks, so an
enquiry recorded while a list is scored is found by one or the other (or both: a pair scored twice is stored
once)."""

from __future__ import annotations

import json
from collections.abc import Collection, Iterable
from datetime import date
from decimal import Decimal
from typing import Any

from crisisline.clock import iso, utc_now
from d2.d2_store import D2Store
from d2.matching import EnquiryIndex, Index, ListEntry, Sought, entry_keys, sought_keys

# What scoring reads of a list row and of a sought person, and no more.
ENTRY_FIELDS = (
    "entry_id",
    "source",
    "source_ref",
    "given_names",
    "family_name",
    "birth_date",
    "sex",
    "status",
    "location",
)
PERSON_FIELDS = ("given_names", "family_name", "birth_date", "age", "sex")  # a snapshot line's, in this order


def event_date(activation: dict[str, Any] | None) -> date | None:
    """The day the line opened: a listed age is an age on that day."""
    opened = str((activation or {}).get("opened_at") or "")
    try:
        return date.fromisoformat(opened[:10])
    except ValueError:
        return None


def list_entry(item: dict[str, Any]) -> ListEntry:
    """A stored list row as the engine reads it; its engine id is `source/source_ref`."""
    return ListEntry(
        source=str(item["source"]),
        source_ref=str(item["source_ref"]),
        given_names=str(item.get("given_names") or ""),
        family_name=str(item.get("family_name") or ""),
        birth_date=item.get("birth_date"),
        sex=item.get("sex"),
        status=item.get("status"),
        location=item.get("location"),
    )


def sought(person: dict[str, Any]) -> Sought:
    return Sought(
        given_names=str(person.get("given_names") or ""),
        family_name=str(person.get("family_name") or ""),
        birth_date=person.get("birth_date"),
        age=int(person["age"]) if person.get("age") is not None else None,
        sex=person.get("sex"),
    )


def snapshot_line(person: dict[str, Any]) -> str | None:
    """A sought person as the open enquiries' snapshot keeps it (compact JSON of `PERSON_FIELDS`), or None
    when it is never scored (no family name)."""
    if not person.get("family_name"):
        return None
    values = [person.get(field) for field in PERSON_FIELDS]
    return json.dumps(
        [int(value) if isinstance(value, Decimal) else value for value in values],
        ensure_ascii=False,
        separators=(",", ":"),
    )


def _from_line(line: str) -> dict[str, Any]:
    return dict(zip(PERSON_FIELDS, json.loads(line), strict=False))


def rejected_pairs(store: D2Store, activation_id: str) -> set[tuple[str, str]]:
    """(enquiry id, entry id) of every pair a coordinator rejected."""
    rejected = set()
    for pair in store.pairs(activation_id):
        if pair.get("status") == "rejected":
            _, enquiry_id, entry_id = str(pair["sk"]).split("#", 2)
            rejected.add((enquiry_id, entry_id))
    return rejected


def _candidate(
    enquiry_id: str, entry: dict[str, Any], grade: str, score: float, agreed: list[str], differs: list[str], at: str
) -> dict[str, Any]:
    return {
        "enquiry_id": enquiry_id,
        "entry_id": entry["entry_id"],
        "source": entry["source"],
        "source_ref": entry["source_ref"],
        "grade": grade,
        "score": Decimal(str(score)),
        "agreed": list(agreed),
        "differs": list(differs),
        "status": entry.get("status"),
        "location": entry.get("location"),
        "scored_at": at,
    }


def file_entries(store: D2Store, activation: dict[str, Any], entries: Iterable[dict[str, Any]]) -> None:
    """File list rows under their blocking keys, so a new enquiry reads only the rows it blocks with."""
    event = event_date(activation)
    blocks: dict[str, set[str]] = {}
    for entry in entries:
        for key in entry_keys(list_entry(entry), event):
            blocks.setdefault(key, set()).add(str(entry["entry_id"]))
    store.file_blocks(str(activation["id"]), blocks)


def score_entries(store: D2Store, activation: dict[str, Any], entries: Collection[dict[str, Any]]) -> int:
    """File list rows in the blocking index, then grade them against the activation's open enquiries (read from
    their snapshot, a few items) and store what is C or better; the number stored."""
    activation_id = str(activation["id"])
    file_entries(store, activation, entries)
    index = EnquiryIndex(event_date(activation))
    for enquiry_id, line in store.open_sought(activation_id).items():
        person = _from_line(line)
        if person.get("family_name"):
            index.add(enquiry_id, sought(person))
    if not len(index):
        return 0
    rejected: dict[str, set[str]] = {}
    for enquiry_id, entry_id in rejected_pairs(store, activation_id):
        rejected.setdefault(entry_id, set()).add(enquiry_id)
    at = iso(utc_now())
    found = []
    for entry in entries:
        for match in index.matches_for(list_entry(entry), rejected.get(entry["entry_id"], set())):
            found.append(_candidate(match.enquiry_id, entry, match.grade, match.score, match.agreed, match.differs, at))
    store.put_candidates(activation_id, found)
    return len(found)


def score_enquiry(store: D2Store, activation: dict[str, Any], enquiry_id: str, person: dict[str, Any]) -> int:
    """Grade a new enquiry's sought person against the list rows it blocks with (read through the blocking index,
    never every row) and store the candidates. The enquiry is new: no coordinator rejected a pair of it yet."""
    if not person.get("family_name"):
        return 0
    activation_id = str(activation["id"])
    event = event_date(activation)
    wanted = sought(person)
    entry_ids = store.blocked_entry_ids(activation_id, sought_keys(wanted, event))
    entries = store.entries_by_id(activation_id, sorted(entry_ids), ENTRY_FIELDS)
    if not entries:
        return 0
    index = Index(event)
    by_engine_id = {index.add(list_entry(entry)): entry for entry in entries}
    at = iso(utc_now())
    found = [
        _candidate(enquiry_id, by_engine_id[c.entry_id], c.grade, c.score, c.agreed, c.differs, at)
        for c in index.candidates(wanted)
    ]
    store.put_candidates(activation_id, found)
    return len(found)
