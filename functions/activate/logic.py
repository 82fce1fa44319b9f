"""What the activation API does, free of HTTP and Lambda: enrol authorities, issue credentials, keep the
pool of numbers, and open, change and close activations. Every function takes the caller and checks what
that caller may do; the store makes each change atomic."""

from __future__ import annotations

import random
import uuid
from collections.abc import Collection
from datetime import timedelta
from functools import cache
from typing import Any, NamedTuple

from aws_lambda_powertools.utilities.idempotency import IdempotencyConfig, idempotent_function
from aws_lambda_powertools.utilities.idempotency.exceptions import (
    IdempotencyAlreadyInProgressError,
    IdempotencyPersistenceLayerError,
    IdempotencyValidationError,
)
from aws_lambda_powertools.utilities.idempotency.persistence.base import BasePersistenceLayer

from crisisline import errors, settings, tokens
from crisisline.clock import iso, parse_iso, utc_now
from crisisline.facts import hourly_capacity
from crisisline.models import (
    ActivationIn,
    ActivationPatch,
    AuthorityIn,
    Caller,
    CredentialIn,
    NumberIn,
    NumberPatch,
    Role,
    check_messages,
    check_number_kind,
)
from crisisline.observability import count_failure, logger
from crisisline.status_store import publish, published
from crisisline.stores import Stores
from crisisline.stores.authorities import REVOKED_PREFIX

_CHANGE_ATTEMPTS = 20  # each lost attempt means another change was written: a few people, not a crowd
_CLAIM_ROUNDS = 5
DEFAULT_NUMBER_KIND = "toll_free"  # citizens call free unless the authority chose otherwise
_shuffler = random.SystemRandom()


@cache
def default_store() -> Stores:
    """The activation API's stores, made on first use and kept (see `forget_default_stores`)."""
    return Stores.from_settings(settings.api())


def _require(caller: Caller, *roles: Role) -> None:
    if caller.role not in roles:
        raise errors.Forbidden(f"The {caller.role} role may not do this.", allowed_roles=list(roles))


def actor(caller: Caller) -> dict[str, Any]:
    """Who acted, as the audit trail and the line record them: the role and credential, the authority it acts
    for, the person (an activator's name and id) or the token's label (the authority's name for its shared
    token, the person for admin's)."""
    who: dict[str, Any] = {
        "role": caller.role,
        "credential_id": caller.credential_id,
        "authority_id": caller.authority_id,
    }
    if caller.label:
        who["name"] = caller.label
    if caller.activator_id:
        who["activator_id"] = caller.activator_id
    return who


def _audit(subject: str, caller: Caller, action: str, changes: dict[str, Any], at: str) -> dict[str, Any]:
    return {
        "subject": subject,
        "entry": f"{at}#{uuid.uuid4().hex[:12]}",
        "at": at,
        "action": action,
        "actor": actor(caller),
        "channel": caller.channel,
        "changes": changes,
    }


def _issue_credential(
    role: Role, at: str, hashing_key: bytes, authority: dict[str, Any] | None = None, label: str | None = None
) -> tuple[str, dict[str, Any]]:
    """A new token and the credential item that stores only its keyed hash. An authority's credential is
    labelled with its name and carries its choice of number kind, which the authorizer passes on."""
    token = tokens.new_token()
    credential = {
        "token_hash": tokens.token_hash(token, hashing_key),
        "credential_id": uuid.uuid4().hex,
        "role": role,
        "label": label,
        "created_at": at,
    }
    if authority is not None:
        credential.update(
            authority_id=authority["id"],
            authority_name=authority["name"],
            label=authority["name"],
            number_kind=authority.get("number_kind"),
        )
    return token, credential


def _retired(credential: dict[str, Any] | None, at: str) -> dict[str, Any] | None:
    """A credential as the credential list keeps it once revoked: under its id, without its token's hash."""
    if credential is None:
        return None
    return {**credential, "token_hash": f"{REVOKED_PREFIX}{credential['credential_id']}", "revoked_at": at}


