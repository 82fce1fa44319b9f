"""`python -m infra.connect.checker`: every contact flow parses, every transition and error branch lands on an
action that exists, no action is unreachable, only allowed action types appear, every Lambda, queue and prompt
reference resolves against template.yaml, the template holds exactly these files, no text the routing function
returns and no prompt ever reaches an SSML parameter, and the flow's texts are the prompt files' (`make flows`).
Exit status 1 on any defect; `make lint` runs it."""

from __future__ import annotations

import json
import re
import sys
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from infra.connect import flows, wording
from infra.local import template as cfn

# The action types this project's flows use (and the simulator interprets); anything else is a defect until
# someone adds it here and to the simulator on purpose.
ALLOWED_TYPES = frozenset(
    {
        "UpdateContactTextToSpeechVoice",
        "UpdateContactData",
        "UpdateContactAttributes",
        "UpdateFlowAttributes",
        "MessageParticipant",
        "GetParticipantInput",
        "InvokeLambdaFunction",
        "Compare",
        "CheckMetricData",
        "UpdateContactTargetQueue",
        "TransferContactToQueue",
        "UpdateContactCallbackNumber",
        "CreateCallbackContact",
        "DisconnectParticipant",
    }
)
# Actions after which the flow may stop: it hangs up, or the contact is in a queue.
TERMINAL_TYPES = frozenset({"DisconnectParticipant", "TransferContactToQueue"})
# Which template resource types each kind of reference may point at.
REFERENCE_TYPES = {
    "LambdaFunctionARN": ("AWS::Serverless::Function", "AWS::Lambda::Function"),
    "QueueId": ("AWS::Connect::Queue",),
    "PromptId": ("AWS::Connect::Prompt",),
}
FLOW_VERSION = "2019-10-30"
# Messages are played as plain text: the routing function's answers carry what an authority typed, and Polly
# would read `<`, `&` or a stray tag in them as markup (or fail the prompt). Nothing the function returns and no
# prompt of the flow may reach an SSML parameter, directly or through an attribute.
SSML_PARAMETER = "SSML"
STORED_INPUT = "$.StoredCustomerInput"
FLOW_DATA = re.compile(r"\$\.(?:External|Attributes|FlowAttributes)\.[A-Za-z0-9_]+")


@dataclass(frozen=True)
class Defect:
    flow: str
    action: str | None
    kind: str  # parse, transition, unreachable, type, reference, error-branch, dead-end, ssml, template, prompt,
    # stored-input
    detail: str

    def __str__(self) -> str:
        where = f"{self.flow}:{self.action}" if self.action else self.flow
        return f"{where}: {self.kind}: {self.detail}"


def _targets(action: dict[str, Any]) -> Iterator[tuple[str, Any]]:
    """(label, target identifier) of every way out of an action."""
    transitions = action.get("Transitions") or {}
    if "NextAction" in transitions:
        yield "NextAction", transitions["NextAction"]
    for index, condition in enumerate(transitions.get("Conditions") or []):
        yield f"Conditions[{index}]", condition.get("NextAction")
    for error in transitions.get("Errors") or []:
        yield f"Errors[{error.get('ErrorType')}]", error.get("NextAction")


def _shape(name: str, flow: Any) -> list[Defect]:
    if not isinstance(flow, dict):
        return [Defect(name, None, "parse", "a flow is a JSON object")]
    defects = []
    if flow.get("Version") != FLOW_VERSION:
        defects.append(Defect(name, None, "parse", f"Version must be {FLOW_VERSION!r}"))
    actions = flow.get("Actions")
    if not isinstance(actions, list) or not actions:
        return [*defects, Defect(name, None, "parse", "Actions must be a non-empty list")]
    seen: set[str] = set()
    for index, action in enumerate(actions):
        identifier = action.get("Identifier") if isinstance(action, dict) else None
        if not isinstance(identifier, str) or not identifier:
            defects.append(Defect(name, None, "parse", f"Actions[{index}] has no Identifier"))
            continue
        if identifier in seen:
            defects.append(Defect(name, identifier, "parse", "Identifier used twice"))
        seen.add(identifier)
        for field, kind in (("Type", str), ("Parameters", dict), ("Transitions", dict)):
            if not isinstance(action.get(field), kind):
                defects.append(Defect(name, identifier, "parse", f"{field} must be a {kind.__name__}"))
    return defects


