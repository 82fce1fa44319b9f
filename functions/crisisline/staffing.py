"""How many operators an hour of calls needs: Erlang C (callers wait as long as it takes) and Erlang A (callers
hang up after an exponentially distributed patience), and the smallest number of operators that answers the
target share of callers within the target time.

Plain floats and the standard library's math only. Every figure is computed without factorials or powers that
overflow: the Erlang B recursion gives the loss probability for any load, the rest follows from it in ratios,
and Erlang A's waiting time is the ratio of two regularized incomplete gamma functions, each computed in
logarithms. Works for loads of hundreds of thousands of Erlangs.

Erlang A (M/M/c+M) as in Garnett, Mandelbaum and Reiman, "Designing a call center with impatient customers"
(Manufacturing & Service Operations Management 4(3), 2002): with r = c·μ/θ and x = λ/θ, a caller who must
wait still waits longer than t with probability γ(r, x·e^{−θt}) / γ(r, x)."""

from __future__ import annotations

import math
from dataclasses import dataclass

SECONDS_PER_HOUR = 3600.0
# What the API accepts. Beyond these an hour is not a crisis line's but a country's, or a typing error: Belgium's
# busiest hour so far brought 3,295 calls. They also bound the work of one answer to a fraction of a second.
MAX_CALLS_PER_HOUR = 100_000
MAX_HANDLE_SECONDS = 7_200  # two hours a call
MAX_ANSWER_WITHIN_SECONDS = 3_600
MAX_PATIENCE_SECONDS = 3_600


@dataclass(frozen=True)
class Prediction:
    """What `operators` operators give an hour of calls. `stable` is False when callers who never hang up
    arrive faster than the operators answer them (Erlang C with the load at or above the operators): the queue
    then grows without end, and the figures that would describe it are None."""

    operators: int
    stable: bool
    service_level: float | None  # share of all callers answered within the target time
    waiting_probability: float | None  # share of callers who wait at all
    mean_wait_seconds: float | None  # over all callers, those answered at once included
    occupancy: float  # share of the operators' time spent on calls
    abandonment_probability: float | None = None  # Erlang A only: share of callers who hang up waiting


@dataclass(frozen=True)
class Advice:
    """The operators an hour of calls needs, with what one fewer and one more would give."""

    load_erlangs: float
    operators: int
    fewer: Prediction | None  # None when the advice is one operator
    needed: Prediction
    more: Prediction


def offered_load(calls_per_hour: float, handle_seconds: float) -> float:
    """The work arriving, in Erlangs: how many operators would be busy all the time if nobody ever waited."""
    return calls_per_hour * handle_seconds / SECONDS_PER_HOUR


def erlang_b(operators: int, load: float) -> float:
    """Erlang B: the share of callers lost when `operators` are all busy and there is no queue. The recursion
    B(0) = 1, B(k) = A·B(k−1) / (k + A·B(k−1)) stays between 0 and 1 for any load."""
    blocking = 1.0
    for k in range(1, operators + 1):
        blocking = load * blocking / (k + load * blocking)
    return blocking


class _Blocking:
    """Erlang B for one load at every number of operators asked, each step of the recursion made once."""

    def __init__(self, load: float) -> None:
        self.load = load
        self.values = [1.0]

    def __call__(self, operators: int) -> float:
        while len(self.values) <= operators:
            previous, k = self.values[-1], len(self.values)
            self.values.append(self.load * previous / (k + self.load * previous))
        return self.values[operators]


def erlang_c(operators: int, load: float, blocking: float | None = None) -> float:
    """Erlang C: the probability that a caller waits, when callers never hang up. 1 when the operators cannot
    keep up (load at or above the operators)."""
    if load >= operators:
        return 1.0
    b = erlang_b(operators, load) if blocking is None else blocking
    return operators * b / (operators - load * (1 - b))


