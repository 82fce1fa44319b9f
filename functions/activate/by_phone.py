"""Logic layer, for the person on duty who has only a phone: the activation by phone flow's steps
(`infra/connect/activate-by-phone.json`). The caller is recognised by their number or by the authority's NIS code
and their activator number, proves it with their PIN (the lockout of `activators.verify_pin`), then opens the
line with the authority's default message or an incident template, changes its operators or closes it, through
the same logic functions the API uses, audited with `channel: "phone"` and the activator as `actor`.

Every answer is a flat map of strings for the flow: `result` and what the caller hears (`say`), in the call's
language (`phone_texts.json` beside this module: each text in nl, fr, de and en): the recognised activator's own
language, or the one the caller picked in the flow's language menu. No answer, log line or stored item carries the
PIN or the caller's number (tries are counted under the number's keyed hash)."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache
from pathlib import Path
from typing import Any

from activate import activators, logic
from crisisline import errors
from crisisline.clock import iso
from crisisline.facts import LANGUAGES
from crisisline.incidents import templates
from crisisline.models import ActivationIn, ActivationPatch, Caller
from crisisline.observability import logger
from crisisline.stores import Stores
from crisisline.stores.phone_calls import PhoneCallStore

DEFAULT_OPERATORS = 2  # a line opened by phone starts small; the caller changes it with 3, or the console later
RECOGNISED_FOR = timedelta(hours=1)  # a recognised call may act this long
TRIES_KEPT = timedelta(hours=2)
MOST_OPERATORS = 200
DUTY_OFFICER = {"result": "duty_officer"}
TEXTS_FILE = Path(__file__).with_name("phone_texts.json")
FALLBACK_LANGUAGE = "en"  # a call whose language is not one of the four (the caller keyed nothing at the menu)
# The texts the flow speaks itself (its prompts before a step, the duty officer's), kept as flow attributes.
FLOW_PROMPTS = (
    "askNis",
    "askActivatorNumber",
    "askPin",
    "menu",
    "menuAgain",
    "askTemplate",
    "askOperators",
    "dutyOfficer",
    "dutyOfficerBusy",
)

Alert = Callable[[str, str], None]
"""Tells the crisis center (subject, message); never given a PIN or a phone number."""


@dataclass(frozen=True)
class PhoneCall:
    """One invocation from the flow: the Connect contact, the calling number (never logged or stored) and the
    flow's parameters (the PIN among them on the PIN step only)."""

    contact_id: str
    caller_number: str
    parameters: dict[str, str]

    def get(self, name: str) -> str:
        return str(self.parameters.get(name) or "").strip()

    @property
    def language(self) -> str:
        """The language the flow speaks on this call (its `language` parameter)."""
        return language_of(self.get("language"))

    def text(self, key: str, **values: object) -> str:
        return text(self.language, key, **values)


@cache
def texts() -> dict[str, dict[str, str]]:
    """Every text of the activation by phone, by key and language."""
    loaded: dict[str, dict[str, str]] = json.loads(TEXTS_FILE.read_text(encoding="utf-8"))
    return loaded


def language_of(value: str) -> str:
    return value if value in LANGUAGES else FALLBACK_LANGUAGE


def text(language: str, key: str, **values: object) -> str:
    """The text `key` in `language`, its `{placeholders}` filled."""
    return texts()[key][language_of(language)].format(**values)


def spoken_digits(number: str) -> str:
    """A phone number as the caller should hear it: digit by digit."""
    return " ".join(digit for digit in number if digit.isdigit())


def _say(result: str, text: str, **more: str) -> dict[str, str]:
    return {"result": result, "say": text, **more}


# ---------------------------------------------------------------------- who is calling
def identify(call: PhoneCall, store: Stores) -> dict[str, str]:
    """Whether the calling number is an activator's (one with a PIN): offer to go on as them."""
    for person in store.activators.by_phone(call.caller_number):
        if not person.get("pin_hash"):
            continue
        authority = store.authorities.get(person["authority_id"])
        if authority is None or authority.get("revoked_at"):
            continue
        language = language_of(str(person.get("language") or ""))
        return _say(
            "recognised",
            text(language, "offer", name=person["name"], authority=authority["name"]),
            authorityId=str(person["authority_id"]),
            activatorId=str(person["activator_id"]),
            language=language,
        )
    return _say("unknown", "")


