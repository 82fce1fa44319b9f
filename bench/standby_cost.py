"""The stack's monthly cost with no line open (`make cost`): a figure, not a timing."""

from __future__ import annotations

from infra import cost


def run() -> list[str]:
    return cost.report()
