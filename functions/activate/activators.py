"""Logic layer, for the crisis center and the people an authority's agreement names as allowed to activate
its line: the activators of an authority (added, changed and removed by admin, each change audited), each
activator's own token and PIN, and the PIN's check with its lockout, which the phone flow calls."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import Any, Literal, NamedTuple

from activate.logic import _audit, _enrolled, _issue_credential, _require, _retired
from crisisline import errors, pins
from crisisline.clock import iso, utc_now
from crisisline.models import ActivatorIn, ActivatorPatch, Caller, MyPinIn, PinIn
from crisisline.observability import logger
from crisisline.stores import Stores

PIN_TRIES = 3  # wrong PINs in a row before the lock
PIN_LOCK = timedelta(minutes=15)
_FIELDS = ("name", "function", "phone", "language")
_CHANGE_ATTEMPTS = 10


def new_activator(authority_id: str, request: ActivatorIn, at: str, position: int = 0) -> dict[str, Any]:
    """An activator's item as first stored (with an enrolment, in the annex's order, or added later)."""
    return {
        "position": position,
        "authority_id": authority_id,
        "activator_id": uuid.uuid4().hex[:16],
        **request.model_dump(mode="json"),
        "created_at": at,
        "revision": 0,
    }


def public_activator(item: dict[str, Any], now: str | None = None) -> dict[str, Any]:
    """An activator as the API shows it: whether a token and a PIN are set, never either of them or a hash."""
    now = now or iso(utc_now())
    shown = {"id": item["activator_id"], "authority_id": item["authority_id"]}
    shown.update({key: item[key] for key in (*_FIELDS, "created_at", "changed_at") if item.get(key)})
    shown["token_issued_at"] = item.get("token_issued_at")
    shown["pin_set"] = bool(item.get("pin_hash"))
    locked = item.get("locked_until") or ""
    shown["pin_locked_until"] = locked if locked > now else None
    return shown


def audited_activator(item: dict[str, Any]) -> dict[str, Any]:
    """What the audit trail records of an activator: who they are, never their token or PIN."""
    return {"activator_id": item["activator_id"], **{key: item.get(key) for key in _FIELDS}}


def list_activators(caller: Caller, authority_id: str, store: Stores) -> list[dict[str, Any]]:
    _require(caller, "admin")
    if store.authorities.get(authority_id) is None:
        raise errors.NotFound("No such authority.")
    now = iso(utc_now())
    # Numbered in the list's order: the activator number keyed on the activation phone line (activate.by_phone).
    return [
        {**public_activator(item, now), "number": number}
        for number, item in enumerate(store.activators.list_activators(authority_id), 1)
    ]


def _activator(authority_id: str, activator_id: str, store: Stores) -> dict[str, Any]:
    found = store.activators.get(authority_id, activator_id)
    if found is None:
        raise errors.NotFound("No such activator of this authority.", activator_id=activator_id)
    return found


def add_activator(caller: Caller, authority_id: str, request: ActivatorIn, store: Stores) -> dict[str, Any]:
    """Add a person the agreement's annex names; audited on the authority."""
    _require(caller, "admin")
    _enrolled(authority_id, store)
    at = iso(utc_now())
    item = new_activator(authority_id, request, at)
    audit = _audit(f"authority#{authority_id}", caller, "activator_add", audited_activator(item), at)
    if not store.activators.add(item, audit):
        raise errors.Conflict("An activator with this id exists already; retry.")
    return public_activator(item, at)


