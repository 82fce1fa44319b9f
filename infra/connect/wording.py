"""What callers hear: the prompt files, one per language (`functions/crisisline/prompts/{nl,fr,de,en}.json`,
in the functions' package), are the one reviewed place for every text; the flow's texts and the routing
function's texts are generated from them by `make flows`.

- In the flow, a `MessageParticipant` or `GetParticipantInput` with written-out text is named `<key>-<language>`
  (`inactive-fr` speaks the French file's `inactive`, `technical-problem-de` its `technicalProblem`, the
  language menu's input `pick-language-en` its `menu`, the menu's last line); the
  `UpdateFlowAttributes` action `prompts-<language>` sets one flow attribute per text key it names.
- The routing function's texts (the generic fallback message, the notice of a line's languages) are written to
  `functions/route/prompts.py`, since its package holds only `functions/`.

Speaking time is estimated from the text: Polly publishes no speaking rate (it differs per voice and text; its
speech marks measure one), so each language has a characters-per-second figure at the default rate, on the slow
side of neural voices reading short prompts, each digit counts as a short word, and each prompt ends in a pause."""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from infra.connect import flows

# In the functions' package, so that the activation API can say what callers will hear (POST /preview).
PROMPT_DIR = flows.FLOW_DIR.parents[1] / "functions" / "crisisline" / "prompts"
ROUTE_PROMPTS = flows.FLOW_DIR.parents[1] / "functions" / "route" / "prompts.py"
LANGUAGES = ("nl", "fr", "de", "en")
# The flow's voices (UpdateContactTextToSpeechVoice) and the language each speaks.
VOICE_LANGUAGE = {"Lisa": "nl", "Isabelle": "fr", "Vicki": "de", "Amy": "en"}
PROMPT_ATTRIBUTES = "prompts-"  # UpdateFlowAttributes named prompts-<language>
# Texts the routing function speaks through the flow, not written in the flow.
ROUTE_KEYS = ("generic", "languagesOffered")

# Estimated speaking time at Polly's default rate (neural voices, plain text): characters (letters, spaces,
# punctuation) per second. The one figure AWS shows (Polly's "Voice speed" page: Joanna's last viseme of "Mary had
# a little lamb", 23 characters, at 1.08 s) is about 20 per second; these are a fifth slower, so estimates err
# long. German's long compounds say fewer characters per second; French writes more letters than it says.
CHARACTERS_PER_SECOND = {"nl": 16.0, "fr": 17.0, "de": 15.0, "en": 16.0}
# A digit is said as a word ("112": honderdtwaalf, cent douze, hundertzwölf, one hundred and twelve).
DIGIT_CHARACTERS = 4
PAUSE_SECONDS = 0.3  # after each prompt
# What a caller on a number in no live activation may hear at most, all four languages together.
INACTIVE_BUDGET_SECONDS = 15.0


@dataclass(frozen=True)
class Prompts:
    """One language's file: the line's names, the texts by key, the languages' names and the word for 'and'."""

    language: str
    names: dict[str, str]
    texts: dict[str, str]
    language_names: dict[str, str]
    and_word: str


def load(directory: Path = PROMPT_DIR) -> dict[str, Prompts]:
    """Every language's prompt file, by language code, in the flow's order (nl, fr, de, en)."""
    found = {}
    for language in LANGUAGES:
        data = json.loads((directory / f"{language}.json").read_text(encoding="utf-8"))
        if data.get("language") != language:
            raise ValueError(f"{language}.json says it is {data.get('language')!r}")
        found[language] = Prompts(
            language, dict(data["names"]), dict(data["texts"]), dict(data["languageNames"]), str(data["and"])
        )
    return found


# The language menu's input blocks (`pick-language-<language>`) speak the menu's last line as their prompt.
SPOKEN_AS = {"pick-language": "menu"}


def _key(stem: str) -> str:
    """`technical-problem` → `technicalProblem`."""
    stem = SPOKEN_AS.get(stem, stem)
    first, *rest = stem.split("-")
    return first + "".join(part.title() for part in rest)


def _literal(text: Any) -> bool:
    return isinstance(text, str) and not text.startswith("$.")


def flow_texts(flow: dict[str, Any]) -> Iterator[tuple[dict[str, Any], str, str, str]]:
    """(the dict holding the text, its field, language, prompt key) of every text written out in the flow."""
    for action in flow.get("Actions", []):
        identifier, params = str(action.get("Identifier", "")), action.get("Parameters") or {}
        if identifier.startswith(PROMPT_ATTRIBUTES) and action.get("Type") == "UpdateFlowAttributes":
            language = identifier[len(PROMPT_ATTRIBUTES) :]
            for key, spec in (params.get("FlowAttributes") or {}).items():
                yield spec, "Value", language, key
        elif action.get("Type") in ("MessageParticipant", "GetParticipantInput") and _literal(params.get("Text")):
            stem, _, language = identifier.rpartition("-")
            yield params, "Text", language, _key(stem)