def erlang_c_prediction(
    operators: int, load: float, handle_seconds: float, answer_within_seconds: float, blocking: float | None = None
) -> Prediction:
    """Erlang C's figures for `operators`: service level P(wait ≤ t) = 1 − C·e^{−(c−A)·t/h}, mean wait
    C·h/(c−A), occupancy A/c."""
    occupancy = load / operators
    if load >= operators:
        return Prediction(operators, False, None, None, None, occupancy)
    waiting = erlang_c(operators, load, blocking)
    spare = operators - load
    return Prediction(
        operators=operators,
        stable=True,
        service_level=1 - waiting * math.exp(-spare * answer_within_seconds / handle_seconds),
        waiting_probability=waiting,
        mean_wait_seconds=waiting * handle_seconds / spare,
        occupancy=occupancy,
    )


def erlang_a_prediction(
    operators: int,
    load: float,
    handle_seconds: float,
    answer_within_seconds: float,
    patience_seconds: float,
    blocking: float | None = None,
) -> Prediction:
    """Erlang A's figures for `operators`, callers hanging up after an exponential patience of mean
    `patience_seconds`. Always stable: the queue stops growing where as many hang up as arrive.

    Service level is the share of all callers answered within the target time (a caller who hangs up is not
    answered); mean wait is over all callers, those who hang up included (by Little's law, the abandonment
    probability times the mean patience); occupancy counts the calls answered only."""
    c, a = operators, load
    b = erlang_b(c, a) if blocking is None else blocking
    r = c * patience_seconds / handle_seconds  # c·μ/θ
    x = a * patience_seconds / handle_seconds  # λ/θ
    log_p_r_x = _log_lower_gamma_regularized(r, x)
    # S = Σ_{j≥0} Π_{k=1..j} x/(r+k): the states with a queue, relative to all operators just busy.
    log_s = math.log(r) + x - r * math.log(x) + math.lgamma(r) + log_p_r_x
    # P(wait) = B·S / (1 − B + B·S), written so that a huge S neither overflows nor loses the answer.
    waiting = 1 / (1 + (1 - b) / b * math.exp(-log_s)) if b > 0 else 0.0
    abandon_if_waiting = max(0.0, 1 - (c / a) * (1 - math.exp(-log_s)))  # Garnett et al.: 1/(ρS) + 1 − 1/ρ
    abandonment = waiting * abandon_if_waiting
    # A waiting caller answered within t: (r/x)·[P(r+1, x) − P(r+1, x·e^{−θt})] / P(r, x).
    shrink = math.exp(-answer_within_seconds / patience_seconds)
    answered_late_or_never = (c / a) * (
        math.exp(_log_lower_gamma_regularized(r + 1, x) - log_p_r_x)
        - math.exp(_log_lower_gamma_regularized(r + 1, x * shrink) - log_p_r_x)
    )
    return Prediction(
        operators=operators,
        stable=True,
        service_level=min(1.0, max(0.0, 1 - waiting + waiting * answered_late_or_never)),
        waiting_probability=waiting,
        mean_wait_seconds=abandonment * patience_seconds,
        occupancy=min(1.0, a * (1 - abandonment) / c),
        abandonment_probability=abandonment,
    )


def predict(
    operators: int,
    calls_per_hour: float,
    handle_seconds: float,
    answer_within_seconds: float,
    patience_seconds: float | None = None,
) -> Prediction:
    """What `operators` operators give: Erlang A when callers' patience is given, else Erlang C."""
    load = offered_load(calls_per_hour, handle_seconds)
    if patience_seconds is None:
        return erlang_c_prediction(operators, load, handle_seconds, answer_within_seconds)
    return erlang_a_prediction(operators, load, handle_seconds, answer_within_seconds, patience_seconds)