def prompts(call: PhoneCall) -> dict[str, str]:
    """The texts the flow speaks itself, in the call's language, once that language is known."""
    return {"result": "prompts", "language": call.language, **{key: call.text(key) for key in FLOW_PROMPTS}}


def _claimed_activator(call: PhoneCall, store: Stores) -> dict[str, Any] | None:
    """The activator the caller says they are: by the ids the caller-ID offer gave, or by NIS code and activator
    number (its place in the authority's list, from 1). None when there is no such person."""
    authority_id, activator_id = call.get("authorityId"), call.get("activatorId")
    if authority_id and activator_id:
        return store.activators.get(authority_id, activator_id)
    nis, number = call.get("nis"), call.get("activatorNumber")
    if not (nis.isdigit() and len(nis) == 5 and number.isdigit()):
        return None
    people = store.activators.list_activators(nis)
    index = int(number) - 1
    return people[index] if 0 <= index < len(people) else None


def check_pin(
    call: PhoneCall,
    store: Stores,
    calls: PhoneCallStore,
    caller_hash: str,
    alert: Alert,
    tries_per_hour: int,
    now: datetime,
) -> dict[str, str]:
    """The PIN step: counted per calling number first (`tries_per_hour`), then `activators.verify_pin` (three
    wrong tries lock the activator for 15 minutes, and the crisis center is alerted once, when it locks)."""
    pin = call.get("pin")
    if not pin.isdigit():  # nothing keyed (Connect stores "Timeout"), or a star
        return _say("no_pin", call.text("noPin"))
    expires = int((now + TRIES_KEPT).timestamp())
    if not calls.count_try(caller_hash, now.strftime("%Y-%m-%dT%H"), tries_per_hour, expires):
        logger.warning("phone activation: tries per calling number used up", extra={"contact_id": call.contact_id})
        return _say("limited", call.text("limited"))
    person = _claimed_activator(call, store)
    if person is None or not person.get("pin_hash"):
        # Said as a wrong PIN is, without the tries left (there are none to count); the limit per calling number
        # keeps anyone from trying many codes and numbers.
        return _say("wrong", call.text("wrong"))
    locked_before = (person.get("locked_until") or "") > iso(now)
    check = activators.verify_pin(person["authority_id"], person["activator_id"], pin, store, now=now)
    if check.outcome == "accepted":
        calls.recognise(call.contact_id, person, int((now + RECOGNISED_FOR).timestamp()))
        logger.info(
            "phone activation: activator recognised",
            extra={"contact_id": call.contact_id, "authority_id": person["authority_id"]},
        )
        return _say("accepted", f"{call.text('hello', name=person['name'])} {call.text('menu')}")
    if check.outcome == "locked":
        if not locked_before:
            authority = store.authorities.get(person["authority_id"]) or {}
            alert(
                "crisisline: an activator is locked after three wrong PINs by phone",
                f"Activator {person['name']} ({person['activator_id']}) of {authority.get('name', '')} "
                f"({person['authority_id']}) gave three wrong PINs on the activation phone line and is locked "
                f"until {check.locked_until}. If this was not them, call them; the crisis center can set a new "
                "PIN, which lifts the lock.",
            )
        return _say("locked", call.text("locked"))
    if check.tries_left == 1:
        return _say("wrong", call.text("wrongLastTry"))
    return _say("wrong", call.text("wrongTriesLeft", tries=check.tries_left))


