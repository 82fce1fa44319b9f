"""What one activation costs in one Brussels month: plain Python, Decimal from end to end, no AWS.

Per line, each component is rounded to the cent half-up once, after its parts are added:

    personnel_eur = (operator_seconds + minimum_top_up_seconds) / 3600 × operator_hour
    number_eur    = live_seconds / 86400 × number_day[kind]
    telephony_eur = call_seconds / 60 × (telephony_minute[kind] + service_minute)
    total_eur     = personnel_eur + number_eur + telephony_eur

The personnel minimum applies once per activation, in its last month (the month it closes in, or for a live
activation the current month): minimum_top_up_seconds = max(0, minimum − operator seconds of the whole
activation). For an activation within one month that is exactly max(operator_seconds, minimum).

When a tariff version takes effect inside a month, personnel and number are priced part by part, each part
by its own version. Metering also counts call seconds per Brussels day of the call's start, so telephony is
priced day by day with the version in force that day: exact for versions that start at midnight (a date, as
finance sets them); only on a day a version starts at another hour are that day's versions weighted by live
seconds (see README, "Billing"). Instants count to the whole second."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from crisisline.clock import parse_iso
from crisisline.money import cents
from crisisline.months import BRUSSELS, day_bounds, month_bounds, month_of
from crisisline.tariffs import Tariff, TariffSchedule
from crisisline.usage import COUNTERS, DAY_SECONDS, UsageCounters

SECOND = timedelta(seconds=1)


@dataclass(frozen=True)
class PeriodUsage(UsageCounters):
    """An activation's usage booked in one period (a month, or an adjustment for a frozen month), as metering
    aggregates it: the counters of its contacts summed, and of their call seconds how many began on each
    Brussels day."""

    call_seconds_by_day: Mapping[str, int] = field(default_factory=dict)

    @classmethod
    def of(cls, row: Mapping[str, Any] | None) -> PeriodUsage:
        row = row or {}
        by_day = {
            key[len(DAY_SECONDS) :]: int(value)
            for key, value in row.items()
            if key.startswith(DAY_SECONDS) and int(value)
        }
        return cls(**{name: int(row.get(name) or 0) for name in COUNTERS}, call_seconds_by_day=by_day)


@dataclass(frozen=True)
class Line:
    """One export line: one activation in one month, or one adjustment for a late contact record."""

    month: str
    authority_id: str
    authority_name: str
    activation_id: str
    number: str
    opened_at: str
    closed_at: str | None
    live_seconds: int
    calls: int
    d2_calls: int
    answered_calls: int
    call_seconds: int
    operator_seconds: int
    personnel_eur: Decimal
    number_eur: Decimal
    telephony_eur: Decimal
    total_eur: Decimal
    # Beyond the columns finance reads in this order: what kind of line, what it adjusts, the minimum's share.
    line: str = "activation"
    adjusts_month: str | None = None
    minimum_top_up_seconds: int = 0
    number_kind: str = "toll_free"  # what the number day and call minute were priced as
    opened_at_brussels: str = ""  # opened_at and closed_at on a Brussels wall clock, for reading by hand
    closed_at_brussels: str | None = None
    billing: str = "billed"  # or "voided: <why>", with every amount 0.00
    opened_by: str = ""  # who opened the line: the activator's name, or the token's label; empty on older lines
    channel: str = ""  # how: api, console or phone; empty on older lines


COLUMNS = (
    "month",
    "authority_id",
    "authority_name",
    "activation_id",
    "number",
    "opened_at",
    "closed_at",
    "live_seconds",
    "calls",
    "d2_calls",
    "answered_calls",
    "call_seconds",
    "operator_seconds",
    "personnel_eur",
    "number_eur",
    "telephony_eur",
    "total_eur",
)
EXTRA_COLUMNS = (
    "line",
    "adjusts_month",
    "minimum_top_up_seconds",
    "number_kind",
    "opened_at_brussels",
    "closed_at_brussels",
    "billing",
    "opened_by",
    "channel",
)
MONEY = ("personnel_eur", "number_eur", "telephony_eur", "total_eur")
COUNTS = (
    "live_seconds",
    "calls",
    "d2_calls",
    "answered_calls",
    "call_seconds",
    "operator_seconds",
    "minimum_top_up_seconds",
)


def whole_second(text: str) -> datetime:
    """An ISO instant as UTC, milliseconds dropped: billing counts whole seconds."""
    return parse_iso(text).replace(microsecond=0)


def seconds(start: datetime, end: datetime) -> int:
    return max(0, (end - start) // SECOND)


def live_window(activation: Mapping[str, Any], now: datetime) -> tuple[datetime, datetime]:
    """[opened_at, closed_at) of an activation; a live one runs until `now`."""
    opened = whole_second(activation["opened_at"])
    closed = activation.get("closed_at")
    end = whole_second(closed) if closed else now.astimezone(UTC).replace(microsecond=0)
    return opened, max(opened, end)


def operator_seconds(timeline: Sequence[Mapping[str, Any]], start: datetime, end: datetime) -> int:
    """Operator-seconds in [start, end): each timeline entry's operators times the seconds it lasted there."""
    entries = sorted(
        ((whole_second(entry["at"]), int(entry["operators"])) for entry in timeline), key=lambda entry: entry[0]
    )
    total = 0
    for index, (at, operators) in enumerate(entries):
        until = entries[index + 1][0] if index + 1 < len(entries) else end
        total += operators * seconds(max(at, start), min(until, end))
    return total


