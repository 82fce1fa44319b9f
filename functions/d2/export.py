"""What the line knows about victims and the enquiries about them, exported for the FPS Public Health and the
services it shares with: PFIF 1.4 (the People Finder Interchange Format, zesty.ca/pfif/1.4) and a CSV of the
same fields to open in Excel.

PFIF: a `pfif:person` record per person, with their `pfif:note` records inside it; fields in the order the
specification gives, an empty field left out. Record ids are `domain/id`; times are UTC, `YYYY-MM-DDTHH:MM:SSZ`.
A note about a person not in the export is a top-level `pfif:note`, as PFIF allows. Text goes through
ElementTree, which escapes it, so typed markup reads back as the text it was; characters XML cannot hold
(control characters) become U+FFFD.

CSV: one row per note, joined with its person (the person's columns, then the note's, prefixed `note_`); a
person without notes has one row with the note's columns empty, and a note about a person not in the export has
only `person_record_id` of the person's. Ids are as the store keeps them (no domain). Written through
crisisline.spreadsheet_text as every export is: UTF-8 with a byte order mark, `,` and CRLF, no cell a formula."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from crisisline.spreadsheet_text import csv_file

NAMESPACE = "http://zesty.ca/pfif/1.4"
NOTE_STATUSES = ("information_sought", "is_note_author", "believed_alive", "believed_missing", "believed_dead")
PFIF_SEX = {"f": "female", "m": "male", "x": "other"}
# The fields this export writes, in PFIF 1.4's order (a subset: no contact details, photos or addresses).
PERSON_FIELDS = (
    "person_record_id",
    "entry_date",
    "author_name",
    "source_name",
    "source_date",
    "full_name",
    "given_name",
    "family_name",
    "description",
    "sex",
    "date_of_birth",
    "age",
    "home_city",
)
NOTE_FIELDS = (
    "note_record_id",
    "person_record_id",
    "entry_date",
    "author_name",
    "source_date",
    "status",
    "last_known_location",
    "text",
)
NOTE_COLUMNS = tuple(
    name if name == "note_record_id" else f"note_{name}" for name in NOTE_FIELDS if name != "person_record_id"
)
CSV_HEADER = (*PERSON_FIELDS, *NOTE_COLUMNS)

_DATE = re.compile(r"\d{4}(?:-\d{2}(?:-\d{2})?)?")
_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")

ET.register_namespace("pfif", NAMESPACE)


def _aware(name: str, value: datetime) -> None:
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{name} must be a timezone-aware instant (it is written in UTC)")


@dataclass(frozen=True, slots=True)
class ExportPerson:
    """A person as exported: a list entry or the person an enquiry seeks. `sex` is f, m or x; `date_of_birth`
    YYYY, YYYY-MM or YYYY-MM-DD; the instants timezone-aware."""

    id: str
    entry_date: datetime
    source_date: datetime
    full_name: str
    given_name: str | None = None
    family_name: str | None = None
    author_name: str | None = None
    source_name: str | None = None
    description: str | None = None
    sex: str | None = None
    date_of_birth: str | None = None
    age: int | None = None
    home_city: str | None = None

    def __post_init__(self) -> None:
        _aware("entry_date", self.entry_date)
        _aware("source_date", self.source_date)
        if self.sex is not None and self.sex not in PFIF_SEX:
            raise ValueError(f"sex is f, m or x, not {self.sex!r}")
        if self.date_of_birth is not None and not _DATE.fullmatch(self.date_of_birth):
            raise ValueError(f"date_of_birth is YYYY, YYYY-MM or YYYY-MM-DD, not {self.date_of_birth!r}")
        if self.age is not None and self.age < 0:
            raise ValueError(f"age cannot be negative ({self.age})")


@dataclass(frozen=True, slots=True)
class ExportNote:
    """What is known or asked about a person (`person_id`), by whom and when: an enquiry, a match, a status on a
    list. `status` one of `NOTE_STATUSES` or None."""

    id: str
    person_id: str
    entry_date: datetime
    source_date: datetime
    author_name: str
    status: str | None = None
    last_known_location: str | None = None
    text: str | None = None

    def __post_init__(self) -> None:
        _aware("entry_date", self.entry_date)
        _aware("source_date", self.source_date)
        if self.status is not None and self.status not in NOTE_STATUSES:
            raise ValueError(f"status is one of {', '.join(NOTE_STATUSES)}, not {self.status!r}")


def _instant(value: datetime) -> str:
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _person_values(person: ExportPerson, record_id: str) -> dict[str, str | int | None]:
    return {
        "person_record_id": record_id,
        "entry_date": _instant(person.entry_date),
        "author_name": person.author_name,
        "source_name": person.source_name,
        "source_date": _instant(person.source_date),
        "full_name": person.full_name,
        "given_name": person.given_name,
        "family_name": person.family_name,
        "description": person.description,
        "sex": PFIF_SEX[person.sex] if person.sex else None,
        "date_of_birth": person.date_of_birth,
        "age": person.age,
        "home_city": person.home_city,
    }


def _note_values(note: ExportNote, record_id: str, person_record_id: str) -> dict[str, str | int | None]:
    return {
        "note_record_id": record_id,
        "person_record_id": person_record_id,
        "entry_date": _instant(note.entry_date),
        "author_name": note.author_name,
        "source_date": _instant(note.source_date),
        "status": note.status,
        "last_known_location": note.last_known_location,
        "text": note.text,
    }


def _notes_by_person(
    persons: Sequence[ExportPerson], notes: Iterable[ExportNote]
) -> tuple[dict[str, list[ExportNote]], list[ExportNote]]:
    """Each exported person's notes in the order given, and the notes about anyone else."""
    known = {person.id for person in persons}
    by_person: dict[str, list[ExportNote]] = defaultdict(list)
    others: list[ExportNote] = []
    for note in notes:
        (by_person[note.person_id] if note.person_id in known else others).append(note)
    return by_person, others


