"""The open enquiries' scoring snapshot: a list is scored against a few `SOUGHT#` items instead of every enquiry
and its person, so each enquiry's line is written with the enquiry, leaves when the enquiry stops being open, and
two enquiries recorded at once into the same item both land; with the longest names an item stays under
DynamoDB's 400 KB for 20,000 open enquiries."""

from __future__ import annotations  # noqa: I001

import random
import uuid
from collections import Counter
from typing import Any

import pytest

from d2 import d2_store, scoring
from tests.conftest import at_once
from tests.d2_support import d2_store as store
from tests.test_d2_enquiries import Line, _issue, _record
from tests.test_d2_enquiries import line  # noqa: F401  (the fixture)
from tests.test_d2_lists_api import MARIE, candidates, csv_body, upload
from tests.test_d2_scoring_reads import dynamodb_requests

ITEM_LIMIT = 400 * 1024  # DynamoDB's largest item, in bytes


def _matches(line: Line, tail: str = "") -> str:  # noqa: F811
    return f"/activations/{line.activation_id}/matches{tail}"


def test_a_list_is_scored_from_the_snapshot_without_reading_any_enquiry_or_person(line: Line) -> None:  # noqa: F811
    recorded = _record(line)
    assert recorded["id"] in store().open_sought(line.activation_id)
    with dynamodb_requests() as requests:
        assert upload(line, csv_body(MARIE)).status == 201
    queried = [params["ExpressionAttributeValues"].get(":p", {}).get("S") for op, params in requests if op == "Query"]
    assert "ENQ#" not in queried and "PERSON#" not in queried
    assert [item["source_ref"] for item in candidates(line, recorded["reference"]).body["items"]] == ["UZB-1"]


def test_a_matched_enquiry_leaves_the_snapshot_and_a_later_list_does_not_score_it(line: Line) -> None:  # noqa: F811
    recorded, still_open = _record(line), _record(line)
    assert upload(line, csv_body(MARIE)).status == 201
    entry_id = candidates(line, recorded["reference"]).body["items"][0]["entry_id"]
    proposal = {"reference": recorded["reference"], "entry_id": entry_id}
    proposed = line.api.post(_matches(line), line.coordinator, proposal)
    second = _issue(line.api, line.admin, "d2_coordinator", "An Claes")
    assert line.api.post(_matches(line, f"/{proposed.body['id']}/confirm"), second).status == 200

    assert set(store().open_sought(line.activation_id)) == {still_open["id"]}
    assert upload(line, csv_body(MARIE), source="AZ Sint-Jan").status == 201
    sources = {item["source"] for item in candidates(line, recorded["reference"]).body["items"]}
    assert sources == {"UZ Brussel"}
    sources = {item["source"] for item in candidates(line, still_open["reference"]).body["items"]}
    assert sources == {"UZ Brussel", "AZ Sint-Jan"}


def test_enquiries_recorded_at_once_into_the_same_snapshot_item_all_land(
    line: Line,  # noqa: F811
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(d2_store, "SOUGHT_ITEMS", 1)
    recorded = at_once(4, lambda n: _record(line, sought={"given_names": f"Marie{n}", "family_name": "Peeters"}))
    snapshot = store().open_sought(line.activation_id)
    assert set(snapshot) == {enquiry["id"] for enquiry in recorded}
    assert {scoring._from_line(text)["given_names"] for text in snapshot.values()} == {f"Marie{n}" for n in range(4)}


def test_a_person_without_a_family_name_has_no_line_as_they_are_never_scored() -> None:
    assert scoring.snapshot_line({"given_names": "Marie"}) is None
    text = scoring.snapshot_line({"given_names": "Marie", "family_name": "Peeters", "age": 40, "sex": "f"})
    assert text is not None
    assert scoring._from_line(text) == {
        "given_names": "Marie",
        "family_name": "Peeters",
        "birth_date": None,
        "age": 40,
        "sex": "f",
    }


def test_with_the_longest_names_20000_open_enquiries_fit_each_snapshot_item_under_400_kb() -> None:
    longest = "\U0001f600" * 200  # a name's most characters, each of UTF-8's most bytes
    person = {"given_names": longest, "family_name": longest, "birth_date": "1987-03-14", "age": 120, "sex": "x"}
    worst_line = scoring.snapshot_line(person)
    assert worst_line is not None
    randomly = random.Random(7)
    ids = [uuid.UUID(int=randomly.getrandbits(128), version=4).hex for _ in range(20_000)]
    fullest = max(Counter(d2_store._sought_item(enquiry_id) for enquiry_id in ids).values())
    attribute = len(ids[0]) + len(worst_line.encode())  # its name and its value
    assert fullest * attribute < ITEM_LIMIT - 1024, (fullest, attribute)


def test_a_snapshot_item_is_read_whole_by_key_not_queried(line: Line) -> None:  # noqa: F811
    _record(line)
    with dynamodb_requests() as requests:
        store().open_sought(line.activation_id)
    operations: list[Any] = [operation for operation, _ in requests]
    assert set(operations) == {"BatchGetItem"} and len(operations) == -(-d2_store.SOUGHT_ITEMS // 100)
