"""A line's figures per quarter hour and per hour since it opened, from what routing counted and from the
contact records metering keeps: plain Python, no AWS, so the live screens and an after-action report compute
them the same way.

- `calls_offered`: callers who picked a queue (D5 or D2). Per hour routing's counter, at once (at least the
  contact records' count); per quarter hour the contact records (contact attribute `choice`).
- `calls_answered`, `abandoned_in_queue`: inbound contacts queued that an operator took, or did not.
- `callbacks_offered`: inbound contacts that picked a queue and were not queued (the flow offers a callback
  then); per hour at least routing's count beyond the capacity in force at the hour's end (at once; an
  estimate when the capacity changed within the hour).
- `callbacks_completed`: callback contacts (InitiationMethod CALLBACK) an operator took, in the quarter the
  callback was asked.
- `d2_share`: of the inbound contacts queued, the share queued on D2 (None: none queued).
- `wait_median_seconds`, `wait_p90_seconds`: Queue.Duration of the inbound contacts queued, answered or not
  (nearest-rank percentiles).
- `handle_mean_seconds`: Agent.AgentInteractionDuration of the contacts an operator took, callbacks too.
- `operators`, `capacity_per_hour`: the operator timeline, and the tariff's calls per operator-hour, in force
  at the bucket's end (or now), at once.

Everything but routing's counter comes from contact records, which Connect writes a minute or two after each
call ends. A contact counts once (the newest version of each ContactId) in the bucket of its
InitiationTimestamp, however
late its record arrives."""

from __future__ import annotations

import bisect
import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from crisisline.clock import parse_iso
from crisisline.facts import counter_hour, hourly_capacity

QUARTER = timedelta(minutes=15)
HOUR = timedelta(hours=1)
D2 = "D2"
CALLBACK = "CALLBACK"


@dataclass(frozen=True)
class ContactFacts:
    """What the figures read of one contact (never the caller's number)."""

    contact_id: str
    last_update: str  # ISO UTC: of two versions of a contact the newest counts
    initiated: datetime
    callback: bool = False  # a callback Connect placed (InitiationMethod CALLBACK)
    picked_queue: bool = False  # the caller chose D5 or D2 in the flow (contact attribute `choice`)
    queue: str | None = None  # the queue's name when the contact was queued: D5 | D2
    answered: bool = False  # an operator took it
    queue_seconds: int | None = None  # Queue.Duration
    agent_seconds: int | None = None  # Agent.AgentInteractionDuration
    disconnect_reason: str | None = None


def contact_facts(item: Mapping[str, Any]) -> ContactFacts:
    """The facts of a contact as metering stores it (ingest's contacts table item)."""
    queue = item.get("queue_name")
    answered = int(item.get("answered_calls") or 0) > 0
    return ContactFacts(
        contact_id=str(item["contact_id"]),
        last_update=str(item.get("last_update") or ""),
        initiated=parse_iso(str(item["initiated_at"])),
        callback=item.get("initiation_method") == CALLBACK,
        picked_queue=bool(item.get("picked_queue")) or bool(queue),
        queue=str(queue) if queue else None,
        answered=answered,
        queue_seconds=int(item["queue_seconds"]) if queue and item.get("queue_seconds") is not None else None,
        agent_seconds=int(item["agent_seconds"]) if answered and item.get("agent_seconds") is not None else None,
        disconnect_reason=str(item["disconnect_reason"]) if item.get("disconnect_reason") else None,
    )


@dataclass(frozen=True)
class Bucket:
    """The figures of one quarter hour, one hour, or the whole line (`start` to `end`, UTC)."""

    start: str
    end: str
    calls_offered: int
    calls_answered: int
    abandoned_in_queue: int
    callbacks_offered: int
    callbacks_completed: int
    d2_share: float | None
    wait_median_seconds: int | None
    wait_p90_seconds: int | None
    handle_mean_seconds: float | None
    operators: int
    capacity_per_hour: int
    routed: int | None = None  # routing's count of the hour (hours only; None when its counter has expired)


@dataclass(frozen=True)
class Figures:
    quarter_hours: list[Bucket]
    hours: list[Bucket]
    totals: Bucket

    def document(self) -> dict[str, Any]:
        """As the API answers it."""
        return {
            "quarter_hours": [asdict(bucket) for bucket in self.quarter_hours],
            "hours": [asdict(bucket) for bucket in self.hours],
            "totals": asdict(self.totals),
        }


def newest_versions(contacts: Iterable[ContactFacts]) -> list[ContactFacts]:
    """One fact per ContactId, its newest version: a record read twice, or an older one read late, counts once."""
    newest: dict[str, ContactFacts] = {}
    for contact in contacts:
        kept = newest.get(contact.contact_id)
        if kept is None or contact.last_update > kept.last_update:
            newest[contact.contact_id] = contact
    return sorted(newest.values(), key=lambda contact: (contact.initiated, contact.contact_id))


def percentile(values: Sequence[int], share: float) -> int | None:
    """The nearest-rank percentile (`share` 0.5 the median, 0.9 the 90th): the smallest value at or above which
    lie at least that share of `values`; None for none."""
    if not values:
        return None
    ordered = sorted(values)
    rank = max(1, math.ceil(share * len(ordered)))
    return ordered[rank - 1]


