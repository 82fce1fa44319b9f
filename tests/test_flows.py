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

from infra.connect import build, checker, flows, wording
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
    assert [f.name for f in files] == ["activate-by-phone.json", "crisis-line.json"]
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
    voices = {
        a["Parameters"]["TextToSpeechVoice"]
        for a in flows.load()["Actions"]
        if a["Type"] == "UpdateContactTextToSpeechVoice"
    }
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
        lambda f: action(f, "play-message")["Transitions"].update(NextAction="nowhere"),
        "transition",
    ),
    "an error branch to a missing action": (
        lambda f: action(f, "route-greeting")["Transitions"]["Errors"][0].update(NextAction="gone"),
        "transition",
    ),
    "a condition to a missing action": (
        lambda f: action(f, "greeting-status")["Transitions"]["Conditions"][0].update(NextAction="gone"),
        "transition",
    ),
    "a StartAction that is not an action": (lambda f: f.update(StartAction="begin"), "transition"),
    "an unreachable action": (
        lambda f: f["Actions"].append(
            {"Identifier": "orphan", "Type": "DisconnectParticipant", "Parameters": {}, "Transitions": {}}
        ),
        "unreachable",
    ),
    "an action type off the allow-list": (
        lambda f: action(f, "hold-on").update(Type="ConnectParticipantWithLexBot"),
        "type",
    ),
    "a Lambda the template does not define": (
        lambda f: action(f, "route-choice")["Parameters"].update(LambdaFunctionARN="${RoutingFunction.Arn}"),
        "reference",
    ),
    "a Lambda ARN written out instead of referenced": (
        lambda f: action(f, "route-choice")["Parameters"].update(
            LambdaFunctionARN="arn:aws:lambda:eu-central-1:123456789012:function:route"
        ),
        "reference",
    ),
    "a queue that is a table": (
        lambda f: action(f, "target-d2")["Parameters"].update(QueueId="${NumbersTable.Arn}"),
        "reference",
    ),
    "a queue the template does not define": (
        lambda f: action(f, "target-d2")["Parameters"].update(QueueId="${D3Queue.QueueArn}"),
        "reference",
    ),
    "a prompt the template does not define": (
        lambda f: action(f, "hold-on")["Parameters"].update(PromptId="${HoldMusicPrompt.PromptArn}"),
        "reference",
    ),
    "a Lambda call without an error branch": (
        lambda f: action(f, "route-language")["Transitions"].pop("Errors"),
        "error-branch",
    ),
    "a menu that waits for a key without a prompt of its own": (
        lambda f: action(f, "pick-language-en")["Parameters"].pop("Text"),
        "no-prompt",
    ),
    "an action that leads nowhere": (lambda f: action(f, "goodbye")["Transitions"].pop("NextAction"), "dead-end"),
    "an identifier used twice": (lambda f: f["Actions"].append(copy.deepcopy(action(f, "hang-up"))), "parse"),
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
    activation = next(f for f in flows.flow_files() if f.name == "activate-by-phone.json")
    defects = checker.check_template([stale, activation], cfn.load())
    assert [(d.flow, d.kind) for d in defects] == [("crisis-line.json", "template")]
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


# ---------------------------------------------------------------------- what callers hear: the prompt files
PROMPTS = wording.load()


def every_text() -> list[tuple[str, str, str]]:
    """(language, key, text) of every text a caller may hear: the flow's, the routing function's, and the notice
    of a line's languages for every set of languages a line may offer."""
    found = [(language, key, text) for language, prompts in PROMPTS.items() for key, text in prompts.texts.items()]
    from route.logic import languages_offered

    for offered in (("nl",), ("fr", "nl"), ("de", "fr", "nl", "en")):
        found += [(language, "languagesOffered", languages_offered(language, offered)) for language in PROMPTS]
    return found


def test_every_text_the_flow_and_the_routing_function_speak_comes_from_the_prompt_files() -> None:
    flow = flows.load()
    assert wording.disagreements(flow, PROMPTS) == []
    assert wording.render(flow, PROMPTS) == flow
    assert wording.ROUTE_PROMPTS.read_text(encoding="utf-8") == wording.route_module(PROMPTS), "make flows"
    spoken = {(language, key) for _, _, language, key in wording.flow_texts(flow)}
    for language, prompts in PROMPTS.items():
        assert prompts.texts.keys() == PROMPTS["nl"].texts.keys(), language
        unused = {key for key in prompts.texts if (language, key) not in spoken} - set(wording.ROUTE_KEYS)
        assert unused == set(), f"{language}: texts no one speaks"


