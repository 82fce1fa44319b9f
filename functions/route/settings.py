"""The routing function's environment, validated once at cold start.

A frozen dataclass rather than the pydantic models of `crisisline.settings`: importing those costs about 0.3 to
0.4 times `import boto3` at cold start (`make bench`), and this function is on every citizen's call. Four fields
do not need a validation framework."""

from __future__ import annotations

import os
from dataclasses import dataclass
from functools import cache

DEFAULT_CALLS_PER_OPERATOR_HOUR = 12
# Everything one routing decision may spend on DynamoDB, retries included; Connect waits up to 8 s, but a
# caller hearing silence for more than a second hangs up.
DEFAULT_BUDGET_SECONDS = 0.8


class InvalidEnvironment(ValueError):
    """The function's environment is incomplete or malformed: the cold start fails with this message."""


@dataclass(frozen=True)
class RouteSettings:
    numbers_table: str
    call_counters_table: str
    calls_per_operator_hour: int = DEFAULT_CALLS_PER_OPERATOR_HOUR
    budget_seconds: float = DEFAULT_BUDGET_SECONDS
    # Where the tariffs' calls per operator-hour are read (cached); empty: CALLS_PER_OPERATOR_HOUR alone.
    tariffs_table: str = ""

    def __post_init__(self) -> None:
        for name in ("numbers_table", "call_counters_table"):
            if len(getattr(self, name)) < 3:
                raise InvalidEnvironment(f"{name.upper()} must name a DynamoDB table")
        if self.calls_per_operator_hour < 1:
            raise InvalidEnvironment("CALLS_PER_OPERATOR_HOUR must be a whole number of at least 1")
        if not 0.1 <= self.budget_seconds <= 5:
            raise InvalidEnvironment("ROUTE_BUDGET_SECONDS must lie between 0.1 and 5")

    @classmethod
    def from_environment(cls, environ: dict[str, str] | None = None) -> RouteSettings:
        """Read NUMBERS_TABLE, CALL_COUNTERS_TABLE, CALLS_PER_OPERATOR_HOUR (default 12, used when the tariffs
        cannot be read), ROUTE_BUDGET_SECONDS (default 0.8) and TARIFFS_TABLE (optional)."""
        env = os.environ if environ is None else environ
        try:
            calls = int(env.get("CALLS_PER_OPERATOR_HOUR") or DEFAULT_CALLS_PER_OPERATOR_HOUR)
        except ValueError:
            raise InvalidEnvironment("CALLS_PER_OPERATOR_HOUR must be a whole number of at least 1") from None
        try:
            budget = float(env.get("ROUTE_BUDGET_SECONDS") or DEFAULT_BUDGET_SECONDS)
        except ValueError:
            raise InvalidEnvironment("ROUTE_BUDGET_SECONDS must be a number of seconds") from None
        return cls(numbers_table=env.get("NUMBERS_TABLE", ""), call_counters_table=env.get("CALL_COUNTERS_TABLE", ""),
                   calls_per_operator_hour=calls, budget_seconds=budget, tariffs_table=env.get("TARIFFS_TABLE", ""))


@cache
def route() -> RouteSettings:
    """The settings of this process (tests clear the cache when they change the environment)."""
    return RouteSettings.from_environment()
