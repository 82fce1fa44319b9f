"""Calling relatives back: a confirmed match tells the staff whom to call and what they may say, in the
enquirer's language; a relative without news hears from the line after a while; a death is never told by phone
and never reaches an agent; a found person who refused disclosure is said to be safe, and no more."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from typing import Any

import pytest

from crisisline import environment
from crisisline.clock import utc_now
from tests.d2_support import D2Line, d2_line, d2_store, enquiry, put_d2, put_entry, put_match

__all__ = ["d2_line"]

LOCATION = "UZ Gent, dienst 3B"


class Clock:
    """The callbacks' clock (d2.callbacks.utc_now), moved by the test."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.now = utc_now()
        monkeypatch.setattr("d2.callbacks.utc_now", lambda: self.now)

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    return Clock(monkeypatch)


def _due(line: D2Line, token: str | None = None) -> list[dict[str, Any]]:
    answer = line.api.get(f"{line.path}/callbacks?status=due", token or line.coordinator)
    assert answer.status == 200, answer.body
    return answer.body["items"]  # type: ignore[no-any-return]


def _done(line: D2Line, task_id: str, outcome: str, token: str | None = None, **more: Any) -> Any:
    return line.api.post(
        f"{line.path}/callbacks/{task_id}/done", token or line.coordinator, {"outcome": outcome, **more}
    )


def _confirmed(line: D2Line, status: str, location: str | None = LOCATION, **enquirer: Any) -> dict[str, Any]:
    found = line.record(enquiry(**enquirer))
    put_entry(line.activation_id, "uzg-17", status, location)
    put_match(line.activation_id, "m1", found, "uzg-17")
    return found


# ---------------------------------------------------------------------- news
def test_a_confirmed_match_tells_where_the_person_is_in_the_enquirers_language(d2_line: D2Line) -> None:
    found = _confirmed(d2_line, "hospitalised", language="fr")
    tasks = _due(d2_line)
    assert [(t["kind"], t["reference"]) for t in tasks] == [("news", found["reference"])]
    task = tasks[0]
    assert task["enquirer"] == {"name": "Jan Van den Broeck", "phone": "+32470998877", "language": "fr"}
    assert "hospitalisé" in task["say"] and LOCATION in task["say"] and "Marie Van den Broeck" in task["say"]
    assert task["overdue"] is False and task["due_since"]
    assert [t["id"] for t in _due(d2_line, d2_line.agent)] == [task["id"]]  # the agent who took the call
    assert _due(d2_line, d2_line.other_agent) == []  # another agent's enquiry


@pytest.mark.parametrize(
    ("status", "said", "where"),
    [
        ("hospitalised", "is in hospital", True),
        ("reception_centre", "is at a reception centre", True),
        ("left", "is safe and has left", False),
    ],
)
def test_each_status_has_its_own_wording(d2_line: D2Line, status: str, said: str, where: bool) -> None:
    _confirmed(d2_line, status, language="en")
    (task,) = _due(d2_line, d2_line.agent)
    assert said in task["say"]
    assert (LOCATION in task["say"]) is where


def test_a_match_not_yet_confirmed_or_an_unknown_status_makes_no_task(d2_line: D2Line) -> None:
    found = d2_line.record(enquiry())
    put_entry(d2_line.activation_id, "uzg-17", "hospitalised", LOCATION)
    put_entry(d2_line.activation_id, "police-3", "unknown")
    put_match(d2_line.activation_id, "m1", found, "uzg-17", status="proposed")
    put_match(d2_line.activation_id, "m2", found, "police-3")
    assert _due(d2_line) == []


def test_an_enquirer_who_did_not_consent_is_not_called_back(d2_line: D2Line, clock: Clock) -> None:
    _confirmed(d2_line, "hospitalised", callback_consent=False)
    assert _due(d2_line) == []
    clock.advance(hours=7)
    assert _due(d2_line) == []


def test_a_linked_enquiry_about_the_same_person_gets_the_news_too(d2_line: D2Line) -> None:
    sister = d2_line.record(enquiry(name="Lotte Van den Broeck"), d2_line.other_agent)
    found = _confirmed(d2_line, "reception_centre")
    assert [t["reference"] for t in _due(d2_line)] == [found["reference"]]
    links = f"{d2_line.path}/persons/{found['person_id']}/links"
    assert d2_line.api.post(links, d2_line.coordinator, {"person_id": sister["person_id"]}).status == 201
    assert {t["reference"] for t in _due(d2_line)} == {found["reference"], sister["reference"]}
    assert [t["enquirer"]["name"] for t in _due(d2_line, d2_line.other_agent)] == ["Lotte Van den Broeck"]


