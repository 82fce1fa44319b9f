"""Logic layer, for the person on duty who has only a phone: the activation by phone flow's steps
(`infra/connect/activate-by-phone.json`). The caller is recognised by their number or by the authority's NIS code
and their activator number, proves it with their PIN (the lockout of `activators.verify_pin`), then opens the
line with the authority's default message or an incident template, changes its operators or closes it, through
the same logic functions the API uses, audited with `channel: "phone"` and the activator as `actor`.

Every answer is a flat map of strings for the flow: `result` and what the caller hears (`say`). No answer, log
line or stored item carries the PIN or the caller's number (tries are counted under the number's keyed hash)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from activate import activators, logic
from crisisline import errors
from crisisline.clock import iso
from crisisline.incidents import templates
from crisisline.models import ActivationIn, ActivationPatch, Caller
from crisisline.observability import logger
from crisisline.stores import Stores
from crisisline.stores.phone_calls import PhoneCallStore

DEFAULT_OPERATORS = 2  # a line opened by phone starts small; the caller changes it with 3, or the console later
RECOGNISED_FOR = timedelta(hours=1)  # a recognised call may act this long
TRIES_KEPT = timedelta(hours=2)
DUTY_OFFICER = {"result": "duty_officer"}
MENU = (
    "Press 1 to open the line with your default message. Press 2 to open it with an incident template. "
    "Press 3 to change the number of operators. Press 4 to close the line."
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
        return _say(
            "recognised",
            f"Press 1 if you are {person['name']} for {authority['name']}. Press 2 otherwise.",
            authorityId=str(person["authority_id"]),
            activatorId=str(person["activator_id"]),
        )
    return _say("unknown", "")


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
        return _say("no_pin", "No PIN was keyed. Goodbye.")
    expires = int((now + TRIES_KEPT).timestamp())
    if not calls.count_try(caller_hash, now.strftime("%Y-%m-%dT%H"), tries_per_hour, expires):
        logger.warning("phone activation: tries per calling number used up", extra={"contact_id": call.contact_id})
        return _say("limited", "Too many tries from this phone. Call the crisis center's duty officer. Goodbye.")
    person = _claimed_activator(call, store)
    if person is None or not person.get("pin_hash"):
        # Told apart from a wrong PIN by nothing: a caller cannot learn which codes and numbers exist.
        return _say("wrong", "That is not right. Key your PIN again, then the hash key.")
    locked_before = (person.get("locked_until") or "") > iso(now)
    check = activators.verify_pin(person["authority_id"], person["activator_id"], pin, store, now=now)
    if check.outcome == "accepted":
        calls.recognise(call.contact_id, person, int((now + RECOGNISED_FOR).timestamp()))
        logger.info(
            "phone activation: activator recognised",
            extra={"contact_id": call.contact_id, "authority_id": person["authority_id"]},
        )
        return _say("accepted", f"Hello {person['name']}. {MENU}")
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
        return _say(
            "locked",
            "This PIN is locked for 15 minutes. Call the crisis center's duty officer. Goodbye.",
        )
    return _say(
        "wrong",
        f"That is not right; {check.tries_left} tries left. Key your PIN again, then the hash key.",
    )


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


def _opened(caller: Caller, request: dict[str, Any], store: Stores) -> dict[str, str]:
    try:
        activation, _ = logic.open_activation(caller, ActivationIn.model_validate(request), store)
    except errors.ActivationAlreadyLive:
        return _say("refused", "Your line is open already. Press 3 next time to change it, or 4 to close it.")
    return _say(
        "done",
        f"The line is open. Its number is {spoken_digits(activation['number'])}. Again: "
        f"{spoken_digits(activation['number'])}. {activation['operators']} operators answer. Goodbye.",
        activationId=str(activation["id"]),
    )


def open_default(call: PhoneCall, store: Stores, calls: PhoneCallStore) -> dict[str, str]:
    """Open the line with the authority's default message, in the languages it has one for."""
    caller, authority = _acting(call, store, calls)
    defaults = authority.get("default_message") or {}
    languages = [language for language in authority.get("languages", []) if defaults.get(language)]
    if not languages:
        return _say("refused", "Your authority has no default message. Call again and press 2 for a template.")
    request = {
        "reason": "Opened by phone with the authority's default message",
        "languages": languages,
        "message": {language: defaults[language] for language in languages},
        "operators": DEFAULT_OPERATORS,
    }
    return _opened(caller, request, store)


def open_template(call: PhoneCall, store: Stores, calls: PhoneCallStore) -> dict[str, str]:
    """Open the line with the incident template the caller keyed (numbered from 1, in the file's order)."""
    caller, authority = _acting(call, store, calls)
    listed = templates()
    keyed = call.get("template")
    if not keyed.isdigit() or not 1 <= int(keyed) <= len(listed):
        return _say("refused", f"There is no template {keyed or 'keyed'}; they are 1 to {len(listed)}. Goodbye.")
    chosen = listed[int(keyed) - 1]
    languages = list(authority.get("languages", []))
    request = {
        "reason": f"Opened by phone: {chosen['title']['en']}",
        "languages": languages,
        "message": {language: chosen["message"][language] for language in languages},
        "operators": DEFAULT_OPERATORS,
    }
    return _opened(caller, request, store)


def change_operators(call: PhoneCall, store: Stores, calls: PhoneCallStore) -> dict[str, str]:
    """Set the live line's operators to the number keyed."""
    caller, authority = _acting(call, store, calls)
    keyed = call.get("operators")
    if not keyed.isdigit() or not 1 <= int(keyed) <= 200:
        return _say("refused", "Operators are 1 to 200. Nothing changed. Goodbye.")
    live = authority.get("live_activation_id")
    if not live:
        return _say("refused", "Your line is not open. Nothing changed. Goodbye.")
    changed = logic.update_activation(caller, str(live), ActivationPatch(operators=int(keyed)), store)
    return _say("done", f"Done: {changed['operators']} operators answer from now on. Goodbye.")


def close_line(call: PhoneCall, store: Stores, calls: PhoneCallStore) -> dict[str, str]:
    """Close the authority's live line."""
    caller, authority = _acting(call, store, calls)
    live = authority.get("live_activation_id")
    if not live:
        return _say("refused", "Your line is not open. Goodbye.")
    logic.close_activation(caller, str(live), store)
    return _say("done", "The line is closed. Callers now hear that the number is not active. Goodbye.")


ACTIONS = {
    "open": open_default,
    "template": open_template,
    "operators": change_operators,
    "close": close_line,
}
