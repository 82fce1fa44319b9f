"""The routing function's environment, validated once at cold start.

A frozen dataclass rather than a pydantic model as the other functions': importing pydantic costs about 0.3 to
0.4 times `import boto3` at cold start (`make bench`), and this function is on every citizen's call. It is read
as every function's settings are (`crisisline.environment`)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from crisisline import environment
from crisisline.facts import default_calls_per_operator_hour

# Everything one routing decision may spend on DynamoDB, retries included; Connect waits up to 8 s, but a
# caller hearing silence for more than a second hangs up.
DEFAULT_BUDGET_SECONDS = 0.8


class InvalidEnvironment(ValueError):
    """The function's environment is incomplete or malformed: the cold start fails with this message."""


@dataclass(frozen=True)
class RouteSettings:
    numbers_table: str
    call_counters_table: str
    # Used while the tariffs cannot be read; by default the default tariffs' figure.
    calls_per_operator_hour: int = field(default_factory=default_calls_per_operator_hour)
    budget_seconds: float = field(default=DEFAULT_BUDGET_SECONDS, metadata={"variable": "ROUTE_BUDGET_SECONDS"})
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
    def from_environment(cls, environ: Mapping[str, str] | None = None) -> RouteSettings:
        """Read NUMBERS_TABLE, CALL_COUNTERS_TABLE, CALLS_PER_OPERATOR_HOUR (default: the default tariffs', used
        when the tariffs cannot be read), ROUTE_BUDGET_SECONDS (default 0.8) and TARIFFS_TABLE (optional)."""
        given = environment.values(cls, environ)
        try:
            calls = int(given.get("calls_per_operator_hour") or default_calls_per_operator_hour())
        except ValueError:
            raise InvalidEnvironment("CALLS_PER_OPERATOR_HOUR must be a whole number of at least 1") from None
        try:
            budget = float(given.get("budget_seconds") or DEFAULT_BUDGET_SECONDS)
        except ValueError:
            raise InvalidEnvironment("ROUTE_BUDGET_SECONDS must be a number of seconds") from None
        return cls(
            numbers_table=given.get("numbers_table", ""),
            call_counters_table=given.get("call_counters_table", ""),
            calls_per_operator_hour=calls,
            budget_seconds=budget,
            tariffs_table=given.get("tariffs_table", ""),
        )


@environment.settings
def route() -> RouteSettings:
    """The settings of this process."""
    return RouteSettings.from_environment()
