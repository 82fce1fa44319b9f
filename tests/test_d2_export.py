"""D2 export: the FPS Public Health passes what the line knows about victims and the enquiries about them to
other services, as PFIF 1.4 (the People Finder Interchange Format) or as a CSV to open in Excel; what a person
typed stays text in both, never markup and never a formula."""

from __future__ import annotations

import csv
import io
import xml.etree.ElementTree as ET
from datetime import UTC, datetime, timedelta, timezone

import pytest

from crisisline.spreadsheet_text import FORMULA_START, csv_original
from d2.export import CSV_HEADER, NOTE_STATUSES, ExportNote, ExportPerson, export_csv, pfif_xml

NS = "http://zesty.ca/pfif/1.4"
P = f"{{{NS}}}"
DOMAIN = "crisisline.example.be"
# PFIF 1.4 (zesty.ca/pfif/1.4): every field of a record in the order the specification gives, and those required.
PERSON_ORDER = (
    "person_record_id",
    "entry_date",
    "expiry_date",
    "author_name",
    "author_email",
    "author_phone",
    "source_name",
    "source_date",
    "source_url",
    "full_name",
    "given_name",
    "family_name",
    "alternate_names",
    "description",
    "sex",
    "date_of_birth",
    "age",
    "home_street",
    "home_neighborhood",
    "home_city",
    "home_state",
    "home_postal_code",
    "home_country",
    "photo_url",
    "profile_urls",
    "note",
)
NOTE_ORDER = (
    "note_record_id",
    "person_record_id",
    "linked_person_record_id",
    "entry_date",
    "author_name",
    "author_email",
    "author_phone",
    "source_date",
    "author_made_contact",
    "status",
    "email_of_found_person",
    "phone_of_found_person",
    "last_known_location",
    "text",
    "photo_url",
)
PERSON_REQUIRED = ("person_record_id", "source_date", "full_name")
NOTE_REQUIRED = ("note_record_id", "author_name", "source_date")
AT = datetime(2026, 11, 29, 21, 14, 5, 123456, tzinfo=UTC)


def person(ident: str = "p1", **more: object) -> ExportPerson:
    values: dict[str, object] = {
        "id": ident,
        "entry_date": AT,
        "source_date": AT - timedelta(hours=1),
        "full_name": "Jan Peeters",
        "given_name": "Jan",
        "family_name": "Peeters",
        "author_name": "FPS Public Health",
        "source_name": "UZ Gent",
        "description": "Admitted, ward C",
        "sex": "m",
        "date_of_birth": "1956-03-07",
        "age": 70,
        "home_city": "Gent",
    }
    return ExportPerson(**{**values, **more})  # type: ignore[arg-type]


def note(ident: str = "n1", person_id: str = "p1", **more: object) -> ExportNote:
    values: dict[str, object] = {
        "id": ident,
        "person_id": person_id,
        "entry_date": AT,
        "source_date": AT,
        "author_name": "Operator 12",
        "status": "information_sought",
        "last_known_location": "Station Gent-Sint-Pieters",
        "text": "His daughter asks about him.",
    }
    return ExportNote(**{**values, **more})  # type: ignore[arg-type]


def parse(body: bytes) -> ET.Element:
    return ET.fromstring(body)  # noqa: S314 (the export's own output, read back to check it)


def fields(element: ET.Element) -> list[str]:
    return [child.tag.removeprefix(P) for child in element]


def text_of(element: ET.Element, name: str) -> str | None:
    return element.findtext(P + name)


def csv_rows(body: bytes) -> list[dict[str, str]]:
    assert body.startswith(b"\xef\xbb\xbf")
    return list(csv.DictReader(io.StringIO(body.decode("utf-8-sig"), newline="")))


# --- PFIF ---------------------------------------------------------------------------------------------------


