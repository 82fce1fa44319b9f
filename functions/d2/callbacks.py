"""Calling relatives back: the tasks the D2 line's staff have, derived from what is recorded (no background
job), and the callbacks they report done. Plain Python: the store and the clock's reading are handed in.

- A confirmed match (`MATCH#`, status confirmed) makes a task for every enquiry about that person (the
  enquiry's own person and those a coordinator linked to it) whose enquirer consented to a callback.
  What the caller may say follows the list entry's status: `hospitalised` or `reception_centre`, where, unless
  the found person refused disclosure (the ICRC rule: safe, does not wish their whereabouts shared, and the
  location is not in the task); `left`, safe and left; `deceased` is never told by the line: the task is
  `police_victim_assistance`, for a coordinator, and the enquiry is in no agent's list.
- An open enquiry without news `no_news_hours` after it was recorded comes up for an interim "no news yet"
  call, and again `no_news_hours` after the last interim call that reached the enquirer (or found the number
  wrong).
- A callback done is a `CALLBACK#` item; `no_answer` keeps the task due."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterable
from datetime import datetime, timedelta
from functools import cache
from pathlib import Path
from typing import Any, Final

from crisisline import errors
from crisisline.clock import iso, parse_iso, utc_now
from crisisline.models import Caller
from d2.d2_store import D2Store, Refused
from d2.enquiries import ATTEMPTS, D2_ROLES, _existing, _next_audit, _visible_to, record_audit
from d2.related import linked_persons

NEWS: Final = ("hospitalised", "reception_centre", "left")
WHEREABOUTS: Final = ("hospitalised", "reception_centre")
POLICE: Final = "police_victim_assistance"
FINISHED: Final = ("reached", "wrong_number")  # outcomes that end a task; no_answer keeps it due
OVERDUE_AFTER: Final = timedelta(hours=1)
TEXTS_FILE: Final = Path(__file__).with_name("callback_texts.json")


@cache
def texts() -> dict[str, dict[str, str]]:
    """What the caller says, per language and situation (callback_texts.json)."""
    loaded: dict[str, dict[str, str]] = json.loads(TEXTS_FILE.read_text(encoding="utf-8"))
    return loaded


def _component(person_id: str, links: dict[str, set[str]]) -> set[str]:
    """The person and every person linked to them, directly or through another link."""
    seen, todo = {person_id}, [person_id]
    while todo:
        for other in links.get(todo.pop(), ()):
            if other not in seen:
                seen.add(other)
                todo.append(other)
    return seen


class _Situation:
    """What is recorded for an activation, read once for deriving its tasks."""

    def __init__(self, store: D2Store, activation_id: str) -> None:
        self.pairs = store.enquiries(activation_id)
        self.enquiries = {enquiry["id"]: (enquiry, person) for enquiry, person in self.pairs}
        self.entries = {str(entry["entry_id"]): entry for entry in store.entries(activation_id)}
        self.matches = sorted(
            (match for match in store.matches(activation_id) if match.get("status") == "confirmed"),
            key=lambda match: str(match.get("decided_at") or match.get("proposed_at") or ""),
        )
        self.links = linked_persons(store.links(activation_id))
        self.callbacks = sorted(store.callbacks(activation_id), key=lambda callback: str(callback["done_at"]))
        self.by_person: dict[str, list[str]] = {}
        for enquiry, _ in self.pairs:
            self.by_person.setdefault(str(enquiry["person_id"]), []).append(enquiry["id"])
        # Enquiries a confirmed death concerns: in no agent's list, whatever else is recorded.
        self.death: set[str] = set()
        self.news: set[str] = set()
        for match, entry in self._confirmed():
            concerned = self._about(match)
            if entry.get("status") == "deceased":
                self.death.update(concerned)
            if entry.get("status") in (*NEWS, "deceased"):
                self.news.update(concerned)

    def _confirmed(self) -> Iterable[tuple[dict[str, Any], dict[str, Any]]]:
        for match in self.matches:
            entry = self.entries.get(str(match.get("entry_id")))
            if entry is not None:
                yield match, entry

    def _about(self, match: dict[str, Any]) -> list[str]:
        """The enquiries about the matched person: theirs and those of every person linked to them."""
        persons = _component(str(match["person_id"]), self.links)
        return [enquiry_id for person_id in sorted(persons) for enquiry_id in self.by_person.get(person_id, [])]

    def finished(self) -> set[str]:
        return {str(callback["task_id"]) for callback in self.callbacks if callback.get("outcome") in FINISHED}

    def tasks(self, now: datetime, no_news_hours: int) -> list[dict[str, Any]]:
        """Every task due at `now`, oldest first."""
        finished, due = self.finished(), []
        for match, entry in self._confirmed():
            status = entry.get("status")
            if status not in (*NEWS, "deceased"):
                continue  # `unknown`: no news to give
            kind = POLICE if status == "deceased" else "news"
            for enquiry_id in self._about(match):
                enquiry, person = self.enquiries[enquiry_id]
                task_id = f"{kind}-{enquiry_id}-{match['match_id']}"
                if not _callable(enquiry) or task_id in finished:
                    continue
                since = parse_iso(str(match.get("decided_at") or match.get("proposed_at") or enquiry["recorded_at"]))
                task = _task(task_id, kind, enquiry, person, since, now, _said(entry, status))
                if status in WHEREABOUTS:
                    # The list entry whose found person may refuse that their whereabouts be told.
                    task["entry_id"] = str(entry["entry_id"])
                    task["disclosure_refused"] = bool(entry.get("disclosure_refused"))
                due.append(task)
        interval = timedelta(hours=no_news_hours)
        for enquiry, person in self.pairs:
            if enquiry["status"] != "open" or enquiry["id"] in self.news or not _callable(enquiry):
                continue
            earlier = [
                parse_iso(str(callback["done_at"]))
                for callback in self.callbacks
                if callback.get("enquiry_id") == enquiry["id"]
                and callback.get("kind") == "interim"
                and callback.get("outcome") in FINISHED
            ]
            since = (earlier[-1] if earlier else parse_iso(str(enquiry["recorded_at"]))) + interval
            if now >= since:
                task_id = f"interim-{enquiry['id']}-{len(earlier) + 1}"
                due.append(_task(task_id, "interim", enquiry, person, since, now, ("interim", None)))
        return sorted(due, key=lambda task: (task["due_since"], task["id"]))

    def done(self) -> list[dict[str, Any]]:
        """The callbacks reported, each attempt, oldest first."""
        shown = []
        for callback in self.callbacks:
            enquiry, _ = self.enquiries.get(str(callback["enquiry_id"]), ({}, {}))
            if not enquiry:
                continue
            shown.append(
                {
                    "id": callback["task_id"],
                    "callback_id": callback["callback_id"],
                    "kind": callback["kind"],
                    "reference": enquiry["reference"],
                    "enquiry_id": enquiry["id"],
                    "enquirer": _enquirer(enquiry),
                    "outcome": callback["outcome"],
                    "note": callback.get("note"),
                    "done_by": callback["done_by"],
                    "done_at": callback["done_at"],
                }
            )
        return shown


def _callable(enquiry: dict[str, Any]) -> bool:
    return enquiry["status"] != "closed" and bool(enquiry["enquirer"].get("callback_consent"))


def _said(entry: dict[str, Any], status: str) -> tuple[str, str | None]:
    """Which text and which location: none when the found person refused disclosure of their whereabouts."""
    if status == "deceased":
        return POLICE, None
    if status in WHEREABOUTS and entry.get("disclosure_refused"):
        return "refused", None
    return status, str(entry.get("location") or "-") if status in WHEREABOUTS else None


def _enquirer(enquiry: dict[str, Any]) -> dict[str, Any]:
    enquirer = enquiry["enquirer"]
    return {"name": enquirer["name"], "phone": enquirer["phone"], "language": enquirer["language"]}


def _task(
    task_id: str,
    kind: str,
    enquiry: dict[str, Any],
    person: dict[str, Any],
    since: datetime,
    now: datetime,
    said: tuple[str, str | None],
) -> dict[str, Any]:
    key, location = said
    language = enquiry["enquirer"]["language"]
    name = " ".join(part for part in (person.get("given_names"), person.get("family_name")) if part)
    return {
        "id": task_id,
        "kind": kind,
        "reference": enquiry["reference"],
        "enquiry_id": enquiry["id"],
        "enquirer": _enquirer(enquiry),
        "say": texts()[language][key].format(name=name, location=location or ""),
        "due_since": iso(since),
        "overdue": now - since > OVERDUE_AFTER,
    }


def _for(caller: Caller, situation: _Situation, items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """What the caller may see: a coordinator every task; an agent the news and interim tasks of the
    enquiries they recorded, never a death's."""
    if caller.role == "d2_coordinator":
        return items
    return [
        item
        for item in items
        if item["kind"] != POLICE
        and item["enquiry_id"] not in situation.death
        and situation.enquiries[item["enquiry_id"]][0]["status"] != "deceased"
        and _visible_to(situation.enquiries[item["enquiry_id"]][0], caller)
    ]


