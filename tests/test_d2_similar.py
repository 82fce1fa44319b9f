"""D2 intake: while an agent types the sought person, the console warns of enquiries already recorded about
someone alike, so that two relatives asking about one person are seen. An agent learns how many there are and
the references of its own; a coordinator the references and grades of all."""

from __future__ import annotations

import json
import urllib.parse
from typing import Any

from tests.conftest import Api
from tests.test_d2_enquiries import PHONE, Line, _record, line  # noqa: F401  (the fixture)


def _similar(line: Line, token: str, **query: str) -> Any:  # noqa: F811
    path = f"/activations/{line.activation_id}/enquiries/similar?{urllib.parse.urlencode(query)}"
    return line.api.get(path, token)


def test_an_agent_is_told_how_many_similar_enquiries_exist_and_sees_only_its_own_references(line: Line) -> None:  # noqa: F811
    mine = _record(line)
    alike = {"given_names": "Marie", "family_name": "Vandenbroeck", "birth_date": "1987"}
    _record(line, line.other_agent, sought=alike)
    _record(line, sought={"given_names": "Pieter", "family_name": "Claes", "birth_date": "1950-01-02"})
    answer = _similar(line, line.agent, given_names="Marie", family_name="Van den Broek", birth_date="1987-03-14")
    assert answer.status == 200, answer.body
    assert answer.body["count"] == 2
    assert answer.body["items"] == [{"reference": mine["reference"]}]


def test_a_coordinator_sees_the_references_and_grades_of_every_similar_enquiry(line: Line) -> None:  # noqa: F811
    first = _record(line)
    second = _record(line, line.other_agent)
    answer = _similar(line, line.coordinator, given_names="Marie", family_name="Van den Broeck", birth_date="1987-03")
    assert answer.status == 200, answer.body
    assert answer.body["count"] == 2
    assert {item["reference"] for item in answer.body["items"]} == {first["reference"], second["reference"]}
    assert all(item["grade"] in ("A", "B", "C") for item in answer.body["items"])


def test_nobody_alike_answers_none(line: Line) -> None:  # noqa: F811
    _record(line)
    answer = _similar(line, line.agent, given_names="Ahmed", family_name="El Amrani", birth_date="2001")
    assert answer.status == 200, answer.body
    assert answer.body == {"count": 0, "items": []}


def test_the_warning_compares_only_the_enquiries_that_share_a_blocking_key(line: Line, monkeypatch: Any) -> None:  # noqa: F811
    from d2 import matching

    compared: list[int] = []
    original = matching.EnquiryIndex.related

    def counting(self: matching.EnquiryIndex, *args: Any, **kwargs: Any) -> Any:
        found = original(self, *args, **kwargs)
        compared.append(self.comparisons)
        return found

    monkeypatch.setattr(matching.EnquiryIndex, "related", counting)
    _record(line)
    for family in ("Claes", "Peeters", "Dubois", "Janssens", "Maes"):
        _record(line, sought={"given_names": "Pieter", "family_name": family, "birth_date": "1950"})
    assert _similar(line, line.agent, given_names="Marie", family_name="Van den Broeck").body["count"] == 1
    assert compared == [1]


def test_a_similar_search_is_audited_as_a_read_with_ids_only(line: Line) -> None:  # noqa: F811
    from crisisline.aws import client
    from d2.d2_store import D2Store, d2_settings

    recorded = _record(line)
    _similar(line, line.agent, given_names="Marie", family_name="Van den Broeck")
    entries = D2Store(client("dynamodb"), d2_settings()).audit_entries(line.activation_id)
    assert [(e["action"], e["items"]) for e in entries][-1] == ("enquiry.similar", [recorded["id"]])
    assert "Broeck" not in json.dumps(entries) and PHONE not in json.dumps(entries)


def test_a_birth_date_that_is_not_a_date_is_refused_next_to_its_field(line: Line) -> None:  # noqa: F811
    for typed in ("14/03/1987", "1987-13"):
        answer = _similar(line, line.agent, given_names="Marie", family_name="Peeters", birth_date=typed)
        assert answer.status == 422, (typed, answer.body)
        assert [f["field"] for f in answer.body["error"]["details"]["fields"]] == ["birth_date"]


def test_a_family_name_is_needed(line: Line) -> None:  # noqa: F811
    answer = _similar(line, line.agent, given_names="Marie")
    assert answer.status == 422
    assert [f["field"] for f in answer.body["error"]["details"]["fields"]] == ["family_name"]


def test_no_role_outside_the_d2_line_asks_for_similar_enquiries(line: Line) -> None:  # noqa: F811
    for token in (line.admin, line.gent, line.finance, line.operator):
        assert _similar(line, token, given_names="Marie", family_name="Peeters").status == 403


def test_an_unknown_activation_is_404(api: Api, line: Line) -> None:  # noqa: F811
    answer = api.get("/activations/nope/enquiries/similar?given_names=A&family_name=B", line.agent)
    assert answer.status == 404