def public_authority(item: dict[str, Any]) -> dict[str, Any]:
    """An authority as the API shows it: never its token hash."""
    return {
        key: item[key]
        for key in (
            "id",
            "name",
            "languages",
            "agreement",
            "billing",
            "number_kind",
            "enrolled_at",
            "live_activation_id",
            "revoked_at",
        )
        if item.get(key) is not None
    }


# ---------------------------------------------------------------------- authorities and credentials
def enrol_authority(caller: Caller, request: AuthorityIn, store: Stores, hashing_key: bytes) -> dict[str, Any]:
    """Enrol an authority with a signed agreement; its token (hashed under `hashing_key`) is in the answer and
    nowhere else. The same id twice is refused."""
    from activate.activators import audited_activator, new_activator, public_activator

    _require(caller, "admin")
    at = iso(utc_now())
    authority = {**request.model_dump(mode="json", exclude_none=True, exclude={"activators"}), "enrolled_at": at}
    token, credential = _issue_credential("authority", at, hashing_key, authority)
    authority.update(token_hash=credential["token_hash"], credential_id=credential["credential_id"])
    activators = [new_activator(request.id, person, at, i) for i, person in enumerate(request.activators or [])]
    audited: dict[str, Any] = {"name": request.name}
    if activators:
        audited["activators"] = [audited_activator(item) for item in activators]
    if not store.authorities.enrol(
        authority,
        credential,
        _audit(f"authority#{request.id}", caller, "enrol", audited, at),
        [store.activators.new_activator(item) for item in activators],
    ):
        raise errors.AlreadyEnrolled(f"Authority {request.id} is already enrolled.", authority_id=request.id)
    publish(request.id, request.name, None)  # its public address answers from the start
    answer = {**public_authority(authority), "token": token}
    if activators:
        answer["activators"] = [public_activator(item, at) for item in activators]
    return answer


def list_authorities(caller: Caller, store: Stores) -> list[dict[str, Any]]:
    if caller.role == "authority":
        return [get_authority(caller, str(caller.authority_id), store)]
    _require(caller, "admin", "finance")
    return [public_authority(item) for item in store.authorities.list_authorities()]


def get_authority(caller: Caller, authority_id: str, store: Stores) -> dict[str, Any]:
    if caller.role == "authority" and caller.authority_id != authority_id:
        raise errors.NotFound("No such authority.")
    _require(caller, "admin", "finance", "authority")
    item = store.authorities.get(authority_id)
    if item is None:
        raise errors.NotFound("No such authority.")
    return public_authority(item)


def rotate_token(caller: Caller, authority_id: str, store: Stores, hashing_key: bytes) -> dict[str, Any]:
    """Issue a new token for an authority; the old one stops resolving at once (API Gateway may serve a cached
    answer for it until its authorizer cache TTL has passed)."""
    _require(caller, "admin")
    authority = _enrolled(authority_id, store)
    at = iso(utc_now())
    token, credential = _issue_credential("authority", at, hashing_key, authority)
    _replace_credential(
        store,
        authority,
        credential,
        {"token_hash": credential["token_hash"], "credential_id": credential["credential_id"], "rotated_at": at},
        _audit(f"authority#{authority_id}", caller, "rotate_token", {}, at),
    )
    return {"authority_id": authority_id, "token": token, "rotated_at": at}


def revoke_authority(caller: Caller, authority_id: str, store: Stores) -> dict[str, Any]:
    """End an authority's enrolment: its token stops working and it can no longer activate."""
    _require(caller, "admin")
    authority = _enrolled(authority_id, store)
    if authority.get("live_activation_id"):
        raise errors.ActivationAlreadyLive(
            "Close the authority's live activation before revoking it.", activation_id=authority["live_activation_id"]
        )
    from activate.activators import tokens_ended

    at = iso(utc_now())
    _replace_credential(
        store,
        authority,
        {},
        {"revoked_at": at},
        _audit(f"authority#{authority_id}", caller, "revoke", {}, at),
        tokens_ended(authority_id, store, at),  # its activators' own tokens end with it
    )
    return {**public_authority(authority), "revoked_at": at}


