"""Ready messages for common incidents (shelter in place, evacuation, flood, explosion, drinking water, power cut)
in the line's four languages, from `incident_templates.json` beside this module: the one source the console and
the phone activation both offer, in the same order."""

from __future__ import annotations

import json
import pathlib
from functools import cache
from typing import Any

TEMPLATES_FILE = pathlib.Path(__file__).with_name("incident_templates.json")


@cache
def templates() -> list[dict[str, Any]]:
    """Each template as `{"id", "number", "title": {lang: text}, "message": {lang: text}}`, numbered from 1 in the
    file's order (the number a caller presses on the phone)."""
    listed = json.loads(TEMPLATES_FILE.read_text(encoding="utf-8"))["templates"]
    return [{"id": t["id"], "number": n, "title": t["title"], "message": t["message"]} for n, t in enumerate(listed, 1)]
