"""Figure lines of the reliability proof: each part records one, the run prints them all at the end.

Workers (pytest-xdist) append JSON lines to one file; the controlling process prints them in its terminal
summary, and `python -m tests.reliability.figures` prints them again and fails when a part is missing or
off its required value."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
FIGURES = ROOT / ".reliability" / "figures.jsonl"
PARTS = {
    "1": "fuzzing the API",
    "2": "properties",
    "3": "races",
    "4": "faults",
    "5": "access matrix",
    "6": "secrets and personal data",
    "7": "template",
}


def full_size() -> bool:
    """`make reliability` sets CRISISLINE_RELIABILITY=full; CI's `make test` runs the small sizes."""
    return os.environ.get("CRISISLINE_RELIABILITY") == "full"


def size(ci: int, full: int) -> int:
    return full if full_size() else ci


def record(part: str, text: str, ok: bool) -> None:
    """Record part `part`'s figure line (`ok`: at its required value)."""
    if part not in PARTS:
        raise ValueError(f"unknown reliability part {part!r}")
    FIGURES.parent.mkdir(exist_ok=True)
    line = json.dumps({"part": part, "text": text, "ok": ok, "size": "full" if full_size() else "ci"})
    with open(FIGURES, "a", encoding="utf-8") as handle:
        handle.write(line + "\n")


def forget() -> None:
    FIGURES.unlink(missing_ok=True)


def lines() -> list[tuple[str, str, bool]]:
    """(part, text, ok) of every recorded figure, latest per part and text, in part order."""
    if not FIGURES.exists():
        return []
    found: dict[tuple[str, str], tuple[str, str, bool]] = {}
    for raw in FIGURES.read_text(encoding="utf-8").splitlines():
        entry = json.loads(raw)
        found[(entry["part"], entry["text"])] = (entry["part"], entry["text"], entry["ok"])
    return sorted(found.values(), key=lambda entry: entry[0])


def report() -> tuple[list[str], bool]:
    """The figure lines to print, and whether all seven parts are there and at their required values."""
    recorded = lines()
    out = []
    for part, name in PARTS.items():
        mine = [entry for entry in recorded if entry[0] == part]
        if not mine:
            out.append(f"{part}. {name}: NOT RUN")
        for _, text, ok in mine:
            out.append(f"{part}. {name}: {text}{'' if ok else '  <-- OFF ITS REQUIRED VALUE'}")
    complete = all(any(entry[0] == part for entry in recorded) for part in PARTS)
    return out, complete and all(ok for _, _, ok in recorded)


def main() -> int:
    out, good = report()
    print("\n".join(out))
    return 0 if good else 1


if __name__ == "__main__":
    sys.exit(main())
