"""The D2 line's lists and matches: a coordinator uploads a hospital's, a reception centre's or the police's
list of victims and survivors, reads the candidates scored for an enquiry, proposes a match, and another
coordinator confirms or rejects it (four eyes). Every read and change is audited. Plain Python: the store is
handed in, and so is how a large list is scored later (an asynchronous invocation in Lambda)."""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Callable
from typing import Any, Final

from crisisline import errors
from crisisline.clock import iso, utc_now
from crisisline.models import Caller
from d2 import enquiries, lists, references, scoring
from d2.d2_store import D2Store, Refused

COORDINATOR: Final = "d2_coordinator"
# A list of at most this many rows is scored before the answer; a larger one is scored asynchronously, so the
# upload answers well within API Gateway's 29 seconds.
INLINE_ROWS: Final = 500
# Entry ids an audit entry names at most: an item of the chain stays far below DynamoDB's 400 KB.
AUDIT_IDS: Final = 5_000
MATCH_STATUSES: Final = ("proposed", "confirmed", "rejected")

ScoreLater = Callable[[dict[str, Any]], None]


def _coordinator_only(caller: Caller, what: str) -> None:
    if caller.role != COORDINATOR:
        raise errors.Forbidden(f"Only a D2 coordinator {what}.", allowed_roles=[COORDINATOR])


def source_key(source: str) -> str:
    """A source's name as compared: case and spacing do not make another source."""
    return " ".join(source.split()).casefold()


def entry_id_for(source: str, source_ref: str) -> str:
    """The row's id: the same for every list of the same source that names the same source_ref."""
    return hashlib.sha256(f"{source_key(source)}\x00{source_ref}".encode()).hexdigest()[:32]


# ---------------------------------------------------------------------- uploading a list
def upload_list(
    caller: Caller,
    activation_id: str,
    source: str,
    body: bytes,
    content_type: str,
    store: D2Store,
    score_later: ScoreLater,
) -> dict[str, Any]:
    """Read an uploaded list and store its rows: new rows added, rows the same source sent before (same
    source_ref) updated in place. Rows are scored against the open enquiries at once, or for a large list by
    `score_later` with the event `rescore_event` makes. `{"list_id", "rows", "rejected", "scoring"}`."""
    _coordinator_only(caller, "uploads lists")
    source = " ".join(source.split())
    if not source:
        raise errors.InvalidRequest(
            "Name the list's source (source=UZ Brussel).",
            fields=[{"field": "source", "problem": "Name the list's source."}],
        )
    activation = enquiries._existing(store, activation_id)
    enquiries._require_d2_line(activation)
    read = lists.read_list(body, content_type)  # InvalidList: nothing is written
    at = iso(utc_now())
    list_id = uuid.uuid4().hex
    key = source_key(source)
    # A row's id comes from its source and source_ref: the rows this source sent before are read by id, not found
    # among every row of the activation.
    wanted = {entry_id_for(source, row.source_ref) for row in read.rows}
    earlier = {
        str(entry["source_ref"]): entry
        for entry in store.entries_by_id(activation_id, sorted(wanted))
        if source_key(entry["source"]) == key
    }
    rows: dict[str, dict[str, Any]] = {}
    for row in read.rows:  # a source_ref twice in one file: the later row stands
        before = earlier.get(row.source_ref, {})
        rows[row.source_ref] = {
            **before,
            "entry_id": before.get("entry_id") or entry_id_for(source, row.source_ref),
            "list_id": list_id,
            "source": before.get("source") or source,
            "source_ref": row.source_ref,
            "given_names": row.given_names,
            "family_name": row.family_name,
            "birth_date": row.birth_date,
            "sex": row.sex,
            "status": row.status,
            "location": row.location,
            "disclosure_refused": bool(before.get("disclosure_refused", False)),
            "updated_at": at,
        }
    written = list(rows.values())
    entry_ids = [entry["entry_id"] for entry in written]
    # The audit entry first: no row is written that the chain does not name.
    for start in range(0, max(len(entry_ids), 1), AUDIT_IDS):
        enquiries.record_audit(
            store, caller, activation_id, "list.upload", [list_id, *entry_ids[start : start + AUDIT_IDS]]
        )
    store.put_entries(activation_id, written)
    rejected = [{"line": item.line, "reason": item.reason} for item in read.rejected]
    store.put_list(
        activation_id,
        {
            "list_id": list_id,
            "source": source,
            "rows": len(written),
            "rejected": len(rejected),
            "uploaded_by": {"credential_id": caller.credential_id, "label": caller.label or ""},
            "uploaded_at": at,
        },
    )
    scoring_state = "done"
    if len(written) > INLINE_ROWS:
        score_later(rescore_event(activation_id, list_id))
        scoring_state = "pending"
    elif written:
        scoring.score_entries(store, activation, written)
    return {"list_id": list_id, "rows": len(written), "rejected": rejected, "scoring": scoring_state}


