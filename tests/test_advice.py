"""The staffing advice of a live line: how many operators the next hour needs for the crisis center's service
target, from the last hour's calls and handling times, and what the difference costs an hour."""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from crisisline.advice import ServiceTarget, advise
from crisisline.figures import ContactFacts, Figures, line_figures
from tests.conftest import Api, activation_body

OPENED = datetime(2026, 11, 29, 9, 0, tzinfo=UTC)
NOW = datetime(2026, 11, 29, 10, 0, tzinfo=UTC)
TARGET = ServiceTarget(service_level=0.8, answer_within_seconds=60)


def line(calls_per_quarter: list[int], handle_seconds: int = 180) -> Figures:
    """A line open since 09:00 whose four quarter hours had these calls, each handled in `handle_seconds`."""
    contacts = []
    for quarter, calls in enumerate(calls_per_quarter):
        for index in range(calls):
            start = OPENED + timedelta(minutes=15 * quarter, seconds=index)
            contacts.append(
                ContactFacts(
                    f"q{quarter}-{index}",
                    start.isoformat(),
                    start,
                    picked_queue=True,
                    queue="D5",
                    answered=True,
                    queue_seconds=5,
                    agent_seconds=handle_seconds,
                )
            )
    return line_figures(contacts, {}, [(OPENED, 4)], lambda _: 12, OPENED, NOW)


def erlang_c_service_level(operators: int, calls_per_hour: float, handle: float, within: float) -> float:
    """By the textbook's factorials: 1 - C(N, A) exp(-(N - A) t / h)."""
    load = calls_per_hour * handle / 3600
    top = load**operators / math.factorial(operators) * operators / (operators - load)
    waiting = top / (sum(load**k / math.factorial(k) for k in range(operators)) + top)
    return 1 - waiting * math.exp(-(operators - load) * within / handle)


def test_120_calls_an_hour_of_three_minutes_need_the_fewest_operators_that_answer_80_percent_in_a_minute() -> None:
    advice = advise(line([30, 30, 30, 30]), NOW, 4, Decimal("45.00"), TARGET)
    levels = {n: erlang_c_service_level(n, 120, 180, 60) for n in (7, 8, 9)}
    assert levels[7] < 0.8 <= levels[8]  # 6 Erlangs: 8 operators by hand
    assert advice["recommended_operators"] == 8
    assert advice["predicted_service_level"] == round(levels[8], 4)
    assert advice["inputs"]["calls_per_hour"] == 120 and advice["inputs"]["handle_seconds"] == 180
    assert advice["inputs"]["model"] == "erlang_c"
    assert advice["cost_difference_per_hour"] == "180.00"  # 4 more operators x 45.00
    assert advice["reason"] == "forecast"


def test_a_rising_line_is_staffed_for_its_last_half_hour() -> None:
    advice = advise(line([0, 0, 60, 60]), NOW, 4, Decimal("45.00"), TARGET)
    assert advice["inputs"]["calls_last_hour_per_hour"] == 120
    assert advice["inputs"]["calls_last_half_hour_per_hour"] == 240
    assert advice["inputs"]["calls_per_hour"] == 240
    levels = {n: erlang_c_service_level(n, 240, 180, 60) for n in (13, 14, 15)}
    expected = min(n for n, level in levels.items() if level >= 0.8)
    assert advice["recommended_operators"] == expected


def test_more_operators_than_needed_show_as_a_saving() -> None:
    advice = advise(line([30, 30, 30, 30]), NOW, 10, Decimal("45.00"), TARGET)
    assert advice["cost_difference_per_hour"] == "-90.00"


def test_callers_who_hang_up_are_counted_with_erlang_a_when_the_center_sets_a_patience() -> None:
    patient = advise(line([30, 30, 30, 30]), NOW, 4, Decimal("45.00"), TARGET)
    impatient = advise(line([30, 30, 30, 30]), NOW, 4, Decimal("45.00"), ServiceTarget(0.8, 60, 60))
    assert impatient["inputs"]["model"] == "erlang_a"
    assert impatient["recommended_operators"] <= patient["recommended_operators"]


def test_the_first_calls_of_a_new_line_count_over_at_least_a_quarter_hour() -> None:
    figures = line_figures(
        [ContactFacts(f"c{n}", "x", OPENED + timedelta(minutes=1), picked_queue=True) for n in range(3)],
        {},
        [(OPENED, 5)],
        lambda _: 12,
        OPENED,
        OPENED + timedelta(minutes=2),
    )
    advice = advise(figures, OPENED + timedelta(minutes=2), 5, Decimal("45.00"), TARGET)
    assert advice["inputs"]["calls_per_hour"] == 12  # 3 calls over a quarter hour, not over 2 minutes
    assert advice["inputs"]["handle_seconds_assumed"] is True


def test_with_no_calls_yet_the_operators_in_force_are_advised_and_why() -> None:
    advice = advise(line([0, 0, 0, 0]), NOW, 3, Decimal("45.00"), TARGET)
    assert advice["recommended_operators"] == 3
    assert advice["cost_difference_per_hour"] == "0.00"
    assert advice["reason"] == "no_calls"
    assert "No calls" in advice["explanation"]


def test_the_authority_gets_the_advice_of_its_new_line(api: Api, gent: str, add_numbers: Any) -> None:
    add_numbers("+3280012345")
    opened = api.post("/activations", gent, activation_body(operators=3)).body
    answer = api.get(f"/activations/{opened['id']}/advice", gent)
    assert answer.status == 200, answer.body
    assert answer.body["recommended_operators"] == 3 and answer.body["reason"] == "no_calls"
    assert answer.body["inputs"]["service_level_target"] == 0.8
    assert answer.body["inputs"]["answer_within_seconds"] == 60
    assert answer.body["inputs"]["operator_hour"] == "45.00"
