"""Enquiries that seem to be about the same person (two relatives asking about one victim), and the links a D2
coordinator makes between their sought persons. Nothing is linked or merged automatically: the engine proposes,
with its evidence, and a coordinator decides; every read, link and unlink is audited. Plain Python."""

from __future__ import annotations

from datetime import date
from typing import Any

from crisisline import errors
from crisisline.clock import iso, parse_iso, utc_now
from crisisline.models import Caller
from d2 import references
from d2.d2_store import D2Store, Refused
from d2.enquiries import ATTEMPTS, _existing, _next_audit, record_audit
from d2.matching import EnquiryIndex, InvalidBirthDate, Sought

COORDINATOR = "d2_coordinator"


def _coordinator_only(caller: Caller, what: str) -> None:
    if caller.role != COORDINATOR:
        raise errors.Forbidden(f"Only a D2 coordinator {what}.", allowed_roles=[COORDINATOR])


def sought(person: dict[str, Any]) -> Sought:
    """A stored sought person as the matching engine reads it."""
    return Sought(
        given_names=str(person.get("given_names", "")),
        family_name=str(person.get("family_name", "")),
        birth_date=person.get("birth_date"),
        age=person.get("age"),
        sex=person.get("sex"),
        municipality=person.get("municipality"),
        nationality=person.get("nationality"),
    )


def _event_date(activation: dict[str, Any]) -> date:
    opened = activation.get("opened_at")
    return parse_iso(str(opened)).date() if opened else utc_now().date()


def linked_persons(links: list[dict[str, Any]]) -> dict[str, set[str]]:
    """Each person's directly linked persons."""
    found: dict[str, set[str]] = {}
    for link in links:
        found.setdefault(str(link["person_id"]), set()).add(str(link["other_person_id"]))
    return found


def related(caller: Caller, activation_id: str, typed_reference: str, store: D2Store) -> list[dict[str, Any]]:
    """The activation's other enquiries that may be about the person of the enquiry `typed_reference`, best
    first, each with the engine's evidence and whether a coordinator linked the two persons. Candidates come
    from the engine's blocking keys, never from comparing every pair."""
    _coordinator_only(caller, "reads related enquiries")
    try:
        reference = references.normalised(typed_reference)
    except references.Mistyped as mistyped:
        raise errors.ReferenceMistyped(str(mistyped), reference=typed_reference[:20]) from None
    activation = _existing(store, activation_id)
    enquiry_id = store.enquiry_id_by_reference(activation_id, reference)
    pairs = store.enquiries(activation_id)
    by_id = {enquiry["id"]: (enquiry, person) for enquiry, person in pairs}
    if enquiry_id is None or enquiry_id not in by_id:
        raise errors.NotFound("No enquiry with this reference on this activation.", reference=reference)
    index = EnquiryIndex(_event_date(activation))
    for enquiry, person in pairs:
        try:
            index.add(enquiry["id"], sought(person))
        except InvalidBirthDate:
            continue  # recorded before the birth date was checked: not comparable, never a reason to fail
    enquiry, person = by_id[enquiry_id]
    links = linked_persons(store.links(activation_id)).get(str(enquiry["person_id"]), set())
    items = []
    for match in index.related(sought(person), enquiry_id=enquiry_id):
        other, _ = by_id[match.enquiry_id]
        items.append(
            {
                "reference": other["reference"],
                "person_id": other["person_id"],
                "grade": match.grade,
                "score": match.score,
                "agreed": match.agreed,
                "differs": match.differs,
                "linked": other["person_id"] in links,
            }
        )
    record_audit(store, caller, activation_id, "enquiry.related", [enquiry_id, *(i["person_id"] for i in items)])
    return items


def _both(store: D2Store, activation_id: str, person_id: str, other_person_id: str) -> None:
    _existing(store, activation_id)
    if person_id == other_person_id:
        raise errors.InvalidRequest(
            "A person is not linked to themself: name the other enquiry's person.",
            fields=[{"field": "person_id", "problem": "is the person in the path"}],
        )
    for one in (person_id, other_person_id):
        if store.person(activation_id, one) is None:
            raise errors.NotFound("No such person on this activation.", person_id=one)


def link(caller: Caller, activation_id: str, person_id: str, other_person_id: str, store: D2Store) -> dict[str, Any]:
    """A coordinator says two sought persons are one: the link is written both ways and audited. Linking again
    changes nothing but the audit trail."""
    _coordinator_only(caller, "links enquiries")
    _both(store, activation_id, person_id, other_person_id)
    made = {
        "person_id": person_id,
        "other_person_id": other_person_id,
        "linked_by": {"credential_id": caller.credential_id, "label": caller.label or ""},
        "linked_at": iso(utc_now()),
    }
    for _ in range(ATTEMPTS):
        entry = _next_audit(store, caller, activation_id, "person.link", [person_id, other_person_id])
        try:
            store.link_persons(activation_id, made, entry)
        except Refused:
            continue  # another audit entry took this sequence number
        return made
    raise errors.StoreUnavailable("The D2 line is busy; retry shortly.", retry_after=1)


def unlink(caller: Caller, activation_id: str, person_id: str, other_person_id: str, store: D2Store) -> None:
    """A coordinator undoes a link, audited; NotFound when the two were not linked."""
    _coordinator_only(caller, "unlinks enquiries")
    _both(store, activation_id, person_id, other_person_id)
    for _ in range(ATTEMPTS):
        entry = _next_audit(store, caller, activation_id, "person.unlink", [person_id, other_person_id])
        try:
            store.unlink_persons(activation_id, person_id, other_person_id, entry)
        except Refused as refused:
            if refused.part == "link":
                raise errors.NotFound(
                    "These two persons are not linked.", person_id=person_id, other_person_id=other_person_id
                ) from None
            continue
        return
    raise errors.StoreUnavailable("The D2 line is busy; retry shortly.", retry_after=1)
