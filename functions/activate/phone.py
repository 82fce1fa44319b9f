"""PhoneActivationFunction: the activation by phone flow (`infra/connect/activate-by-phone.json`) invokes it at
each step with `step` (`identify`, `prompts`, `pin`, `open`, `template`, `operators`, `close`) and the call's
`language`, and acts on the flat map of strings it answers: `result` (`recognised`/`unknown`, `prompts`,
`accepted`/`wrong`/`locked`/`limited`/`no_pin`, `done`/`refused`, or `duty_officer`) and `say`, what the caller
hears, in that language (`identify` answers the recognised activator's own `language`; `prompts` the texts the flow
speaks itself).

It fails safe: any exception, or a step it does not know, answers `{"result": "duty_officer"}` and the flow
transfers the call to the crisis center's duty officer. The PIN arrives as a parameter of the PIN step only (from
the flow's stored customer input) and is never logged, stored or answered; nor is the caller's number."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from aws_lambda_powertools.logging import Logger

from activate import by_phone
from crisisline import settings, tokens
from crisisline.aws import client
from crisisline.clock import utc_now
from crisisline.stores import Stores
from crisisline.stores.phone_calls import PhoneCallStore

logger = Logger(service="phone-activation")
settings.phone()  # fail the cold start, not the person on duty's call, when the environment is incomplete


def _stores() -> tuple[Stores, PhoneCallStore]:
    config = settings.phone()
    ddb = client("dynamodb")
    return Stores.from_settings(config, ddb), PhoneCallStore(ddb, table=config.phone_activation_table)


def alert_duty_officer(subject: str, message: str) -> None:
    """Publish to the crisis center's topic (DutyOfficerTopic). A failure is logged, never raised:
    the lock holds whether or not the alert went out."""
    try:
        client("sns").publish(TopicArn=settings.phone().duty_officer_topic_arn, Subject=subject, Message=message)
    except Exception as error:  # noqa: BLE001 - the caller still hears they are locked
        logger.error("duty officer alert not published", extra={"error": type(error).__name__})


def lambda_handler(
    event: dict[str, Any],
    context: Any,
    *,
    stores: tuple[Stores, PhoneCallStore] | None = None,
    alert: Callable[[str, str], None] = alert_duty_officer,
) -> dict[str, str]:
    """One step of the activation by phone flow. Never raises."""
    contact_id = ""
    step = ""
    try:
        contact = event["Details"]["ContactData"]
        contact_id = str(contact["ContactId"])
        parameters = {str(k): str(v) for k, v in (event["Details"].get("Parameters") or {}).items()}
        step = parameters.get("step", "")
        call = by_phone.PhoneCall(contact_id, str(contact["CustomerEndpoint"]["Address"]), parameters)
        store, calls = stores or _stores()
        if step == "identify":
            answer = by_phone.identify(call, store)
        elif step == "prompts":
            answer = by_phone.prompts(call)
        elif step == "pin":
            config = settings.phone()
            caller_hash = tokens.token_hash(call.caller_number, tokens.hashing_key(config.token_key_parameter))
            answer = by_phone.check_pin(call, store, calls, caller_hash, alert, config.phone_tries_per_hour, utc_now())
        elif step in by_phone.ACTIONS:
            answer = by_phone.ACTIONS[step](call, store, calls)
        else:
            raise ValueError("unknown step")
    except Exception as error:  # noqa: BLE001 - whatever happened, a person reaches the duty officer
        # The type only: an exception's text may quote what the flow sent.
        logger.error(
            "phone activation failed; duty officer",
            extra={"contact_id": contact_id, "step": step, "error": type(error).__name__},
        )
        answer = dict(by_phone.DUTY_OFFICER)
    logger.info("phone activation step", extra={"contact_id": contact_id, "step": step, "result": answer.get("result")})
    return answer
