"""A D2 coordinator takes the activation's D2 data away for the FPS Public Health: PFIF 1.4 for other people
finders, CSV for Excel, each a file with its name; typed text stays text, and the export is audited."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from typing import Any

import boto3
import pytest

from crisisline.aws import client
from d2.d2_store import D2Store, d2_settings
from tests.conftest import table_names
from tests.test_d2_enquiries import PHONE, Line, _record, line  # noqa: F401  (the fixture)

PFIF = "{http://zesty.ca/pfif/1.4}"


def _export(line: Line, export_format: str, token: str | None = None) -> Any:  # noqa: F811
    return line.api.get(
        f"/activations/{line.activation_id}/d2/export?format={export_format}", token or line.coordinator
    )


def _confirmed_match(line: Line, person_id: str, status: str) -> None:  # noqa: F811
    table = boto3.resource("dynamodb").Table(table_names()["D2Table"])
    table.put_item(
        Item={
            "activation_id": line.activation_id,
            "sk": "ENTRY#x1",
            "entry_id": "x1",
            "list_id": "l1",
            "source": "UZ Gent",
            "source_ref": "H-17",
            "family_name": "Van den Broeck",
            "status": status,
            "location": "UZ Gent, ward 3",
            "disclosure_refused": False,
        }
    )
    table.put_item(
        Item={
            "activation_id": line.activation_id,
            "sk": "MATCH#m1",
            "match_id": "m1",
            "person_id": person_id,
            "entry_id": "x1",
            "status": "confirmed",
            "proposed_at": "2026-11-29T10:00:00Z",
            "decided_at": "2026-11-29T10:30:00Z",
        }
    )


def test_the_pfif_export_has_each_sought_person_with_what_is_known(line: Line) -> None:  # noqa: F811
    recorded = _record(line)
    _confirmed_match(line, recorded["person_id"], "hospitalised")
    answer = _export(line, "pfif")
    assert answer.status == 200, answer.raw[:300]
    assert answer.headers["Content-Type"].startswith("application/xml")
    assert f'filename="crisisline-d2-{line.activation_id}.xml"' in answer.headers["Content-Disposition"]
    root = ET.fromstring(answer.raw)  # noqa: S314 (the export's own output, read back to check it)
    person = root.find(f"{PFIF}person")
    assert person is not None
    assert person.findtext(f"{PFIF}family_name") == "Van den Broeck"
    statuses = [note.findtext(f"{PFIF}status") for note in person.findall(f"{PFIF}note")]
    assert statuses == ["information_sought", "believed_alive"]
    assert PHONE.encode() not in answer.raw


def test_a_death_on_a_list_is_exported_as_believed_dead(line: Line) -> None:  # noqa: F811
    recorded = _record(line)
    _confirmed_match(line, recorded["person_id"], "deceased")
    assert b"<pfif:status>believed_dead</pfif:status>" in _export(line, "pfif").raw


def test_typed_markup_and_formulas_stay_text_in_both_files(line: Line) -> None:  # noqa: F811
    sought = {
        "given_names": "Marie",
        "family_name": "Van den Broeck",
        "description": '=HYPERLINK("http://x")',
        "last_seen": "<script>alert(1)</script> & co",
    }
    _record(line, sought=sought)
    pfif = _export(line, "pfif")
    assert b"<script>" not in pfif.raw
    root = ET.fromstring(pfif.raw)  # noqa: S314 (the export's own output)
    assert root.find(f"{PFIF}person/{PFIF}note/{PFIF}last_known_location").text == sought["last_seen"]  # type: ignore[union-attr]
    csv = _export(line, "csv")
    assert csv.status == 200
    assert csv.headers["Content-Type"].startswith("text/csv")
    assert f'filename="crisisline-d2-{line.activation_id}.csv"' in csv.headers["Content-Disposition"]
    text = csv.raw.decode("utf-8-sig")
    assert ",=HYPERLINK" not in text and "'=HYPERLINK" in text
    assert PHONE not in text


def test_the_export_is_audited_with_the_persons_it_carried(line: Line) -> None:  # noqa: F811
    recorded = _record(line)
    _export(line, "csv")
    chain = D2Store(client("dynamodb"), d2_settings()).audit_entries(line.activation_id)
    assert chain[-1]["action"] == "d2.export.csv"
    assert chain[-1]["items"] == [recorded["person_id"]]
    assert chain[-1]["who"]["label"] == "Karel Peeters"


@pytest.mark.parametrize("who", ["agent", "gent", "admin", "finance", "operator"])
def test_only_a_coordinator_exports(line: Line, who: str) -> None:  # noqa: F811
    _record(line)
    assert _export(line, "pfif", getattr(line, who)).status == 403


def test_an_unknown_format_is_refused(line: Line) -> None:  # noqa: F811
    assert _export(line, "xlsx").status == 422