def _record(parent: ET.Element, tag: str, names: Sequence[str], values: dict[str, str | int | None]) -> ET.Element:
    element = ET.SubElement(parent, f"{{{NAMESPACE}}}{tag}")
    for name in names:
        value = values[name]
        if value is None or value == "":
            continue
        ET.SubElement(element, f"{{{NAMESPACE}}}{name}").text = _NOT_XML.sub("\ufffd", str(value))
    return element


def pfif_xml(persons: Sequence[ExportPerson], notes: Iterable[ExportNote], *, domain: str) -> bytes:
    """A PFIF 1.4 document (UTF-8) of the persons, each with their notes; record ids `domain/id`."""
    if not domain or "/" in domain or domain != domain.strip():
        raise ValueError(f"domain is a domain name such as crisisline.example.be, not {domain!r}")
    by_person, others = _notes_by_person(persons, notes)
    root = ET.Element(f"{{{NAMESPACE}}}pfif")
    for person in persons:
        person_record_id = f"{domain}/{person.id}"
        element = _record(root, "person", PERSON_FIELDS, _person_values(person, person_record_id))
        for note in by_person.get(person.id, []):
            _record(element, "note", NOTE_FIELDS, _note_values(note, f"{domain}/{note.id}", person_record_id))
    for note in others:
        _record(root, "note", NOTE_FIELDS, _note_values(note, f"{domain}/{note.id}", f"{domain}/{note.person_id}"))
    ET.indent(root)
    return ET.tostring(root, encoding="utf-8", xml_declaration=True) + b"\n"


def export_csv(persons: Sequence[ExportPerson], notes: Iterable[ExportNote]) -> bytes:
    """The same fields as `pfif_xml` as a CSV: one row per note with its person, one per person without notes."""
    by_person, others = _notes_by_person(persons, notes)
    rows: list[list[Any]] = []

    def note_cells(note: ExportNote) -> list[Any]:
        values = _note_values(note, note.id, note.person_id)
        return [values[name] for name in NOTE_FIELDS if name != "person_record_id"]

    for person in persons:
        values = _person_values(person, person.id)
        person_cells = [values[name] for name in PERSON_FIELDS]
        person_notes = by_person.get(person.id, [])
        rows.extend(person_cells + note_cells(note) for note in person_notes)
        if not person_notes:
            rows.append(person_cells + [None] * len(NOTE_COLUMNS))
    for note in others:
        rows.append([note.person_id, *[None] * (len(PERSON_FIELDS) - 1), *note_cells(note)])
    return csv_file([CSV_HEADER, *rows])
