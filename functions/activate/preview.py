"""What a caller will hear on a line as drafted, free of HTTP: per language the line offers, the parts the contact
flow (infra/connect/crisis-line.json) plays, in order, for a caller who presses that language's key and gets
through to an operator.

- The greeting, in all four languages; the language menu, one entry per language the line offers; the line's
  message in the language picked; the D5/D2 question when the line has a D2 line; "one moment" before the queue;
  and, last, what the flow says instead when every operator is busy (the callback offer).
- Texts come from the prompt files beside the code (`crisisline/prompts/`), the ones `make flows` writes into the
  flow; tests/test_preview.py plays the same line through the caller simulator and compares."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path

from crisisline import facts
from crisisline.models import PreviewIn

PROMPT_DIR = Path(__file__).resolve().parents[1] / "crisisline" / "prompts"


@cache
def prompt_texts() -> dict[str, dict[str, str]]:
    """language → prompt key → text, as the prompt files write them."""
    return {
        language: dict(json.loads((PROMPT_DIR / f"{language}.json").read_text(encoding="utf-8"))["texts"])
        for language in facts.LANGUAGES
    }


def heard(draft: PreviewIn) -> dict[str, list[dict[str, str]]]:
    """language → the parts a caller who picks it hears, in order: `part` (the flow's step), `language` (the voice
    that speaks it) and `text`."""
    texts = prompt_texts()
    opening = [
        {"part": f"greeting-{code}", "language": code, "text": texts[code]["greeting"]} for code in facts.LANGUAGES
    ]
    menu = [
        {"part": f"menu-{code}", "language": code, "text": texts[code]["menu"]}
        for code in facts.LANGUAGES
        if code in draft.languages
    ]
    answer: dict[str, list[dict[str, str]]] = {}
    for language in draft.languages:
        said = texts[language]
        parts = [*opening, *menu, {"part": "message", "language": language, "text": draft.message[language]}]
        if draft.victim_information:
            parts.append({"part": "ask-queue", "language": language, "text": said["askQueue"]})
        parts.append({"part": "hold-on", "language": language, "text": said["holdOn"]})
        parts.append({"part": "offer-callback", "language": language, "text": said["offerCallback"]})
        answer[language] = parts
    return answer
