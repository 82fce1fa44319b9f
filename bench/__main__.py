"""`make bench`: every benchmark module's figures, one line each; a figure that misses its aim is marked MISSED,
and a summary at the end counts them."""

from __future__ import annotations

import contextlib
import importlib
import io
import pkgutil
import re
import sys
from pathlib import Path

import infra  # noqa: F401 - puts the functions' packages on the path
from bench.common import MISSED

AIMED = re.compile(r"\(aim [<>]=")


def summary(figures: dict[str, list[str]]) -> list[str]:
    """The closing lines: how many figures with an aim met it, and each one that MISSED it, by module."""
    aimed = [(name, line) for name, lines in figures.items() for line in lines if AIMED.search(line)]
    missed = [f"  {name}: {line}" for name, line in aimed if MISSED in line]
    head = (
        f"{len(aimed) - len(missed)} of {len(aimed)} figures with an aim met it; "
        f"{len(missed)} {MISSED}{':' if missed else ''}"
    )
    return ["## summary", f"  {head}", *missed]


def main() -> int:
    names = sorted(
        info.name
        for info in pkgutil.iter_modules([str(Path(__file__).parent)])
        if info.name not in ("common",) and not info.name.startswith("_")
    )
    figures: dict[str, list[str]] = {}
    for name in names:
        module = importlib.import_module(f"bench.{name}")
        print(f"## {name}", flush=True)
        with contextlib.redirect_stdout(io.StringIO()):  # the functions' own log and metric lines
            figures[name] = module.run()
        for line in figures[name]:
            print(f"  {line}", flush=True)
    print("\n".join(summary(figures)), flush=True)
    return 0  # figures, not tests: a missed aim is reported, never failed


if __name__ == "__main__":
    sys.exit(main())
