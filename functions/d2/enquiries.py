"""The D2 line's rules for enquiries: who records and reads them, what each role is shown, and the audit entry
every read and change carries. Plain Python: the store is handed in."""

from __future__ import annotations

import hashlib
import json
import uuid
from typing import Any, Final

from crisisline import errors
from crisisline.clock import iso, utc_now
from crisisline.models import Caller
from d2 import audit, references, scoring
from d2.d2_store import D2Store, Refused
from d2.models import EnquiryIn

D2_ROLES: Final = frozenset({"d2_agent", "d2_coordinator"})
STATUSES: Final = ("open", "matched", "closed", "deceased")
# How often a write is tried again when another writer took the audit sequence number or the reference drawn.
ATTEMPTS: Final = 20


# ---------------------------------------------------------------------- what each role is shown
def shown_status(status: str, role: str) -> str:
    """The status a role is shown. A d2_agent, who speaks to relatives, never sees `deceased`: a death is
    announced by a coordinator, so the agent sees the enquiry as `matched`."""
    if status == "deceased" and role != "d2_coordinator":
        return "matched"
    return status


def shaped(enquiry: dict[str, Any], person: dict[str, Any], caller: Caller) -> dict[str, Any]:
    """An enquiry as `caller` may see it: the one place that decides what each role reads."""
    if caller.role not in D2_ROLES:
        raise errors.Forbidden("Only the D2 line's staff read enquiries.", allowed_roles=sorted(D2_ROLES))
    sought = {key: value for key, value in person.items() if key not in ("activation_id", "sk", "id", "enquiry_id")}
    return {
        "id": enquiry["id"],
        "reference": enquiry["reference"],
        "activation_id": enquiry["activation_id"],
        "status": shown_status(str(enquiry["status"]), caller.role),
        "person_id": enquiry["person_id"],
        "sought": sought,
        "enquirer": enquiry["enquirer"],  # the phone included: D2 staff call back
        "contact_id": enquiry.get("contact_id"),
        "recorded_at": enquiry["recorded_at"],
        "recorded_by": enquiry["recorded_by"],
    }


def _visible_to(enquiry: dict[str, Any], caller: Caller) -> bool:
    return caller.role == "d2_coordinator" or enquiry["recorded_by"]["credential_id"] == caller.credential_id


# ---------------------------------------------------------------------- the audit trail
def record_audit(store: D2Store, caller: Caller, activation_id: str, action: str, items: list[str]) -> dict[str, Any]:
    """Append one entry to the activation's chain, trying again when another writer took its place."""
    for _ in range(ATTEMPTS):
        entry = _next_audit(store, caller, activation_id, action, items)
        if store.append_audit(entry):
            return entry
    raise errors.StoreUnavailable("The audit trail is busy; retry shortly.", retry_after=1)


def _next_audit(store: D2Store, caller: Caller, activation_id: str, action: str, items: list[str]) -> dict[str, Any]:
    return audit.next_entry(
        store.last_audit_entry(activation_id),
        activation_id,
        credential_id=caller.credential_id,
        label=caller.label,
        at=iso(utc_now()),
        action=action,
        items=items,
    )


def verify_audit(caller: Caller, activation_id: str, store: D2Store) -> dict[str, Any]:
    """The activation's D2 chain walked: `{"entries", "intact", "first_broken"}` (d2_coordinator, admin)."""
    if caller.role not in ("d2_coordinator", "admin"):
        raise errors.Forbidden("Only a D2 coordinator or the crisis center verifies the D2 audit trail.")
    _existing(store, activation_id)
    return audit.verify(store.audit_entries(activation_id))


# ---------------------------------------------------------------------- recording
def _existing(store: D2Store, activation_id: str) -> dict[str, Any]:
    activation = store.activation(activation_id)
    if activation is None:
        raise errors.NotFound("No such activation.", activation_id=activation_id)
    if activation.get("d2_purged_at"):
        raise errors.D2Purged(
            "This activation's D2 data was erased after its retention ended.",
            activation_id=activation_id,
            purged_at=activation["d2_purged_at"],
        )
    return activation


def _dedup_key(caller: Caller, request: EnquiryIn, idempotency_key: str | None) -> str | None:
    """What makes a retried request the same request: the same agent, the same contact (or Idempotency-Key) and
    the same body. None when neither names the request: each POST is then a new enquiry."""
    if request.contact_id is None and idempotency_key is None:
        return None
    canonical = json.dumps(
        [caller.credential_id, request.contact_id, idempotency_key, request.model_dump(mode="json")],
        sort_keys=True,
        separators=(",", ":"),
    )
    return hashlib.sha256(canonical.encode()).hexdigest()