def _replace_credential(
    store: Stores,
    authority: dict[str, Any],
    credential: dict[str, Any],
    changes: dict[str, Any],
    audit: dict[str, Any],
    extra: list[dict[str, Any]] | None = None,
) -> None:
    """Swap the authority's credential for `credential` (none on revocation), keeping the old one in the
    credential list as revoked, with `extra` write items in the same transaction; refused when the authority
    changed since it was read."""
    old = store.authorities.credential(authority["token_hash"])
    if not store.authorities.replace_credential(
        authority["id"], authority["token_hash"], credential, changes, audit, _retired(old, audit["at"]), extra
    ):
        raise errors.Conflict(
            "The authority changed meanwhile (rotated or revoked); read it again.", authority_id=authority["id"]
        )


def _enrolled(authority_id: str, store: Stores) -> dict[str, Any]:
    authority = store.authorities.get(authority_id)
    if authority is None:
        raise errors.NotFound("No such authority.")
    if authority.get("revoked_at"):
        raise errors.AuthorityRevoked("This authority's enrolment was revoked.")
    return authority


def create_credential(caller: Caller, request: CredentialIn, store: Stores, hashing_key: bytes) -> dict[str, Any]:
    """A token for crisis-center staff (admin), finance or the call center's operators, labelled with the
    person or team holding it."""
    _require(caller, "admin")
    at = iso(utc_now())
    token, credential = _issue_credential(request.role, at, hashing_key, label=request.label)
    store.authorities.put_credential(
        credential,
        _audit(
            f"credential#{credential['credential_id']}",
            caller,
            "issue",
            {"role": request.role, "label": request.label},
            at,
        ),
    )
    return {**public_credential(credential), "token": token, "credential_id": credential["credential_id"]}


def public_credential(item: dict[str, Any]) -> dict[str, Any]:
    """A credential as the API lists it: never its token nor the token's hash."""
    return {
        "id": item["credential_id"],
        "role": item["role"],
        "label": item.get("label") or item.get("authority_name"),
        "created_at": item.get("created_at"),
        "authority_id": item.get("authority_id"),
        "revoked_at": item.get("revoked_at"),
    }


def list_credentials(caller: Caller, store: Stores) -> list[dict[str, Any]]:
    _require(caller, "admin")
    return [public_credential(item) for item in store.authorities.list_credentials()]


def revoke_credential(caller: Caller, credential_id: str, store: Stores) -> dict[str, Any]:
    """End an admin or finance credential: its token stops resolving at once. The last live admin credential
    cannot be revoked (nobody could issue another); an authority's credential ends with its enrolment or is
    replaced by rotation. Revoking a revoked credential changes nothing."""
    _require(caller, "admin")
    for _ in range(_CHANGE_ATTEMPTS):
        credential = store.authorities.credential_by_id(credential_id)
        if credential is None:
            raise errors.NotFound("No such credential.")
        if credential.get("revoked_at"):
            return public_credential(credential)
        if credential["role"] == "authority":
            authority_id = credential.get("authority_id")
            raise errors.AuthorityCredential(
                f"This is authority {authority_id}'s credential: end its enrolment with POST /authorities/"
                f"{authority_id}/revoke, or replace its token with POST /authorities/{authority_id}/token.",
                authority_id=authority_id,
            )
        witness = None
        if credential["role"] == "admin":
            # Revoked only while another admin credential is live, checked in the same transaction: two admins
            # revoking the last two credentials at the same moment cannot both succeed.
            others = [key for key in store.authorities.live_admin_hashes() if key != credential["token_hash"]]
            if not others:
                raise errors.LastAdmin(
                    "This is the last admin credential: issue another admin credential before revoking it.",
                    credential_id=credential_id,
                )
            witness = others[0]
        at = iso(utc_now())
        retired = _retired(credential, at)
        assert retired is not None
        audit = _audit(
            f"credential#{credential_id}",
            caller,
            "revoke",
            {"before": {"revoked_at": None}, "after": {"revoked_at": at}},
            at,
        )
        if store.authorities.revoke_credential(credential, retired, audit, witness):
            return public_credential(retired)
    raise errors.Conflict(
        "This credential is being changed from several places at once; retry shortly.", credential_id=credential_id
    )