def rescore_event(activation_id: str, list_id: str) -> dict[str, Any]:
    """The event that has D2Function score a list's rows later (ids only)."""
    return {"d2_rescore": {"activation_id": activation_id, "list_id": list_id}}


def rescore_list(activation_id: str, list_id: str, store: D2Store) -> int:
    """Score the rows a list wrote (those it still holds) against the open enquiries; the candidates stored."""
    activation = store.activation(activation_id)
    if activation is None:
        return 0
    rows = store.list_rows(activation_id, list_id)
    return scoring.score_entries(store, activation, rows) if rows else 0


# ---------------------------------------------------------------------- candidates
def _enquiry_by_reference(store: D2Store, activation_id: str, typed: str) -> dict[str, Any]:
    try:
        reference = references.normalised(typed)
    except references.Mistyped as mistyped:
        raise errors.ReferenceMistyped(str(mistyped), reference=typed[:20]) from None
    enquiry_id = store.enquiry_id_by_reference(activation_id, reference)
    found = store.enquiry(activation_id, enquiry_id) if enquiry_id else None
    if found is None:
        raise errors.NotFound("No enquiry with this reference on this activation.", reference=reference)
    return found[0]


def candidates(caller: Caller, activation_id: str, typed_reference: str, store: D2Store) -> list[dict[str, Any]]:
    """The list rows that may be the enquiry's sought person, best first, none below C, none rejected."""
    _coordinator_only(caller, "reads an enquiry's candidates")
    enquiries._existing(store, activation_id)
    enquiry = _enquiry_by_reference(store, activation_id, typed_reference)
    rejected = {
        entry for enquiry_id, entry in scoring.rejected_pairs(store, activation_id) if enquiry_id == enquiry["id"]
    }
    items = [item for item in store.candidates(activation_id, enquiry["id"]) if item["entry_id"] not in rejected]
    items.sort(key=lambda item: (-float(item["score"]), item["entry_id"]))
    enquiries.record_audit(
        store, caller, activation_id, "candidates.read", [enquiry["id"], *(item["entry_id"] for item in items)]
    )
    return [
        {
            "entry_id": item["entry_id"],
            "source": item["source"],
            "source_ref": item["source_ref"],
            "grade": item["grade"],
            "score": float(item["score"]),
            "agreed": list(item.get("agreed") or []),
            "differs": list(item.get("differs") or []),
            "status": item.get("status"),
            "location": item.get("location"),
        }
        for item in items
    ]


# ---------------------------------------------------------------------- matches
def _shown(match: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": match["match_id"],
        **{key: match.get(key) for key in ("reference", "enquiry_id", "person_id", "entry_id", "status")},
        **{key: match.get(key) for key in ("source", "source_ref")},
        **{key: match.get(key) for key in ("proposed_by", "proposed_at", "decided_by", "decided_at")},
    }