def test_a_text_changed_in_the_flow_alone_is_a_prompt_defect(tmp_path: Path) -> None:
    flow = entry()
    action(flow, "inactive-fr")["Parameters"]["Text"] = "Vous êtes en ligne avec la ligne de crise."
    action(flow, "prompts-de")["Parameters"]["FlowAttributes"]["holdOn"]["Value"] = "Einen Moment, bitte."
    action(flow, "pick-language-en")["Identifier"] = "pick-language-english"
    found = wording.disagreements(flow, PROMPTS)
    assert len(found) == 3
    assert any(f.startswith("fr/inactive: the flow differs") for f in found)
    assert any(f.startswith("de/holdOn: the flow differs") for f in found)
    assert any(f.startswith("english/menu: the flow speaks 'For English, press 4.', which no prompt") for f in found)
    (tmp_path / "prompts").mkdir()
    for language in wording.LANGUAGES:
        (tmp_path / "prompts" / f"{language}.json").write_text(
            (wording.PROMPT_DIR / f"{language}.json").read_text(encoding="utf-8"), encoding="utf-8"
        )
    (tmp_path / "crisis-line.json").write_text(json.dumps(flow), encoding="utf-8")
    kinds_found = {d.kind for d in checker.check_prompts(flows.flow_files(tmp_path), tmp_path / "prompts")}
    assert kinds_found == {"prompt"}


def test_make_flows_writes_the_prompt_files_texts_into_the_flow_and_the_routing_function(tmp_path: Path) -> None:
    (tmp_path / "prompts").mkdir()
    for language in wording.LANGUAGES:
        data = json.loads((wording.PROMPT_DIR / f"{language}.json").read_text(encoding="utf-8"))
        data["texts"]["greeting"] += " (reviewed)"
        (tmp_path / "prompts" / f"{language}.json").write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    (tmp_path / "crisis-line.json").write_text(json.dumps(flows.load()), encoding="utf-8")
    module = tmp_path / "prompts.py"
    assert build.write_prompts(tmp_path, module, tmp_path / "prompts") == ["crisis-line.json", "prompts.py"]
    assert (
        action(flows.load(directory=tmp_path), "greeting-de")["Parameters"]["Text"]
        == "Hier ist das Krisentelefon. (reviewed)"
    )
    assert build.write_prompts(tmp_path, module, tmp_path / "prompts") == []


LINE_NAMES_REPORTED = {
    "de": ("Infoline", "Hotline", "Krisen-Infoline", "Opferinformationslinie"),
    "fr": ("en ligne avec", "ligne d'information de crise"),
    "en": ("crisis information line",),
    "nl": ("informatielijn",),
}


def test_each_language_calls_the_line_by_one_name_everywhere() -> None:
    for language, key, text in every_text():
        names = PROMPTS[language].names.values()
        for found in wording.LINE_WORDS[language].finditer(text):
            assert any(name in text and found.group(0).lower() in name.lower() for name in names), (
                f"{language}/{key}: {found.group(0)!r} in {text!r} is not one of the line's names"
            )
        assert not any(old in text for old in LINE_NAMES_REPORTED[language]), (language, key, text)
    for language, prompts in PROMPTS.items():
        for key in ("greeting", "generic", "languagesOffered"):
            assert prompts.names["line"] in prompts.texts[key], (language, key)


def test_the_wording_native_readers_found_is_gone() -> None:
    french = [text for language, _, text in every_text() if language == "fr"]
    assert not any(text.count("ligne") > 1 for text in french)  # "en ligne avec la ligne…"
    german = [text for language, _, text in every_text() if language == "de"]
    assert not any(re.match(r"Für [A-ZÄÖÜ]\w*,", text) for text in german)  # "Für Deutsch, drücken Sie 3."
    assert PROMPTS["de"].texts["menu"] == "Für Deutsch drücken Sie 3."
    english = [text for language, _, text in every_text() if language == "en"]
    assert not any("reach general information" in text for text in english)