def test_a_person_with_notes_is_written_as_pfif_14_with_each_note_inside_its_person() -> None:
    root = parse(pfif_xml([person()], [note("n1"), note("n2", status="believed_alive")], domain=DOMAIN))
    assert root.tag == P + "pfif"
    [record] = root
    assert record.tag == P + "person"
    assert text_of(record, "person_record_id") == f"{DOMAIN}/p1"
    assert text_of(record, "entry_date") == "2026-11-29T21:14:05Z"
    assert text_of(record, "source_date") == "2026-11-29T20:14:05Z"
    assert text_of(record, "full_name") == "Jan Peeters"
    assert text_of(record, "sex") == "male"
    assert text_of(record, "date_of_birth") == "1956-03-07"
    assert text_of(record, "age") == "70"
    notes = record.findall(P + "note")
    assert [text_of(one, "note_record_id") for one in notes] == [f"{DOMAIN}/n1", f"{DOMAIN}/n2"]
    assert {text_of(one, "person_record_id") for one in notes} == {f"{DOMAIN}/p1"}
    assert [text_of(one, "status") for one in notes] == ["information_sought", "believed_alive"]


def test_pfif_records_hold_their_fields_in_the_specifications_order_with_the_required_ones() -> None:
    root = parse(
        pfif_xml(
            [person("p1"), person("p2", given_name=None, sex=None, age=None, description=None)],
            [note("n1"), note("n2", person_id="p2", status=None, last_known_location=None)],
            domain=DOMAIN,
        )
    )
    for record in root.findall(P + "person"):
        names = fields(record)
        assert names == sorted(names, key=PERSON_ORDER.index)
        assert set(PERSON_REQUIRED) <= set(names)
        for one in record.findall(P + "note"):
            assert fields(one) == sorted(fields(one), key=NOTE_ORDER.index)
            assert set(NOTE_REQUIRED) <= set(fields(one))
    second = root.findall(P + "person")[1]
    assert "given_name" not in fields(second)  # an empty field is left out, not written empty
    assert "status" not in fields(second.find(P + "note"))  # type: ignore[arg-type]


@pytest.mark.parametrize(("sex", "pfif"), [("f", "female"), ("m", "male"), ("x", "other")])
def test_sex_is_written_with_pfif_words(sex: str, pfif: str) -> None:
    assert text_of(parse(pfif_xml([person(sex=sex)], [], domain=DOMAIN))[0], "sex") == pfif


def test_note_statuses_are_pfifs_own() -> None:
    assert NOTE_STATUSES == (
        "information_sought",
        "is_note_author",
        "believed_alive",
        "believed_missing",
        "believed_dead",
    )
    with pytest.raises(ValueError, match="status"):
        note(status="found")


def test_typed_markup_and_ampersands_come_back_as_the_text_that_was_typed() -> None:
    typed = '<script>alert("x")</script> & Co. ]]> &amp; <pfif:note/>'
    body = pfif_xml(
        [person(full_name=typed, family_name=typed, description=typed)],
        [note(text=typed, author_name=typed)],
        domain=DOMAIN,
    )
    assert b"<script>" not in body
    root = parse(body)
    [record] = root
    assert text_of(record, "full_name") == typed
    assert text_of(record, "description") == typed
    [only] = record.findall(P + "note")
    assert text_of(only, "text") == typed
    assert text_of(only, "author_name") == typed
    assert len(root.findall(f".//{P}note")) == 1


def test_characters_xml_cannot_hold_are_replaced_so_the_file_still_parses() -> None:
    body = pfif_xml([person(full_name="Jan\x00Pee\x1bters\ufffe")], [note(text="line\r\nnext\tcol")], domain=DOMAIN)
    root = parse(body)
    assert text_of(root[0], "full_name") == "Jan\ufffdPee\ufffdters\ufffd"
    assert text_of(root[0].find(P + "note"), "text") == "line\nnext\tcol"  # type: ignore[arg-type]


def test_names_in_any_script_are_written_in_utf8() -> None:
    body = pfif_xml([person(full_name="Zoë Dœns 王秀英")], [], domain=DOMAIN)
    assert body.startswith(b"<?xml version='1.0' encoding='utf-8'?>")
    assert "Zoë Dœns 王秀英".encode() in body


def test_a_note_about_a_person_not_in_the_export_is_a_top_level_pfif_note() -> None:
    root = parse(pfif_xml([person("p1")], [note("n9", person_id="p7")], domain=DOMAIN))
    assert [child.tag for child in root] == [P + "person", P + "note"]
    assert text_of(root[1], "person_record_id") == f"{DOMAIN}/p7"
    assert root[0].find(P + "note") is None


