"""What `make bench` and `make surge` print: a figure that misses its aim says so and is counted at the end; the
surge's summary comes in one piece, the functions' log lines kept apart."""

from __future__ import annotations

import ast
import logging
import os
import re
import sys
from collections import Counter
from pathlib import Path

import pytest

from bench import __main__ as bench
from bench import console as console_bench
from bench.common import MISSED, aim
from infra import surge


def test_a_figure_that_misses_its_aim_is_marked_and_one_that_meets_it_is_not() -> None:
    assert aim(2.0, 1.6) == f"(aim <= 1.6, {MISSED})"
    assert aim(1.6, 1.6) == "(aim <= 1.6)"
    assert aim(1.6041, 1.6) == "(aim <= 1.6)"  # as the line shows it: 1.60
    assert aim(0.12, 0.4, at_most=False) == f"(aim >= 0.4, {MISSED})"
    assert aim(1.07, 1.3, note="20 activations each") == "(aim <= 1.3; 20 activations each)"
    assert aim(4, 4) == "(aim <= 4)" and MISSED in aim(5, 4)


def test_the_bench_summary_counts_the_aims_met_and_names_each_one_missed() -> None:
    figures = {
        "activation": [
            "AWS calls per activation: 2 (aim <= 4)",
            f"cold import activate.app ratio 2.00 (aim <= 1.6, {MISSED})",
            "local POST /activations p50 97.3 ms",
        ],
        "meter_ingest": [f"first batch ratio 0.12 (aim >= 0.4, {MISSED})", "raw moto put_item: 708/s"],
    }
    lines = bench.summary(figures)
    assert lines[0] == "## summary"
    assert lines[1] == f"  1 of 3 figures with an aim met it; 2 {MISSED}:"
    assert lines[2:] == [
        f"  activation: cold import activate.app ratio 2.00 (aim <= 1.6, {MISSED})",
        f"  meter_ingest: first batch ratio 0.12 (aim >= 0.4, {MISSED})",
    ]
    met = bench.summary({"route": ["ratio 1.03 (aim <= 1.25)"]})
    assert met[1:] == [f"  1 of 1 figures with an aim met it; 0 {MISSED}"]


def test_every_bench_aim_goes_through_the_marking() -> None:
    """An aim written into a line by hand would never be marked: no text of a bench line spells one."""
    written_by_hand = []
    for source in Path(bench.__file__).parent.glob("*.py"):
        tree = ast.parse(source.read_text(encoding="utf-8"))
        docstrings = {id(node.value) for node in ast.walk(tree) if isinstance(node, ast.Expr)}
        written_by_hand += [
            f"{source.name}:{node.lineno}"
            for node in ast.walk(tree)
            if isinstance(node, ast.Constant)
            and isinstance(node.value, str)
            and id(node) not in docstrings
            and re.search(r"aim [<>]=", node.value)
        ]
    assert written_by_hand == []


def test_a_console_screen_line_shows_its_time_to_usable_and_its_files_each_against_its_aim() -> None:
    quick = console_bench.screen_line("finance", 0.314, 52_300)
    assert quick == ("finance: usable in 0.31 s (aim <= 1; median of 5 loads), console files 52.3 KB (aim <= 100)")
    assert bench.summary({"console": [quick]})[1] == f"  1 of 1 figures with an aim met it; 0 {MISSED}"
    slow_and_heavy = console_bench.screen_line("admin", 1.2, 140_000)
    assert slow_and_heavy.count(MISSED) == 2
    assert bench.summary({"console": [slow_and_heavy]})[2] == f"  console: {slow_and_heavy}"


def report() -> surge.SurgeReport:
    return surge.SurgeReport(
        calls=20,
        capacity=12,
        outcomes=Counter({"D5": 10, "D2": 2, "overflow": 8}),
        invocation_ms=[1.0, 2.0, 3.0],
        aws_calls=4,
        seconds=0.5,
        workers=2,
        operators=1,
    )


def test_the_surge_summary_is_printed_in_one_piece_and_the_log_lines_go_to_a_file(
    monkeypatch: pytest.MonkeyPatch, capfd: pytest.CaptureFixture[str]
) -> None:
    def noisy_replay() -> surge.SurgeReport:
        print('{"level":"INFO","message":"token accepted"}')
        sys.stderr.write("a warning\n")
        handler = logging.StreamHandler(sys.__stdout__)  # as a function's logger holds the process's stdout
        logging.getLogger("surge-test").addHandler(handler)
        logging.getLogger("surge-test").warning('{"level":"WARNING","message":"capacity_checked: false"}')
        logging.getLogger("surge-test").removeHandler(handler)
        os.write(1, b"written to the file descriptor\n")
        return report()

    monkeypatch.setattr(surge, "replay", noisy_replay)
    assert surge.main() == 0
    out, err = capfd.readouterr()
    lines = out.splitlines()
    summary = report().lines()
    assert lines[0].startswith("Replaying")
    assert lines[1 : 1 + len(summary)] == summary
    [log_note] = lines[1 + len(summary) :]
    log = Path(re.search(r"(/\S+\.log)", log_note).group(1))  # type: ignore[union-attr]
    kept = log.read_text(encoding="utf-8")
    assert "token accepted" in kept and "a warning" in kept and "capacity_checked" in kept
    assert "file descriptor" in kept and err == ""
    log.unlink()


def test_the_surge_summary_names_the_operators_of_the_replay() -> None:
    assert report().lines()[0].startswith("20 calls in one hour, 1 operator, capacity 12")


def test_the_surge_writes_the_lines_after_action_report_beside_its_summary(
    monkeypatch: pytest.MonkeyPatch, capfd: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    with_pdf = report()
    with_pdf.after_action_pdf = b"%PDF-1.4 the report"
    monkeypatch.setattr(surge, "replay", lambda: with_pdf)
    monkeypatch.chdir(tmp_path)
    assert surge.main() == 0
    out, _ = capfd.readouterr()
    assert (tmp_path / "surge-report.pdf").read_bytes() == b"%PDF-1.4 the report"
    assert "after-action report: surge-report.pdf (19 bytes)" in out
    assert out.splitlines()[1 : 1 + len(with_pdf.lines())] == with_pdf.lines()  # the summary is unchanged
