"""The activating authority sees the D2 line in counts only: enquiries per hour, persons sought (linked persons
once), matched, callbacks done and the median wait for first news, every count under 5 shown as "<5"."""

from __future__ import annotations

from typing import Any

import boto3
import pytest

from d2 import figures
from tests.conftest import table_names
from tests.test_d2_enquiries import Line, _issue, _record, line  # noqa: F401  (the fixture)


def _enquiry(n: int, at: str) -> dict[str, Any]:
    return {"sk": f"ENQ#e{n}", "id": f"e{n}", "person_id": f"p{n}", "recorded_at": at, "status": "open"}


def _person(n: int) -> dict[str, Any]:
    return {"sk": f"PERSON#p{n}", "id": f"p{n}", "given_names": "Marie", "family_name": "Peeters"}


def _news(n: int, enquiry: int, at: str, kind: str = "news") -> dict[str, Any]:
    return {"sk": f"CALLBACK#c{n}", "callback_id": f"c{n}", "enquiry_id": f"e{enquiry}", "kind": kind, "done_at": at}


def _busy_line() -> list[dict[str, Any]]:
    """Seven enquiries between 10:00 and 11:59, p1 and p2 linked (one person asked about twice), five confirmed
    matches, six callbacks of which five first news 10, 20, 30, 40 and 50 minutes after the enquiry."""
    items: list[dict[str, Any]] = []
    for n in range(1, 8):
        items += [_enquiry(n, f"2026-11-29T1{0 if n <= 5 else 1}:0{n}:00Z"), _person(n)]
    items += [
        {"sk": "LINK#p1#p2", "person_id": "p1", "other_person_id": "p2"},
        {"sk": "LINK#p2#p1", "person_id": "p2", "other_person_id": "p1"},
    ]
    for n in range(1, 6):
        items.append({"sk": f"MATCH#m{n}", "match_id": f"m{n}", "person_id": f"p{n}", "status": "confirmed"})
        items.append(_news(n, n, f"2026-11-29T10:{n}{n}:00Z"))
    items.append({"sk": "MATCH#m9", "match_id": "m9", "person_id": "p7", "status": "rejected"})
    items.append(_news(9, 1, "2026-11-29T12:00:00Z"))  # a later news call to the same relative
    return items


def test_the_figures_of_a_busy_line_count_people_once_and_time_the_first_news() -> None:
    computed = figures.compute(_busy_line())
    assert computed["enquiries"] == 7
    assert computed["enquiries_per_hour"] == [
        {"hour": "2026-11-29T10:00:00Z", "enquiries": 5},
        {"hour": "2026-11-29T11:00:00Z", "enquiries": "<5"},
    ]
    assert computed["persons_sought"] == 6  # p1 and p2 are one person
    assert computed["matched"] == 5
    assert computed["callbacks_done"] == 6
    assert computed["enquiries_with_news"] == 5
    # e1 at 10:01 had news at 10:11 (600 s), e2 2400 s ... : waits 600, 1200*... median of five is e3's
    waits = sorted((int(f"{n}{n}") - n) * 60 for n in range(1, 6))
    assert computed["median_seconds_to_first_news"] == waits[2]


def test_a_small_line_shows_every_count_under_five_as_fewer_than_five() -> None:
    items = [_enquiry(1, "2026-11-29T10:05:00Z"), _person(1), _news(1, 1, "2026-11-29T10:15:00Z")]
    items.append({"sk": "MATCH#m1", "match_id": "m1", "person_id": "p1", "status": "confirmed"})
    computed = figures.compute(items)
    assert computed["enquiries"] == "<5"
    assert computed["enquiries_per_hour"] == [{"hour": "2026-11-29T10:00:00Z", "enquiries": "<5"}]
    assert computed["persons_sought"] == computed["matched"] == computed["callbacks_done"] == "<5"
    assert computed["median_seconds_to_first_news"] is None  # one relative's wait is not a statistic


def test_a_line_without_enquiries_has_zeros_not_suppressed_counts() -> None:
    assert figures.compute([]) == {
        "enquiries": 0,
        "enquiries_per_hour": [],
        "persons_sought": 0,
        "matched": 0,
        "callbacks_done": 0,
        "enquiries_with_news": 0,
        "median_seconds_to_first_news": None,
    }


def _put(activation_id: str, items: list[dict[str, Any]]) -> None:
    table = boto3.resource("dynamodb").Table(table_names()["D2Table"])
    for item in items:
        table.put_item(Item={**item, "activation_id": activation_id})


def test_the_authority_reads_its_activations_figures_with_nothing_personal(line: Line) -> None:  # noqa: F811
    _record(line)
    _put(line.activation_id, _busy_line())
    answer = line.api.get(f"/activations/{line.activation_id}/d2/figures", line.gent)
    assert answer.status == 200, answer.body
    assert answer.body["enquiries"] == 8
    assert answer.body["purged"] is False
    text = answer.raw.decode()
    assert "Van den Broeck" not in text and "+32" not in text and "Marie" not in text


@pytest.mark.parametrize("who", ["admin", "coordinator"])
def test_the_crisis_center_and_a_coordinator_read_the_figures(line: Line, who: str) -> None:  # noqa: F811
    answer = line.api.get(f"/activations/{line.activation_id}/d2/figures", getattr(line, who))
    assert answer.status == 200, answer.body
    assert answer.body["enquiries"] == 0


@pytest.mark.parametrize("who", ["agent", "finance", "operator"])
def test_agents_and_other_roles_are_refused_the_figures(line: Line, who: str) -> None:  # noqa: F811
    assert line.api.get(f"/activations/{line.activation_id}/d2/figures", getattr(line, who)).status == 403


def test_another_authority_does_not_learn_the_activation_exists(line: Line, enrol: Any) -> None:  # noqa: F811
    _, antwerp = enrol("11002", "Stad Antwerpen")
    answer = line.api.get(f"/activations/{line.activation_id}/d2/figures", antwerp)
    assert answer.status == 404
