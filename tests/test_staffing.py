"""The staffing advisor: how many operators the next hour of calls needs, by Erlang C (callers wait as long as it
takes) and Erlang A (callers hang up when their patience runs out), and GET /staffing that answers it."""

from __future__ import annotations

import math
from urllib.parse import urlencode

import pytest

from crisisline import staffing
from tests.conftest import Api


# ---------------------------------------------------------------------- Erlang C against published tables
@pytest.mark.parametrize(
    ("operators", "probability_of_waiting"),
    # 10 Erlangs offered to 11..15 servers: the probability of delay as Erlang C tables print it, to four
    # decimals; the same figures come from the textbook formula with factorials, in exact fractions.
    [(11, 0.6821), (12, 0.4494), (13, 0.2853), (14, 0.1741), (15, 0.1020)],
)
def test_the_probability_of_waiting_is_the_published_erlang_c_table(
    operators: int, probability_of_waiting: float
) -> None:
    assert staffing.erlang_c(operators, 10.0) == pytest.approx(probability_of_waiting, abs=5e-5)
    assert staffing.erlang_c(operators, 10.0) == pytest.approx(_erlang_c_by_factorials(operators, 10), abs=1e-12)


@pytest.mark.parametrize(
    ("channels", "load", "probability_of_waiting"),
    # An Erlang C table read the other way round (the load that gives a probability of delay), as in the worked
    # TETRA trunking example "Table C": 8 channels queue 5% of calls at 3.87 Erlangs, 10 channels 1% at 4.08.
    [(8, 3.87, 0.05), (10, 4.08, 0.01)],
)
def test_the_load_a_table_gives_for_a_probability_of_waiting_gives_that_probability_back(
    channels: int, load: float, probability_of_waiting: float
) -> None:
    assert staffing.erlang_c(channels, load) == pytest.approx(probability_of_waiting, abs=5e-4)


def test_the_classic_half_hour_of_360_four_minute_calls_on_55_agents() -> None:
    # 360 calls in half an hour, 4 minutes each: 48 Erlangs. Checked against the textbook formula with exact
    # fractions, for the figures a call center's calculator shows.
    prediction = staffing.predict(55, calls_per_hour=720, handle_seconds=240, answer_within_seconds=20)
    exact = _erlang_c_by_factorials(55, 48)
    assert prediction.waiting_probability == pytest.approx(exact, abs=1e-12)
    assert prediction.waiting_probability == pytest.approx(0.2387, abs=5e-5)
    assert prediction.occupancy == pytest.approx(48 / 55)
    assert prediction.mean_wait_seconds == pytest.approx(exact * 240 / 7)
    assert prediction.service_level == pytest.approx(1 - exact * math.exp(-7 * 20 / 240))


def _erlang_c_by_factorials(c: int, a: int) -> float:
    from fractions import Fraction

    top = Fraction(a**c, math.factorial(c)) * Fraction(c, c - a)
    return float(top / (sum(Fraction(a**k, math.factorial(k)) for k in range(c)) + top))


def test_two_thousand_erlangs_neither_overflow_nor_lose_the_answer() -> None:
    # 30,000 four-minute calls an hour: factorials of 2,000 and 2,000^2,000 would overflow a float long before.
    advice = staffing.needed(30_000, 240, 20, 0.8)
    assert advice.load_erlangs == pytest.approx(2000)
    assert 2000 < advice.operators < 2100
    assert advice.needed.service_level is not None and advice.needed.service_level >= 0.8
    assert advice.fewer is not None and advice.fewer.service_level is not None and advice.fewer.service_level < 0.8
    assert 0 < staffing.erlang_c(2001, 2000.0) < 1
    assert staffing.erlang_b(2000, 2000.0) == pytest.approx(0.0177, abs=5e-4)  # ≈ 1/√(πA/2) for c = A


def test_one_operator_fewer_than_the_load_is_said_to_be_unstable_not_divided_by_zero() -> None:
    # 36 four-minute calls an hour are 2.4 Erlangs: 3 operators answer half of them within 10 minutes, 2 never
    # catch up.
    advice = staffing.needed(36, 240, 600, 0.5)
    assert advice.operators == 3
    assert advice.fewer == staffing.Prediction(
        operators=2, stable=False, service_level=None, waiting_probability=None, mean_wait_seconds=None, occupancy=1.2
    )
    assert staffing.erlang_c(2, 2.4) == 1.0


# ---------------------------------------------------------------------- Erlang A
def test_callers_of_endless_patience_are_erlang_cs() -> None:
    patient = staffing.predict(55, 720, 240, 20, patience_seconds=1e7)
    waiting_forever = staffing.predict(55, 720, 240, 20)
    assert patient.waiting_probability == pytest.approx(waiting_forever.waiting_probability, abs=1e-4)
    assert patient.service_level == pytest.approx(waiting_forever.service_level, abs=1e-4)
    assert patient.mean_wait_seconds == pytest.approx(waiting_forever.mean_wait_seconds, abs=1e-2)
    assert patient.abandonment_probability is not None and patient.abandonment_probability < 1e-5


