"""Amazon Connect's routing function: the contact flow invokes it up to three times per call (greeting; after
the language pick with `language`; after the D5/D2 pick with `language` and `choice`) and acts on the flat map
of strings it answers. The contract with the flow (infra/connect/):

| key | value |
| --- | --- |
| `status` | `live`, or `inactive` for a number in no live activation |
| `activationId`, `authorityName` | of the live activation (empty when inactive or fallback) |
| `languages` | comma list, in the authority's order (`nl,fr,de,en` when inactive or fallback) |
| `message` | in `Parameters.language`, else the activation's first language |
| `victimInformation` | `true` when the activation has a D2 line |
| `queue` | `D2` when the caller pressed 2 and there is a D2 line, else `D5` |
| `d2Refused` | `true` when the caller pressed 2 and there is no D2 line |
| `overflow` | `true` when this hour's capacity is used up (only on the invocation with `choice`) |
| `fallback` | `true` when the activation could not be read in time: D5 with a generic message |

It never raises: whatever goes wrong, the caller reaches D5. Neither the caller's number nor any token is logged.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import datetime
from typing import Any

from aws_lambda_powertools.logging import Logger

from crisisline.clock import utc_now
from route import logic, settings
from route.models import CallRequest, Decision
from route.store import default_capacity, default_store

logger = Logger(service="route")
settings.route()  # fail the cold start, not the first caller, when the environment is incomplete


def lambda_handler(event: dict[str, Any], context: Any, data: logic.RoutingData | None = None,
                   clock: Callable[[], datetime] = utc_now,
                   capacity: Callable[[datetime, float], int] | None = None) -> dict[str, str]:
    """Route one invocation from the contact flow; `data`, `clock` and `capacity` (calls per operator-hour at an
    instant) are for tests and the surge replay. Without `data`, the tariffs say the capacity; with a test's
    `data` and no `capacity`, CALLS_PER_OPERATOR_HOUR does."""
    started = time.monotonic()
    config = settings.route()
    try:
        request = call_request(event)
    except (AttributeError, KeyError, TypeError) as error:
        logger.warning("malformed Connect event; fallback",
                       extra={"problem": type(error).__name__, "event": _masked(event)})
        request = None
    if request is None:
        decision = logic.fallback(CallRequest(dialled_number=""))
    else:
        try:
            if data is None:
                data = default_store(config)
                capacity = capacity or default_capacity(config).calls_per_operator_hour
            # The budget is for waiting on DynamoDB; making the client (first call of a cold start) is not part of it.
            deadline = time.monotonic() + config.budget_seconds
            now = clock()
            per_hour: int | Callable[[], int] = config.calls_per_operator_hour
            if capacity is not None:
                source = capacity
                per_hour = lambda: source(now, deadline)  # noqa: E731 - asked only when a call is counted
            decision = logic.decide(request, data, per_hour, now, deadline)
        except Exception:  # a caller must never reach the flow's error branch
            logger.exception("routing failed; fallback")
            decision = logic.fallback(request)
    _log(event, request, decision, started)
    return connect_answer(decision)


def call_request(event: dict[str, Any]) -> CallRequest:
    """The parts of Connect's event that routing reads: the dialled number and the flow's parameters."""
    details = event["Details"]
    dialled = details["ContactData"]["SystemEndpoint"]["Address"]
    if not isinstance(dialled, str) or not dialled:
        raise TypeError("no dialled number")
    parameters = details.get("Parameters") or {}
    language = parameters.get("language")
    choice = parameters.get("choice")
    return CallRequest(dialled_number=dialled,
                       language=language.strip().lower() if isinstance(language, str) and language.strip() else None,
                       choice=choice.strip() if isinstance(choice, str) else None)


def connect_answer(decision: Decision) -> dict[str, str]:
    """The decision as Connect's flat map of strings."""
    return {
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


def _flag(value: bool) -> str:
    return "true" if value else "false"


def _masked(event: Any) -> Any:
    """The event with every caller's endpoint erased (Powertools data masking), to show what the flow sent;
    anything but a JSON object only by its type. Imported here: only a malformed event pays for it."""
    if not isinstance(event, dict):
        return type(event).__name__
    import warnings

    from aws_lambda_powertools.utilities.data_masking import DataMasking

    with warnings.catch_warnings():  # an event without a caller's endpoint is not worth a warning
        warnings.simplefilter("ignore")
        return DataMasking(raise_on_missing_field=False).erase(event, fields=["$..CustomerEndpoint"])


def _log(event: dict[str, Any], request: CallRequest | None, decision: Decision, started: float) -> None:
    # The contact id ties the log line to Connect's contact record; phone numbers are never logged.
    try:
        contact_id = event["Details"]["ContactData"].get("ContactId")
    except (AttributeError, KeyError, TypeError):
        contact_id = None
    fields = {"contact_id": contact_id, "activation_id": decision.activation_id or None,
              "status": decision.status, "language": decision.language, "queue": decision.queue,
              "counted": request is not None and request.choice is not None, "overflow": decision.overflow,
              "fallback": decision.fallback, "capacity_checked": decision.capacity_checked,
              "ms": round((time.monotonic() - started) * 1000, 1)}
    if decision.fallback or decision.capacity_checked is False:
        logger.warning("degraded routing", extra=fields)
    else:
        logger.info("call routed", extra=fields)