def last_month(activation: Mapping[str, Any], now: datetime) -> str:
    """The month the personnel minimum is settled in: the one holding the activation's last second."""
    opened, end = live_window(activation, now)
    return month_of(max(opened, end - SECOND))


def _telephony_rate(tariff: Tariff, kind: str) -> Decimal:
    return tariff.telephony_minute[kind] + tariff.service_minute


def _month_piece(activation: Mapping[str, Any], month: str, now: datetime) -> tuple[datetime, datetime]:
    month_start, month_end = month_bounds(month)
    opened, end = live_window(activation, now)
    start = max(opened, month_start)
    return start, max(start, min(end, month_end))


def _weighted_telephony_rate(
    activation: Mapping[str, Any], month: str, schedule: TariffSchedule, now: datetime
) -> tuple[Decimal, Decimal]:
    """(Σ live seconds × rate per minute, Σ live seconds) over the tariff parts of the activation's month."""
    kind = activation.get("number_kind", "toll_free")
    start, end = _month_piece(activation, month, now)
    weighted, live = Decimal(0), Decimal(0)
    for tariff, piece_start, piece_end in schedule.pieces(start, end):
        part = seconds(piece_start, piece_end)
        weighted += part * _telephony_rate(tariff, kind)
        live += part
    if live == 0:  # calls booked in a month the line was not live in: the version in force at its end
        month_start, month_end = month_bounds(month)
        instant = min(max(live_window(activation, now)[1], month_start), month_end - SECOND)
        return _telephony_rate(schedule.at(instant), kind), Decimal(1)
    return weighted, live


def _day_rate(activation: Mapping[str, Any], day: str, schedule: TariffSchedule, now: datetime) -> Decimal:
    """The telephony rate per minute of one Brussels day: the version in force that day; on a day a version
    starts other than at midnight, the day's versions weighted by the line's live seconds that day."""
    kind = activation.get("number_kind", "toll_free")
    day_start, day_end = day_bounds(day)
    opened, closed = live_window(activation, now)
    start, end = max(day_start, opened), min(day_end, closed)
    if end <= start:  # calls of a day the line was not live (a callback after closing): the whole day
        start, end = day_start, day_end
    weighted, live = Decimal(0), 0
    for tariff, piece_start, piece_end in schedule.pieces(start, end):
        part = seconds(piece_start, piece_end)
        weighted += part * _telephony_rate(tariff, kind)
        live += part
    return weighted / live if live else _telephony_rate(schedule.at(day_start), kind)


def _telephony_eur(
    activation: Mapping[str, Any], month: str, usage: PeriodUsage, schedule: TariffSchedule, now: datetime
) -> Decimal:
    """Each day's call seconds at that day's rate, rounded once. Seconds metered without a day (none in
    practice) are priced at the month's rates weighted by live seconds."""
    exact = Decimal(0)
    for day, day_seconds in sorted(usage.call_seconds_by_day.items()):
        exact += day_seconds * _day_rate(activation, day, schedule, now) / 60
    rest = usage.call_seconds - sum(usage.call_seconds_by_day.values())
    if rest:
        weighted, live = _weighted_telephony_rate(activation, month, schedule, now)
        exact += rest * weighted / (60 * live)
    return cents(exact)


def void_reason(activation: Mapping[str, Any], answered_calls: int, schedule: TariffSchedule) -> str | None:
    """Why an activation is not billed, or None: it was opened by accident, that is closed within the grace
    period of the tariff version in force when it opened, with no answered call."""
    if not activation.get("closed_at") or not activation.get("opened_at") or answered_calls > 0:
        return None
    opened, closed = live_window(activation, parse_iso(activation["closed_at"]))
    grace = schedule.at(opened)
    if seconds(opened, closed) > grace.grace_seconds:
        return None
    return f"voided: closed within {grace.grace_minutes} minutes with no answered call"


def _voided(line: Line, reason: str) -> Line:
    zero = Decimal("0.00")
    return replace(
        line,
        personnel_eur=zero,
        number_eur=zero,
        telephony_eur=zero,
        total_eur=zero,
        minimum_top_up_seconds=0,
        billing=reason,
    )