def test_times_are_written_in_utc_whatever_zone_they_come_in() -> None:
    brussels = datetime(2026, 7, 1, 9, 0, tzinfo=timezone(timedelta(hours=2)))
    root = parse(pfif_xml([person(entry_date=brussels)], [], domain=DOMAIN))
    assert text_of(root[0], "entry_date") == "2026-07-01T07:00:00Z"


def test_an_export_refuses_values_pfif_cannot_carry() -> None:
    with pytest.raises(ValueError, match="UTC"):
        person(entry_date=datetime(2026, 11, 29, 12, 0))  # a naive time
    with pytest.raises(ValueError, match="sex"):
        person(sex="male")
    with pytest.raises(ValueError, match="date_of_birth"):
        person(date_of_birth="07/03/1956")
    with pytest.raises(ValueError, match="domain"):
        pfif_xml([person()], [], domain="bad/domain")


def test_an_empty_export_is_an_empty_pfif_document() -> None:
    root = parse(pfif_xml([], [], domain=DOMAIN))
    assert root.tag == P + "pfif"
    assert list(root) == []


# --- CSV ----------------------------------------------------------------------------------------------------


def test_the_csv_has_one_row_per_note_with_its_person_and_one_row_for_a_person_without_notes() -> None:
    rows = csv_rows(
        export_csv(
            [person("p1"), person("p2", full_name="Ann Claes")],
            [note("n1"), note("n2", status="believed_dead")],
        )
    )
    assert [(row["person_record_id"], row["note_record_id"]) for row in rows] == [
        ("p1", "n1"),
        ("p1", "n2"),
        ("p2", ""),
    ]
    assert rows[0]["full_name"] == "Jan Peeters"
    assert rows[0]["sex"] == "male"
    assert rows[0]["age"] == "70"
    assert rows[0]["entry_date"] == "2026-11-29T21:14:05Z"
    assert rows[1]["note_status"] == "believed_dead"
    assert rows[2]["full_name"] == "Ann Claes"
    assert rows[2]["note_text"] == ""


def test_the_csv_and_the_pfif_carry_the_same_fields() -> None:
    one_person, notes = person(), [note()]
    root = parse(pfif_xml([one_person], notes, domain=DOMAIN))
    record = root[0]
    pfif_fields = {name for name in fields(record) if name != "note"}
    pfif_fields |= {
        name if name == "note_record_id" else f"note_{name}"
        for name in fields(record.find(P + "note"))  # type: ignore[arg-type]
    } - {"note_person_record_id"}
    assert set(CSV_HEADER) == pfif_fields
    [row] = csv_rows(export_csv([one_person], notes))
    assert list(row) == list(CSV_HEADER)
    for name in fields(record):
        if name != "note":
            assert row[name] == text_of(record, name).removeprefix(f"{DOMAIN}/")  # type: ignore[union-attr]


def test_no_csv_cell_can_start_a_formula_and_each_gives_back_what_was_typed() -> None:
    typed = ['=HYPERLINK("http://evil")', "+32475123456", "-Dupont", "@SUM(A1)", "Jan;=1+1", " =cmd", "\tx"]
    persons = [person(f"p{i}", full_name=text, family_name=text, home_city=text) for i, text in enumerate(typed)]
    notes = [note(f"n{i}", person_id=f"p{i}", text=text, author_name=text) for i, text in enumerate(typed)]
    body = export_csv(persons, notes)
    rows = csv_rows(body)
    for row, text in zip(rows, typed, strict=True):
        for name in ("full_name", "family_name", "home_city", "note_text", "note_author_name"):
            cell = row[name]
            for piece in cell.split(";"):
                assert piece.lstrip(" ")[:1] not in FORMULA_START
            assert csv_original(cell) == text


def test_the_csv_is_utf8_with_a_byte_order_mark_and_crlf_as_excel_in_belgium_opens_it() -> None:
    body = export_csv([person(full_name="Élodie Müller-Lefèvre")], [])
    assert body.startswith(b"\xef\xbb\xbf" + ",".join(CSV_HEADER).encode() + b"\r\n")
    assert "Élodie Müller-Lefèvre".encode() in body


def test_a_note_about_a_person_not_in_the_export_is_a_csv_row_with_only_the_persons_reference() -> None:
    [row] = csv_rows(export_csv([], [note("n9", person_id="p7")]))
    assert row["person_record_id"] == "p7"
    assert row["full_name"] == ""
    assert row["note_record_id"] == "n9"
