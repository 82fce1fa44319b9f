"""The tools around the functions: the local stack, the API document, the surge replay, deploy-time helpers.

The functions import their packages (`crisisline`, `activate`, `route`, `ingest`, `finance`) from their one CodeUri,
`functions/`, as Lambda does: every tool run from the clone (`python -m infra.…`, `python -m bench`) finds them
there through this one path setup. pytest sets the same path with its `pythonpath` option."""

import sys
from pathlib import Path

_FUNCTIONS = str(Path(__file__).resolve().parents[1] / "functions")
if _FUNCTIONS not in sys.path:
    sys.path.insert(0, _FUNCTIONS)