def brussels_time(instant: str | None) -> str | None:
    """A stored UTC instant as Brussels wall-clock time, `YYYY-MM-DD HH:MM:SS` (a spreadsheet reads it as a
    date; in the hour that repeats when summer time ends, the UTC column beside it tells the two apart)."""
    if not instant:
        return None
    return whole_second(instant).astimezone(BRUSSELS).strftime("%Y-%m-%d %H:%M:%S")


def _identity(activation: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "authority_id": str(activation.get("authority_id", "")),
        "authority_name": str(activation.get("authority_name", "")),
        "activation_id": str(activation["id"]),
        "number": str(activation.get("number", "")),
        "opened_at": activation.get("opened_at", ""),
        "closed_at": activation.get("closed_at"),
        "number_kind": activation.get("number_kind", "toll_free"),
        "opened_at_brussels": brussels_time(activation.get("opened_at")) or "",
        "closed_at_brussels": brussels_time(activation.get("closed_at")),
        "opened_by": _opened_by(activation),
        "channel": str(activation.get("channel") or ""),
    }


def _opened_by(activation: Mapping[str, Any]) -> str:
    who = activation.get("opened_by")
    return str(who.get("name") or who.get("role") or "") if isinstance(who, Mapping) else ""


def price_month(
    activation: Mapping[str, Any],
    month: str,
    usage: PeriodUsage,
    schedule: TariffSchedule,
    now: datetime,
    answered_elsewhere: int = 0,
) -> Line:
    """The activation's line for `month`: its live time, operators and calls within the month, priced by the
    tariff versions in force during it; nothing for an activation opened by accident (see `void_reason`;
    `answered_elsewhere`: its answered calls booked in its other months)."""
    kind = activation.get("number_kind", "toll_free")
    timeline = activation.get("operator_timeline", [])
    start, end = _month_piece(activation, month, now)
    personnel, number = Decimal(0), Decimal(0)
    live_total, operators_total = 0, 0
    for tariff, piece_start, piece_end in schedule.pieces(start, end):
        live = seconds(piece_start, piece_end)
        operated = operator_seconds(timeline, piece_start, piece_end)
        personnel += operated * tariff.operator_hour / 3600
        number += live * tariff.number_day[kind] / 86400
        live_total += live
        operators_total += operated
    top_up = 0
    if last_month(activation, now) == month:
        opened, closed = live_window(activation, now)
        final = schedule.at(max(opened, closed - SECOND))
        minimum = final.personnel_minimum_seconds
        top_up_exact = max(Decimal(0), minimum - operator_seconds(timeline, opened, closed))
        top_up = int(top_up_exact.to_integral_value())  # the minimum is whole hours; kept exact below
        personnel += top_up_exact * final.operator_hour / 3600
    personnel_eur, number_eur = cents(personnel), cents(number)
    telephony_eur = _telephony_eur(activation, month, usage, schedule, now)
    line = Line(
        month=month,
        **_identity(activation),
        live_seconds=live_total,
        calls=usage.calls,
        d2_calls=usage.d2_calls,
        answered_calls=usage.answered_calls,
        call_seconds=usage.call_seconds,
        operator_seconds=operators_total,
        personnel_eur=personnel_eur,
        number_eur=number_eur,
        telephony_eur=telephony_eur,
        total_eur=personnel_eur + number_eur + telephony_eur,
        minimum_top_up_seconds=top_up,
    )
    reason = void_reason(activation, usage.answered_calls + answered_elsewhere, schedule)
    return _voided(line, reason) if reason else line


def price_adjustment(
    activation: Mapping[str, Any],
    month: str,
    adjusts_month: str,
    usage: PeriodUsage,
    schedule: TariffSchedule,
    now: datetime,
    answered_elsewhere: int = 0,
) -> Line:
    """A line booked in `month` for contact records that came after `adjusts_month` was frozen: only their
    calls (the differences), priced at the rates of the month they belong to; nothing for an activation opened
    by accident, like its own lines."""
    telephony_eur = _telephony_eur(activation, adjusts_month, usage, schedule, now)
    zero = Decimal("0.00")
    line = Line(
        month=month,
        **_identity(activation),
        live_seconds=0,
        calls=usage.calls,
        d2_calls=usage.d2_calls,
        answered_calls=usage.answered_calls,
        call_seconds=usage.call_seconds,
        operator_seconds=0,
        personnel_eur=zero,
        number_eur=zero,
        telephony_eur=telephony_eur,
        total_eur=telephony_eur,
        line="adjustment",
        adjusts_month=adjusts_month,
    )
    reason = void_reason(activation, usage.answered_calls + answered_elsewhere, schedule)
    return _voided(line, reason) if reason else line


def overlaps(activation: Mapping[str, Any], month: str, now: datetime) -> bool:
    """Whether the activation was live at some moment of `month` (or opened and closed in it at once)."""
    month_start, month_end = month_bounds(month)
    opened, end = live_window(activation, now)
    return opened < month_end and (end > month_start or (end == opened and opened >= month_start))
