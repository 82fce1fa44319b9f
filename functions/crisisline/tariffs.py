"""Tariffs: what an operator hour, a number day and a call minute cost, in EUR, as Decimal. Tariffs are
versioned: each version is in force from its `effective_from` instant until the next version's, so a period
is priced with the tariffs in force during it and re-pricing an old month gives the same amounts.

The defaults are `tariffs.json` beside this module (`crisisline.facts.TARIFFS_FILE`), in every function's
package."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from functools import cache
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, field_validator

from crisisline import facts
from crisisline.clock import iso, parse_iso
from crisisline.months import BRUSSELS

DEFAULTS_FILE = facts.TARIFFS_FILE
# The defaults are in force since before the first activation.
BEGINNING = datetime(2000, 1, 1, tzinfo=UTC)
KINDS = ("did", "toll_free")

# A non-negative decimal written as text: JSON numbers would pass through float on the way in.
Amount = Annotated[str, StringConstraints(strict=True, pattern=r"^[0-9]{1,6}(\.[0-9]{1,6})?$")]


@dataclass(frozen=True)
class Tariff:
    """One version of the tariffs, in force from `effective_from` (UTC)."""

    effective_from: datetime
    operator_hour: Decimal
    number_day: Mapping[str, Decimal]
    telephony_minute: Mapping[str, Decimal]
    service_minute: Decimal
    personnel_minimum_hours: Decimal
    calls_per_operator_hour: int
    # An activation closed within this many minutes with no answered call was opened by accident: not billed.
    grace_minutes: int = 10
    currency: str = "EUR"
    created_at: str | None = field(default=None, compare=False)

    @property
    def personnel_minimum_seconds(self) -> Decimal:
        return self.personnel_minimum_hours * 3600

    @property
    def grace_seconds(self) -> int:
        return self.grace_minutes * 60

    def document(self) -> dict[str, Any]:
        """The version as JSON-ready data, amounts as decimal text (never float)."""
        shown: dict[str, Any] = {
            "effective_from": iso(self.effective_from),
            "currency": self.currency,
            "operator_hour": str(self.operator_hour),
            "number_day": {kind: str(self.number_day[kind]) for kind in KINDS},
            "telephony_minute": {kind: str(self.telephony_minute[kind]) for kind in KINDS},
            "service_minute": str(self.service_minute),
            "personnel_minimum_hours": str(self.personnel_minimum_hours),
            "calls_per_operator_hour": self.calls_per_operator_hour,
            "grace_minutes": self.grace_minutes,
        }
        if self.created_at:
            shown["created_at"] = self.created_at
        return shown

    @classmethod
    def from_document(cls, document: Mapping[str, Any], effective_from: datetime | None = None) -> Tariff:
        """A version from its JSON or DynamoDB form (amounts as decimal text). A version stored before the grace
        period existed, or added without one, has the packaged defaults' grace period."""

        def amount(value: Any) -> Decimal:
            if isinstance(value, float):
                raise TypeError("tariff amounts never pass through float")
            return Decimal(str(value))

        start = effective_from or parse_iso(str(document["effective_from"]))
        return cls(
            effective_from=start,
            operator_hour=amount(document["operator_hour"]),
            number_day={kind: amount(document["number_day"][kind]) for kind in KINDS},
            telephony_minute={kind: amount(document["telephony_minute"][kind]) for kind in KINDS},
            service_minute=amount(document["service_minute"]),
            personnel_minimum_hours=amount(document["personnel_minimum_hours"]),
            calls_per_operator_hour=int(document["calls_per_operator_hour"]),
            grace_minutes=int(document["grace_minutes"])
            if document.get("grace_minutes") is not None
            else default_tariff().grace_minutes,
            currency=str(document.get("currency", "EUR")),
            created_at=document.get("created_at"),
        )


@cache
def default_tariff() -> Tariff:
    """The packaged defaults (crisisline/tariffs.json), in force from the beginning."""
    return Tariff.from_document(facts.default_tariffs(), BEGINNING)


class TariffSchedule:
    """Every tariff version in time order; answers which version is in force when."""

    def __init__(self, versions: list[Tariff]) -> None:
        ordered = sorted(versions, key=lambda version: version.effective_from)
        if not ordered or ordered[0].effective_from > BEGINNING:
            ordered.insert(0, default_tariff())
        self.versions = ordered

    def at(self, instant: datetime) -> Tariff:
        """The version in force at `instant`."""
        return facts.in_force(self.versions, instant, lambda version: version.effective_from) or self.versions[0]

    def pieces(self, start: datetime, end: datetime) -> Iterator[tuple[Tariff, datetime, datetime]]:
        """Cut [start, end) where a new version takes effect: (version, piece start, piece end)."""
        cursor = start
        while cursor < end:
            version = self.at(cursor)
            following = [v.effective_from for v in self.versions if v.effective_from > cursor]
            piece_end = min([end, *following])
            yield version, cursor, piece_end
            cursor = piece_end


# ---------------------------------------------------------------------- a new version, as PUT /tariffs takes it
class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class RatesByKind(_Strict):
    did: Amount
    toll_free: Amount


class TariffIn(_Strict):
    """A new tariff version. Amounts are decimal text ("45.00"), never JSON numbers; `effective_from` is an
    ISO instant with its offset, or a date (00:00 Brussels time that day); left out, it means now."""

    effective_from: str | None = Field(default=None, max_length=40)
    currency: Literal["EUR"] = "EUR"
    operator_hour: Amount
    number_day: RatesByKind
    telephony_minute: RatesByKind
    service_minute: Amount
    personnel_minimum_hours: Amount
    calls_per_operator_hour: Annotated[int, Field(strict=True, ge=1, le=1000)]
    # Minutes within which a line closed with no answered call is not billed; left out, the packaged default.
    grace_minutes: Annotated[int, Field(strict=True, ge=0, le=1440)] | None = None

    @field_validator("effective_from")
    @classmethod
    def _an_instant_or_a_date(cls, value: str | None) -> str | None:
        if value is not None:
            effective_instant(value)
        return value


def effective_instant(text: str) -> datetime:
    """`YYYY-MM-DD` as 00:00 Brussels time that day, or an ISO instant with an offset, in UTC."""
    try:
        if len(text) == 10:
            day = date.fromisoformat(text)
            return datetime.combine(day, time(0), tzinfo=BRUSSELS).astimezone(UTC)
        return parse_iso(text)
    except ValueError as error:
        raise ValueError(
            "write a date (YYYY-MM-DD, from 00:00 Brussels time) or an ISO instant with its "
            "offset, e.g. 2026-07-01T00:00:00+02:00"
        ) from error


# A new version may start now or later, never earlier: a price already charged does not change. A little
# slack absorbs the clock difference between the caller and this function.
CLOCK_SLACK = timedelta(seconds=60)