def test_impatient_callers_wait_less_often_and_hang_up_more() -> None:
    patient, hasty = (staffing.predict(55, 720, 240, 20, patience_seconds=p) for p in (600, 10))
    assert hasty.waiting_probability < patient.waiting_probability  # type: ignore[operator]
    assert hasty.abandonment_probability > patient.abandonment_probability  # type: ignore[operator]
    assert hasty.mean_wait_seconds < patient.mean_wait_seconds  # type: ignore[operator]


def test_with_abandonment_fewer_operators_than_the_load_still_reach_a_steady_queue() -> None:
    overloaded = staffing.predict(200, 3295, 240, 60, patience_seconds=120)
    assert overloaded.stable
    # Most callers then wait, and those who hang up are, roughly, the work the operators cannot take: 1 − c/A.
    assert overloaded.waiting_probability is not None and overloaded.waiting_probability > 0.8
    assert overloaded.abandonment_probability == pytest.approx(1 - 200 / 219.67, abs=0.01)
    assert overloaded.occupancy <= 1


@pytest.mark.parametrize("patience", [5.0, 60.0, 400.0])
def test_erlang_a_is_the_birth_and_death_process_summed_state_by_state(patience: float) -> None:
    # Three operators, 2.5 Erlangs, calls of 1 s: the states' probabilities added up one by one, and a caller's
    # way through the queue integrated step by step, against the closed forms with incomplete gamma functions.
    operators, load, within = 3, 2.5, 0.7
    theta = 1 / patience
    weights = [1.0]
    for n in range(1, 4000):
        weights.append(weights[-1] * load / (min(n, operators) + max(n - operators, 0) * theta))
        if weights[-1] < 1e-18 * sum(weights):
            break
    total = sum(weights)
    states = [w / total for w in weights]
    waiting = sum(states[operators:])
    queued = sum((n - operators) * p for n, p in enumerate(states) if n > operators)
    abandonment = theta * queued / load
    answered_in_time = _answered_within(states[operators:], operators, theta, within)
    predicted = staffing.predict(operators, load * 3600, 1, within, patience_seconds=patience)
    assert predicted.waiting_probability == pytest.approx(waiting, abs=1e-9)
    assert predicted.abandonment_probability == pytest.approx(abandonment, abs=1e-9)
    assert predicted.mean_wait_seconds == pytest.approx(queued / load, abs=1e-9)  # Little's law
    assert predicted.service_level == pytest.approx(1 - waiting + answered_in_time, abs=1e-6)


def _answered_within(queued_states: list[float], operators: int, theta: float, within: float) -> float:
    """How many of the callers who found `k` callers ahead (weights `queued_states[k]`) reach an operator within
    `within` before hanging up: the queue ahead shrinks at c + kθ, the caller hangs up at θ (service rate 1)."""
    ahead = list(queued_states)

    def change(q: list[float]) -> tuple[list[float], float]:
        moved = [
            -(operators + k * theta + theta) * q[k]
            + (operators + (k + 1) * theta) * (q[k + 1] if k + 1 < len(q) else 0)
            for k in range(len(q))
        ]
        return moved, operators * q[0]

    steps = 700
    dt = within / steps
    answered = 0.0
    for _ in range(steps):  # Runge–Kutta, fourth order
        k1, a1 = change(ahead)
        k2, a2 = change([q + dt / 2 * d for q, d in zip(ahead, k1, strict=True)])
        k3, a3 = change([q + dt / 2 * d for q, d in zip(ahead, k2, strict=True)])
        k4, a4 = change([q + dt * d for q, d in zip(ahead, k3, strict=True)])
        ahead = [
            q + dt / 6 * (d1 + 2 * d2 + 2 * d3 + d4) for q, d1, d2, d3, d4 in zip(ahead, k1, k2, k3, k4, strict=True)
        ]
        answered += dt / 6 * (a1 + 2 * a2 + 2 * a3 + a4)
    return answered


# ---------------------------------------------------------------------- the 2015 peak hour
def test_the_2015_peak_hour_needs_the_operators_the_formula_gives_and_one_fewer_misses() -> None:
    # The evening of the 2015 Belgian peak: 3,295 calls in one hour, four minutes each, and the aim of 80% of
    # callers answered within a minute.
    advice = staffing.needed(calls_per_hour=3295, handle_seconds=240, answer_within_seconds=60, service_level=0.8)
    assert advice.load_erlangs == pytest.approx(219.67, abs=0.01)
    assert advice.operators == 225
    assert advice.needed.service_level == pytest.approx(0.835, abs=5e-4)
    assert advice.fewer is not None and advice.fewer.service_level == pytest.approx(0.768, abs=5e-4)
    assert advice.more.service_level == pytest.approx(0.883, abs=5e-4)
    assert advice.needed.occupancy == pytest.approx(0.976, abs=5e-4)