# ---------------------------------------------------------------------- pool numbers
def add_number(caller: Caller, request: NumberIn, store: Stores) -> dict[str, Any]:
    _require(caller, "admin")
    at = iso(utc_now())
    if not store.numbers.add(
        request.number, request.kind, _audit(f"number#{request.number}", caller, "add", {"kind": request.kind}, at)
    ):
        raise errors.NumberExists(f"{request.number} is already in the pool.", number=request.number)
    return {"number": request.number, "kind": request.kind, "state": "free"}


def public_number(item: dict[str, Any], now: str) -> dict[str, Any]:
    """A pool number as the API shows it: `live` while an activation holds it, `cooling_down` until its
    free_from after a release, else `free`."""
    state = "live" if not item.get("pool_state") else "free"
    shown = {
        "number": item["number"],
        "kind": item["kind"],
        "state": state,
        "activation_id": item.get("activation_id"),
        "authority_id": item.get("authority_id"),
    }
    if item.get("pool_state") and item.get("free_from", "") > now:
        shown.update(state="cooling_down", free_from=item["free_from"])
    return shown


def list_numbers(caller: Caller, store: Stores) -> list[dict[str, Any]]:
    _require(caller, "admin")
    now = iso(utc_now())
    return [public_number(item, now) for item in store.numbers.list_numbers()]


def _pool_number(number: str, store: Stores) -> dict[str, Any]:
    """The pool number when no live activation holds it: it may be changed or removed; NotFound or NumberInUse
    otherwise."""
    item = store.numbers.get(number)
    if item is None:
        raise errors.NotFound(f"{number} is not in the pool.", number=number)
    if item.get("activation_id"):
        raise errors.NumberInUse(
            f"{number} is held by live activation {item['activation_id']}; close it first.",
            number=number,
            activation_id=item["activation_id"],
        )
    return item


def _number_refused(number: str, store: Stores) -> errors.DomainError:
    """Why a change of a pool number that passed its checks was refused when written: read it again."""
    _pool_number(number, store)
    return errors.Conflict(f"{number} changed meanwhile; read it again.", number=number)


def remove_number(caller: Caller, number: str, store: Stores) -> dict[str, Any]:
    """Take a number out of the pool; refused while a live activation holds it."""
    _require(caller, "admin")
    item = _pool_number(number, store)
    at = iso(utc_now())
    if not store.numbers.remove(
        number, _audit(f"number#{number}", caller, "remove", {"before": {"kind": item["kind"]}, "after": None}, at)
    ):
        raise _number_refused(number, store)
    return {"number": number, "kind": item["kind"], "state": "removed", "removed_at": at}


def change_number(caller: Caller, number: str, patch: NumberPatch, store: Stores) -> dict[str, Any]:
    """Correct the kind of a number nobody holds; the kind must match the number's form (see NumberIn)."""
    _require(caller, "admin")
    item = _pool_number(number, store)
    try:
        check_number_kind(number, patch.kind)
    except ValueError as error:
        raise errors.InvalidRequest(
            f"Invalid field(s): kind. {error}.", fields=[{"field": "kind", "problem": str(error)}]
        ) from error
    at = iso(utc_now())
    if patch.kind != item["kind"] and not store.numbers.change_kind(
        number,
        item["kind"],
        patch.kind,
        _audit(
            f"number#{number}",
            caller,
            "change",
            {"before": {"kind": item["kind"]}, "after": {"kind": patch.kind}},
            at,
        ),
    ):
        raise _number_refused(number, store)
    return public_number({**item, "kind": patch.kind}, at)


