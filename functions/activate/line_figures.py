"""A line's figures and staffing advice, free of HTTP: who may read them (its authority, admin, and an
operator while the line is live, as the briefing), and what they are computed from (crisisline.figures,
crisisline.advice)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from activate.briefing import _readable_activation
from crisisline.advice import ServiceTarget, advise
from crisisline.clock import parse_iso, utc_now
from crisisline.figures import Figures, line_figures
from crisisline.models import Caller
from crisisline.stores import Stores


def _figures(activation: dict[str, Any], store: Stores, now: datetime) -> Figures:
    opened_at = parse_iso(activation["opened_at"])
    until = min(now, parse_iso(activation["closed_at"])) if activation.get("closed_at") else now
    timeline = [
        (parse_iso(entry["at"]), int(entry["operators"])) for entry in activation.get("operator_timeline", [])
    ] or [(opened_at, int(activation["operators"]))]
    tariffs = store.capacity.tariff_schedule()
    return line_figures(
        store.figures.contacts(activation["id"]),
        store.figures.routed_per_hour(activation["id"], opened_at),
        sorted(timeline),
        lambda at: tariffs.at(at).calls_per_operator_hour,
        opened_at,
        until,
    )


def figures(caller: Caller, activation_id: str, store: Stores, now: datetime | None = None) -> dict[str, Any]:
    """The line's figures per quarter hour, per hour and in total (see crisisline.figures)."""
    activation = _readable_activation(caller, activation_id, store)
    return _figures(activation, store, now or utc_now()).document()


def advice(
    caller: Caller, activation_id: str, store: Stores, target: ServiceTarget, now: datetime | None = None
) -> dict[str, Any]:
    """The operators the next hour needs for `target`, against those in force (see crisisline.advice)."""
    activation = _readable_activation(caller, activation_id, store)
    now = now or utc_now()
    operator_hour = store.capacity.tariff_schedule().at(now).operator_hour
    answer = advise(_figures(activation, store, now), now, int(activation["operators"]), operator_hour, target)
    return {"activation_id": activation_id, **answer}
