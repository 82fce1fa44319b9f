"""What becomes of the D2 line's personal data: the aggregate figures others may see, the export the FPS Public
Health (data controller) takes away, and how long the data is kept before the purge erases it. Plain Python: the
store is handed in."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any, Final, Literal

from crisisline import errors
from crisisline.clock import iso, parse_iso, utc_now
from crisisline.models import Caller
from d2 import export, figures
from d2.d2_store import D2Store, Refused
from d2.enquiries import ATTEMPTS, _existing, _next_audit, record_audit

FIGURE_ROLES: Final = ("authority", "admin", "d2_coordinator")
EXPORT_SOURCE: Final = "crisisline D2 line"
BELIEVED = {"deceased": "believed_dead", "hospitalised": "believed_alive", "reception_centre": "believed_alive"}
ExportFormat = Literal["pfif", "csv"]


# ---------------------------------------------------------------------- figures
def activation_figures(caller: Caller, activation_id: str, store: D2Store) -> dict[str, Any]:
    """The activation's D2 figures (counts only): live while its data is kept, from the archive once purged.
    The activation's own authority, the crisis center and a D2 coordinator; another authority's is NotFound."""
    if caller.role not in FIGURE_ROLES:
        raise errors.Forbidden("The D2 figures are the authority's, the crisis center's and the D2 coordinators'.")
    activation = store.activation(activation_id)
    if activation is None or (caller.role == "authority" and activation.get("authority_id") != caller.authority_id):
        raise errors.NotFound("No such activation.", activation_id=activation_id)
    return {"activation_id": activation_id, **figures.of_activation(activation, store, iso(utc_now()))}


# ---------------------------------------------------------------------- the export
def _at(text: str) -> datetime:
    return parse_iso(text)


def export_records(items: list[dict[str, Any]]) -> tuple[list[export.ExportPerson], list[export.ExportNote]]:
    """The persons the enquiries seek and their notes: one `information_sought` per enquiry, and for each
    confirmed match one saying what its list entry's status says (believed alive or dead). The enquirer's
    phone number is not exported."""
    by_sk = {str(item["sk"]): item for item in items}
    enquiries = sorted((i for i in items if str(i["sk"]).startswith("ENQ#")), key=lambda i: str(i["recorded_at"]))
    persons: list[export.ExportPerson] = []
    notes: list[export.ExportNote] = []
    for enquiry in enquiries:
        person = by_sk.get(f"PERSON#{enquiry['person_id']}", {})
        recorded = _at(str(enquiry["recorded_at"]))
        given, family = person.get("given_names"), person.get("family_name")
        persons.append(
            export.ExportPerson(
                id=str(enquiry["person_id"]),
                entry_date=recorded,
                source_date=recorded,
                full_name=" ".join(part for part in (given, family) if part) or "?",
                given_name=given,
                family_name=family,
                author_name=str(enquiry.get("enquirer", {}).get("name") or "") or None,
                source_name=EXPORT_SOURCE,
                description=person.get("description"),
                sex=person.get("sex"),
                date_of_birth=person.get("birth_date"),
                age=int(person["age"]) if person.get("age") is not None else None,
                home_city=person.get("municipality"),
            )
        )
        notes.append(
            export.ExportNote(
                id=str(enquiry["id"]),
                person_id=str(enquiry["person_id"]),
                entry_date=recorded,
                source_date=recorded,
                author_name=str(enquiry.get("enquirer", {}).get("name") or EXPORT_SOURCE),
                status="information_sought",
                last_known_location=person.get("last_seen"),
                text=f"Enquiry {enquiry.get('reference', '')} ({enquiry.get('enquirer', {}).get('relationship', '')})",
            )
        )
    for match in sorted((i for i in items if str(i["sk"]).startswith("MATCH#")), key=lambda i: str(i["sk"])):
        if match.get("status") != "confirmed":
            continue
        entry = by_sk.get(f"ENTRY#{match.get('entry_id')}", {})
        decided = _at(str(match.get("decided_at") or match.get("proposed_at")))
        notes.append(
            export.ExportNote(
                id=str(match["match_id"]),
                person_id=str(match["person_id"]),
                entry_date=decided,
                source_date=decided,
                author_name="FPS Public Health",
                status=BELIEVED.get(str(entry.get("status"))),
                last_known_location=entry.get("location"),
                text=f"Matched to {entry.get('source', 'a list')} entry {entry.get('source_ref', '')}".strip(),
            )
        )
    return persons, notes


def export_d2(
    caller: Caller, activation_id: str, export_format: ExportFormat, store: D2Store, domain: str
) -> tuple[bytes, list[str]]:
    """The activation's D2 persons and notes as PFIF 1.4 or CSV (d2_coordinator), audited with the persons'
    ids. Returns the file and those ids."""
    if caller.role != "d2_coordinator":
        raise errors.Forbidden("Only a D2 coordinator exports the D2 data.", allowed_roles=["d2_coordinator"])
    _existing(store, activation_id)
    persons, notes = export_records(store.partition(activation_id))
    body = (
        export.pfif_xml(persons, notes, domain=domain) if export_format == "pfif" else export.export_csv(persons, notes)
    )
    ids = [person.id for person in persons]
    record_audit(store, caller, activation_id, f"d2.export.{export_format}", ids)
    return body, ids


# ---------------------------------------------------------------------- retention
def _retention_view(activation: dict[str, Any], kept: dict[str, Any] | None, default_days: int) -> dict[str, Any]:
    days = int(kept["days"]) if kept else default_days
    closed_at = activation.get("closed_at")
    purge_after = iso(_at(str(closed_at)) + timedelta(days=days)) if closed_at else None
    return {
        "activation_id": activation["id"],
        "days": days,
        "default_days": default_days,
        "closed_at": closed_at,
        "purge_after": purge_after,
        "extended": bool(kept),
        "reason": kept.get("reason") if kept else None,
        "extended_at": kept.get("at") if kept else None,
    }


def purge_after(activation: dict[str, Any], kept: dict[str, Any] | None, default_days: int) -> datetime | None:
    """When the activation's D2 data may be purged: `days` after it closed (None while it is live)."""
    closed_at = activation.get("closed_at")
    if not closed_at:
        return None
    days = int(kept["days"]) if kept else default_days
    return _at(str(closed_at)) + timedelta(days=days)