# ---------------------------------------------------------------------- activations
def open_activation(
    caller: Caller,
    request: ActivationIn,
    store: Stores,
    idempotency_key: str | None = None,
    idempotency: Idempotency | None = None,
) -> tuple[dict[str, Any], bool]:
    """Open the authority's line on a free pool number. Returns the activation and whether the answer is a
    replay. With an Idempotency-Key, a retry of the same request opens nothing: it answers the line that key
    opened as it is now, and once that line has closed, refuses (the key cannot open a new one)."""
    _require(caller, "authority")
    if idempotency_key is None:
        return _open(caller=caller, store=store, request=request.model_dump(mode="json")), False
    if idempotency is None:
        raise ValueError("An Idempotency-Key needs the idempotency records (see Idempotency).")
    once = idempotent_function(
        data_keyword_argument="idempotency", config=idempotency.config, persistence_store=idempotency.records
    )(_open_once)
    opened: list[tuple[dict[str, Any], bool]] = []  # what this request's own run answered, if it ran
    try:
        result: dict[str, Any] = once(
            idempotency={
                "authority_id": caller.authority_id,
                "key": idempotency_key,
                "request": request.model_dump(mode="json"),
            },
            caller=caller,
            store=store,
            opened=opened,
        )
    except IdempotencyPersistenceLayerError as error:
        if opened:
            # The line is open; only marking the idempotency record done failed. The caller gets its line (a
            # 503 would say nothing happened); a retry once the record's in-progress window has passed finds
            # this activation by its key (see _open_once).
            logger.warning("idempotency record not completed", extra={"activation_id": opened[0][0]["id"]})
            count_failure("IdempotencyRecordsNotCompleted")
            return opened[0]
        raise errors.StoreUnavailable(
            "The state store did not answer in time; retry shortly.", retry_after=2
        ) from error
    except IdempotencyValidationError as error:
        raise errors.InvalidRequest(
            "This Idempotency-Key was used for a different request; use a new key.",
            fields=[{"field": "Idempotency-Key", "problem": "already used for a different request"}],
        ) from error
    except IdempotencyAlreadyInProgressError as error:
        raise errors.RequestInProgress(
            "A request with this Idempotency-Key is still being handled; retry shortly.", retry_after=1
        ) from error
    if opened:
        return opened[0]
    # The idempotency record answered with the line as it was when opened; say what is true now instead.
    return _as_it_is_now(str(result["id"]), store), True


def _as_it_is_now(activation_id: str, store: Stores) -> dict[str, Any]:
    activation = store.activations.get(activation_id)
    if activation is None:
        raise errors.NotFound("No such activation.")
    if activation["status"] != "live":
        raise errors.IdempotencyKeyUsed(
            f"This Idempotency-Key opened activation {activation_id}, which has since closed; "
            "use a new key to open a new line.",
            activation_id=activation_id,
            closed_at=activation.get("closed_at"),
        )
    return activation


def _open_once(
    idempotency: dict[str, Any], caller: Caller, store: Stores, opened: list[tuple[dict[str, Any], bool]]
) -> dict[str, Any]:
    key = idempotency["key"]
    try:
        activation = _open(caller=caller, store=store, request=idempotency["request"], idempotency_key=key)
        replayed = False
    except errors.ActivationAlreadyLive as refused:
        # The same request opened this line before, but its idempotency record was never completed (DynamoDB
        # failed right after the line opened) and has expired in progress: answer with that line again.
        live = store.activations.get(str(refused.details.get("activation_id")))
        if live is None or live.get("idempotency_key") != key or live["authority_id"] != caller.authority_id:
            raise
        activation, replayed = live, True
    opened.append((activation, replayed))
    return activation