def check_flow(name: str, flow: Any, template: dict[str, Any]) -> list[Defect]:
    """Every defect of one flow (already parsed) against the template."""
    defects = _shape(name, flow)
    if any(d.kind == "parse" for d in defects):
        return defects
    actions = {action["Identifier"]: action for action in flow["Actions"]}
    start = flow.get("StartAction")
    if start not in actions:
        defects.append(Defect(name, None, "transition", f"StartAction {start!r} is not an action"))
    for identifier, action in actions.items():
        kind = action["Type"]
        if kind not in ALLOWED_TYPES:
            defects.append(Defect(name, identifier, "type", f"{kind} is not on the allow-list"))
        for label, target in _targets(action):
            if target not in actions:
                defects.append(Defect(name, identifier, "transition", f"{label} points at missing {target!r}"))
        transitions = action["Transitions"]
        if kind not in TERMINAL_TYPES and "NextAction" not in transitions:
            defects.append(Defect(name, identifier, "dead-end", "no NextAction: the caller would hear silence"))
        if kind == "InvokeLambdaFunction" and not any(
            error.get("ErrorType") == "NoMatchingError" for error in transitions.get("Errors") or []
        ):
            defects.append(Defect(name, identifier, "error-branch", "a Lambda call needs a NoMatchingError branch"))
        if kind == "GetParticipantInput" and not any(
            action["Parameters"].get(field) for field in ("Text", "SSML", "PromptId")
        ):
            # Keys pressed while an earlier block still speaks are lost: the menu's last line is the input's own.
            defects.append(Defect(name, identifier, "no-prompt", "an input block needs its own prompt"))
        defects.extend(_stored_input(name, identifier, action))
        defects.extend(_references(name, identifier, action["Parameters"], template))
    defects.extend(_ssml(name, actions))
    reachable = _reachable(start, actions)
    for identifier in actions:
        if identifier not in reachable:
            defects.append(Defect(name, identifier, "unreachable", "no path from StartAction leads here"))
    return defects


def _stored_input(name: str, identifier: str, action: dict[str, Any]) -> list[Defect]:
    """Store mode of GetParticipantInput (a code, a PIN): validated, no conditions (the Flow Language allows
    none); and stored input never becomes a contact attribute, which the contact record would carry."""
    params, transitions = action["Parameters"], action["Transitions"]
    defects = []
    if action["Type"] == "GetParticipantInput" and str(params.get("StoreInput", "False")).lower() == "true":
        if not isinstance(params.get("InputValidation"), dict):
            defects.append(Defect(name, identifier, "stored-input", "stored input needs its InputValidation"))
        if transitions.get("Conditions"):
            defects.append(Defect(name, identifier, "stored-input", "stored input takes no conditions"))
    if action["Type"] == "UpdateContactAttributes" and any(
        STORED_INPUT in text for _, text in _strings(params.get("Attributes") or {})
    ):
        defects.append(
            Defect(name, identifier, "stored-input", "a contact attribute takes stored input: the record would keep it")
        )
    return defects


def _reachable(start: Any, actions: dict[str, dict[str, Any]]) -> set[str]:
    seen: set[str] = set()
    todo = deque([start] if start in actions else [])
    while todo:
        identifier = todo.popleft()
        if identifier in seen:
            continue
        seen.add(identifier)
        todo.extend(target for _, target in _targets(actions[identifier]) if target in actions)
    return seen


def _strings(value: Any, key: str = "") -> Iterator[tuple[str, str]]:
    """(parameter key, string) of every string inside a Parameters object."""
    if isinstance(value, str):
        yield key, value
    elif isinstance(value, dict):
        for inner_key, inner in value.items():
            yield from _strings(inner, str(inner_key))
    elif isinstance(value, list):
        for inner in value:
            yield from _strings(inner, key)


def _references(name: str, identifier: str, parameters: dict[str, Any], template: dict[str, Any]) -> list[Defect]:
    resources = template.get("Resources", {})
    known_parameters = template.get("Parameters", {})
    defects = []
    for key, text in _strings(parameters):
        substitutions = list(flows.REFERENCE.finditer(text))
        wanted = REFERENCE_TYPES.get(key)
        if wanted and not substitutions and not text.startswith("$."):
            defects.append(
                Defect(name, identifier, "reference", f"{key} {text!r} is neither a template reference nor flow data")
            )
        for found in substitutions:
            logical_id = found.group(1)
            if logical_id in known_parameters and not found.group(2) and not wanted:
                continue
            resource = resources.get(logical_id)
            if resource is None:
                defects.append(
                    Defect(
                        name,
                        identifier,
                        "reference",
                        f"{key} refers to {logical_id}, which template.yaml does not define",
                    )
                )
            elif wanted and resource.get("Type") not in wanted:
                defects.append(
                    Defect(
                        name,
                        identifier,
                        "reference",
                        f"{key} refers to {logical_id}, a {resource.get('Type')}, not {wanted[0]}",
                    )
                )
    return defects