def needed(
    calls_per_hour: float,
    handle_seconds: float,
    answer_within_seconds: float,
    service_level: float,
    patience_seconds: float | None = None,
) -> Advice:
    """The smallest number of operators that answers `service_level` (a share, 0 < level < 1) of the hour's
    callers within `answer_within_seconds`, with the figures for it, one fewer and one more. Erlang A when
    `patience_seconds` is given, else Erlang C. The service level only grows with operators, so the number is
    found by doubling and then halving the interval: a few dozen evaluations for any load."""
    if calls_per_hour <= 0 or handle_seconds <= 0 or answer_within_seconds < 0:
        raise ValueError("calls, handling time and target time must be positive")
    if not 0 < service_level < 1:
        raise ValueError("the service level is a share between 0 and 1")
    if patience_seconds is not None and patience_seconds <= 0:
        raise ValueError("patience must be positive")
    load = offered_load(calls_per_hour, handle_seconds)
    blocking = _Blocking(load)

    def at(operators: int) -> Prediction:
        if patience_seconds is None:
            return erlang_c_prediction(operators, load, handle_seconds, answer_within_seconds, blocking(operators))
        return erlang_a_prediction(
            operators, load, handle_seconds, answer_within_seconds, patience_seconds, blocking(operators)
        )

    def enough(operators: int) -> bool:
        level = at(operators).service_level
        return level is not None and level >= service_level

    # Erlang C needs more operators than the load; Erlang A may need fewer.
    low = max(0, math.floor(load)) if patience_seconds is None else 0  # known not to be enough (or 0)
    high = max(1, low * 2)
    while not enough(high):
        low, high = high, high * 2
    while high - low > 1:
        middle = (low + high) // 2
        low, high = (low, middle) if enough(middle) else (middle, high)
    return Advice(
        load_erlangs=load,
        operators=high,
        fewer=at(high - 1) if high > 1 else None,
        needed=at(high),
        more=at(high + 1),
    )


def shown(advice: Advice, patience_seconds: float | None = None) -> dict[str, object]:
    """The advice as the API answers it: shares to four decimals, seconds to one."""
    return {
        "model": "erlang_c" if patience_seconds is None else "erlang_a",
        "load_erlangs": round(advice.load_erlangs, 2),
        "operators": advice.operators,
        "needed": _shown(advice.needed),
        "one_fewer": _shown(advice.fewer) if advice.fewer is not None else None,
        "one_more": _shown(advice.more),
    }


def _shown(prediction: Prediction) -> dict[str, object]:
    def share(value: float | None) -> float | None:
        return None if value is None else round(value, 4)

    answer: dict[str, object] = {
        "operators": prediction.operators,
        "stable": prediction.stable,
        "service_level": share(prediction.service_level),
        "waiting_probability": share(prediction.waiting_probability),
        "abandonment_probability": share(prediction.abandonment_probability),
        "mean_wait_seconds": None if prediction.mean_wait_seconds is None else round(prediction.mean_wait_seconds, 1),
        "occupancy": share(prediction.occupancy),
    }
    if not prediction.stable:
        answer["note"] = (
            "Calls arrive faster than these operators answer them: the queue grows and callers would never all be "
            "answered."
        )
    return answer


# ---------------------------------------------------------------------- the incomplete gamma function
def _log_lower_gamma_regularized(a: float, y: float) -> float:
    """log P(a, y), P(a, y) = γ(a, y)/Γ(a), for a > 0 and y ≥ 0; −inf for y = 0. The series below a + 1, the
    continued fraction of the upper function above (as in Numerical Recipes' gammp), both in logarithms so
    that neither the tiny P far below the mean nor the large powers overflow."""
    if y <= 0:
        return -math.inf
    log_front = a * math.log(y) - y - math.lgamma(a)  # y^a·e^{−y}/Γ(a)
    if y < a + 1:
        term = total = 1 / a
        n = a
        while True:
            n += 1
            term *= y / n
            total += term
            if term < total * 1e-16:
                break
        return log_front + math.log(total)
    return math.log1p(-math.exp(log_front + _log_upper_fraction(a, y)))


def _log_upper_fraction(a: float, y: float) -> float:
    """log of the continued fraction F with Γ(a, y)/Γ(a) = y^a·e^{−y}/Γ(a) · F, by the modified Lentz method."""
    tiny = 1e-300
    b = y + 1 - a
    c = 1 / tiny
    d = 1 / b
    fraction = d
    i = 0
    while True:
        i += 1
        an = -i * (i - a)
        b += 2
        d = an * d + b
        d = tiny if abs(d) < tiny else d
        c = b + an / c
        c = tiny if abs(c) < tiny else c
        d = 1 / d
        step = d * c
        fraction *= step
        if abs(step - 1) < 1e-15:
            return math.log(fraction)