def _coordinator(caller: Caller) -> None:
    if caller.role != "d2_coordinator":
        raise errors.Forbidden(
            "Only a D2 coordinator decides how long D2 data is kept.", allowed_roles=["d2_coordinator"]
        )


def get_retention(caller: Caller, activation_id: str, store: D2Store, default_days: int) -> dict[str, Any]:
    _coordinator(caller)
    activation = _existing(store, activation_id)
    return _retention_view(activation, store.retention(activation_id), default_days)


def extend_retention(
    caller: Caller, activation_id: str, days: int, reason: str, store: D2Store, default_days: int
) -> dict[str, Any]:
    """Keep the activation's D2 data `days` days after it closes instead of fewer: never shorter than now
    (InvalidRequest), a reason always; the extension is audited."""
    _coordinator(caller)
    activation = _existing(store, activation_id)
    for _ in range(ATTEMPTS):
        kept = store.retention(activation_id)
        current = int(kept["days"]) if kept else default_days
        if days <= current:
            problem = f"The data is kept {current} days after the activation closes; a retention is only extended."
            raise errors.InvalidRequest(problem, fields=[{"field": "days", "problem": problem}], days=current)
        retention = {
            "activation_id": activation_id,
            "days": days,
            "reason": reason,
            "at": iso(utc_now()),
            "by": {"credential_id": caller.credential_id, "label": caller.label or ""},
        }
        entry = _next_audit(store, caller, activation_id, "d2.retention.extend", [activation_id])
        try:
            store.extend_retention(retention, int(kept["days"]) if kept else None, entry)
        except Refused:
            continue
        return _retention_view(activation, retention, default_days)
    raise errors.StoreUnavailable("The D2 line is busy; retry shortly.", retry_after=1)