def record_enquiry(
    caller: Caller, activation_id: str, request: EnquiryIn, store: D2Store, idempotency_key: str | None = None
) -> tuple[dict[str, Any], bool]:
    """Record a relative's enquiry on the activation's D2 line with its own sought person and a new reference.
    Returns the enquiry as the caller sees it and whether it replays an identical earlier request."""
    if caller.role not in D2_ROLES:
        raise errors.Forbidden("Only the D2 line's staff record enquiries.", allowed_roles=sorted(D2_ROLES))
    activation = _existing(store, activation_id)
    _require_d2_line(activation)
    dedup_key = _dedup_key(caller, request, idempotency_key)
    if dedup_key is not None and (earlier := _replayed(caller, activation_id, dedup_key, store)) is not None:
        return earlier, True
    at = iso(utc_now())
    enquiry_id, person_id = uuid.uuid4().hex, uuid.uuid4().hex
    person = {"id": person_id, "enquiry_id": enquiry_id, **request.sought.model_dump(exclude_none=True)}
    enquiry = {
        "id": enquiry_id,
        "activation_id": activation_id,
        "status": "open",
        "person_id": person_id,
        "enquirer": request.enquirer.model_dump(),
        "contact_id": request.contact_id,
        "recorded_at": at,
        "recorded_by": {"credential_id": caller.credential_id, "label": caller.label or ""},
    }
    for _ in range(ATTEMPTS):
        enquiry["reference"] = references.new_reference()
        entry = _next_audit(store, caller, activation_id, "enquiry.record", [enquiry_id, person_id])
        try:
            store.record_enquiry(enquiry, person, dedup_key, entry, scoring.snapshot_line(person))
        except Refused as refused:
            if refused.part == "activation":
                _require_d2_line(_existing(store, activation_id))
                raise errors.NoD2Line(
                    "This activation's D2 line has just closed.", activation_id=activation_id
                ) from None
            if refused.part == "duplicate" and dedup_key is not None:
                earlier = _replayed(caller, activation_id, dedup_key, store)
                if earlier is not None:
                    return earlier, True
            continue  # reference taken or audit raced: draw again
        # Scored against the lists already uploaded; a list uploaded later scores it in turn.
        scoring.score_enquiry(store, activation, enquiry_id, person)
        return shaped(enquiry, person, caller), False
    raise errors.StoreUnavailable("The D2 line is busy; retry shortly.", retry_after=1)


def _require_d2_line(activation: dict[str, Any]) -> None:
    if activation.get("status") != "live":
        raise errors.NoD2Line(
            "This activation is not live: enquiries are recorded only while its line is open.",
            activation_id=activation["id"],
            status=activation.get("status"),
        )
    if not activation.get("victim_information"):
        raise errors.NoD2Line(
            "This activation has no D2 line for victims' relatives; the authority turns it on (victim_information).",
            activation_id=activation["id"],
        )


def _replayed(caller: Caller, activation_id: str, dedup_key: str, store: D2Store) -> dict[str, Any] | None:
    enquiry_id = store.recorded_request(activation_id, dedup_key)
    found = store.enquiry(activation_id, enquiry_id) if enquiry_id else None
    if found is None:
        return None
    record_audit(store, caller, activation_id, "enquiry.replay", [found[0]["id"]])
    return shaped(*found, caller)


# ---------------------------------------------------------------------- reading
def list_enquiries(
    caller: Caller, activation_id: str, store: D2Store, status: str | None = None
) -> list[dict[str, Any]]:
    """The activation's enquiries the caller may see (an agent its own, a coordinator all), oldest first,
    optionally of one status as the caller is shown it. The read is audited with the ids it returned."""
    if caller.role not in D2_ROLES:
        raise errors.Forbidden("Only the D2 line's staff read enquiries.", allowed_roles=sorted(D2_ROLES))
    if status is not None and status not in STATUSES:
        raise errors.InvalidRequest(
            f"The status is one of: {', '.join(STATUSES)}.",
            fields=[{"field": "status", "problem": f"The status is one of: {', '.join(STATUSES)}."}],
        )
    _existing(store, activation_id)
    visible = [
        shaped(enquiry, person, caller)
        for enquiry, person in store.enquiries(activation_id)
        if _visible_to(enquiry, caller)
    ]
    if status is not None:
        visible = [item for item in visible if item["status"] == status]
    record_audit(store, caller, activation_id, "enquiry.list", [item["id"] for item in visible])
    return visible


def get_enquiry(caller: Caller, activation_id: str, typed_reference: str, store: D2Store) -> dict[str, Any]:
    """One enquiry by its reference as typed (case, spaces and dashes do not matter). A reference whose check
    character does not fit is ReferenceMistyped (check it), not NotFound; another agent's enquiry is NotFound."""
    if caller.role not in D2_ROLES:
        raise errors.Forbidden("Only the D2 line's staff read enquiries.", allowed_roles=sorted(D2_ROLES))
    try:
        reference = references.normalised(typed_reference)
    except references.Mistyped as mistyped:
        raise errors.ReferenceMistyped(str(mistyped), reference=typed_reference[:20]) from None
    _existing(store, activation_id)
    enquiry_id = store.enquiry_id_by_reference(activation_id, reference)
    found = store.enquiry(activation_id, enquiry_id) if enquiry_id else None
    if found is None or not _visible_to(found[0], caller):
        raise errors.NotFound("No enquiry with this reference on this activation.", reference=reference)
    record_audit(store, caller, activation_id, "enquiry.read", [found[0]["id"]])
    return shaped(*found, caller)
