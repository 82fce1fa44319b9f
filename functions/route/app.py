"""Amazon Connect's routing function: the contact flow invokes it up to three times per call (greeting; after
the language pick with `language`; after the D5/D2 pick with `language` and `choice`) and acts on the flat map
of strings it answers. The contract with the flow (infra/connect/):

| key | value |
| --- | --- |
| `status` | `live`, or `inactive` for a number in no live activation |
| `activationId`, `authorityName` | of the live activation (empty when inactive or fallback) |
| `languages` | comma list, in the authority's order (`nl,fr,de,en` when inactive or fallback) |
| `message` | in `Parameters.language` (the caller's pick), else the activation's first language |
| `victimInformation` | `true` when the activation has a D2 line |
| `queue` | `D2` when the caller pressed 2 and there is a D2 line, else `D5` |
| `d2Refused` | `true` when the caller pressed 2 and there is no D2 line |
| `overflow` | `true` when this hour's capacity is used up (only on the invocation with `choice`) |
| `fallback` | `true` when the activation could not be read in time: D5 with a generic message |
| `noticeLanguages` | only after the language menu when the caller's pick is not offered: the languages (comma list) |
| | in which the line's languages are announced: the one the caller picked, or the line's when they picked none |
| `noticeNl`, `noticeFr`, `noticeDe`, `noticeEn` | that announcement in each language `noticeLanguages` names |

It never raises: whatever goes wrong, the caller reaches D5. Neither the caller's number nor any token is logged.
"""

from __future__ import annotations

import functools
import time
from collections.abc import Callable
from datetime import datetime
from typing import Any

from aws_lambda_powertools.logging import Logger

from crisisline.clock import utc_now
from crisisline.errors import StoreUnavailable
from crisisline.observability import count_failure, publish_failures
from route import logic, settings
from route.models import CallRequest, Decision
from route.store import default_capacity, default_store

logger = Logger(service="route")
settings.route()  # fail the cold start, not the first caller, when the environment is incomplete

# Calls per operator-hour, or what gives them at an instant before a deadline (the tariffs in force).
Capacity = int | Callable[[datetime, float], int]


def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, str]:
    """Route one invocation from the contact flow with the process's store, the tariffs' capacity and the UTC
    clock. Never raises: whatever the event holds, the flow gets a flat map of strings."""
    try:
        config = settings.route()
        data: logic.RoutingData = default_store(config)
        capacity: Capacity = default_capacity(config).calls_per_operator_hour
    except Exception:  # no store could be made: every caller still reaches D5
        logger.exception("routing store unavailable; fallback")
        data, capacity = _NO_STORE, 1
    return answer(event, data, capacity)


def answer(
    event: Any, data: logic.RoutingData, capacity: Capacity, clock: Callable[[], datetime] = utc_now
) -> dict[str, str]:
    """The flow's answer to one invocation, reading and counting with `data`; `capacity` is the calls per
    operator-hour, or what gives them at an instant before a deadline (asked only when a call is counted).
    The surge replay and the tests pass their own store and clock. Never raises."""
    try:
        return _route(event, data, capacity, clock)
    except Exception:  # the last guard: an event no check foresaw still sends the caller to D5
        logger.exception("routing failed outside a decision; fallback")  # logging reports its own failures
        count_failure("RoutingErrors")
        count_failure("RoutingFallbacks")
        return connect_answer(logic.fallback(CallRequest(dialled_number="")))
    finally:
        publish_failures()  # only a failure is counted: a routed call prints no metric line


class _NoStore:
    """Stands in for a store the process could not make: every read fails, so every caller gets the fallback."""

    def live_line(self, number: str, deadline: float) -> None:
        raise StoreUnavailable("No routing store.")

    def count_call(self, activation_id: str, now: datetime, deadline: float) -> int:
        raise StoreUnavailable("No routing store.")


_NO_STORE = _NoStore()


def _route(event: Any, data: logic.RoutingData, capacity: Capacity, clock: Callable[[], datetime]) -> dict[str, str]:
    started = time.monotonic()
    try:
        request = call_request(event)
    except (AttributeError, KeyError, TypeError) as error:
        logger.warning(
            "malformed Connect event; fallback", extra={"problem": type(error).__name__, "event": _masked(event)}
        )
        count_failure("MalformedConnectEvents")
        request = None
    if request is None:
        decision = logic.fallback(CallRequest(dialled_number=""))
    else:
        try:
            # The budget is for waiting on DynamoDB; making the client (first call of a cold start) is not part of it.
            deadline = time.monotonic() + settings.route().budget_seconds
            now = clock()
            per_hour = capacity if isinstance(capacity, int) else functools.partial(capacity, now, deadline)
            decision = logic.decide(request, data, per_hour, now, deadline)
        except Exception:  # a caller must never reach the flow's error branch
            logger.exception("routing failed; fallback")
            count_failure("RoutingErrors")
            decision = logic.fallback(request)
    _log(event, request, decision, started)
    return connect_answer(decision)