def test_the_2015_peak_hour_with_callers_who_hang_up_after_two_minutes_on_average_needs_fewer() -> None:
    advice = staffing.needed(3295, 240, 60, 0.8, patience_seconds=120)
    assert advice.operators < 225
    assert advice.needed.service_level is not None and advice.needed.service_level >= 0.8
    assert advice.fewer is not None and advice.fewer.service_level is not None and advice.fewer.service_level < 0.8


# ---------------------------------------------------------------------- GET /staffing
def _query(**changes: object) -> str:
    query = {"calls_per_hour": 3295, "handle_seconds": 240, "answer_within_seconds": 60, "service_level": 0.8}
    query.update(changes)
    return "/staffing?" + urlencode({name: value for name, value in query.items() if value is not None})


def test_any_signed_in_role_asks_how_many_operators_the_peak_hour_needs(api: Api, admin: str) -> None:
    operator = str(api.post("/credentials", admin, {"role": "operator", "label": "Call center"}).body["token"])
    answer = api.get(_query(), operator)
    assert answer.status == 200, answer.body
    assert answer.body["operators"] == 225
    assert answer.body["model"] == "erlang_c"
    assert answer.body["load_erlangs"] == 219.67
    assert answer.body["needed"]["service_level"] == 0.8353
    assert answer.body["one_fewer"]["service_level"] == 0.768
    assert answer.body["one_more"]["operators"] == 226


def test_with_callers_patience_the_advice_counts_those_who_hang_up(api: Api, admin: str) -> None:
    answer = api.get(_query(patience_seconds=120), admin)
    assert answer.status == 200, answer.body
    assert answer.body["model"] == "erlang_a"
    assert answer.body["operators"] == staffing.needed(3295, 240, 60, 0.8, patience_seconds=120).operators
    assert 0 < answer.body["needed"]["abandonment_probability"] < 1


def test_an_operator_fewer_than_the_load_is_shown_as_a_queue_without_end(api: Api, admin: str) -> None:
    answer = api.get(_query(calls_per_hour=36, answer_within_seconds=600, service_level=0.5), admin)
    assert answer.status == 200, answer.body
    fewer = answer.body["one_fewer"]
    assert fewer["stable"] is False
    assert fewer["service_level"] is None
    assert "never" in fewer["note"]


@pytest.mark.parametrize(
    ("changes", "field", "allowed"),
    [
        ({"calls_per_hour": 0}, "calls_per_hour", "from 1 to 100000"),
        ({"calls_per_hour": -5}, "calls_per_hour", "from 1 to 100000"),
        ({"calls_per_hour": 1e9}, "calls_per_hour", "from 1 to 100000"),
        ({"calls_per_hour": "many"}, "calls_per_hour", "from 1 to 100000"),
        ({"calls_per_hour": "nan"}, "calls_per_hour", "from 1 to 100000"),
        ({"handle_seconds": 0}, "handle_seconds", "from 1 to 7200"),
        ({"handle_seconds": 86400}, "handle_seconds", "from 1 to 7200"),
        ({"answer_within_seconds": -1}, "answer_within_seconds", "from 0 to 3600"),
        ({"service_level": 1}, "service_level", "more than 0 and less than 1"),
        ({"service_level": 80}, "service_level", "more than 0 and less than 1"),
        ({"service_level": 0}, "service_level", "more than 0 and less than 1"),
        ({"patience_seconds": 0}, "patience_seconds", "from 1 to 3600"),
        ({"patience_seconds": "inf"}, "patience_seconds", "from 1 to 3600"),
        ({"calls_per_hour": None}, "calls_per_hour", "missing"),
        # Vanishing figures (found by fuzzing) would make the load underflow or the patience rate overflow.
        ({"calls_per_hour": 2.79e-275}, "calls_per_hour", "from 1 to 100000"),
        ({"handle_seconds": 2.2e-313}, "handle_seconds", "from 1 to 7200"),
        ({"patience_seconds": 1e-16}, "patience_seconds", "from 1 to 3600"),
    ],
)
def test_bad_figures_are_refused_with_what_is_allowed(
    api: Api, admin: str, changes: dict[str, object], field: str, allowed: str
) -> None:
    answer = api.get(_query(**changes), admin)
    assert answer.status == 422, answer.body
    assert answer.error_code == "validation_error"
    assert allowed in answer.body["error"]["message"]
    assert [problem["field"] for problem in answer.body["error"]["details"]["fields"]] == [field]


def test_without_a_token_there_is_no_advice(api: Api) -> None:
    assert api.get(_query()).status == 401
