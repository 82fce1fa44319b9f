"""A line's after-action report, free of HTTP: what a mayor reads once the crisis is over, gathered from the same
sources as the screens and the finance export, so that its numbers are theirs.

- Who: the line's authority and admin (another authority's line is missing, other roles are refused).
- The timeline from the audit trail: opened, each change of the message (its text), of the operators or the
  languages, closed.
- The figures (`crisisline.figures`, as `GET /activations/{id}/figures`) from opening to close (or now).
- The cost by component as the finance export prices it (`finance.pricing`), one line per month the line was
  live in and one per adjustment booked for a frozen month, from the same usage aggregates.
- A line with a D2 line: its aggregate figures as `GET /activations/{id}/d2/figures` answers them
  (`d2.figures.of_activation`: counts only, 1 to 4 as "<5"), from D2Table while its data is kept, from the archive
  once purged."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

from activate.line_figures import _figures
from activate.logic import _visible_activation
from crisisline.clock import iso, parse_iso, utc_now
from crisisline.figures import Figures
from crisisline.models import Caller
from crisisline.months import month_of, split_by_month
from crisisline.stores import Stores
from crisisline.usage import booking_month, is_adjustment, usage_month
from d2 import figures as d2_figures
from finance.pricing import MONEY, Line, PeriodUsage, live_window, overlaps, price_adjustment, price_month

REPORT_LANGUAGES = ("nl", "fr", "de", "en")


@dataclass(frozen=True)
class Event:
    """One moment of the line's life as the audit trail tells it."""

    at: datetime
    kind: str  # opened | message | operators | languages | closed
    language: str | None = None  # of a message
    text: str | None = None  # a message as typed, or the reason
    before: Any = None
    after: Any = None
    by: str | None = None  # who acted: the activator's name or the token's label, from the audit entry
    channel: str | None = None  # api | console | phone


@dataclass(frozen=True)
class Report:
    activation: dict[str, Any]
    language: str  # the report's: the authority's first language, English when it speaks none of ours
    events: list[Event]
    figures: Figures
    cost: list[Line]
    generated_at: datetime
    d2: Mapping[str, Any] | None = None  # a D2 line's aggregate figures (`d2.figures`); None: the line had none
    cost_total: dict[str, Decimal] = field(default_factory=dict)

    @property
    def call_seconds(self) -> int:
        return sum(line.call_seconds for line in self.cost)

    @property
    def operator_seconds(self) -> int:
        return sum(line.operator_seconds + line.minimum_top_up_seconds for line in self.cost)

    @property
    def operators_most(self) -> int:
        return max((int(entry["operators"]) for entry in self.activation.get("operator_timeline", [])), default=0)


def d2_aggregates(activation: Mapping[str, Any], store: Stores, now: datetime) -> Mapping[str, Any] | None:
    """A line's D2 figures as the D2 figures endpoint answers them (counts only, 1 to 4 as "<5", nothing about a
    person), None when the line had no D2 line."""
    if not activation.get("victim_information"):
        return None
    if store.d2 is None:
        raise RuntimeError("The after-action report's D2 counts need the D2 tables in the function's settings.")
    return d2_figures.of_activation(activation, store.d2, iso(now))


def timeline(entries: list[dict[str, Any]]) -> list[Event]:
    """The line's life from its audit trail, in time order."""
    events: list[Event] = []
    for entry in sorted(entries, key=lambda item: str(item["at"])):
        at, changes, action = parse_iso(entry["at"]), entry.get("changes") or {}, entry.get("action")
        who = {"by": (entry.get("actor") or {}).get("name"), "channel": entry.get("channel")}
        if action == "open":
            events.append(Event(at, "opened", text=changes.get("reason"), after=changes.get("operators"), **who))
            for language, text in (changes.get("message") or {}).items():
                events.append(Event(at, "message", language=language, text=text, **who))
        elif action == "update":
            if "languages" in changes:
                events.append(
                    Event(
                        at,
                        "languages",
                        before=changes["languages"]["before"],
                        after=changes["languages"]["after"],
                        **who,
                    )
                )
            if "message" in changes:
                before = changes["message"].get("before") or {}
                for language, text in (changes["message"].get("after") or {}).items():
                    if before.get(language) != text:
                        events.append(Event(at, "message", language=language, text=text, **who))
            if "operators" in changes:
                events.append(
                    Event(
                        at,
                        "operators",
                        before=changes["operators"]["before"],
                        after=changes["operators"]["after"],
                        **who,
                    )
                )
        elif action == "close":
            events.append(Event(at, "closed", **who))
    return events


def cost_lines(
    activation: Mapping[str, Any], usage_rows: list[dict[str, Any]], store: Stores, now: datetime
) -> list[Line]:
    """The activation's lines of the finance export, every month it was live in or had usage booked, priced as
    `finance.billing.build_export` prices them."""
    schedule = store.capacity.tariff_schedule()
    answered = sum(PeriodUsage.of(row).answered_calls for row in usage_rows)
    own = {row["period"]: row for row in usage_rows if not is_adjustment(row["period"])}
    opened, end = live_window(activation, now)
    months = {piece for piece, _, _ in split_by_month(opened, end)} | {month_of(opened)} | set(own)
    lines = []
    for month in sorted(months):
        if overlaps(activation, month, now) or month in own:
            usage = PeriodUsage.of(own.get(month))
            lines.append(price_month(activation, month, usage, schedule, now, answered - usage.answered_calls))
    for row in sorted(usage_rows, key=lambda item: str(item["period"])):
        if is_adjustment(row["period"]):
            usage = PeriodUsage.of(row)
            lines.append(
                price_adjustment(
                    activation,
                    booking_month(row["period"]),
                    usage_month(row["period"]),
                    usage,
                    schedule,
                    now,
                    answered - usage.answered_calls,
                )
            )
    return lines


def report(caller: Caller, activation_id: str, store: Stores, now: datetime | None = None) -> Report:
    """What the after-action report shows of the line, for its authority and admin."""
    activation = _visible_activation(caller, activation_id, store)
    now = now or utc_now()
    authority = store.authorities.get(activation["authority_id"]) or {}
    spoken = [language for language in authority.get("languages", []) if language in REPORT_LANGUAGES[:3]]
    cost = cost_lines(activation, store.figures.usage(activation_id), store, now)
    return Report(
        activation=activation,
        language=spoken[0] if spoken else "en",
        events=timeline(store.activations.audit_entries(f"activation#{activation_id}")),
        figures=_figures(activation, store, now),
        cost=cost,
        generated_at=now,
        d2=d2_aggregates(activation, store, now),
        cost_total={name: sum((getattr(line, name) for line in cost), Decimal("0.00")) for name in MONEY},
    )