def call_request(event: dict[str, Any]) -> CallRequest:
    """The parts of Connect's event that routing reads: the dialled number and the flow's parameters.

    What a caller keys reaches this function only through the flow: DTMF gives ASCII 0-9, * and #, and the
    flow sends its own digits (`choice`) and language codes (`language`). So both are read by one rule:
    whitespace around is stripped, and only ASCII digits (`choice`) or ASCII letters (`language`, any case)
    count. Anything else (another script's digits such as '٢' or '２', symbols, a value that is not text) is
    no choice: D5, or the line's first language. A `choice` parameter that is present still marks the
    invocation that counts the call."""
    details = event["Details"]
    dialled = details["ContactData"]["SystemEndpoint"]["Address"]
    if not isinstance(dialled, str) or not dialled:
        raise TypeError("no dialled number")
    parameters = details.get("Parameters")
    if not isinstance(parameters, dict):
        parameters = {}
    language = _keyed(parameters.get("language"), str.isalpha)
    choice = parameters.get("choice")
    return CallRequest(
        dialled_number=dialled,
        language=language.lower() if language else None,
        choice=None if choice is None else _keyed(choice, str.isdigit) or "",
        after_language_menu="language" in parameters,
    )


def _keyed(value: Any, kind: Callable[[str], bool]) -> str | None:
    """`value` without surrounding whitespace when it is ASCII text of one `kind`, else None."""
    if not isinstance(value, str):
        return None
    value = value.strip()
    return value if value.isascii() and kind(value) else None


def connect_answer(decision: Decision) -> dict[str, str]:
    """The decision as Connect's flat map of strings."""
    answer = {
        "status": decision.status,
        "activationId": decision.activation_id,
        "authorityName": decision.authority_name,
        "languages": ",".join(decision.languages),
        "message": decision.message,
        "victimInformation": _flag(decision.victim_information),
        "queue": decision.queue,
        "d2Refused": _flag(decision.d2_refused),
        "overflow": _flag(decision.overflow),
        "fallback": _flag(decision.fallback),
    }
    if decision.notices:
        answer["noticeLanguages"] = ",".join(language for language, _ in decision.notices)
        answer.update((f"notice{language.title()}", text) for language, text in decision.notices)
    return answer


def _flag(value: bool) -> str:
    return "true" if value else "false"


# A malformed event is logged (masked) only while it is small and shallow: masking walks it recursively, and
# an event nested thousands deep would raise RecursionError instead of being logged.
MASKED_MAX_DEPTH = 32
MASKED_MAX_NODES = 2_000


def _masked(event: Any) -> Any:
    """The event with every caller's endpoint erased (Powertools data masking), to show what the flow sent;
    anything but a small JSON object only by its type. Imported here: only a malformed event pays for it."""
    if not isinstance(event, dict):
        return type(event).__name__
    if not _small(event):
        return f"dict nested over {MASKED_MAX_DEPTH} deep or over {MASKED_MAX_NODES} values"
    import warnings

    from aws_lambda_powertools.utilities.data_masking import DataMasking

    try:
        with warnings.catch_warnings():  # an event without a caller's endpoint is not worth a warning
            warnings.simplefilter("ignore")
            return DataMasking(raise_on_missing_field=False).erase(event, fields=["$..CustomerEndpoint"])
    except Exception as error:  # noqa: BLE001 - an event masking cannot read is shown by its type only
        return f"dict that could not be masked ({type(error).__name__})"


def _small(value: Any) -> bool:
    """Whether `value` is within MASKED_MAX_DEPTH levels and MASKED_MAX_NODES values (walked without recursion)."""
    todo, seen = [(value, 1)], 0
    while todo:
        current, depth = todo.pop()
        seen += 1
        if depth > MASKED_MAX_DEPTH or seen > MASKED_MAX_NODES:
            return False
        if isinstance(current, dict):
            todo.extend((inner, depth + 1) for inner in current.values())
        elif isinstance(current, list | tuple):
            todo.extend((inner, depth + 1) for inner in current)
    return True


def _log(event: dict[str, Any], request: CallRequest | None, decision: Decision, started: float) -> None:
    # The contact id ties the log line to Connect's contact record; phone numbers are never logged.
    try:
        contact_id = event["Details"]["ContactData"].get("ContactId")
    except (AttributeError, KeyError, TypeError):
        contact_id = None
    if not isinstance(contact_id, str):
        contact_id = None
    fields = {
        "contact_id": contact_id,
        "activation_id": decision.activation_id or None,
        "status": decision.status,
        "language": decision.language,
        "queue": decision.queue,
        "counted": request is not None and request.choice is not None,
        "overflow": decision.overflow,
        "fallback": decision.fallback,
        "capacity_checked": decision.capacity_checked,
        "ms": round((time.monotonic() - started) * 1000, 1),
    }
    if decision.fallback or decision.capacity_checked is False:
        logger.warning("degraded routing", extra=fields)
        if decision.fallback:
            count_failure("RoutingFallbacks")
        if decision.capacity_checked is False:
            count_failure("RoutingCapacityUnchecked")
    else:
        logger.info("call routed", extra=fields)
