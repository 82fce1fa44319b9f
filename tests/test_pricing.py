"""Pricing a line by hand's rules: Brussels months split at local midnight (summer time counted right), the
personnel minimum once per activation, each tariff version for its own part of a month, and each component
rounded to the cent half-up once."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError

from crisisline.months import BRUSSELS
from crisisline.tariffs import Tariff, TariffIn, TariffSchedule, default_tariff
from finance.pricing import PeriodUsage, operator_seconds, price_adjustment, price_month

ROOT = Path(__file__).resolve().parents[1]
LATER = datetime(2030, 1, 1, tzinfo=UTC)  # "now" well after every activation below
DEFAULTS = TariffSchedule([])


def local(text: str) -> str:
    """A Brussels wall-clock time as the UTC instant the store keeps."""
    naive = datetime.fromisoformat(text)
    return naive.replace(tzinfo=BRUSSELS).astimezone(UTC).isoformat().replace("+00:00", "Z")


def activation(
    opened: str,
    closed: str | None,
    operators: int = 1,
    kind: str = "toll_free",
    timeline: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    opened_at = local(opened)
    return {
        "id": "act-1",
        "authority_id": "44021",
        "authority_name": "Stad Gent",
        "number": "+3280012345",
        "number_kind": kind,
        "status": "closed" if closed else "live",
        "opened_at": opened_at,
        "closed_at": local(closed) if closed else None,
        "operator_timeline": timeline or [{"at": opened_at, "operators": operators}],
    }


def tariff(effective: str, **changes: Any) -> Tariff:
    document = {**default_tariff().document(), **changes}
    return Tariff.from_document(document, datetime.fromisoformat(effective).replace(tzinfo=BRUSSELS).astimezone(UTC))


def test_default_tariffs_are_the_agreed_amounts() -> None:
    version = default_tariff()
    assert version.operator_hour == Decimal("45.00")
    assert version.number_day == {"did": Decimal("0.10"), "toll_free": Decimal("0.42")}
    assert version.telephony_minute == {"did": Decimal("0.01"), "toll_free": Decimal("0.04")}
    assert version.service_minute == Decimal("0.018")
    assert version.personnel_minimum_seconds == 4 * 3600
    assert version.calls_per_operator_hour == 12
    assert version.grace_minutes == 10


def test_a_version_stored_before_the_grace_period_existed_has_the_default_one() -> None:
    stored = {key: value for key, value in default_tariff().document().items() if key != "grace_minutes"}
    assert Tariff.from_document(stored).grace_minutes == 10
    body = {key: value for key, value in stored.items() if key != "effective_from"}
    assert TariffIn.model_validate(body).grace_minutes is None
    assert TariffIn.model_validate({**body, "grace_minutes": 0}).grace_minutes == 0
    with pytest.raises(ValidationError):
        TariffIn.model_validate({**body, "grace_minutes": -1})


def test_a_tariff_amount_given_as_a_json_number_is_refused() -> None:
    body = {key: value for key, value in default_tariff().document().items() if key != "effective_from"}
    with pytest.raises(ValidationError) as refused:
        TariffIn.model_validate({**body, "operator_hour": 45.5})
    assert refused.value.errors()[0]["loc"] == ("operator_hour",)
    with pytest.raises(ValidationError):
        TariffIn.model_validate({**body, "service_minute": "-0.01"})


# ---------------------------------------------------------------------- Brussels months
def test_a_night_across_the_month_end_is_split_at_local_midnight() -> None:
    night = activation("2026-10-31T22:00", "2026-11-01T03:00")
    october = price_month(night, "2026-10", PeriodUsage(), DEFAULTS, LATER)
    november = price_month(night, "2026-11", PeriodUsage(), DEFAULTS, LATER)
    assert (october.live_seconds, november.live_seconds) == (2 * 3600, 3 * 3600)
    assert (october.operator_seconds, november.operator_seconds) == (2 * 3600, 3 * 3600)


def test_the_day_summer_time_ends_has_25_hours() -> None:
    # 31 October 2027 is the last Sunday of October: clocks go from 03:00 back to 02:00.
    line = activation("2027-10-31T00:00", "2027-11-01T03:00")
    october = price_month(line, "2027-10", PeriodUsage(), DEFAULTS, LATER)
    november = price_month(line, "2027-11", PeriodUsage(), DEFAULTS, LATER)
    assert october.live_seconds == 25 * 3600
    assert november.live_seconds == 3 * 3600
    # number_eur = 90000 / 86400 × 0.42 = 0.4375 → 0.44
    assert october.number_eur == Decimal("0.44")


# ---------------------------------------------------------------------- the personnel minimum
def test_a_short_activation_pays_the_personnel_minimum() -> None:
    line = price_month(
        activation("2026-10-05T10:00", "2026-10-05T11:00", operators=2), "2026-10", PeriodUsage(), DEFAULTS, LATER
    )
    assert line.operator_seconds == 7200
    assert line.minimum_top_up_seconds == 14400 - 7200
    assert line.personnel_eur == Decimal("180.00")  # max(7200, 14400) / 3600 × 45.00


def test_the_minimum_is_counted_once_and_settled_in_the_last_month() -> None:
    night = activation("2026-10-31T23:00", "2026-11-01T00:30")
    october = price_month(night, "2026-10", PeriodUsage(), DEFAULTS, LATER)
    november = price_month(night, "2026-11", PeriodUsage(), DEFAULTS, LATER)
    assert (october.minimum_top_up_seconds, october.personnel_eur) == (0, Decimal("45.00"))
    assert november.minimum_top_up_seconds == 14400 - 3600 - 1800
    assert november.personnel_eur == Decimal("135.00")
    assert october.personnel_eur + november.personnel_eur == Decimal("180.00")


def test_a_long_activation_pays_its_operators_and_no_minimum() -> None:
    line = price_month(
        activation("2026-10-05T08:00", "2026-10-05T18:00", operators=3), "2026-10", PeriodUsage(), DEFAULTS, LATER
    )
    assert (line.operator_seconds, line.minimum_top_up_seconds) == (3 * 36000, 0)
    assert line.personnel_eur == Decimal("1350.00")


def test_operators_are_integrated_over_the_timeline() -> None:
    timeline = [
        {"at": local("2026-10-05T08:00"), "operators": 2},
        {"at": local("2026-10-05T09:30"), "operators": 5},
        {"at": local("2026-10-05T10:00"), "operators": 1},
    ]
    start = datetime.fromisoformat(local("2026-10-05T08:00"))
    end = datetime.fromisoformat(local("2026-10-05T12:00"))
    assert operator_seconds(timeline, start, end) == 2 * 5400 + 5 * 1800 + 1 * 7200


def test_a_live_activation_shows_the_minimum_in_the_current_month() -> None:
    now = datetime.fromisoformat(local("2026-10-05T10:30"))
    line = price_month(activation("2026-10-05T10:00", None), "2026-10", PeriodUsage(), DEFAULTS, now)
    assert line.live_seconds == 1800
    assert line.personnel_eur == Decimal("180.00")


# ---------------------------------------------------------------------- tariff versions
def test_a_tariff_change_in_the_middle_of_a_month_prices_each_part_by_its_own_version() -> None:
    schedule = TariffSchedule(
        [
            tariff(
                "2026-10-16T00:00",
                operator_hour="60.00",
                number_day={"did": "0.10", "toll_free": "0.50"},
                telephony_minute={"did": "0.01", "toll_free": "0.05"},
                service_minute="0.02",
            )
        ]
    )
    month = activation("2026-10-01T00:00", "2026-11-01T00:00", operators=2)
    # 50 minutes of calls on 10 October (old version), 50 minutes on 20 October (new version).
    usage = PeriodUsage(calls=40, call_seconds=6000, call_seconds_by_day={"2026-10-10": 3000, "2026-10-20": 3000})
    line = price_month(month, "2026-10", usage, schedule, LATER)
    before, after = 15 * 86400, 16 * 86400 + 3600  # 16 October to 1 November holds the extra hour of 25 October
    assert line.live_seconds == before + after
    # personnel: 2 × 1296000 / 3600 × 45.00 + 2 × 1386000 / 3600 × 60.00 = 32400 + 46200
    assert line.personnel_eur == Decimal("78600.00")
    # number: 15 days × 0.42 + 1386000 / 86400 × 0.50 = 6.30 + 8.0208… = 14.3208… → 14.32
    assert line.number_eur == Decimal("14.32")
    # telephony: 50 min × (0.04 + 0.018) + 50 min × (0.05 + 0.02) = 2.90 + 3.50
    assert line.telephony_eur == Decimal("6.40")
    assert line.total_eur == Decimal("78620.72")


def test_call_seconds_without_their_days_are_priced_at_the_live_weighted_rates() -> None:
    schedule = TariffSchedule(
        [tariff("2026-10-16T00:00", telephony_minute={"did": "0.01", "toll_free": "0.05"}, service_minute="0.02")]
    )
    month = activation("2026-10-01T00:00", "2026-11-01T00:00", operators=2)
    line = price_month(month, "2026-10", PeriodUsage(calls=40, call_seconds=6000), schedule, LATER)
    # 100 minutes at (1296000 × 0.058 + 1386000 × 0.07) / 2682000 per minute = 6.4201… → 6.42
    assert line.telephony_eur == Decimal("6.42")


def test_a_day_on_which_a_version_starts_at_noon_weights_that_day_only() -> None:
    schedule = TariffSchedule(
        [tariff("2026-10-16T12:00", telephony_minute={"did": "0.01", "toll_free": "0.05"}, service_minute="0.02")]
    )
    month = activation("2026-10-01T00:00", "2026-11-01T00:00")
    usage = PeriodUsage(
        calls=3, call_seconds=9000, call_seconds_by_day={"2026-10-10": 3000, "2026-10-16": 3000, "2026-10-20": 3000}
    )
    line = price_month(month, "2026-10", usage, schedule, LATER)
    # 50 min × 0.058 + 50 min × (0.058 + 0.07) / 2 + 50 min × 0.07 = 2.90 + 3.20 + 3.50
    assert line.telephony_eur == Decimal("9.60")


def test_a_version_that_takes_effect_later_does_not_change_an_earlier_month() -> None:
    schedule = TariffSchedule([tariff("2026-11-01T00:00", operator_hour="99.00")])
    line = price_month(
        activation("2026-10-05T08:00", "2026-10-05T18:00", operators=3), "2026-10", PeriodUsage(), schedule, LATER
    )
    assert line.personnel_eur == Decimal("1350.00")


# ---------------------------------------------------------------------- rounding
def test_each_component_is_rounded_half_up_once() -> None:
    # 10 h 48 min on a DID number with one operator; 1125 billable seconds (18.75 minutes).
    line = price_month(
        activation("2026-10-05T08:00", "2026-10-05T18:48", kind="did"),
        "2026-10",
        PeriodUsage(calls=3, call_seconds=1125),
        DEFAULTS,
        LATER,
    )
    assert line.personnel_eur == Decimal("486.00")  # 38880 / 3600 × 45.00
    assert line.number_eur == Decimal("0.05")  # 38880 / 86400 × 0.10 = 0.045 → 0.05 (half-up, not to even)
    assert line.telephony_eur == Decimal("0.53")  # 18.75 × (0.01 + 0.018) = 0.525 → 0.53
    assert line.total_eur == Decimal("486.58")  # the sum of rounded components (unrounded: 486.57)


def test_an_adjustment_prices_only_the_late_calls_at_their_own_month_rates() -> None:
    line = price_adjustment(
        activation("2026-10-05T08:00", "2026-10-05T18:48"),
        "2026-11",
        "2026-10",
        PeriodUsage(calls=1, call_seconds=600),
        DEFAULTS,
        LATER,
    )
    assert (line.line, line.month, line.adjusts_month) == ("adjustment", "2026-11", "2026-10")
    assert (line.live_seconds, line.operator_seconds, line.personnel_eur) == (0, 0, Decimal("0.00"))
    assert line.telephony_eur == line.total_eur == Decimal("0.58")  # 10 minutes × 0.058


# ---------------------------------------------------------------------- accidental activations
VOIDED = "voided: closed within 10 minutes with no answered call"


@pytest.mark.parametrize("closed", ["2026-10-05T10:00:05", "2026-10-05T10:08", "2026-10-05T10:10"])
def test_an_activation_closed_within_the_grace_period_with_no_answered_call_costs_nothing(closed: str) -> None:
    usage = PeriodUsage(calls=2, abandoned_calls=2, call_seconds=90, call_seconds_by_day={"2026-10-05": 90})
    line = price_month(activation("2026-10-05T10:00", closed, operators=2), "2026-10", usage, DEFAULTS, LATER)
    assert line.billing == VOIDED
    assert (line.personnel_eur, line.number_eur, line.telephony_eur, line.total_eur) == (Decimal("0.00"),) * 4
    assert line.minimum_top_up_seconds == 0
    assert (line.calls, line.call_seconds) == (2, 90)  # what happened is still shown


def test_an_activation_one_second_past_the_grace_period_is_billed_as_usual() -> None:
    line = price_month(activation("2026-10-05T10:00", "2026-10-05T10:10:01"), "2026-10", PeriodUsage(), DEFAULTS, LATER)
    assert line.billing == "billed"
    assert line.personnel_eur == Decimal("180.00")


def test_a_short_activation_whose_call_was_answered_is_billed_as_usual() -> None:
    short = activation("2026-10-05T10:00", "2026-10-05T10:05")
    answered = price_month(short, "2026-10", PeriodUsage(calls=1, answered_calls=1, call_seconds=60), DEFAULTS, LATER)
    elsewhere = price_month(short, "2026-10", PeriodUsage(), DEFAULTS, LATER, answered_elsewhere=1)
    assert (answered.billing, answered.personnel_eur) == ("billed", Decimal("180.00"))
    assert (elsewhere.billing, elsewhere.personnel_eur) == ("billed", Decimal("180.00"))


def test_a_live_activation_is_never_voided() -> None:
    now = datetime.fromisoformat(local("2026-10-05T10:03"))
    line = price_month(activation("2026-10-05T10:00", None), "2026-10", PeriodUsage(), DEFAULTS, now)
    assert (line.billing, line.personnel_eur) == ("billed", Decimal("180.00"))


def test_the_grace_period_is_the_one_of_the_version_in_force_when_the_line_opened() -> None:
    schedule = TariffSchedule(
        [tariff("2026-10-01T00:00", grace_minutes=0), tariff("2026-11-01T00:00", grace_minutes=30)]
    )
    october = price_month(activation("2026-10-05T10:00", "2026-10-05T10:05"), "2026-10", PeriodUsage(), schedule, LATER)
    november = price_month(
        activation("2026-11-05T10:00", "2026-11-05T10:25"), "2026-11", PeriodUsage(), schedule, LATER
    )
    assert (october.billing, october.total_eur) == ("billed", Decimal("180.00"))
    assert november.billing == "voided: closed within 30 minutes with no answered call"


def test_an_adjustment_of_a_voided_activation_with_no_answered_call_is_voided_too() -> None:
    short = activation("2026-10-05T10:00", "2026-10-05T10:05")
    late = price_adjustment(short, "2026-11", "2026-10", PeriodUsage(calls=1, call_seconds=30), DEFAULTS, LATER)
    answered = price_adjustment(
        short, "2026-11", "2026-10", PeriodUsage(calls=1, answered_calls=1, call_seconds=30), DEFAULTS, LATER
    )
    assert (late.billing, late.total_eur) == (VOIDED, Decimal("0.00"))
    assert answered.billing == "billed" and answered.total_eur == Decimal("0.03")
