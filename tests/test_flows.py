"""The contact flows in infra/connect/ are sound and are what template.yaml deploys; the checker catches each
kind of broken flow (built here as broken copies of the real one)."""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from infra.connect import build, checker, flows
from infra.local import template as cfn

Flow = dict[str, Any]


def entry() -> Flow:
    return copy.deepcopy(flows.load())


def action(flow: Flow, identifier: str) -> dict[str, Any]:
    return next(a for a in flow["Actions"] if a["Identifier"] == identifier)


def kinds(flow: Any) -> set[str]:
    return {defect.kind for defect in checker.check_flow("broken.json", flow, cfn.load())}


def test_every_flow_file_passes_the_checker() -> None:
    files = flows.flow_files()
    assert [f.name for f in files] == ["crisis-line.json"]
    assert checker.check_files(files, cfn.load()) == []
    assert checker.main([]) == 0


def test_the_template_holds_exactly_the_flow_files() -> None:
    held = flows.template_flows()
    assert {file for file, _ in held.values()} == {f.relative for f in flows.flow_files()}
    for flow_file, content in held.values():
        text = flows.content_text(content)
        assert text is not None and json.loads(text) == json.loads((cfn.ROOT / flow_file).read_text())


def test_every_prompt_is_spoken_in_dutch_french_german_and_english() -> None:
    prompts = action(flows.load(), "prompts-nl")["Parameters"]["FlowAttributes"]
    for language in ("fr", "de", "en"):
        assert action(flows.load(), f"prompts-{language}")["Parameters"]["FlowAttributes"].keys() == prompts.keys()
    voices = {a["Parameters"]["TextToSpeechVoice"] for a in flows.load()["Actions"]
              if a["Type"] == "UpdateContactTextToSpeechVoice"}
    assert voices == {"Lisa", "Isabelle", "Vicki", "Amy"}


def test_identifiers_are_what_connect_accepts() -> None:
    for each in flows.load()["Actions"]:
        assert len(each["Identifier"]) <= 50 and not re.search(r"[%:(\\/)=$,;\[\]{}]", each["Identifier"])


def test_every_routing_call_reaches_the_activation_id_into_the_contact_record_before_any_queue() -> None:
    remember = action(flows.load(), "remember-activation")
    assert remember["Type"] == "UpdateContactAttributes"
    assert remember["Parameters"]["Attributes"]["activationId"] == "$.External.activationId"


# ---------------------------------------------------------------------- one broken copy per kind of defect
def _bad_json() -> Any:
    return None


BREAKAGES: dict[str, tuple[Callable[[Flow], None], str]] = {
    "a transition to a missing action": (
        lambda f: action(f, "play-message")["Transitions"].update(NextAction="nowhere"), "transition"),
    "an error branch to a missing action": (
        lambda f: action(f, "route-greeting")["Transitions"]["Errors"][0].update(NextAction="gone"), "transition"),
    "a condition to a missing action": (
        lambda f: action(f, "greeting-status")["Transitions"]["Conditions"][0].update(NextAction="gone"),
        "transition"),
    "a StartAction that is not an action": (lambda f: f.update(StartAction="begin"), "transition"),
    "an unreachable action": (
        lambda f: f["Actions"].append({"Identifier": "orphan", "Type": "DisconnectParticipant", "Parameters": {},
                                       "Transitions": {}}), "unreachable"),
    "an action type off the allow-list": (
        lambda f: action(f, "hold-on").update(Type="ConnectParticipantWithLexBot"), "type"),
    "a Lambda the template does not define": (
        lambda f: action(f, "route-choice")["Parameters"].update(LambdaFunctionARN="${RoutingFunction.Arn}"),
        "reference"),
    "a Lambda ARN written out instead of referenced": (
        lambda f: action(f, "route-choice")["Parameters"].update(
            LambdaFunctionARN="arn:aws:lambda:eu-central-1:123456789012:function:route"), "reference"),
    "a queue that is a table": (
        lambda f: action(f, "target-d2")["Parameters"].update(QueueId="${NumbersTable.Arn}"), "reference"),
    "a queue the template does not define": (
        lambda f: action(f, "target-d2")["Parameters"].update(QueueId="${D3Queue.QueueArn}"), "reference"),
    "a prompt the template does not define": (
        lambda f: action(f, "hold-on")["Parameters"].update(PromptId="${HoldMusicPrompt.PromptArn}"), "reference"),
    "a Lambda call without an error branch": (
        lambda f: action(f, "route-language")["Transitions"].pop("Errors"), "error-branch"),
    "an action that leads nowhere": (
        lambda f: action(f, "goodbye")["Transitions"].pop("NextAction"), "dead-end"),
    "an identifier used twice": (
        lambda f: f["Actions"].append(copy.deepcopy(action(f, "hang-up"))), "parse"),
    "a wrong Version": (lambda f: f.update(Version="2020-01-01"), "parse"),
    "an action without Parameters": (lambda f: action(f, "hang-up").pop("Parameters"), "parse"),
}


@pytest.mark.parametrize("name", sorted(BREAKAGES))
def test_the_checker_catches(name: str) -> None:
    breakage, kind = BREAKAGES[name]
    flow = entry()
    breakage(flow)
    assert kind in kinds(flow)


def test_the_real_flow_has_none_of_those_defects() -> None:
    assert kinds(entry()) == set()


def test_a_file_that_is_not_json_is_a_parse_defect(tmp_path: Path) -> None:
    (tmp_path / "crisis-line.json").write_text('{"Version": "2019-10-30", "Actions": [', encoding="utf-8")
    defects = checker.check_files(flows.flow_files(tmp_path), cfn.load())
    assert "parse" in {d.kind for d in defects}
    assert checker.main([str(tmp_path)]) == 1


def test_a_flow_the_template_does_not_hold_is_a_template_defect(tmp_path: Path) -> None:
    flow = entry()
    action(flow, "hold-on")["Parameters"]["Text"] = "$.FlowAttributes.goodbye"
    (tmp_path / "crisis-line.json").write_text(json.dumps(flow), encoding="utf-8")
    stale = flows.FlowFile(flows.FLOW_DIR / "crisis-line.json", json.dumps(flow))
    defects = checker.check_template([stale], cfn.load())
    assert [d.kind for d in defects] == ["template"]
    unknown = flows.FlowFile(flows.FLOW_DIR / "queue.json", json.dumps(flow))
    assert {d.kind for d in checker.check_template([unknown], cfn.load())} == {"template"}


def test_the_build_step_rewrites_only_the_content_line() -> None:
    text = cfn.TEMPLATE.read_text(encoding="utf-8")
    flow = entry()
    action(flow, "hold-on")["Parameters"]["Text"] = "$.FlowAttributes.goodbye"
    changed = flows.FlowFile(flows.FLOW_DIR / "crisis-line.json", json.dumps(flow))
    rendered = build.render(text, [changed])
    differing = [(a, b) for a, b in zip(text.split("\n"), rendered.split("\n"), strict=True) if a != b]
    assert len(differing) == 1 and differing[0][1].strip().startswith("Content: !Sub '")
    assert build.render(text, flows.flow_files()) == text, "template.yaml is current (make flows)"
