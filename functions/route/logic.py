"""Routing decisions, in plain Python: what a caller hears and which queue takes the call.

- A number in no live activation (free, or unknown) is `inactive`.
- The message is in the language asked for, or the activation's first language when none is asked or the
  language is not offered.
- A caller who presses 2 reaches D2 only where the activation opened a victim-information line; elsewhere D5,
  with `d2_refused` so the flow can say why.
- Only the invocation that carries the caller's choice counts the call. The call overflows (the flow offers a
  callback) when the count for the activation's current UTC hour exceeds operators x calls per operator-hour.
- When the routing copy cannot be read within the budget, the caller still gets through: a fallback answer
  (D5, a generic message in every language), never an error.
- After the language menu, a caller whose pick the line does not offer is told which languages it offers and
  which one follows: in the language they picked, or, when they picked none, in each of the line's languages.
- When only the count fails, the activation's own message and the caller's queue still apply; the call is not
  refused for a capacity nobody could check (fail open), and `fallback` stays false because nothing the caller
  hears or where the call goes is generic."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Protocol

from crisisline.errors import StoreUnavailable
from crisisline.facts import overflows
from route.models import ALL_LANGUAGES, D2, D5, CallRequest, Decision, LiveLine
from route.prompts import AND, GENERIC_MESSAGE, LANGUAGE_NAMES, LANGUAGES_OFFERED


class RoutingData(Protocol):
    """What routing reads and counts; `route.store.RoutingStore` is the DynamoDB implementation."""

    def live_line(self, number: str, deadline: float) -> LiveLine | None: ...

    def count_call(self, activation_id: str, now: datetime, deadline: float) -> int: ...


def decide(
    request: CallRequest,
    data: RoutingData,
    calls_per_operator_hour: int | Callable[[], int],
    now: datetime,
    deadline: float,
) -> Decision:
    """The decision for one invocation of the contact flow. Never raises for an unavailable store.
    `calls_per_operator_hour` may be a callable: it is asked only when a call is counted against capacity."""
    try:
        line = data.live_line(request.dialled_number, deadline)
    except StoreUnavailable:
        return fallback(request)
    if line is None:
        return Decision(status="inactive", language=_offered(request.language, ALL_LANGUAGES), message="")
    language = _offered(request.language, line.languages)
    asked_d2 = request.choice == "2"
    queue = D2 if asked_d2 and line.victim_information else D5
    overflow, checked = False, None
    if request.choice is not None:
        try:
            count = data.count_call(line.activation_id, now, deadline)
        except StoreUnavailable:
            checked = False
        else:
            per_hour = calls_per_operator_hour() if callable(calls_per_operator_hour) else calls_per_operator_hour
            overflow, checked = overflows(count, line.operators, per_hour), True
    return Decision(
        status="live",
        language=language,
        message=line.message.get(language, ""),
        languages=line.languages,
        activation_id=line.activation_id,
        authority_name=line.authority_name,
        victim_information=line.victim_information,
        queue=queue,
        overflow=overflow,
        d2_refused=asked_d2 and queue != D2,
        capacity_checked=checked,
        notices=_notices(request.language, line.languages)
        if request.after_language_menu and request.choice is None
        else (),
    )


def fallback(request: CallRequest) -> Decision:
    """D5 and the generic message, in the caller's language or, before they chose one, in all four."""
    if request.language in GENERIC_MESSAGE:
        language, message = request.language, GENERIC_MESSAGE[request.language]
    else:
        language, message = ALL_LANGUAGES[0], " ".join(GENERIC_MESSAGE[lang] for lang in ALL_LANGUAGES)
    return Decision(status="live", language=language, message=message, queue=D5, fallback=True)


def _notices(asked: str | None, languages: tuple[str, ...]) -> tuple[tuple[str, str], ...]:
    """What a caller whose pick is not on the line hears about its languages, and in which language."""
    if asked in languages:
        return ()
    if asked in ALL_LANGUAGES:
        speakers: tuple[str, ...] = (asked,)
    elif len(languages) > 1:
        speakers = languages
    else:  # one language, and the caller picked none: the menu named it, there is nothing to choose
        return ()
    return tuple((speaker, languages_offered(speaker, languages)) for speaker in speakers)


def languages_offered(speaker: str, languages: tuple[str, ...]) -> str:
    """The line's languages, said in `speaker`'s language; the first is the one the call goes on in."""
    names = [LANGUAGE_NAMES[speaker][code] for code in languages]
    listed = names[0] if len(names) == 1 else f"{', '.join(names[:-1])} {AND[speaker]} {names[-1]}"
    return LANGUAGES_OFFERED[speaker].format(languages=listed, first=names[0])


def _offered(asked: str | None, languages: tuple[str, ...]) -> str:
    return asked if asked in languages else languages[0]
