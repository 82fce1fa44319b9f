"""The operators a line needs next hour, from its figures: the last hour's arrivals and handling times (the
quarter hours of the last 60 minutes, the running one included), and their trend (the last half hour against the
hour), by Erlang C (Erlang A when callers' patience is set), against
the operators in force, with what the difference costs an hour at the tariff in force. Plain Python."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from crisisline import staffing
from crisisline.figures import Bucket, Figures

MIN_SPAN = timedelta(minutes=15)
# With calls but no handling time recorded yet (no call answered and ended), this mean is assumed: the tariff's
# 12 calls per operator-hour.
ASSUMED_HANDLE_SECONDS = 300.0


@dataclass(frozen=True)
class ServiceTarget:
    """The crisis center's aim: `service_level` of callers answered within `answer_within_seconds`; callers
    hang up after `patience_seconds` on average when it is set (Erlang A), else wait (Erlang C)."""

    service_level: float = 0.8
    answer_within_seconds: int = 60
    patience_seconds: int | None = None


def advise(
    figures: Figures, now: datetime, operators_in_force: int, operator_hour: Decimal, target: ServiceTarget
) -> dict[str, Any]:
    """The advice as the API answers it: the inputs used, `recommended_operators`, the predicted service level
    for them, `cost_difference_per_hour` (recommended − in force, × the operator-hour tariff, as decimal text),
    and `reason` (`forecast`, or `no_calls`: nothing to forecast from, so the operators in force are advised)."""
    opened_at = _parse(figures.totals.start)
    hour = _window(figures, now, opened_at, timedelta(hours=1))
    recent = _window(figures, now, opened_at, timedelta(minutes=30))
    hour_rate, recent_rate = _rate(hour, now, opened_at), _rate(recent, now, opened_at)
    done = hour
    # Each quarter's mean handling time weighted by the calls answered in it.
    handled = [
        (bucket.handle_mean_seconds, bucket.calls_answered)
        for bucket in done
        if bucket.handle_mean_seconds is not None and bucket.calls_answered
    ]
    handle = sum(mean * calls for mean, calls in handled) / sum(calls for _, calls in handled) if handled else None
    # The busier of the hour and its last half hour: a rising line is staffed for where it is going.
    calls_per_hour = max(hour_rate, recent_rate)
    inputs: dict[str, Any] = {
        "quarter_hours_used": len(hour),
        "calls_last_hour_per_hour": round(hour_rate, 1),
        "calls_last_half_hour_per_hour": round(recent_rate, 1),
        "calls_per_hour": round(calls_per_hour, 1),
        "handle_seconds": round(handle, 1) if handle is not None else None,
        "handle_seconds_assumed": handle is None and calls_per_hour > 0,
        "service_level_target": target.service_level,
        "answer_within_seconds": target.answer_within_seconds,
        "patience_seconds": target.patience_seconds,
        "model": "erlang_c" if target.patience_seconds is None else "erlang_a",
        "operator_hour": str(operator_hour),
    }
    if calls_per_hour <= 0:
        return {
            "inputs": inputs,
            "operators_in_force": operators_in_force,
            "recommended_operators": operators_in_force,
            "predicted_service_level": None,
            "cost_difference_per_hour": str(Decimal("0.00")),
            "reason": "no_calls",
            "explanation": "No calls in the last hour to forecast from: the operators in force are advised.",
        }
    handle_seconds = handle if handle is not None else ASSUMED_HANDLE_SECONDS
    advice = staffing.needed(
        min(calls_per_hour, staffing.MAX_CALLS_PER_HOUR),
        min(handle_seconds, staffing.MAX_HANDLE_SECONDS),
        target.answer_within_seconds,
        target.service_level,
        target.patience_seconds,
    )
    recommended = advice.operators
    return {
        "inputs": inputs,
        "operators_in_force": operators_in_force,
        "recommended_operators": recommended,
        "predicted_service_level": _share(advice.needed.service_level),
        "service_level_in_force": _in_force_level(calls_per_hour, handle_seconds, operators_in_force, target),
        "cost_difference_per_hour": str(((recommended - operators_in_force) * operator_hour).quantize(Decimal("0.01"))),
        "reason": "forecast",
        "explanation": "Calls per hour and handling time of the last hour (the last half hour when busier).",
    }


def _window(figures: Figures, now: datetime, opened_at: datetime, span: timedelta) -> list[Bucket]:
    """The quarter hours that overlap the `span` before `now` (the current one, still running, included)."""
    return [bucket for bucket in figures.quarter_hours if _parse(bucket.end) > now - span]


def _rate(buckets: list[Bucket], now: datetime, opened_at: datetime) -> float:
    """Calls offered per hour over `buckets`: their calls over the time from the first's start (or the opening)
    until now, at least a quarter hour, so that the first calls of a new line do not read as a flood."""
    if not buckets:
        return 0.0
    since = max(_parse(buckets[0].start), opened_at)
    hours = max((now - since).total_seconds(), MIN_SPAN.total_seconds()) / 3600
    return sum(bucket.calls_offered for bucket in buckets) / hours


def _in_force_level(calls_per_hour: float, handle: float, operators: int, target: ServiceTarget) -> float | None:
    if operators < 1:
        return 0.0
    prediction = staffing.predict(
        operators,
        min(calls_per_hour, staffing.MAX_CALLS_PER_HOUR),
        min(handle, staffing.MAX_HANDLE_SECONDS),
        target.answer_within_seconds,
        target.patience_seconds,
    )
    return _share(prediction.service_level)


def _share(value: float | None) -> float | None:
    return None if value is None else round(value, 4)


def _parse(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))
