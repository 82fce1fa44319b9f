"""D2 scoring at scale: a relative's new enquiry reads only the list rows it blocks with (the store keeps the
matching engine's blocking index), a later list reads only the rows of its own references, and a batch that
DynamoDB leaves partly unprocessed is sent again until nothing is lost."""

from __future__ import annotations  # noqa: I001

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest

from crisisline.aws import client
from d2 import matches
from infra.local.stack import LambdaContext
from tests.d2_support import d2_store
from tests.test_d2_enquiries import Line, _record, enquiry_body
from tests.test_d2_enquiries import line  # noqa: F401  (the fixture)
from tests.test_d2_lists_api import MARIE, candidates, csv_body, upload

GIVEN = ("Pieter", "Jan", "Luc", "Sofie", "Ahmed", "Fatima", "Koen", "Lotte", "Wout", "Ines")
FIRST = ("Bo", "Ka", "Lu", "Mi", "Ra", "Te", "Wu", "Zo", "Dri", "Gho", "Pla", "Stu")
SECOND = ("bert", "kens", "mans", "dijk", "hout", "laere", "gaert", "mont")


def seeking(**changes: Any) -> dict[str, Any]:
    return {"sought": {**enquiry_body()["sought"], **changes}}


def unrelated_rows(count: int) -> list[str]:
    """`count` list rows of people who are not Marie Van den Broeck, each with a name and a birth year."""
    rows = []
    for number in range(count):
        family = FIRST[number % len(FIRST)] + SECOND[(number // len(FIRST)) % len(SECOND)]
        given = GIVEN[(number // 7) % len(GIVEN)]
        year = 1930 + number % 70
        rows.append(f"UZB-X{number};{given};{family}{number // 96 or ''};{year}-01-0{1 + number % 9};M;hospitalised;")
    return rows


@contextmanager
def dynamodb_requests() -> Iterator[list[tuple[str, dict[str, Any]]]]:
    """Every DynamoDB request made meanwhile, as (operation, parameters)."""
    seen: list[tuple[str, dict[str, Any]]] = []

    def record(params: dict[str, Any], model: Any, **_: Any) -> None:
        seen.append((model.name, params))

    events = client("dynamodb").meta.events
    events.register("before-parameter-build.dynamodb", record)
    try:
        yield seen
    finally:
        events.unregister("before-parameter-build.dynamodb", record)


def entry_reads(requests: list[tuple[str, dict[str, Any]]]) -> tuple[int, list[str]]:
    """(list rows read by key, the sort-key prefixes queried) of the requests."""
    by_key = 0
    queried = []
    for operation, params in requests:
        if operation == "BatchGetItem":
            for asked in params["RequestItems"].values():
                by_key += sum(1 for key in asked["Keys"] if key.get("sk", {}).get("S", "").startswith("ENTRY#"))
        if operation == "GetItem" and params["Key"].get("sk", {}).get("S", "").startswith("ENTRY#"):
            by_key += 1
        if operation == "Query" and ":p" in params.get("ExpressionAttributeValues", {}):
            queried.append(params["ExpressionAttributeValues"][":p"]["S"])
    return by_key, queried


def upload_scored(line: Line, body: bytes, monkeypatch: pytest.MonkeyPatch, source: str = "UZ Brussel") -> Any:  # noqa: F811
    """Upload a list of any size and score it as D2Function's own invocation does."""
    from d2 import app as d2_app

    later: list[dict[str, Any]] = []
    monkeypatch.setattr(d2_app, "score_later", later.append)
    answer = upload(line, body, source=source)
    assert answer.status == 201, answer.body
    for event in later:
        d2_app.lambda_handler(event, LambdaContext("D2Function"))  # type: ignore[arg-type]
    return answer


def test_a_new_enquiry_finds_its_person_among_thousands_of_unrelated_rows_reading_only_its_blocks(
    line: Line,  # noqa: F811
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    answer = upload_scored(line, csv_body(*unrelated_rows(1_000), MARIE), monkeypatch)
    assert answer.body["rows"] == 1_001 and answer.body["scoring"] == "pending"
    with dynamodb_requests() as requests:
        recorded = _record(line)  # "Marie Van den Broeck", born 1987-03
    read_by_key, queried = entry_reads(requests)
    assert "ENTRY#" not in queried  # never every row of the activation
    assert 1 <= read_by_key <= 20
    assert [item["source_ref"] for item in candidates(line, recorded["reference"]).body["items"]] == ["UZB-1"]


def test_an_enquiry_recorded_before_a_small_list_is_still_found_by_scoring_the_list(line: Line) -> None:  # noqa: F811
    recorded = _record(line)
    assert upload(line, csv_body(*unrelated_rows(30), MARIE)).body["scoring"] == "done"
    assert [item["source_ref"] for item in candidates(line, recorded["reference"]).body["items"]] == ["UZB-1"]
    later = _record(line, **seeking(given_names="Mariette"))
    assert [item["source_ref"] for item in candidates(line, later["reference"]).body["items"]] == ["UZB-1"]


def test_a_row_a_later_list_renames_is_found_by_its_new_name_and_not_by_its_old(line: Line) -> None:  # noqa: F811
    assert upload(line, csv_body(MARIE)).status == 201
    renamed = "UZB-1;Pieter;Janssens;1950-01-01;M;hospitalised;UZ Brussel"
    assert upload(line, csv_body(renamed)).status == 201
    marie = _record(line)
    pieter = _record(line, **seeking(given_names="Pieter", family_name="Janssens", birth_date="1950-01-01", sex="m"))
    assert candidates(line, marie["reference"]).body["items"] == []
    assert [item["source_ref"] for item in candidates(line, pieter["reference"]).body["items"]] == ["UZB-1"]


def test_a_later_list_reads_only_the_rows_of_its_own_references(
    line: Line,  # noqa: F811
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    upload_scored(line, csv_body(*unrelated_rows(600)), monkeypatch)
    moved = "UZB-1;Marie;Vandenbroeck;1987-03-14;F;left;Home"
    with dynamodb_requests() as requests:
        answer = upload(line, csv_body(MARIE.replace("UZB-1", "UZB-X3"), moved))
    assert answer.status == 201 and answer.body["rows"] == 2
    read_by_key, queried = entry_reads(requests)
    assert "ENTRY#" not in queried and read_by_key <= 2
    row = d2_store().entry(line.activation_id, matches.entry_id_for("UZ Brussel", "UZB-X3"))
    assert row is not None and row["family_name"] == "Vandenbroeck" and row["list_id"] == answer.body["list_id"]


class Unreliable:
    """DynamoDB as a busy table answers: the first time each batch operation is asked, it does half the work
    and hands back the rest as unprocessed."""

    def __init__(self, ddb: Any) -> None:
        self.ddb = ddb
        self.held_back = 0

    def __getattr__(self, name: str) -> Any:
        return getattr(self.ddb, name)

    def batch_write_item(self, RequestItems: dict[str, list[Any]]) -> dict[str, Any]:  # noqa: N803
        ((table, requests),) = RequestItems.items()
        kept, held = requests[: len(requests) // 2 or 1], requests[len(requests) // 2 or 1 :]
        self.ddb.batch_write_item(RequestItems={table: kept})
        self.held_back += len(held)
        return {"UnprocessedItems": {table: held} if held else {}}

    def batch_get_item(self, RequestItems: dict[str, dict[str, Any]]) -> dict[str, Any]:  # noqa: N803
        ((table, asked),) = RequestItems.items()
        keys = asked["Keys"]
        kept, held = keys[: len(keys) // 2 or 1], keys[len(keys) // 2 or 1 :]
        answer = self.ddb.batch_get_item(RequestItems={table: {**asked, "Keys": kept}})
        self.held_back += len(held)
        return {**answer, "UnprocessedKeys": {table: {**asked, "Keys": held}} if held else {}}


def test_rows_and_reads_that_dynamodb_leaves_unprocessed_are_sent_again_and_none_is_lost(
    line: Line,  # noqa: F811
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from d2 import d2_store as store_module

    monkeypatch.setattr(store_module.time, "sleep", lambda seconds: None)
    busy = Unreliable(client("dynamodb"))
    store = store_module.D2Store(busy, store_module.d2_settings())
    entries = [
        {"entry_id": f"e{number}", "source": "UZ Gent", "source_ref": f"r{number}", "family_name": f"Name{number}"}
        for number in range(60)
    ]
    store.put_entries(line.activation_id, entries)
    read = store.entries_by_id(line.activation_id, [f"e{number}" for number in range(60)], ("entry_id",))
    assert busy.held_back > 0
    assert sorted(item["entry_id"] for item in read) == sorted(f"e{number}" for number in range(60))