def _ssml(name: str, actions: dict[str, dict[str, Any]]) -> list[Defect]:
    """An SSML parameter that could carry a routing answer (`$.External.…`) or a prompt (text written in the flow),
    directly or through a contact or flow attribute set from one."""
    carriers: set[str] = set()

    def carries(value: Any) -> bool:
        if not isinstance(value, str) or not value:
            return False
        if not value.startswith("$."):
            return True  # text written in the flow: a prompt
        return any(found.startswith("$.External.") or found in carriers for found in FLOW_DATA.findall(value))

    grew = True
    while grew:  # attributes set from carriers carry too, through any number of copies
        before = len(carriers)
        for action in actions.values():
            params = action["Parameters"]
            if action["Type"] == "UpdateContactAttributes":
                carriers.update(
                    f"$.Attributes.{key}" for key, value in (params.get("Attributes") or {}).items() if carries(value)
                )
            elif action["Type"] == "UpdateFlowAttributes":
                carriers.update(
                    f"$.FlowAttributes.{key}"
                    for key, spec in (params.get("FlowAttributes") or {}).items()
                    if isinstance(spec, dict) and carries(spec.get("Value"))
                )
        grew = len(carriers) > before
    return [
        Defect(name, identifier, "ssml", f"{key} plays {value!r} as SSML; play it as Text")
        for identifier, action in actions.items()
        for key, value in _strings(action["Parameters"])
        if key == SSML_PARAMETER and carries(value)
    ]


def check_prompts(files: list[flows.FlowFile], prompt_dir: Path) -> list[Defect]:
    """The entry flow's texts and the routing function's texts are the prompt files' (`make flows`)."""
    prompts = wording.load(prompt_dir)
    defects = []
    for flow_file in files:
        if flow_file.name == flows.ENTRY_FLOW:
            try:
                flow = json.loads(flow_file.text)
            except json.JSONDecodeError:
                continue  # a parse defect already
            defects += [Defect(flow_file.name, None, "prompt", found) for found in wording.disagreements(flow, prompts)]
    route_module = wording.ROUTE_PROMPTS
    if not route_module.exists() or route_module.read_text(encoding="utf-8") != wording.route_module(prompts):
        defects.append(Defect(route_module.name, None, "prompt", "differs from the prompt files; run `make flows`"))
    return defects


def check_template(files: list[flows.FlowFile], template: dict[str, Any]) -> list[Defect]:
    """The template holds exactly these flow files, each as its current content."""
    defects = []
    held = flows.template_flows(template)
    by_file = {flow_file: logical_id for logical_id, (flow_file, _) in held.items()}
    for flow_file in files:
        logical_id = by_file.get(flow_file.relative)
        if logical_id is None:
            defects.append(
                Defect(
                    flow_file.name,
                    None,
                    "template",
                    f"no AWS::Connect::ContactFlow has Metadata.FlowFile {flow_file.relative}",
                )
            )
            continue
        text = flows.content_text(held[logical_id][1])
        try:
            same = text is not None and json.loads(text) == json.loads(flow_file.text)
        except json.JSONDecodeError:
            same = False
        if not same:
            defects.append(
                Defect(
                    flow_file.name, None, "template", f"{logical_id}.Content differs from the file; run `make flows`"
                )
            )
    names = {flow_file.relative for flow_file in files}
    for logical_id, (held_file, _) in held.items():
        if held_file not in names:
            defects.append(Defect(logical_id, None, "template", f"FlowFile {held_file!r} is not a flow file"))
    return defects


def check_files(files: list[flows.FlowFile], template: dict[str, Any]) -> list[Defect]:
    """Every defect of every file, then of the template's copy of them."""
    defects = []
    for flow_file in files:
        try:
            flow = json.loads(flow_file.text)
        except json.JSONDecodeError as error:
            defects.append(Defect(flow_file.name, None, "parse", f"not JSON: {error}"))
            continue
        defects.extend(check_flow(flow_file.name, flow, template))
    return defects + check_template(files, template)


def main(argv: list[str] | None = None) -> int:
    directory = Path(argv[0]) if argv else flows.FLOW_DIR
    files = flows.flow_files(directory)
    defects = check_files(files, cfn.load())
    # The real flows' prompts are in the functions' package; a folder of copies may hold its own.
    prompt_dir = wording.PROMPT_DIR if directory == flows.FLOW_DIR else directory / "prompts"
    if prompt_dir.is_dir():
        defects += check_prompts(files, prompt_dir)
    for defect in defects:
        print(defect, file=sys.stderr)
    if not files:
        print(f"no flows in {directory}", file=sys.stderr)
        return 1
    print(f"{len(files)} flow(s), {len(defects)} defect(s)")
    return 1 if defects else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
