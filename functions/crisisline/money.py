"""Money is Decimal from end to end, in EUR, rounded to the cent half-up once per line component."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from typing import Any

CENT = Decimal("0.01")


def to_decimal(value: Any) -> Decimal:
    """A Decimal from a Decimal, int or decimal text; floats are refused, they cannot hold cents exactly."""
    if isinstance(value, float):
        raise TypeError("money never passes through float")
    if isinstance(value, Decimal):
        return value
    return Decimal(str(value))


def cents(amount: Decimal) -> Decimal:
    """Round to the cent, half-up (0.005 → 0.01)."""
    return amount.quantize(CENT, rounding=ROUND_HALF_UP)