def change_activator(
    caller: Caller, authority_id: str, activator_id: str, patch: ActivatorPatch, store: Stores
) -> dict[str, Any]:
    """Change an activator's name, function, phone or language; each field audited as it was and becomes."""
    _require(caller, "admin")
    _enrolled(authority_id, store)
    changes = patch.model_dump(mode="json", exclude_unset=True)
    for _ in range(_CHANGE_ATTEMPTS):
        item = _activator(authority_id, activator_id, store)
        at = iso(utc_now())
        audited = {
            "activator_id": activator_id,
            **{field: {"before": item.get(field), "after": value} for field, value in changes.items()},
        }
        written = {**changes, "changed_at": at}
        if store.activators.change(
            item, written, _audit(f"authority#{authority_id}", caller, "activator_change", audited, at)
        ):
            return public_activator({**item, **written, "revision": int(item["revision"]) + 1}, at)
    raise errors.Conflict("This activator is being changed from several places at once; retry shortly.")


def remove_activator(caller: Caller, authority_id: str, activator_id: str, store: Stores) -> dict[str, Any]:
    """Remove an activator; their token stops resolving at once (401)."""
    _require(caller, "admin")
    for _ in range(_CHANGE_ATTEMPTS):
        item = _activator(authority_id, activator_id, store)
        at = iso(utc_now())
        audit = _audit(f"authority#{authority_id}", caller, "activator_remove", audited_activator(item), at)
        if store.activators.remove(item, audit, _token_ended(item, store, at)):
            return {**public_activator(item, at), "removed_at": at}
    raise errors.Conflict("This activator is being changed from several places at once; retry shortly.")


def _token_ended(item: dict[str, Any], store: Stores, at: str) -> list[dict[str, Any]]:
    """The write items that end the activator's current token, if it has one."""
    if not item.get("token_hash"):
        return []
    old = store.activators.credential(item["token_hash"])
    retired = _retired(old, at)
    return store.activators.credential_retired(item["token_hash"], retired) if retired else []


def tokens_ended(authority_id: str, store: Stores, at: str) -> list[dict[str, Any]]:
    """The write items that end every activator's token of an authority (its enrolment ends)."""
    return [
        item for person in store.activators.list_activators(authority_id) for item in _token_ended(person, store, at)
    ]


def issue_token(
    caller: Caller, authority_id: str, activator_id: str, store: Stores, hashing_key: bytes
) -> dict[str, Any]:
    """The activator's own token (role authority, acting for that authority, naming the activator), shown once;
    a token issued before stops resolving."""
    _require(caller, "admin")
    authority = _enrolled(authority_id, store)
    for _ in range(_CHANGE_ATTEMPTS):
        item = _activator(authority_id, activator_id, store)
        at = iso(utc_now())
        token, credential = _issue_credential("authority", at, hashing_key, authority)
        credential.update(label=item["name"], activator_id=activator_id)
        audit = _audit(
            f"authority#{authority_id}",
            caller,
            "activator_token",
            {"activator_id": activator_id, "name": item["name"], "credential_id": credential["credential_id"]},
            at,
        )
        written = {
            "token_hash": credential["token_hash"],
            "credential_id": credential["credential_id"],
            "token_issued_at": at,
        }
        if store.activators.change(
            item, written, audit, [store.activators.credential_put(credential), *_token_ended(item, store, at)]
        ):
            return {
                "authority_id": authority_id,
                "activator_id": activator_id,
                "credential_id": credential["credential_id"],
                "token": token,
                "issued_at": at,
            }
    raise errors.Conflict("This activator is being changed from several places at once; retry shortly.")


def _checked_pin(pin: str, field: str) -> None:
    problem = pins.problem(pin)
    if problem:
        raise errors.InvalidRequest(problem, fields=[{"field": field, "problem": problem}])


def _write_pin(caller: Caller, item: dict[str, Any], pin: str, action: str, store: Stores) -> bool:
    at = iso(utc_now())
    audit = _audit(
        f"authority#{item['authority_id']}", caller, action, {"activator_id": item["activator_id"], "pin": "set"}, at
    )
    # A new PIN starts with no wrong tries and no lock.
    written = {"pin_hash": pins.pin_hash(pin), "pin_set_at": at, "pin_failures": 0, "locked_until": ""}
    return store.activators.change(item, written, audit)


