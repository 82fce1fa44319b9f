"""`make surge` in small: a crowd of callers on one live line, all within one hour. Exactly the line's
capacity reaches an operator, everyone else is offered a callback, and nobody hits an error."""

from __future__ import annotations

import os

from infra import surge


def test_a_small_surge_fills_capacity_exactly_and_offers_everyone_else_a_callback() -> None:
    before = dict(os.environ)
    report = surge.replay(calls=160, operators=2, workers=6)
    outcomes = report.outcomes
    assert report.capacity == 24
    assert outcomes["error"] == 0
    assert sum(outcomes.values()) == 160
    counted = 160 - outcomes["fallback"] - report.unchecked
    # Calls whose count failed or came late are queued anyway (fail open); every counted call beyond
    # capacity overflows.
    assert outcomes["D5"] + outcomes["D2"] == min(report.capacity, counted) + report.unchecked
    assert outcomes["overflow"] == max(0, counted - report.capacity)
    assert outcomes["D2"] > 0 and outcomes["D5"] > 0
    assert len(report.invocation_ms) >= 3 * (160 - outcomes["fallback"])
    assert 1 <= report.aws_calls / len(report.invocation_ms) <= 2
    assert dict(os.environ) == before  # the replay leaves the process's environment as it found it


def test_a_surge_on_a_line_without_d2_sends_nobody_to_d2() -> None:
    report = surge.replay(calls=40, operators=1, workers=4, victim_information=False)
    assert report.outcomes["D2"] == 0
    assert report.outcomes["error"] == 0


def test_the_report_names_every_outcome() -> None:
    text = "\n".join(surge.replay(calls=20, operators=1, workers=2).lines())
    for words in ("reached D5", "reached D2", "overflow, callback offered", "fallback", "errors", "p50", "p99"):
        assert words in text


def test_the_surge_leaves_the_lines_after_action_report_with_its_calls_against_capacity() -> None:
    report = surge.replay(calls=40, operators=1, workers=4)
    assert report.after_action_pdf.startswith(b"%PDF")
    assert report.after_action_pdf.count(b"/Type /Page") >= 3
