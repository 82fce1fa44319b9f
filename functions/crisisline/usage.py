"""A usage item, as metering writes it and finance reads it (UsageTable, see template.yaml): per activation and
`period` the counters its contacts ADDed, and how a period is written.

`period` is the booking month `YYYY-MM` (the export's month), or `OPEN#adjusts#FROZEN` for the usage of late
contact records of the frozen month FROZEN, booked as an adjustment in the open month OPEN. The booking month
comes first, so a period booked in a month begins with that month."""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields
from typing import Any

ADJUSTS = "#adjusts#"
DAY_SECONDS = "call_seconds@"  # + YYYY-MM-DD: call seconds of the contacts initiated that Brussels day


def adjustment_period(open_month: str, frozen_month: str) -> str:
    """The period of an adjustment booked in `open_month` for the frozen `frozen_month`."""
    return f"{open_month}{ADJUSTS}{frozen_month}"


def booking_month(period: str) -> str:
    """The month a period is booked in (the export's month): its first part."""
    return period.split(ADJUSTS, 1)[0]


def usage_month(period: str) -> str:
    """The month whose usage a period counts: the frozen month of an adjustment, else the period itself."""
    return period.rsplit(ADJUSTS, 1)[-1]


def is_adjustment(period: str) -> bool:
    """Whether the period is an adjustment for a frozen month rather than a month's own usage."""
    return ADJUSTS in period


@dataclass(frozen=True)
class UsageCounters:
    """The counters of one contact, or the sum or difference of several (what a usage item ADDs)."""

    calls: int = 0
    d2_calls: int = 0
    answered_calls: int = 0
    abandoned_calls: int = 0
    call_seconds: int = 0
    queue_seconds: int = 0

    def __add__(self, other: UsageCounters) -> UsageCounters:
        return UsageCounters(*(a + b for a, b in zip(self.values(), other.values(), strict=True)))

    def __neg__(self) -> UsageCounters:
        return UsageCounters(*(-a for a in self.values()))

    def __sub__(self, other: UsageCounters) -> UsageCounters:
        return self + -other

    def values(self) -> tuple[int, ...]:
        return tuple(getattr(self, name) for name in COUNTERS)

    def as_dict(self) -> dict[str, int]:
        return asdict(self)

    @property
    def is_zero(self) -> bool:
        return not any(self.values())

    @classmethod
    def from_item(cls, item: dict[str, Any]) -> UsageCounters:
        return cls(**{name: int(item.get(name) or 0) for name in COUNTERS})


COUNTERS = tuple(f.name for f in fields(UsageCounters))