# ---------------------------------------------------------------------- the found person's refusal
def test_a_refusal_of_disclosure_hides_the_location(d2_line: D2Line) -> None:
    _confirmed(d2_line, "hospitalised", language="en")
    path = f"{d2_line.path}/entries/uzg-17/disclosure"
    refused = d2_line.api.post(path, d2_line.coordinator, {"refused": True})
    assert refused.status == 200, refused.body
    assert refused.body["disclosure_refused"] is True
    (task,) = _due(d2_line, d2_line.agent)
    assert "is safe but does not wish their whereabouts to be shared" in task["say"]
    assert LOCATION not in json.dumps(task) and "3B" not in json.dumps(task)
    assert d2_line.api.post(path, d2_line.coordinator, {"refused": False}).status == 200
    assert LOCATION in _due(d2_line)[0]["say"]
    changes = [e for e in d2_store().audit_entries(d2_line.activation_id) if e["action"] == "entry.disclosure"]
    assert [e["items"] for e in changes] == [["uzg-17"], ["uzg-17"]]


def test_a_refusal_for_an_entry_the_activation_has_not_is_not_found_and_writes_nothing(
    d2_line: D2Line, snapshot: Any
) -> None:
    before = snapshot()
    answer = d2_line.api.post(f"{d2_line.path}/entries/nope/disclosure", d2_line.coordinator, {"refused": True})
    assert answer.status == 404
    bad = d2_line.api.post(f"{d2_line.path}/entries/nope/disclosure", d2_line.coordinator, {"refused": "yes"})
    assert bad.status == 422
    assert snapshot() == before


# ---------------------------------------------------------------------- a death
def test_a_death_is_never_told_by_the_line_and_never_reaches_an_agent(d2_line: D2Line, clock: Clock) -> None:
    found = _confirmed(d2_line, "deceased", language="nl")
    (task,) = _due(d2_line)
    assert task["kind"] == "police_victim_assistance"
    assert "slachtofferbejegening van de politie" in task["say"]
    assert _due(d2_line, d2_line.agent) == []
    clock.advance(hours=13)  # nor does an interim call bring it back
    assert _due(d2_line, d2_line.agent) == []
    assert d2_line.api.get(f"{d2_line.path}/callbacks?status=done", d2_line.agent).body["items"] == []
    assert _done(d2_line, task["id"], "reached", d2_line.agent).status == 404
    # The match part marks the enquiry deceased: the agent's enquiries show no death either.
    stored, _ = d2_store().enquiry(d2_line.activation_id, found["id"])  # type: ignore[misc]
    put_d2(d2_line.activation_id, f"ENQ#{found['id']}", {**stored, "status": "deceased"})
    for path in ("enquiries", f"enquiries/{found['reference']}", "callbacks?status=due", "callbacks?status=done"):
        answer = d2_line.api.get(f"{d2_line.path}/{path}", d2_line.agent)
        assert answer.status == 200 and "deceased" not in json.dumps(answer.body), path
    assert (
        d2_line.api.get(f"{d2_line.path}/enquiries/{found['reference']}", d2_line.coordinator).body["status"]
        == "deceased"
    )
    assert _done(d2_line, task["id"], "reached").status == 201  # the coordinator passed it to the police
    assert _due(d2_line) == []


# ---------------------------------------------------------------------- no news yet
def test_an_enquiry_without_news_comes_up_for_an_interim_call_every_six_hours(d2_line: D2Line, clock: Clock) -> None:
    found = d2_line.record(enquiry(language="de"))
    clock.advance(hours=5, minutes=59)
    assert _due(d2_line, d2_line.agent) == []
    clock.advance(minutes=2)
    (task,) = _due(d2_line, d2_line.agent)
    assert (task["kind"], task["reference"], task["overdue"]) == ("interim", found["reference"], False)
    assert "noch keine Nachricht" in task["say"]
    clock.advance(hours=1, minutes=5)
    assert _due(d2_line, d2_line.agent)[0]["overdue"] is True
    assert _done(d2_line, task["id"], "reached", d2_line.agent).status == 201
    assert _due(d2_line, d2_line.agent) == []
    clock.advance(hours=5, minutes=59)
    assert _due(d2_line, d2_line.agent) == []
    clock.advance(minutes=2)
    (again,) = _due(d2_line, d2_line.agent)
    assert again["kind"] == "interim" and again["id"] != task["id"]


def test_news_ends_the_interim_calls(d2_line: D2Line, clock: Clock) -> None:
    _confirmed(d2_line, "left")
    clock.advance(hours=7)
    assert [t["kind"] for t in _due(d2_line)] == ["news"]


