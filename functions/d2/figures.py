"""The D2 line's aggregate figures: what the activating authority, the crisis center and the after-action report
may know of it. Counts only, nothing personal; every count of people under SUPPRESS_BELOW is written `"<5"` so
that no figure points at a few identifiable people. Plain Python over the activation's D2 items as the store
keeps them (sort keys `ENQ#`, `PERSON#`, `LINK#`, `MATCH#`, `CALLBACK#`), so that the purge computes the same
figures it archives, and `of_activation` is what the figures endpoint and the after-action report both answer."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from statistics import median
from typing import Any, Final, Protocol

SUPPRESS_BELOW: Final = 5
SUPPRESSED: Final = "<5"


def shown(count: int) -> int | str:
    """A count of people as it may be shown: `"<5"` for 1 to 4, the number otherwise (0 says nothing of anyone)."""
    return SUPPRESSED if 0 < count < SUPPRESS_BELOW else count


def _instant(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(UTC)


def _hour(text: str) -> str:
    return _instant(text).replace(minute=0, second=0, microsecond=0).strftime("%Y-%m-%dT%H:00:00Z")


def _kind(item: Mapping[str, Any]) -> str:
    return str(item["sk"]).split("#", 1)[0]


def _distinct_persons(person_ids: Iterable[str], links: Iterable[Mapping[str, Any]]) -> int:
    """Persons sought, linked persons (one person asked about in several enquiries) counted once: the number of
    groups that the links join the persons into."""
    parent: dict[str, str] = {person_id: person_id for person_id in person_ids}

    def root(node: str) -> str:
        while parent.setdefault(node, node) != node:
            parent[node] = parent[parent[node]]
            node = parent[node]
        return node

    for link in links:
        a, b = root(str(link["person_id"])), root(str(link["other_person_id"]))
        if a != b:
            parent[max(a, b)] = min(a, b)
    return len({root(node) for node in list(parent)})


def compute(items: Iterable[Mapping[str, Any]]) -> dict[str, Any]:
    """The figures of one activation's D2 items:

    - `enquiries_per_hour`: enquiries recorded in each UTC hour that had any, oldest first;
    - `persons_sought`: distinct persons asked about (linked persons once);
    - `matched`: distinct persons with a confirmed match;
    - `callbacks_done`: callbacks done, of every kind;
    - `median_seconds_to_first_news`: from an enquiry's recording to its first `news` callback done, the median
      over the enquiries that had news; null while fewer than five had (a median of a few is a few people's
      times); `enquiries_with_news` how many had.
    """
    by_kind: dict[str, list[Mapping[str, Any]]] = {}
    for item in items:
        by_kind.setdefault(_kind(item), []).append(item)
    enquiries = by_kind.get("ENQ", [])
    per_hour = Counter(_hour(str(enquiry["recorded_at"])) for enquiry in enquiries)
    persons = {str(person.get("id") or str(person["sk"]).split("#", 1)[1]) for person in by_kind.get("PERSON", [])}
    persons.update(str(enquiry["person_id"]) for enquiry in enquiries if enquiry.get("person_id"))
    matched = {str(match["person_id"]) for match in by_kind.get("MATCH", []) if match.get("status") == "confirmed"}
    callbacks = by_kind.get("CALLBACK", [])
    first_news: dict[str, datetime] = {}
    for callback in callbacks:
        if callback.get("kind") != "news" or not callback.get("done_at"):
            continue
        done = _instant(str(callback["done_at"]))
        enquiry_id = str(callback["enquiry_id"])
        if enquiry_id not in first_news or done < first_news[enquiry_id]:
            first_news[enquiry_id] = done
    waits = [
        (first_news[str(enquiry["id"])] - _instant(str(enquiry["recorded_at"]))).total_seconds()
        for enquiry in enquiries
        if str(enquiry["id"]) in first_news
    ]
    return {
        "enquiries": shown(len(enquiries)),
        "enquiries_per_hour": [{"hour": hour, "enquiries": shown(per_hour[hour])} for hour in sorted(per_hour)],
        "persons_sought": shown(_distinct_persons(persons, by_kind.get("LINK", []))),
        "matched": shown(len(matched)),
        "callbacks_done": shown(len(callbacks)),
        "enquiries_with_news": shown(len(waits)),
        "median_seconds_to_first_news": round(median(waits)) if len(waits) >= SUPPRESS_BELOW else None,
    }


class FigureSource(Protocol):
    """Where an activation's D2 items are read from: D2Table while they are kept, D2ArchiveTable's `FIGURES` once
    purged (D2Function's store, and the activation function's read-only one for the after-action report)."""

    def partition(self, activation_id: str) -> list[dict[str, Any]]: ...

    def archived(self, activation_id: str, key: str) -> dict[str, Any] | None: ...


def of_activation(activation: Mapping[str, Any], source: FigureSource, now: str) -> dict[str, Any]:
    """The activation's figures as `compute` makes them, with `as_of` and `purged`: computed from its items at
    `now` while they are kept; once purged (`d2_purged_at`), those the purge archived, as of the purge."""
    activation_id = str(activation["id"])
    if activation.get("d2_purged_at"):
        archived = source.archived(activation_id, "FIGURES") or {}
        computed = json.loads(archived["figures"]) if archived.get("figures") else compute([])
        return {**computed, "as_of": archived.get("at"), "purged": True}
    return {**compute(source.partition(activation_id)), "as_of": now, "purged": False}