def render(flow: dict[str, Any], prompts: dict[str, Prompts]) -> dict[str, Any]:
    """A copy of the flow with every written-out text taken from the prompt files."""
    rendered = copy.deepcopy(flow)
    for holder, field, language, key in flow_texts(rendered):
        holder[field] = prompts[language].texts[key]
    return rendered


def disagreements(flow: dict[str, Any], prompts: dict[str, Prompts]) -> list[str]:
    """Where the flow and the prompt files differ: a text the files do not hold, or hold otherwise."""
    found = []
    for holder, field, language, key in flow_texts(flow):
        expected = prompts[language].texts.get(key) if language in prompts else None
        if expected is None:
            found.append(f"{language}/{key}: the flow speaks {holder[field]!r}, which no prompt file holds")
        elif holder[field] != expected:
            found.append(f"{language}/{key}: the flow differs from prompts/{language}.json; run `make flows`")
    return found


def route_module(prompts: dict[str, Prompts]) -> str:
    """The routing function's texts as the Python module `functions/route/prompts.py`."""

    def literal(value: Any) -> str:
        return json.dumps(value, ensure_ascii=False)

    lines = [
        '"""The routing function\'s texts, generated by `make flows` from functions/crisisline/prompts/*.json (the one',
        'reviewed place for what callers hear): edit those files, not this one."""',
        "",
        "# ruff: noqa: E501",
        "",
    ]
    for key, name in (("generic", "GENERIC_MESSAGE"), ("languagesOffered", "LANGUAGES_OFFERED")):
        lines.append(f"{name} = {{")
        lines += [f"    {literal(code)}: {literal(p.texts[key])}," for code, p in prompts.items()]
        lines.append("}")
    lines.append("LANGUAGE_NAMES = {")
    lines += [f"    {literal(code)}: {literal(p.language_names)}," for code, p in prompts.items()]
    lines.append("}")
    lines.append("AND = {" + ", ".join(f"{literal(code)}: {literal(p.and_word)}" for code, p in prompts.items()) + "}")
    return "\n".join(lines) + "\n"


# ---------------------------------------------------------------------- speaking time
def speaking_seconds(text: str, language: str) -> float:
    """Estimated seconds to say `text` in `language` at Polly's default rate, with the pause after it."""
    digits = sum(character.isdigit() for character in text)
    return (len(text) + digits * (DIGIT_CHARACTERS - 1)) / CHARACTERS_PER_SECOND[language] + PAUSE_SECONDS


@dataclass(frozen=True)
class SpokenPath:
    """One way through the flow: the actions taken and what is said on it, with its estimated seconds."""

    actions: tuple[str, ...]
    said: tuple[tuple[str, str], ...]  # (language, text)

    @property
    def seconds(self) -> float:
        return sum(speaking_seconds(text, language) for language, text in self.said)


MAX_PATHS = 20_000