def propose(caller: Caller, activation_id: str, typed_reference: str, entry_id: str, store: D2Store) -> dict[str, Any]:
    """A coordinator proposes that a list row is the enquiry's sought person; another confirms it. A pair is
    proposed once: again, or after it was rejected, is a Conflict."""
    _coordinator_only(caller, "proposes matches")
    enquiries._existing(store, activation_id)
    enquiry = _enquiry_by_reference(store, activation_id, typed_reference)
    row = store.entry(activation_id, entry_id)
    if row is None:
        raise errors.NotFound("No list row with this id on this activation.", entry_id=entry_id)
    # The row's source and reference go with the match, so the review queue names the row without reading it.
    match = {
        "match_id": uuid.uuid4().hex,
        "person_id": enquiry["person_id"],
        "enquiry_id": enquiry["id"],
        "reference": enquiry["reference"],
        "entry_id": entry_id,
        "source": row.get("source"),
        "source_ref": row.get("source_ref"),
        "status": "proposed",
        "proposed_by": {"credential_id": caller.credential_id, "label": caller.label or ""},
        "proposed_at": iso(utc_now()),
    }
    for _ in range(enquiries.ATTEMPTS):
        entry = enquiries._next_audit(
            store, caller, activation_id, "match.propose", [match["match_id"], enquiry["id"], entry_id]
        )
        try:
            store.propose_match(activation_id, match, entry)
        except Refused as refused:
            if refused.part == "pair":
                pair = store.pair(activation_id, enquiry["id"], entry_id) or {}
                raise errors.MatchExists(
                    f"This enquiry and list row already have a match ({pair.get('status', 'proposed')}).",
                    match_id=pair.get("match_id"),
                    status=pair.get("status"),
                ) from None
            continue
        return _shown(match)
    raise errors.StoreUnavailable("The D2 line is busy; retry shortly.", retry_after=1)


def decide(caller: Caller, activation_id: str, match_id: str, status: str, store: D2Store) -> dict[str, Any]:
    """Confirm (`confirmed`, by another coordinator than the one who proposed it: four eyes) or reject
    (`rejected`, remembered: the pair is never proposed or shown again) a proposed match. Confirming sets the
    enquiry's status to `matched`. Two coordinators deciding at once: one succeeds, the other is a Conflict."""
    _coordinator_only(caller, "confirms or rejects matches")
    enquiries._existing(store, activation_id)
    match = store.match(activation_id, match_id)
    if match is None:
        raise errors.NotFound("No match with this id on this activation.", match_id=match_id)
    if status == "confirmed" and match["proposed_by"]["credential_id"] == caller.credential_id:
        raise errors.FourEyesRequired(
            "Another D2 coordinator confirms a match: the one who proposed it cannot.", match_id=match_id
        )
    by = {"credential_id": caller.credential_id, "label": caller.label or ""}
    action = "match.confirm" if status == "confirmed" else "match.reject"
    for _ in range(enquiries.ATTEMPTS):
        current = store.match(activation_id, match_id) or match
        if current["status"] != "proposed":
            raise errors.MatchDecided(
                f"This match was {current['status']} meanwhile.", match_id=match_id, status=current["status"]
            )
        at = iso(utc_now())
        entry = enquiries._next_audit(
            store, caller, activation_id, action, [match_id, match["enquiry_id"], match["entry_id"]]
        )
        try:
            store.decide_match(activation_id, match, status, by, at, entry)
        except Refused as refused:
            if refused.part == "audit":
                continue
            if refused.part == "match":
                continue  # decided meanwhile: read again and say so
            raise errors.NotFound("The enquiry of this match is gone.", match_id=match_id) from None
        return _shown({**match, "status": status, "decided_by": by, "decided_at": at})
    raise errors.StoreUnavailable("The D2 line is busy; retry shortly.", retry_after=1)


def list_matches(caller: Caller, activation_id: str, store: D2Store, status: str | None = None) -> list[dict[str, Any]]:
    """The activation's matches, oldest first, optionally of one status (`proposed`: the review queue)."""
    _coordinator_only(caller, "reads matches")
    enquiries._existing(store, activation_id)
    found = [match for match in store.matches(activation_id) if status is None or match.get("status") == status]
    found.sort(key=lambda match: (str(match.get("proposed_at")), str(match["match_id"])))
    enquiries.record_audit(store, caller, activation_id, "match.list", [match["match_id"] for match in found])
    return [_shown(match) for match in found]
