"""Two relatives ask about one victim: a coordinator sees the other enquiries that seem to be about the same
person, with the engine's evidence, and links their persons by hand; nothing is ever linked automatically."""

from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import Api
from tests.d2_support import D2Line, d2_line, d2_store, enquiry, issue, open_line

__all__ = ["d2_line"]


def _related(line: D2Line, reference: str, token: str | None = None) -> Any:
    return line.api.get(f"{line.path}/enquiries/{reference}/related", token or line.coordinator)


def test_a_differently_spelled_second_enquiry_is_related_and_an_unrelated_one_is_not(d2_line: D2Line) -> None:
    first = d2_line.record(enquiry("Marie", "Van den Broeck", "1987-03"))
    spelled = d2_line.record(enquiry("Marie", "Vandenbroek", "1987-03"), d2_line.other_agent)
    unrelated = d2_line.record(enquiry("Pieter", "Claes", "1952"))
    answer = _related(d2_line, first["reference"])
    assert answer.status == 200, answer.body
    items = answer.body["items"]
    assert [item["reference"] for item in items] == [spelled["reference"]]
    assert unrelated["reference"] not in str(items)
    found = items[0]
    assert found["person_id"] == spelled["person_id"]
    assert found["grade"] in ("A", "B") and 0 < found["score"] <= 1
    assert any(label.startswith("family name") for label in found["agreed"])
    assert found["linked"] is False
    # From the other side too, and the enquiry itself is never its own relative.
    back = _related(d2_line, spelled["reference"].lower()).body["items"]
    assert [item["reference"] for item in back] == [first["reference"]]


def test_reading_related_enquiries_links_nothing_and_is_audited(d2_line: D2Line) -> None:
    first = d2_line.record(enquiry())
    d2_line.record(enquiry())
    assert _related(d2_line, first["reference"]).status == 200
    store = d2_store()
    assert store.links(d2_line.activation_id) == []
    last = store.audit_entries(d2_line.activation_id)[-1]
    assert last["action"] == "enquiry.related" and last["items"][0] == first["id"]
    assert last["who"]["label"] == "Karel Peeters"


def test_a_coordinator_links_two_persons_and_undoes_it_each_audited(d2_line: D2Line) -> None:
    first = d2_line.record(enquiry("Marie", "Van den Broeck"))
    second = d2_line.record(enquiry("Marie", "Vandenbroeck"))
    links = f"{d2_line.path}/persons/{first['person_id']}/links"
    made = d2_line.api.post(links, d2_line.coordinator, {"person_id": second["person_id"]})
    assert made.status == 201, made.body
    assert made.body["other_person_id"] == second["person_id"]
    assert made.body["linked_by"]["label"] == "Karel Peeters"
    assert _related(d2_line, first["reference"]).body["items"][0]["linked"] is True
    assert _related(d2_line, second["reference"]).body["items"][0]["linked"] is True  # both directions
    undone = d2_line.api.call("DELETE", f"{links}/{second['person_id']}", d2_line.coordinator)
    assert undone.status == 204
    assert _related(d2_line, first["reference"]).body["items"][0]["linked"] is False
    assert d2_line.api.call("DELETE", f"{links}/{second['person_id']}", d2_line.coordinator).status == 404
    entries = d2_store().audit_entries(d2_line.activation_id)
    changes = [(e["action"], e["items"]) for e in entries if e["action"].startswith("person.")]
    pair = [first["person_id"], second["person_id"]]
    assert changes == [("person.link", pair), ("person.unlink", pair)]
    assert d2_store().links(d2_line.activation_id) == []


def test_a_person_is_not_linked_to_themself_nor_to_a_person_of_another_activation(
    d2_line: D2Line, enrol: Any, snapshot: Any
) -> None:
    first = d2_line.record(enquiry())
    antwerp = enrol("11002", "Stad Antwerpen")[1]
    elsewhere = open_line(d2_line.api, antwerp)
    there = d2_line.api.post(f"/activations/{elsewhere}/enquiries", d2_line.agent, enquiry()).body
    links = f"{d2_line.path}/persons/{first['person_id']}/links"
    before = snapshot()
    itself = d2_line.api.post(links, d2_line.coordinator, {"person_id": first["person_id"]})
    assert itself.status == 422, itself.body
    other = d2_line.api.post(links, d2_line.coordinator, {"person_id": there["person_id"]})
    assert other.status == 404, other.body
    nobody = d2_line.api.post(f"{d2_line.path}/persons/nobody/links", d2_line.coordinator, {"person_id": "x"})
    assert nobody.status == 404
    assert snapshot() == before


def test_a_mistyped_reference_is_a_check(d2_line: D2Line) -> None:
    answer = _related(d2_line, "K7MD-4QX")
    assert answer.status == 422
    assert answer.error_code == "reference_mistyped"


@pytest.mark.parametrize("role", ["d2_agent", "admin", "authority", "finance", "operator"])
def test_only_a_coordinator_reads_related_enquiries_and_links_them(d2_line: D2Line, role: str, snapshot: Any) -> None:
    first = d2_line.record(enquiry())
    second = d2_line.record(enquiry())
    token = d2_line.agent if role == "d2_agent" else d2_line.token(role)
    links = f"{d2_line.path}/persons/{first['person_id']}/links"
    before = snapshot()
    assert _related(d2_line, first["reference"], token).status == 403
    assert d2_line.api.post(links, token, {"person_id": second["person_id"]}).status == 403
    assert d2_line.api.call("DELETE", f"{links}/{second['person_id']}", token).status == 403
    assert snapshot() == before


def test_an_enquiry_alone_has_no_related_enquiry_for_any_coordinator(api: Api, admin: str, d2_line: D2Line) -> None:
    other_coordinator = issue(api, admin, "d2_coordinator", "An Claes")
    first = d2_line.record(enquiry())
    d2_line.record(enquiry("Pieter", "Claes", "1952"))
    answer = _related(d2_line, first["reference"], other_coordinator)
    assert answer.status == 200 and answer.body["items"] == []