def operators_at(timeline: Sequence[tuple[datetime, int]], instant: datetime) -> int:
    """The operators in force at `instant` by the operator timeline ((from, operators) in time order); the
    first entry's before it."""
    current = timeline[0][1] if timeline else 0
    for start, operators in timeline:
        if start > instant:
            break
        current = operators
    return current


def line_figures(
    contacts: Iterable[ContactFacts],
    routed_per_hour: Mapping[str, int],
    timeline: Sequence[tuple[datetime, int]],
    calls_per_operator_hour_at: Callable[[datetime], int],
    opened_at: datetime,
    until: datetime,
) -> Figures:
    """The line's figures from `opened_at` to `until` (now, or its close): per quarter hour and per UTC hour
    (each from its clock start, the first one holding the opening), and in total.

    `contacts`: the contact facts of the line (any versions, any order); `routed_per_hour`: routing's counter
    per UTC hour (`crisisline.facts.counter_hour` keys); `timeline`: the operator timeline as (from, operators);
    `calls_per_operator_hour_at`: the tariff's calls per operator-hour in force at an instant."""
    counted = newest_versions(contacts)
    initiated = [contact.initiated for contact in counted]  # in time order: each bucket's calls by bisection
    until = max(until, opened_at)

    def capacity(at: datetime) -> tuple[int, int]:
        operators = operators_at(timeline, at)
        return operators, hourly_capacity(operators, calls_per_operator_hour_at(at))

    def buckets(size: timedelta, routed: bool) -> list[Bucket]:
        start = _floor(opened_at, size)
        made: list[Bucket] = []
        while start < until or not made:
            end = start + size
            inside = counted[bisect.bisect_left(initiated, start) : bisect.bisect_left(initiated, end)]
            made.append(
                _bucket(
                    start,
                    end,
                    inside,
                    capacity(min(end - timedelta(microseconds=1), until)),
                    routed_per_hour.get(counter_hour(start)) if routed else None,
                )
            )
            start = end
        return made

    return Figures(
        quarter_hours=buckets(QUARTER, routed=False),
        hours=buckets(HOUR, routed=True),
        totals=_totals(opened_at, until, counted, capacity(until), routed_per_hour),
    )


def _floor(instant: datetime, size: timedelta) -> datetime:
    instant = instant.astimezone(UTC)
    seconds = int(size.total_seconds())
    midnight = instant.replace(hour=0, minute=0, second=0, microsecond=0)
    elapsed = int((instant - midnight).total_seconds())
    return midnight + timedelta(seconds=elapsed - elapsed % seconds)


def _counts(contacts: Sequence[ContactFacts]) -> dict[str, Any]:
    inbound = [contact for contact in contacts if not contact.callback]
    queued = [contact for contact in inbound if contact.queue]
    waits = [contact.queue_seconds for contact in queued if contact.queue_seconds is not None]
    handled = [contact.agent_seconds for contact in contacts if contact.answered and contact.agent_seconds is not None]
    return {
        "calls_offered": sum(1 for contact in inbound if contact.picked_queue),
        "calls_answered": sum(1 for contact in queued if contact.answered),
        "abandoned_in_queue": sum(1 for contact in queued if not contact.answered),
        "callbacks_offered": sum(1 for contact in inbound if contact.picked_queue and not contact.queue),
        "callbacks_completed": sum(1 for contact in contacts if contact.callback and contact.answered),
        "d2_share": round(sum(1 for contact in queued if contact.queue == D2) / len(queued), 4) if queued else None,
        "wait_median_seconds": percentile(waits, 0.5),
        "wait_p90_seconds": percentile(waits, 0.9),
        "handle_mean_seconds": round(sum(handled) / len(handled), 1) if handled else None,
    }


def _bucket(
    start: datetime,
    end: datetime,
    contacts: Sequence[ContactFacts],
    in_force: tuple[int, int],
    routed: int | None,
) -> Bucket:
    counts = _counts(contacts)
    operators, capacity = in_force
    if routed is not None:
        # Routing counts at once; records follow a minute or two after each call ends.
        counts["calls_offered"] = max(counts["calls_offered"], routed)
        counts["callbacks_offered"] = max(counts["callbacks_offered"], routed - capacity)
    return Bucket(
        start=_iso(start), end=_iso(end), operators=operators, capacity_per_hour=capacity, routed=routed, **counts
    )


def _totals(
    opened_at: datetime,
    until: datetime,
    contacts: Sequence[ContactFacts],
    in_force: tuple[int, int],
    routed_per_hour: Mapping[str, int],
) -> Bucket:
    counts = _counts(contacts)
    routed = sum(routed_per_hour.values()) if routed_per_hour else None
    if routed is not None:
        counts["calls_offered"] = max(counts["calls_offered"], routed)
    operators, capacity = in_force
    return Bucket(
        start=_iso(opened_at), end=_iso(until), operators=operators, capacity_per_hour=capacity, routed=routed, **counts
    )


def _iso(instant: datetime) -> str:
    return instant.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