def test_the_no_news_time_is_a_setting(d2_line: D2Line, clock: Clock, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("D2_NO_NEWS_HOURS", "2")
    environment.forget_settings()
    d2_line.record(enquiry())
    clock.advance(hours=2, minutes=1)
    assert [t["kind"] for t in _due(d2_line)] == ["interim"]


# ---------------------------------------------------------------------- reporting a callback
def test_reached_removes_the_task_and_no_answer_keeps_it_due(d2_line: D2Line) -> None:
    _confirmed(d2_line, "hospitalised")
    (task,) = _due(d2_line, d2_line.agent)
    missed = _done(d2_line, task["id"], "no_answer", d2_line.agent, note="voicemail")
    assert missed.status == 201, missed.body
    assert missed.body["outcome"] == "no_answer" and missed.body["done_by"]["label"] == "Els Janssens"
    assert [t["id"] for t in _due(d2_line, d2_line.agent)] == [task["id"]]
    assert _done(d2_line, task["id"], "reached", d2_line.agent).status == 201
    assert _due(d2_line, d2_line.agent) == []
    done = d2_line.api.get(f"{d2_line.path}/callbacks?status=done", d2_line.agent).body["items"]
    assert [(d["id"], d["outcome"], d["note"]) for d in done] == [
        (task["id"], "no_answer", "voicemail"),
        (task["id"], "reached", None),
    ]
    assert _done(d2_line, task["id"], "reached", d2_line.agent).status == 404  # no longer due


def test_a_bad_report_or_an_unknown_task_is_refused_and_writes_nothing(d2_line: D2Line, snapshot: Any) -> None:
    _confirmed(d2_line, "hospitalised")
    (task,) = _due(d2_line)
    before = snapshot()
    assert _done(d2_line, task["id"], "maybe").status == 422
    assert _done(d2_line, task["id"], "reached", extra=1).status == 422
    assert _done(d2_line, "news-nope-m1", "reached").status == 404
    assert d2_line.api.get(f"{d2_line.path}/callbacks?status=later", d2_line.coordinator).status == 422
    assert snapshot() == before


def test_every_read_and_report_of_callbacks_is_audited_without_a_phone_number(d2_line: D2Line) -> None:
    found = _confirmed(d2_line, "hospitalised")
    (task,) = _due(d2_line)
    reported = _done(d2_line, task["id"], "reached").body
    d2_line.api.get(f"{d2_line.path}/callbacks?status=done", d2_line.agent)
    entries = d2_store().audit_entries(d2_line.activation_id)
    assert [(e["action"], e["items"]) for e in entries[-3:]] == [
        ("callback.list_due", [task["id"]]),
        ("callback.done", [reported["callback_id"], found["id"]]),
        ("callback.list_done", [reported["callback_id"]]),
    ]
    assert "+32470998877" not in json.dumps(entries) and "32470998877" not in json.dumps(entries)


@pytest.mark.parametrize("role", ["admin", "authority", "finance", "operator"])
def test_no_role_outside_the_d2_line_reads_or_reports_callbacks(d2_line: D2Line, role: str, snapshot: Any) -> None:
    _confirmed(d2_line, "hospitalised")
    (task,) = _due(d2_line)
    token = d2_line.token(role)
    before = snapshot()
    assert d2_line.api.get(f"{d2_line.path}/callbacks", token).status == 403
    assert _done(d2_line, task["id"], "reached", token).status == 403
    assert d2_line.api.post(f"{d2_line.path}/entries/uzg-17/disclosure", token, {"refused": True}).status == 403
    assert snapshot() == before


def test_an_agent_does_not_record_a_refusal_of_disclosure(d2_line: D2Line) -> None:
    _confirmed(d2_line, "hospitalised")
    answer = d2_line.api.post(f"{d2_line.path}/entries/uzg-17/disclosure", d2_line.agent, {"refused": True})
    assert answer.status == 403


def test_the_texts_exist_in_every_language_for_every_situation() -> None:
    from d2 import callbacks

    situations = {"hospitalised", "reception_centre", "refused", "left", "interim", "police_victim_assistance"}
    assert set(callbacks.texts()) == {"nl", "fr", "de", "en"}
    for language, said in callbacks.texts().items():
        assert set(said) == situations, language
        assert all("{name}" in text for text in said.values())
        assert "{location}" not in said["refused"] + said["left"] + said["interim"]


def test_due_since_is_when_the_match_was_confirmed(d2_line: D2Line) -> None:
    _confirmed(d2_line, "left")
    since = datetime.fromisoformat(_due(d2_line)[0]["due_since"].replace("Z", "+00:00"))
    assert abs((utc_now() - since).total_seconds()) < 60


def test_a_news_task_about_whereabouts_names_its_list_entry_so_a_refusal_can_be_recorded_from_it(
    d2_line: D2Line,
) -> None:
    _confirmed(d2_line, "hospitalised", language="en")
    (task,) = _due(d2_line)
    assert (task["entry_id"], task["disclosure_refused"]) == ("uzg-17", False)
    path = f"{d2_line.path}/entries/{task['entry_id']}/disclosure"
    assert d2_line.api.post(path, d2_line.coordinator, {"refused": True}).status == 200
    (task,) = _due(d2_line)
    assert task["disclosure_refused"] is True


def test_a_news_task_without_whereabouts_carries_no_disclosure_choice(d2_line: D2Line) -> None:
    _confirmed(d2_line, "left", language="en")
    (task,) = _due(d2_line)
    assert "entry_id" not in task and "disclosure_refused" not in task