def _open(caller: Caller, store: Stores, request: dict[str, Any], idempotency_key: str | None = None) -> dict[str, Any]:
    requested_at = iso(utc_now())
    activation_id = str(uuid.uuid4())
    activation = {
        "id": activation_id,
        "authority_id": caller.authority_id,
        "authority_name": caller.authority_name,
        "status": "live",
        "revision": 0,
        "reason": request["reason"],
        "languages": request["languages"],
        "message": request["message"],
        "victim_information": request["victim_information"],
        "operators": request["operators"],
        # Chosen by the authority, never left to chance: this request, else its enrolment, else toll-free.
        "number_kind": request.get("number_kind") or caller.number_kind or DEFAULT_NUMBER_KIND,
        "requested_at": requested_at,
        # Who opened it and how, for the line's record and finance's export (the audit entry says it too).
        "opened_by": actor(caller),
        "channel": caller.channel,
    }
    if idempotency_key is not None:
        activation["idempotency_key"] = idempotency_key  # finds the line again should its record be lost
    # The line as callers will first hear it; _claim adds the number it claims.
    audit = _audit(
        f"activation#{activation_id}",
        caller,
        "open",
        {key: request[key] for key in ("reason", "languages", "message", "victim_information", "operators")},
        requested_at,
    )
    return published(_claim(activation, audit, store))


def _claim(activation: dict[str, Any], audit: dict[str, Any], store: Stores) -> dict[str, Any]:
    """Claim a free number of the kind asked for and store `activation` live on it, in one transaction per
    attempt. The audit entry records the number claimed and its kind.

    Two requests racing for the same number: one transaction wins, the other moves on to another free number,
    and when none is left it is refused. The authority's own item carries its live activation, so a second live
    activation for the same authority is refused in the same transaction."""
    authority_id = activation["authority_id"]
    for _ in range(_CLAIM_ROUNDS):
        candidates = store.numbers.claimable(activation["number_kind"], iso(utc_now()))
        if not candidates:
            _check_may_open(authority_id, store)
            break
        # Racers spread over the pool instead of queueing on one number. The OS's randomness, not the module
        # generator's: environments restored from one SnapStart snapshot share its generator state.
        _shuffler.shuffle(candidates)
        for candidate in candidates:
            opened_at = iso(utc_now())
            opened = {
                **activation,
                "number": candidate["number"],
                "opened_at": opened_at,
                "operator_timeline": [{"at": opened_at, "operators": activation["operators"]}],
            }
            claim_audit = {
                **audit,
                "changes": {**audit["changes"], "number": candidate["number"], "number_kind": candidate["kind"]},
            }
            refused = store.activations.claim(
                opened,
                claim_audit,
                store.numbers.claim(opened),
                store.authorities.live_marker(authority_id, opened["id"]),
            )
            if refused is None:
                return opened
            if "authority" in refused:
                _check_may_open(authority_id, store)
                # Its live activation closed between the refusal and the read.
                raise errors.ActivationAlreadyLive(
                    "Another activation of this authority was live a moment ago; read its activations, then retry.",
                    activation_id=None,
                )
            if "activation" in refused:
                raise errors.Conflict("An activation with this id exists already.")
            # The number was taken meanwhile or the transaction collided: try the next one.
    raise _exhausted(activation["number_kind"], store)


def _check_may_open(authority_id: str, store: Stores) -> None:
    """Raise the reason the authority may not open an activation now; nothing when it may."""
    # A strongly consistent read: the transaction that was just refused saw the latest state, so must we.
    authority = store.authorities.get(authority_id, consistent=True)
    if not authority:
        raise errors.Forbidden("This authority is not enrolled.")
    if authority.get("revoked_at"):
        raise errors.AuthorityRevoked("This authority's enrolment was revoked.")
    live = authority.get("live_activation_id")
    if live:
        raise errors.ActivationAlreadyLive(
            f"Activation {live} of this authority is live already; change or close it instead.", activation_id=live
        )