def test_every_text_is_short_sentences_in_the_formal_address() -> None:
    formal = {
        "nl": re.compile(r"\b(jij|je|jou|jouw)\b", re.IGNORECASE),
        "fr": re.compile(r"\b(tu|toi|ton|ta|tes)\b"),
        "de": re.compile(r"\b(du|dich|dir|dein\w*)\b"),
    }
    for language, key, text in every_text():
        pattern = formal.get(language)
        assert pattern is None or not pattern.search(text), (language, key, text)
        longest = max(len(sentence.split()) for sentence in re.split(r"[.?!:]\s", text))
        # A sentence of at most 12 words; the notice of a line's languages grows by two with each language named.
        assert longest <= (16 if key == "languagesOffered" else 12), (language, key, text)


# ---------------------------------------------------------------------- how long callers listen
def test_an_inactive_number_says_so_in_four_languages_in_under_15_seconds_on_every_path() -> None:
    paths = wording.spoken_paths(flows.load(), wording.INACTIVE_ANSWER)
    worst = max(paths, key=lambda path: path.seconds)
    print(wording.inactive_figure())
    assert worst.seconds < wording.INACTIVE_BUDGET_SECONDS
    assert [language for language, _ in worst.said] == ["nl", "fr", "de", "en"]
    assert all("112" in text for _, text in worst.said)
    assert worst.actions[-1] == "hang-up"


def test_the_estimate_of_speaking_time_counts_characters_digits_and_pauses() -> None:
    assert wording.speaking_seconds("a" * 160, "en") == pytest.approx(10.3)
    assert wording.speaking_seconds("112", "de") == pytest.approx(12 / 15 + 0.3)
    assert wording.speaking_seconds("x" * 17, "fr") < wording.speaking_seconds("x" * 17, "de")


LIVE = {
    "status": "live",
    "fallback": "false",
    "activationId": "act-1",
    "authorityName": "Stad Gent",
    "languages": "fr,nl",
    "message": "Restez chez vous.",
    "victimInformation": "true",
    "queue": "D5",
    "d2Refused": "false",
}


@pytest.mark.parametrize("victim_information", ["true", "false"])
@pytest.mark.parametrize("overflow", ["true", "false"])
def test_the_authoritys_message_is_played_once_on_every_path(victim_information: str, overflow: str) -> None:
    answer = LIVE | {"victimInformation": victim_information, "overflow": overflow}
    paths = wording.spoken_paths(flows.load(), answer)
    for path in paths:  # some paths never reach it: an action failed and the caller went to D5 as a fallback
        assert [text for _, text in path.said].count("Restez chez vous.") <= 1, path.actions
    offered = [path for path in paths if "offer-callback" in path.actions]
    assert offered and all("Restez chez vous." in [text for _, text in path.said] for path in offered)


# ---------------------------------------------------------------------- SSML
SSML_BREAKAGES: dict[str, Callable[[Flow], None]] = {
    "the routing function's message": lambda f: (
        action(f, "play-message")["Parameters"].update({"SSML": "$.External.message"})
        or action(f, "play-message")["Parameters"].pop("Text")
    ),
    "the message inside written SSML": lambda f: action(f, "hold-on")["Parameters"].update(
        {"SSML": "<speak>$.External.message</speak>"}
    ),
    "the message through a contact attribute": lambda f: (
        action(f, "remember-activation")["Parameters"]["Attributes"].update(said="$.External.message"),
        action(f, "hold-on")["Parameters"].update({"SSML": "$.Attributes.said"}),
    ),
    "a prompt through a flow attribute": lambda f: action(f, "offer-callback")["Parameters"].update(
        {"SSML": "$.FlowAttributes.offerCallback"}
    ),
    "a prompt written in the flow": lambda f: action(f, "greeting-en")["Parameters"].update(
        {"SSML": "<speak>This is the crisis line.</speak>"}
    ),
    "the languages notice": lambda f: action(f, "notice-de")["Parameters"].update({"SSML": "$.External.noticeDe"}),
}


@pytest.mark.parametrize("name", sorted(SSML_BREAKAGES))
def test_the_checker_refuses_ssml_fed_by_the_routing_function_or_a_prompt(name: str) -> None:
    flow = entry()
    SSML_BREAKAGES[name](flow)
    assert "ssml" in kinds(flow)


def test_every_message_and_prompt_is_played_as_text() -> None:
    for each in flows.load()["Actions"]:
        if each["Type"] in ("MessageParticipant", "GetParticipantInput"):
            assert "SSML" not in each["Parameters"], each["Identifier"]
    assert action(flows.load(), "play-message")["Parameters"] == {"Text": "$.External.message"}