# ---------------------------------------------------------------------- what a recognised caller does
def _acting(call: PhoneCall, store: Stores, calls: PhoneCallStore) -> tuple[Caller, dict[str, Any]]:
    """The activator this call was recognised as, as the logic's caller, and their authority. Raises when the
    call was not recognised: the handler then sends it to the duty officer."""
    recognised = calls.recognised(call.contact_id)
    if recognised is None:
        raise errors.Forbidden("This call gave no right PIN.", allowed_roles=[])
    person = store.activators.get(recognised["authority_id"], recognised["activator_id"])
    authority = store.authorities.get(recognised["authority_id"])
    if person is None or authority is None or authority.get("revoked_at"):
        raise errors.Forbidden("This activator or authority is no longer enrolled.", allowed_roles=[])
    caller = Caller(
        role="authority",
        credential_id=str(person.get("credential_id") or f"phone#{person['activator_id']}"),
        authority_id=authority["id"],
        authority_name=authority["name"],
        number_kind=authority.get("number_kind"),
        label=person["name"],
        activator_id=person["activator_id"],
        channel="phone",
    )
    return caller, authority


def _opened(call: PhoneCall, caller: Caller, request: dict[str, Any], store: Stores) -> dict[str, str]:
    try:
        activation, _ = logic.open_activation(caller, ActivationIn.model_validate(request), store)
    except errors.ActivationAlreadyLive:
        return _say("refused", call.text("alreadyOpen"))
    number = spoken_digits(activation["number"])
    return _say(
        "done",
        call.text("opened", number=number, operators=activation["operators"]),
        activationId=str(activation["id"]),
    )


def open_default(call: PhoneCall, store: Stores, calls: PhoneCallStore) -> dict[str, str]:
    """Open the line with the authority's default message, in the languages it has one for."""
    caller, authority = _acting(call, store, calls)
    defaults = authority.get("default_message") or {}
    languages = [language for language in authority.get("languages", []) if defaults.get(language)]
    if not languages:
        return _say("refused", call.text("noDefaultMessage"))
    request = {
        "reason": "Opened by phone with the authority's default message",
        "languages": languages,
        "message": {language: defaults[language] for language in languages},
        "operators": DEFAULT_OPERATORS,
    }
    return _opened(call, caller, request, store)


def open_template(call: PhoneCall, store: Stores, calls: PhoneCallStore) -> dict[str, str]:
    """Open the line with the incident template the caller keyed (numbered from 1, in the file's order)."""
    caller, authority = _acting(call, store, calls)
    listed = templates()
    keyed = call.get("template")
    if not keyed.isdigit():  # nothing keyed (Connect stores "Timeout")
        return _say("refused", call.text("templateNotKeyed", count=len(listed)))
    if not 1 <= int(keyed) <= len(listed):
        return _say("refused", call.text("templateMissing", template=int(keyed), count=len(listed)))
    chosen = listed[int(keyed) - 1]
    languages = list(authority.get("languages", []))
    request = {
        "reason": f"Opened by phone: {chosen['title']['en']}",
        "languages": languages,
        "message": {language: chosen["message"][language] for language in languages},
        "operators": DEFAULT_OPERATORS,
    }
    return _opened(call, caller, request, store)


def change_operators(call: PhoneCall, store: Stores, calls: PhoneCallStore) -> dict[str, str]:
    """Set the live line's operators to the number keyed."""
    caller, authority = _acting(call, store, calls)
    keyed = call.get("operators")
    if not keyed.isdigit() or not 1 <= int(keyed) <= MOST_OPERATORS:
        return _say("refused", call.text("operatorsOutOfRange", most=MOST_OPERATORS))
    live = authority.get("live_activation_id")
    if not live:
        return _say("refused", call.text("notOpenNothingChanged"))
    changed = logic.update_activation(caller, str(live), ActivationPatch(operators=int(keyed)), store)
    return _say("done", call.text("operatorsChanged", operators=changed["operators"]))


def close_line(call: PhoneCall, store: Stores, calls: PhoneCallStore) -> dict[str, str]:
    """Close the authority's live line."""
    caller, authority = _acting(call, store, calls)
    live = authority.get("live_activation_id")
    if not live:
        return _say("refused", call.text("notOpen"))
    logic.close_activation(caller, str(live), store)
    return _say("done", call.text("closed"))


ACTIONS = {
    "open": open_default,
    "template": open_template,
    "operators": change_operators,
    "close": close_line,
}
