"""`python -m infra.connect.build` (`make flows`): write the prompt files' texts into the entry flow and the
routing function (`infra.connect.wording`), then copy each flow file into template.yaml.

Each `AWS::Connect::ContactFlow` names its file in `Metadata.FlowFile`; the resource's one `Content: !Sub '…'`
line after it is replaced by the file's compacted JSON. Only those lines change, so edits elsewhere in the
template are left as they are."""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

from infra.connect import flows, wording
from infra.local import template as cfn


def _yaml_single_quoted(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def render(template_text: str, files: list[flows.FlowFile]) -> str:
    """The template text with every flow's Content line rewritten from its file."""
    lines = template_text.split("\n")
    for flow_file in files:
        marker = re.compile(rf"^\s+FlowFile:\s*{re.escape(flow_file.relative)}\s*$")
        start = next((index for index, line in enumerate(lines) if marker.match(line)), None)
        if start is None:
            raise SystemExit(f"template.yaml has no ContactFlow with FlowFile: {flow_file.relative}")
        for index in range(start + 1, len(lines)):
            found = re.match(r"^(\s+)Content:", lines[index])
            if found:
                content = flows.compact(json.loads(flow_file.text))
                lines[index] = f"{found.group(1)}Content: !Sub {_yaml_single_quoted(content)}"
                break
            if re.match(r"^  \S", lines[index]):  # the next resource began: this one has no Content line
                raise SystemExit(f"the ContactFlow for {flow_file.relative} has no `Content:` line")
    return "\n".join(lines)


def write_prompts(
    flow_dir: Path = flows.FLOW_DIR, route_module: Path = wording.ROUTE_PROMPTS, prompt_dir: Path = wording.PROMPT_DIR
) -> list[str]:
    """The entry flow's texts and the routing function's texts, rewritten from the prompt files; the files changed."""
    prompts = wording.load(prompt_dir)
    changed = []
    entry = flow_dir / flows.ENTRY_FLOW
    flow = json.loads(entry.read_text(encoding="utf-8"))
    rendered = wording.render(flow, prompts)
    if rendered != flow:
        entry.write_text(json.dumps(rendered, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
        changed.append(entry.name)
    module = wording.route_module(prompts)
    if not route_module.exists() or route_module.read_text(encoding="utf-8") != module:
        route_module.write_text(module, encoding="utf-8")
        changed.append(route_module.name)
    return changed


def main(path: Path = cfn.TEMPLATE) -> int:
    for name in write_prompts():
        print(f"{name}: texts updated from the prompt files")
    before = path.read_text(encoding="utf-8")
    after = render(before, flows.flow_files())
    if after != before:
        path.write_text(after, encoding="utf-8")
        print(f"{path.name}: flow content updated")
    else:
        print(f"{path.name}: flow content already current")
    return 0


if __name__ == "__main__":
    sys.exit(main())
