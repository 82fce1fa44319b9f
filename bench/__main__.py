"""`make bench`: every benchmark module's figures, one line each."""

from __future__ import annotations

import contextlib
import importlib
import io
import pkgutil
import sys
from pathlib import Path

from bench.common import FUNCTIONS

if str(FUNCTIONS) not in sys.path:
    sys.path.insert(0, str(FUNCTIONS))


def main() -> int:
    names = sorted(info.name for info in pkgutil.iter_modules([str(Path(__file__).parent)])
                   if info.name not in ("common",) and not info.name.startswith("_"))
    for name in names:
        module = importlib.import_module(f"bench.{name}")
        print(f"## {name}", flush=True)
        with contextlib.redirect_stdout(io.StringIO()):  # the functions' own log and metric lines
            lines = module.run()
        for line in lines:
            print(f"  {line}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
