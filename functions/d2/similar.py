"""The intake's warning of likely duplicates: while a D2 agent types the sought person, the enquiries already
recorded about someone alike. Candidates come from the matching engine's blocking keys (`EnquiryIndex`), never
from comparing every pair. An agent, who never browses others' enquiries, learns how many there are and the
references of its own; a coordinator the references and grades of all. Plain Python: the store is handed in."""

from __future__ import annotations

from typing import Any

from crisisline import errors
from crisisline.models import Caller
from d2 import matching
from d2.d2_store import D2Store
from d2.enquiries import D2_ROLES, _existing, _visible_to, record_audit

# A closed enquiry was answered or withdrawn: a new call about the same person is no duplicate of it.
COMPARED_STATUSES = frozenset({"open", "matched", "deceased"})


def _sought(person: dict[str, Any]) -> matching.Sought:
    return matching.Sought(
        given_names=str(person.get("given_names", "")),
        family_name=str(person.get("family_name", "")),
        birth_date=person.get("birth_date"),
        age=int(person["age"]) if person.get("age") is not None else None,
        sex=person.get("sex"),
    )


def similar_enquiries(
    caller: Caller,
    activation_id: str,
    store: D2Store,
    given_names: str,
    family_name: str,
    birth_date: str | None = None,
) -> dict[str, Any]:
    """`{"count", "items"}`: how many recorded enquiries may be about the person typed, best first; the items are
    `{"reference"}` of the caller's own for an agent, `{"reference", "grade"}` of all for a coordinator. Audited
    as a read with the ids of every enquiry counted."""
    if caller.role not in D2_ROLES:
        raise errors.Forbidden("Only the D2 line's staff read enquiries.", allowed_roles=sorted(D2_ROLES))
    _existing(store, activation_id)
    index = matching.EnquiryIndex()
    recorded: dict[str, dict[str, Any]] = {}
    for enquiry, person in store.enquiries(activation_id):
        if enquiry.get("status") in COMPARED_STATUSES and person.get("family_name"):
            recorded[enquiry["id"]] = enquiry
            index.add(enquiry["id"], _sought(person))
    typed = matching.Sought(given_names=given_names, family_name=family_name, birth_date=birth_date)
    found = index.related(typed) if recorded else []
    if caller.role == "d2_coordinator":
        items = [{"reference": recorded[match.enquiry_id]["reference"], "grade": match.grade} for match in found]
    else:
        items = [
            {"reference": recorded[match.enquiry_id]["reference"]}
            for match in found
            if _visible_to(recorded[match.enquiry_id], caller)
        ]
    record_audit(store, caller, activation_id, "enquiry.similar", [match.enquiry_id for match in found])
    return {"count": len(found), "items": items}