def _exhausted(kind: str, store: Stores) -> errors.NoNumberAvailable:
    """Why no number of `kind` could be claimed, and what else the pool has."""
    names = {"toll_free": "toll-free", "did": "geographic"}
    other = "did" if kind == "toll_free" else "toll_free"
    pool = store.numbers.pool_by_kind()
    mine, others = pool.get(kind, {"free": 0, "cooling": []}), pool.get(other, {"free": 0, "cooling": []})
    message = f"No {names[kind]} ({kind}) pool number is free"
    if mine["cooling"]:
        message += f"; {len(mine['cooling'])} released recently, the first free again from {mine['cooling'][0]}"
    message += (
        f". {others['free']} {names[other]} ({other}) numbers are free: ask with number_kind "
        f"{other}, or call the crisis center's duty officer."
        if others["free"]
        else f". No {names[other]} ({other}) number is free either. Call the crisis center's duty officer."
    )
    return errors.NoNumberAvailable(
        message,
        number_kind=kind,
        other_kind=other,
        other_kind_free=others["free"],
        next_free_from=mine["cooling"][0] if mine["cooling"] else None,
    )


class Idempotency(NamedTuple):
    """Where a request's idempotency records are kept and how (built by the handler: `idempotency_config`)."""

    records: BasePersistenceLayer
    config: IdempotencyConfig


def idempotency_config(expires_after_seconds: int) -> IdempotencyConfig:
    """How an open with an Idempotency-Key is recognised: by authority and key, its request validated."""
    return IdempotencyConfig(
        event_key_jmespath="[authority_id, key]",
        payload_validation_jmespath="request",
        raise_on_no_idempotency_key=True,
        expires_after_seconds=expires_after_seconds,
    )


def forget_default_stores() -> None:
    """Drop the stores made on first use: the next request makes them from the environment as it is then, as a
    new execution environment would (the local stack and tests switch backends)."""
    default_store.cache_clear()


def _visible_activation(caller: Caller, activation_id: str, store: Stores) -> dict[str, Any]:
    """An activation the caller may see; another authority's is reported as missing, not forbidden."""
    _require(caller, "admin", "authority")
    activation = store.activations.get(activation_id)
    if activation is None or (caller.role == "authority" and activation["authority_id"] != caller.authority_id):
        raise errors.NotFound("No such activation.")
    return activation


def get_activation(caller: Caller, activation_id: str, store: Stores) -> dict[str, Any]:
    return _visible_activation(caller, activation_id, store)


def list_activations(caller: Caller, store: Stores, status: str | None = None) -> list[dict[str, Any]]:
    _require(caller, "admin", "authority")
    items = store.activations.list_activations(caller.authority_id if caller.role == "authority" else None)
    items = [item for item in items if status is None or item["status"] == status]
    if caller.role == "admin":
        _with_load([item for item in items if item["status"] == "live"], store)
    return items


def _with_load(live: list[dict[str, Any]], store: Stores) -> None:
    """Add to each live line the calls counted this UTC hour and the calls its operators answer in an hour, as
    routing counts and decides overflow: the crisis center's view of every line at a glance."""
    if not live:
        return
    now = utc_now()
    calls = store.capacity.calls_this_hour([line["id"] for line in live], now)
    per_operator = store.capacity.calls_per_operator_hour(now)
    for line in live:
        line["calls_this_hour"] = calls[line["id"]]
        line["capacity_per_hour"] = hourly_capacity(int(line["operators"]), per_operator)


def revision(activation: dict[str, Any]) -> int:
    """The activation's revision: 0 when opened, one more with every change and with its close."""
    return int(activation.get("revision") or 0)  # none on lines opened before activations carried one


