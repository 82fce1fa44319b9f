"""The contact flows in this folder and their place in template.yaml.

Each `AWS::Connect::ContactFlow` of the template names its file in `Metadata.FlowFile` and carries the file's
JSON, compacted, as `Content: !Sub '…'`: `${RouteFunction.Arn}` and `${D5Queue.QueueArn}` inside a flow are
CloudFormation substitutions, resolved at deploy. `python -m infra.connect.build` rewrites those Content lines
from the files; the checker fails when the template and the files differ."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from infra.local import template as cfn

FLOW_DIR = Path(__file__).resolve().parent
ENTRY_FLOW = "crisis-line.json"
# `${Logical}` or `${Logical.Attribute}`: a CloudFormation substitution inside a flow.
REFERENCE = re.compile(r"\$\{([A-Za-z0-9]+)(?:\.([A-Za-z0-9]+))?\}")


@dataclass(frozen=True)
class FlowFile:
    path: Path
    text: str

    @property
    def name(self) -> str:
        return self.path.name

    @property
    def relative(self) -> str:
        """The path as the template's Metadata.FlowFile writes it (relative to the repository)."""
        try:
            return self.path.relative_to(cfn.ROOT).as_posix()
        except ValueError:  # a file outside the repository (a test's copy): the template cannot hold it
            return self.path.as_posix()


def flow_files(directory: Path = FLOW_DIR) -> list[FlowFile]:
    """Every `*.json` flow in the folder, sorted by name."""
    return [FlowFile(path, path.read_text(encoding="utf-8")) for path in sorted(directory.glob("*.json"))]


def load(name: str = ENTRY_FLOW, directory: Path = FLOW_DIR) -> dict[str, Any]:
    """One flow as data."""
    return json.loads((directory / name).read_text(encoding="utf-8"))  # type: ignore[no-any-return]


def compact(flow: dict[str, Any]) -> str:
    """The flow as the single-line JSON that the template's Content holds."""
    return json.dumps(flow, ensure_ascii=False, separators=(",", ":"))


def template_flows(template: dict[str, Any] | None = None) -> dict[str, tuple[str, Any]]:
    """logical id → (Metadata.FlowFile, Content) of every AWS::Connect::ContactFlow in the template."""
    found = {}
    for logical_id, body in cfn.resources("AWS::Connect::ContactFlow", template).items():
        content = body.get("Properties", {}).get("Content")
        found[logical_id] = (str(body.get("Metadata", {}).get("FlowFile", "")), content)
    return found


def content_text(content: Any) -> str | None:
    """The JSON text of a Content property written as `!Sub '…'` or as a plain string."""
    if isinstance(content, dict) and isinstance(content.get("Fn::Sub"), str):
        return str(content["Fn::Sub"])
    return content if isinstance(content, str) else None
