"""Where a month's usage is booked, written once for metering (which books it) and finance (which prices it):
a month's own usage under the month, a late contact record of a frozen month as an adjustment in an open one."""

from __future__ import annotations

import ast
from pathlib import Path

from crisisline.usage import adjustment_period, booking_month, is_adjustment, usage_month

FUNCTIONS = Path(__file__).resolve().parents[1] / "functions"


def test_a_months_own_usage_is_booked_in_that_month_and_counts_that_month() -> None:
    assert (booking_month("2026-10"), usage_month("2026-10"), is_adjustment("2026-10")) == ("2026-10", "2026-10", False)


def test_a_late_record_of_a_frozen_month_is_booked_in_the_open_month_and_still_counts_the_frozen_one() -> None:
    period = adjustment_period("2026-12", "2026-11")
    assert period == "2026-12#adjusts#2026-11"  # what the usage table already holds
    assert (booking_month(period), usage_month(period), is_adjustment(period)) == ("2026-12", "2026-11", True)


def test_metering_and_finance_read_the_period_through_the_one_module_not_a_copy_of_its_separator() -> None:
    copies = [
        str(path.relative_to(FUNCTIONS))
        for folder in ("ingest", "finance")
        for path in sorted((FUNCTIONS / folder).glob("*.py"))
        if "#adjusts#" in _code_strings(path)
    ]
    assert copies == []


def _code_strings(path: Path) -> str:
    """Every string constant of a module but its docstrings (which may describe the encoding)."""
    tree = ast.parse(path.read_text())
    docstrings = {
        id(node.value)
        for node in ast.walk(tree)
        if isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant) and isinstance(node.value.value, str)
    }
    return "\n".join(
        node.value
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in docstrings
    )