# ---------------------------------------------------------------------- a caller through the flow and the real routing
class OneLine:
    """The routing function's data: one live line on every number (no DynamoDB)."""

    def __init__(self, languages: tuple[str, ...]) -> None:
        from route.models import LiveLine

        messages = {"nl": "Blijf binnen.", "fr": "Restez chez vous.", "de": "Bleiben Sie drinnen.", "en": "Stay in."}
        self.line = LiveLine(
            "act-1", "Ville de Bruxelles", languages, {code: messages[code] for code in languages}, True, 4
        )

    def live_line(self, number: str, deadline: float) -> Any:
        return self.line

    def count_call(self, activation_id: str, now: Any, deadline: float) -> int:
        return 1


@pytest.fixture
def routing(function_environment: Callable[..., None]) -> Callable[[tuple[str, ...]], Any]:
    """An invoker for the simulator: the real routing function over one live line."""
    function_environment("RouteFunction")
    from route import app, settings

    def invoker(languages: tuple[str, ...]) -> Any:
        data = OneLine(languages)
        return lambda function, event: app.answer(event, data, settings.route().calls_per_operator_hour)

    return invoker


def test_a_german_caller_on_a_french_and_dutch_line_hears_its_languages_in_german_then_french(
    routing: Callable[[tuple[str, ...]], Any],
) -> None:
    from infra.connect.simulator import simulate_call

    call = simulate_call("+3280012345", language="de", press="1", invoker=routing(("fr", "nl")))
    said = [(utterance.voice, utterance.text) for utterance in call.heard]
    notice = said.index(
        (
            "Vicki",
            "Das Krisentelefon ist auf Französisch und Niederländisch erreichbar. Es geht auf Französisch weiter.",
        )
    )
    assert said[notice + 1] == ("Isabelle", "Restez chez vous.")
    assert call.invocations[1].parameters == {"language": "de"} and call.queue == "D5"


def test_a_caller_who_keys_no_language_hears_the_lines_languages_in_each_then_its_first(
    routing: Callable[[tuple[str, ...]], Any],
) -> None:
    from infra.connect.simulator import simulate_call

    call = simulate_call("+3280012345", press="1", invoker=routing(("nl", "fr")))
    said = [(utterance.voice, utterance.text) for utterance in call.heard]
    message = said.index(("Lisa", "Blijf binnen."))
    assert said[message - 2 : message] == [
        ("Lisa", "De crisislijn is beschikbaar in het Nederlands en het Frans. Wij gaan verder in het Nederlands."),
        ("Isabelle", "La ligne de crise est disponible en néerlandais et en français. Nous continuons en néerlandais."),
    ]


def test_a_caller_whose_language_is_offered_hears_no_notice(routing: Callable[[tuple[str, ...]], Any]) -> None:
    from infra.connect.simulator import simulate_call

    call = simulate_call("+3280012345", language="nl", press="1", invoker=routing(("fr", "nl")))
    texts = [utterance.text for utterance in call.heard]
    assert not any("verder in" in text or "continuons" in text for text in texts)
    assert ("Lisa", "Blijf binnen.") in [(u.voice, u.text) for u in call.heard]


def test_stored_input_is_validated_takes_no_conditions_and_never_becomes_a_contact_attribute() -> None:
    flow = flows.load("activate-by-phone.json")
    assert kinds(flow) == set()
    pin = action(flow, "ask-pin")
    del pin["Parameters"]["InputValidation"]
    pin["Transitions"]["Conditions"] = [{"NextAction": "menu", "Condition": {"Operator": "Equals", "Operands": ["1"]}}]
    flow["Actions"].append(
        {
            "Identifier": "keep-pin",
            "Type": "UpdateContactAttributes",
            "Parameters": {"Attributes": {"pin": "$.StoredCustomerInput"}, "TargetContact": "Current"},
            "Transitions": {
                "NextAction": "check-pin",
                "Errors": [{"NextAction": "check-pin", "ErrorType": "NoMatchingError"}],
            },
        }
    )
    pin["Transitions"]["NextAction"] = "keep-pin"
    found = [d.detail for d in checker.check_flow("broken.json", flow, cfn.load()) if d.kind == "stored-input"]
    assert len(found) == 3