def spoken_paths(flow: dict[str, Any], answer: dict[str, str]) -> list[SpokenPath]:
    """Every path through the flow when the routing function answers `answer` to each invocation, each with what
    it says. Branches that depend on the caller (keys, time-outs), on the queue, or on an action failing are all
    taken; a comparison of routing data or of a contact attribute set on the path is decided by it."""
    actions = {action["Identifier"]: action for action in flow["Actions"]}
    found: list[SpokenPath] = []

    def targets(action: dict[str, Any], state: dict[str, Any]) -> list[str]:
        transitions = action.get("Transitions") or {}
        conditions = transitions.get("Conditions") or []
        errors = [error["NextAction"] for error in transitions.get("Errors") or []]
        kind = action["Type"]
        if kind == "InvokeLambdaFunction":
            return [str(transitions["NextAction"])]
        if kind == "Compare":
            value = _lookup(str(action["Parameters"].get("ComparisonValue", "")), state)
            if value is not None:
                for condition in conditions:
                    spec = condition["Condition"]
                    if _matches(spec["Operator"], str(spec["Operands"][0]), value):
                        return [condition["NextAction"]]
                return [
                    str(
                        next(
                            (
                                e["NextAction"]
                                for e in transitions.get("Errors") or []
                                if e["ErrorType"] == "NoMatchingCondition"
                            ),
                            transitions.get("NextAction"),
                        )
                    )
                ]
        every = [transitions.get("NextAction"), *(c["NextAction"] for c in conditions), *errors]
        return [target for target in dict.fromkeys(every) if target]

    def walk(identifier: str, state: dict[str, Any], taken: tuple[str, ...], said: tuple[tuple[str, str], ...]) -> None:
        if len(found) >= MAX_PATHS:
            raise ValueError(f"more than {MAX_PATHS} paths")
        if identifier in taken:
            raise ValueError(f"the flow loops at {identifier}")
        action = actions[identifier]
        taken, params, kind = (*taken, identifier), action.get("Parameters") or {}, action["Type"]
        state = {**state, "Attributes": dict(state["Attributes"]), "FlowAttributes": dict(state["FlowAttributes"])}
        if kind == "UpdateContactTextToSpeechVoice":
            state["voice"] = params.get("TextToSpeechVoice")
        elif kind == "UpdateContactAttributes":
            for key, value in (params.get("Attributes") or {}).items():
                state["Attributes"][key] = _lookup(str(value), state)
        elif kind == "UpdateFlowAttributes":
            for key, spec in (params.get("FlowAttributes") or {}).items():
                state["FlowAttributes"][key] = _lookup(str(spec.get("Value", "")), state)
        elif kind in ("MessageParticipant", "GetParticipantInput") and "Text" in params:
            text = _lookup(str(params["Text"]), state)
            if text:
                said = (*said, (VOICE_LANGUAGE.get(state["voice"], "en"), text))
        following = [] if kind in ("DisconnectParticipant", "TransferContactToQueue") else targets(action, state)
        if kind == "TransferContactToQueue":  # queued; or the queue refuses and the flow goes on
            found.append(SpokenPath(taken, said))
            following = [e["NextAction"] for e in (action.get("Transitions") or {}).get("Errors") or []]
        elif not following:
            found.append(SpokenPath(taken, said))
        for target in dict.fromkeys(following):
            walk(target, state, taken, said)

    walk(flow["StartAction"], {"voice": None, "External": dict(answer), "Attributes": {}, "FlowAttributes": {}}, (), ())
    return found


def _lookup(value: str, state: dict[str, Any]) -> str | None:
    """A `$.`-path of the flow data as known on a path (None: not known); anything else as written."""
    if not value.startswith("$."):
        return value
    namespace, _, key = value[2:].partition(".")
    known = state.get(namespace)
    return known.get(key) if isinstance(known, dict) else None


def _matches(operator: str, operand: str, value: str) -> bool:
    return {
        "Equals": value == operand,
        "TextContains": operand in value,
        "TextStartsWith": value.startswith(operand),
        "TextEndsWith": value.endswith(operand),
    }.get(operator, False)


def worst_case(flow: dict[str, Any], answer: dict[str, str]) -> SpokenPath:
    """The path that says the most, when the routing function answers `answer`."""
    return max(spoken_paths(flow, answer), key=lambda path: path.seconds)


INACTIVE_ANSWER = {
    "status": "inactive",
    "fallback": "false",
    "activationId": "",
    "authorityName": "",
    "languages": ",".join(LANGUAGES),
    "message": "",
    "victimInformation": "false",
    "queue": "D5",
    "d2Refused": "false",
    "overflow": "false",
}


def seconds_text(seconds: float) -> str:
    return f"{seconds:.1f} s"


def inactive_figure(flow: dict[str, Any] | None = None) -> str:
    """The estimated worst case an inactive number plays, per language, as one line."""
    paths = spoken_paths(flow or flows.load(), INACTIVE_ANSWER)
    worst = max(paths, key=lambda path: path.seconds)
    each = ", ".join(f"{language} {seconds_text(speaking_seconds(text, language))}" for language, text in worst.said)
    return (
        f"inactive number: {seconds_text(worst.seconds)} spoken at most over {len(paths)} path(s) ({each}); "
        f"aim under {seconds_text(INACTIVE_BUDGET_SECONDS)}"
    )


if __name__ == "__main__":  # python -m infra.connect.wording
    print(inactive_figure())


# Words that name a phone line, per language: each must be part of one of the line's names (one name per line).
LINE_WORDS = {
    "nl": re.compile(r"\w*(?:lijn|hotline|infoline)\w*", re.IGNORECASE),
    "fr": re.compile(r"\b(?:ligne|hotline|infoline)\b", re.IGNORECASE),
    "de": re.compile(r"\w*(?:linie|line|telefon|leitung)\w*", re.IGNORECASE),
    "en": re.compile(r"\w*(?:line|hotline)\w*", re.IGNORECASE),
}