def set_pin(caller: Caller, authority_id: str, activator_id: str, request: PinIn, store: Stores) -> dict[str, Any]:
    """The crisis center sets an activator's PIN (the first one, or a forgotten one); it lifts a lock."""
    _require(caller, "admin")
    _enrolled(authority_id, store)
    _checked_pin(request.pin, "pin")
    for _ in range(_CHANGE_ATTEMPTS):
        item = _activator(authority_id, activator_id, store)
        if _write_pin(caller, item, request.pin, "activator_pin", store):
            return {**public_activator({**item, "pin_hash": "set", "locked_until": ""}), "pin_set": True}
    raise errors.Conflict("This activator is being changed from several places at once; retry shortly.")


def change_my_pin(caller: Caller, request: MyPinIn, store: Stores) -> dict[str, Any]:
    """An activator changes their own PIN with their own token and the current PIN (the lockout counts here
    too)."""
    _require(caller, "authority")
    if not caller.activator_id or not caller.authority_id:
        raise errors.Forbidden(
            "Only an activator's own token changes a PIN; the authority's shared token has none.", allowed_roles=[]
        )
    _checked_pin(request.new_pin, "new_pin")
    item = _activator(caller.authority_id, caller.activator_id, store)
    if not item.get("pin_hash"):
        raise errors.NoPin("You have no PIN yet: the crisis center sets the first one.")
    check = verify_pin(caller.authority_id, caller.activator_id, request.current_pin, store)
    if check.outcome == "locked":
        raise errors.PinLocked(
            "Three wrong PINs: your PIN is locked for 15 minutes, or until the crisis center sets a new one.",
            locked_until=check.locked_until,
        )
    if check.outcome == "wrong":
        sentence = f"The current PIN is not right; {check.tries_left} tries left before it locks for 15 minutes."
        raise errors.WrongPin(
            sentence, tries_left=check.tries_left, fields=[{"field": "current_pin", "problem": sentence}]
        )
    for _ in range(_CHANGE_ATTEMPTS):
        item = _activator(caller.authority_id, caller.activator_id, store)
        if _write_pin(caller, item, request.new_pin, "activator_pin_change", store):
            return {"activator_id": caller.activator_id, "pin_set": True}
    raise errors.Conflict("Your PIN is being changed from several places at once; retry shortly.")


class PinCheck(NamedTuple):
    """What a PIN try came to: accepted, wrong (with the tries left), or locked (until when)."""

    outcome: Literal["accepted", "wrong", "locked"]
    tries_left: int = 0
    locked_until: str | None = None


def verify_pin(authority_id: str, activator_id: str, pin: str, store: Stores, now: datetime | None = None) -> PinCheck:
    """Check an activator's PIN. Each try is counted before the PIN is compared, by a conditional write that
    refuses it once the activator has had `PIN_TRIES` wrong tries or is locked: tries sent at the same moment
    can never compare more PINs than that. The last allowed try wrong locks the activator for 15 minutes; the
    right PIN starts the count again. An unknown activator, or one without a PIN, is `locked` to the caller
    (nothing to tell apart). The PIN is never logged."""
    instant = now or utc_now()
    claimed = store.activators.claim_pin_try(authority_id, activator_id, iso(instant), PIN_TRIES)
    if claimed is None:
        found = store.activators.get(authority_id, activator_id)
        locked = (found or {}).get("locked_until") or None
        return PinCheck("locked", 0, locked if locked and locked > iso(instant) else None)
    if pins.matches(pin, str(claimed["pin_hash"])):
        store.activators.pin_accepted(authority_id, activator_id)
        return PinCheck("accepted", PIN_TRIES)
    tries = int(claimed["pin_failures"])
    if tries >= PIN_TRIES:
        until = iso(instant + PIN_LOCK)
        store.activators.lock(authority_id, activator_id, until)
        logger.info("activator locked", extra={"authority_id": authority_id, "activator_id": activator_id})
        return PinCheck("locked", 0, until)
    return PinCheck("wrong", PIN_TRIES - tries)