def _staff_only(caller: Caller) -> None:
    if caller.role not in D2_ROLES:
        raise errors.Forbidden("Only the D2 line's staff call relatives back.", allowed_roles=sorted(D2_ROLES))


def list_callbacks(
    caller: Caller, activation_id: str, store: D2Store, status: str, no_news_hours: int
) -> list[dict[str, Any]]:
    """The callbacks due now (`status` "due") or reported (`status` "done") that the caller may see; the read
    is audited with the tasks' ids."""
    _staff_only(caller)
    if status not in ("due", "done"):
        raise errors.InvalidRequest(
            "The status is due or done.", fields=[{"field": "status", "problem": "is due or done"}]
        )
    _existing(store, activation_id)
    situation = _Situation(store, activation_id)
    found = situation.tasks(utc_now(), no_news_hours) if status == "due" else situation.done()
    shown = _for(caller, situation, found)
    ids = [item.get("callback_id") or item["id"] for item in shown]
    record_audit(store, caller, activation_id, f"callback.list_{status}", ids)
    return shown


def record_done(
    caller: Caller,
    activation_id: str,
    task_id: str,
    outcome: str,
    note: str | None,
    store: D2Store,
    no_news_hours: int,
) -> dict[str, Any]:
    """Report a due task's callback: `reached` or `wrong_number` ends the task, `no_answer` keeps it due.
    NotFound for a task the caller does not have due."""
    _staff_only(caller)
    _existing(store, activation_id)
    situation = _Situation(store, activation_id)
    task = next(
        (task for task in _for(caller, situation, situation.tasks(utc_now(), no_news_hours)) if task["id"] == task_id),
        None,
    )
    if task is None:
        raise errors.NotFound("No such callback due on this activation.", callback_id=task_id[:100])
    callback = {
        "callback_id": uuid.uuid4().hex,
        "task_id": task_id,
        "enquiry_id": task["enquiry_id"],
        "kind": task["kind"],
        "outcome": outcome,
        "note": note,
        "done_by": {"credential_id": caller.credential_id, "label": caller.label or ""},
        "done_at": iso(utc_now()),
    }
    for _ in range(ATTEMPTS):
        entry = _next_audit(
            store, caller, activation_id, "callback.done", [callback["callback_id"], task["enquiry_id"]]
        )
        try:
            store.record_callback(activation_id, callback, entry)
        except Refused:
            continue
        return {**callback, "reference": task["reference"]}
    raise errors.StoreUnavailable("The D2 line is busy; retry shortly.", retry_after=1)


def set_disclosure(caller: Caller, activation_id: str, entry_id: str, refused: bool, store: D2Store) -> dict[str, Any]:
    """A coordinator records whether the found person of a list entry refused that their whereabouts be told to
    those who ask (audited); NotFound for an entry the activation has not."""
    if caller.role != "d2_coordinator":
        raise errors.Forbidden(
            "Only a D2 coordinator records a refusal of disclosure.", allowed_roles=["d2_coordinator"]
        )
    _existing(store, activation_id)
    for _ in range(ATTEMPTS):
        entry = _next_audit(store, caller, activation_id, "entry.disclosure", [entry_id])
        try:
            store.set_disclosure(activation_id, entry_id, refused, iso(utc_now()), entry)
        except Refused as failed:
            if failed.part == "entry":
                raise errors.NotFound("No such list entry on this activation.", entry_id=entry_id[:100]) from None
            continue
        break
    else:
        raise errors.StoreUnavailable("The D2 line is busy; retry shortly.", retry_after=1)
    updated = store.entry(activation_id, entry_id) or {}
    return {key: value for key, value in updated.items() if key not in ("activation_id", "sk")}