def update_activation(
    caller: Caller, activation_id: str, patch: ActivationPatch, store: Stores, if_match: Collection[int] | None = None
) -> dict[str, Any]:
    """Change a live activation's message, languages, D2 line or operators. A change of operators is added to
    the operator timeline, from which personnel costs are billed, in time order.

    Each attempt reads the activation, checks the change against it and writes only if nobody changed it
    meanwhile; changes made at the same moment from several places are applied one after the other. With
    `if_match` (the revisions the caller read), a change made against any other revision is refused instead:
    the caller decided it on a line that someone else has changed since."""
    changes = patch.model_dump(mode="json", exclude_unset=True)
    for _ in range(_CHANGE_ATTEMPTS):
        activation = _visible_activation(caller, activation_id, store)
        if activation["status"] != "live":
            raise errors.ActivationClosed(
                "This activation is closed; it can no longer change.", activation_id=activation_id
            )
        if if_match is not None and revision(activation) not in if_match:
            raise errors.PreconditionFailed(
                f"This line changed since you read it: someone else changed it meanwhile (it is now at revision "
                f"{revision(activation)}). Read it again and send your change with its new ETag.",
                current_revision=revision(activation),
            )
        languages = changes.get("languages", activation["languages"])
        message = changes.get("message", activation["message"])
        try:
            check_messages(languages, message)
        except ValueError as error:
            raise errors.InvalidRequest(str(error), fields=[{"field": "message", "problem": str(error)}]) from error
        at = iso(utc_now())
        timeline_entry = None
        if "operators" in changes:
            # Never before the entry it follows, even if this function's clock is a little behind another's.
            previous = max((entry["at"] for entry in activation.get("operator_timeline", [])), default=at)
            timeline_entry = {"at": max(at, previous), "operators": changes["operators"]}
        # Each field as it was and as it becomes: the trail alone tells what callers heard at any moment.
        audited = {field: {"before": activation.get(field), "after": value} for field, value in changes.items()}
        if store.activations.update(
            activation,
            changes,
            timeline_entry,
            _audit(f"activation#{activation_id}", caller, "update", audited, at),
            store.numbers.routing_change(activation["number"], activation_id, changes),
        ):
            # The answer is what was written, not a read after it: a read failing then would answer 503 for a
            # change that was made, and a client retrying it would make it twice.
            updated = {**activation, **changes, "revision": revision(activation) + 1}
            if timeline_entry is not None:
                updated["operator_timeline"] = [*activation.get("operator_timeline", []), timeline_entry]
            return published(updated)
    raise errors.Conflict(
        "This activation is being changed from several places at once; retry shortly.", activation_id=activation_id
    )


def close_activation(caller: Caller, activation_id: str, store: Stores) -> tuple[dict[str, Any], bool]:
    """Close the line and return its number to the pool; closing a closed activation changes nothing.
    Returns the activation and whether this call closed it.

    Closing is a change like any other: it bumps the revision, and it writes only if nobody changed the line
    since it was read, so that the answer is the line as it was closed."""
    for _ in range(_CHANGE_ATTEMPTS):
        activation = _visible_activation(caller, activation_id, store)
        if activation["status"] != "live":
            return activation, False  # closed already, maybe meanwhile by someone else
        at = iso(utc_now())
        released = {"closed_at": at, "number": activation["number"]}
        free_from = iso(parse_iso(at) + timedelta(seconds=settings.api().number_cooldown_seconds))
        if store.activations.close(
            activation,
            at,
            _audit(f"activation#{activation_id}", caller, "close", released, at),
            store.numbers.release(activation["number"], activation_id, at, free_from),
            store.authorities.live_marker_removal(activation["authority_id"], activation_id),
        ):
            # what was written (see update_activation)
            closed = {**activation, "status": "closed", "closed_at": at, "revision": revision(activation) + 1}
            return published(closed), True
    raise errors.Conflict(
        "This activation is being changed from several places at once; retry shortly.", activation_id=activation_id
    )


def activation_audit(caller: Caller, activation_id: str, store: Stores) -> list[dict[str, Any]]:
    _visible_activation(caller, activation_id, store)
    return store.activations.audit_entries(f"activation#{activation_id}")
