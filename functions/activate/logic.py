"""What the activation API does, free of HTTP and Lambda: enrol authorities, issue credentials, keep the
pool of numbers, and open, change and close activations. Every function takes the caller and checks what
that caller may do; the store makes each change atomic."""

from __future__ import annotations

import uuid
from functools import cache
from typing import Any

from aws_lambda_powertools.utilities.idempotency import (
    DynamoDBPersistenceLayer,
    IdempotencyConfig,
    idempotent_function,
)
from aws_lambda_powertools.utilities.idempotency.exceptions import (
    IdempotencyAlreadyInProgressError,
    IdempotencyPersistenceLayerError,
    IdempotencyValidationError,
)
from aws_lambda_powertools.utilities.typing import LambdaContext

from crisisline import errors, settings, tokens
from crisisline.aws import client
from crisisline.clock import iso, utc_now
from crisisline.models import (
    ActivationIn,
    ActivationPatch,
    AuthorityIn,
    Caller,
    NumberIn,
    Role,
    check_messages,
)
from crisisline.observability import logger
from crisisline.store import Store

_CHANGE_ATTEMPTS = 20  # each lost attempt means another change was written: a few people, not a crowd


@cache
def default_store() -> Store:
    return Store(settings.api())


def _require(caller: Caller, *roles: Role) -> None:
    if caller.role not in roles:
        raise errors.Forbidden(f"The {caller.role} role may not do this.", allowed_roles=list(roles))


def _audit(subject: str, caller: Caller, action: str, changes: dict[str, Any], at: str) -> dict[str, Any]:
    return {"subject": subject, "entry": f"{at}#{uuid.uuid4().hex[:12]}", "at": at, "action": action,
            "actor": {"role": caller.role, "credential_id": caller.credential_id,
                      "authority_id": caller.authority_id},
            "changes": changes}


def _issue_credential(role: Role, at: str, authority: dict[str, Any] | None = None) -> tuple[str, dict[str, Any]]:
    """A new token and the credential item that stores only its keyed hash."""
    token = tokens.new_token()
    credential = {"token_hash": tokens.token_hash(token, tokens.hashing_key(settings.api().token_key_parameter)),
                  "credential_id": uuid.uuid4().hex, "role": role, "created_at": at}
    if authority is not None:
        credential.update(authority_id=authority["id"], authority_name=authority["name"])
    return token, credential


def public_authority(item: dict[str, Any]) -> dict[str, Any]:
    """An authority as the API shows it: never its token hash."""
    return {key: item[key] for key in ("id", "name", "languages", "agreement", "billing", "enrolled_at",
                                       "live_activation_id", "revoked_at") if key in item}


# ---------------------------------------------------------------------- authorities and credentials
def enrol_authority(caller: Caller, request: AuthorityIn, store: Store) -> dict[str, Any]:
    """Enrol an authority with a signed agreement; its token is in the answer and nowhere else."""
    _require(caller, "admin")
    at = iso(utc_now())
    authority = {**request.model_dump(mode="json"), "enrolled_at": at}
    token, credential = _issue_credential("authority", at, authority)
    authority.update(token_hash=credential["token_hash"], credential_id=credential["credential_id"])
    store.enrol_authority(authority, credential,
                          _audit(f"authority#{request.id}", caller, "enrol", {"name": request.name}, at))
    return {**public_authority(authority), "token": token}


def list_authorities(caller: Caller, store: Store) -> list[dict[str, Any]]:
    if caller.role == "authority":
        return [get_authority(caller, str(caller.authority_id), store)]
    _require(caller, "admin", "finance")
    return [public_authority(item) for item in store.list_authorities()]


def get_authority(caller: Caller, authority_id: str, store: Store) -> dict[str, Any]:
    if caller.role == "authority" and caller.authority_id != authority_id:
        raise errors.NotFound("No such authority.")
    _require(caller, "admin", "finance", "authority")
    item = store.get_authority(authority_id)
    if item is None:
        raise errors.NotFound("No such authority.")
    return public_authority(item)


def rotate_token(caller: Caller, authority_id: str, store: Store) -> dict[str, Any]:
    """Issue a new token for an authority; the old one stops resolving at once (API Gateway may serve a cached
    answer for it until its authorizer cache TTL has passed)."""
    _require(caller, "admin")
    authority = _enrolled(authority_id, store)
    at = iso(utc_now())
    token, credential = _issue_credential("authority", at, authority)
    store.replace_authority_credential(
        authority_id, authority["token_hash"], credential,
        {"token_hash": credential["token_hash"], "credential_id": credential["credential_id"], "rotated_at": at},
        _audit(f"authority#{authority_id}", caller, "rotate_token", {}, at))
    return {"authority_id": authority_id, "token": token, "rotated_at": at}


def revoke_authority(caller: Caller, authority_id: str, store: Store) -> dict[str, Any]:
    """End an authority's enrolment: its token stops working and it can no longer activate."""
    _require(caller, "admin")
    authority = _enrolled(authority_id, store)
    if authority.get("live_activation_id"):
        raise errors.ActivationAlreadyLive("Close the authority's live activation before revoking it.",
                                           activation_id=authority["live_activation_id"])
    at = iso(utc_now())
    store.replace_authority_credential(authority_id, authority["token_hash"], {}, {"revoked_at": at},
                                       _audit(f"authority#{authority_id}", caller, "revoke", {}, at))
    return {**public_authority(authority), "revoked_at": at}


def _enrolled(authority_id: str, store: Store) -> dict[str, Any]:
    authority = store.get_authority(authority_id)
    if authority is None:
        raise errors.NotFound("No such authority.")
    if authority.get("revoked_at"):
        raise errors.AuthorityRevoked("This authority's enrolment was revoked.")
    return authority


def create_credential(caller: Caller, role: Role, store: Store) -> dict[str, Any]:
    """A token for crisis-center staff (admin) or finance."""
    _require(caller, "admin")
    at = iso(utc_now())
    token, credential = _issue_credential(role, at)
    store.put_credential(credential, _audit(f"credential#{credential['credential_id']}", caller, "issue",
                                            {"role": role}, at))
    return {"token": token, "role": role, "credential_id": credential["credential_id"], "created_at": at}


# ---------------------------------------------------------------------- pool numbers
def add_number(caller: Caller, request: NumberIn, store: Store) -> dict[str, Any]:
    _require(caller, "admin")
    at = iso(utc_now())
    store.add_number(request.number, request.kind,
                     _audit(f"number#{request.number}", caller, "add", {"kind": request.kind}, at))
    return {"number": request.number, "kind": request.kind, "state": "free"}


def list_numbers(caller: Caller, store: Store) -> list[dict[str, Any]]:
    _require(caller, "admin")
    return [{"number": item["number"], "kind": item["kind"],
             "state": "free" if item.get("pool_state") else "live",
             "activation_id": item.get("activation_id"), "authority_id": item.get("authority_id")}
            for item in store.list_numbers()]


# ---------------------------------------------------------------------- activations
def open_activation(caller: Caller, request: ActivationIn, store: Store, idempotency_key: str | None = None,
                    lambda_context: LambdaContext | None = None) -> dict[str, Any]:
    """Open the authority's line on a free pool number. With an Idempotency-Key, a retry of the same request
    returns the same activation instead of opening a second one."""
    _require(caller, "authority")
    if idempotency_key is None:
        return _open(caller=caller, store=store, request=request.model_dump(mode="json"))
    config = _idempotency_config()
    if lambda_context is not None:
        config.register_lambda_context(lambda_context)
    once = idempotent_function(data_keyword_argument="idempotency", config=config,
                               persistence_store=_idempotency_store())(_open_once)
    opened: list[dict[str, Any]] = []
    try:
        result: dict[str, Any] = once(idempotency={"authority_id": caller.authority_id, "key": idempotency_key,
                                                   "request": request.model_dump(mode="json")},
                                      caller=caller, store=store, opened=opened)
    except IdempotencyPersistenceLayerError as error:
        if opened:
            # The line is open; only marking the idempotency record done failed. The caller gets its line (a
            # 503 would say nothing happened); a retry once the record's in-progress window has passed finds
            # this activation by its key (see _open_once).
            logger.warning("idempotency record not completed", extra={"activation_id": opened[0]["id"]})
            return opened[0]
        raise errors.StoreUnavailable("The state store did not answer in time; retry shortly.",
                                      retry_after=2) from error
    except IdempotencyValidationError as error:
        raise errors.InvalidRequest("This Idempotency-Key was used for a different request; use a new key.",
                                    fields=[{"field": "Idempotency-Key",
                                             "problem": "already used for a different request"}]) from error
    except IdempotencyAlreadyInProgressError as error:
        raise errors.RequestInProgress("A request with this Idempotency-Key is still being handled; retry shortly.",
                                       retry_after=1) from error
    return result


def _open_once(idempotency: dict[str, Any], caller: Caller, store: Store,
               opened: list[dict[str, Any]]) -> dict[str, Any]:
    key = idempotency["key"]
    try:
        activation = _open(caller=caller, store=store, request=idempotency["request"], idempotency_key=key)
    except errors.ActivationAlreadyLive as refused:
        # The same request opened this line before, but its idempotency record was never completed (DynamoDB
        # failed right after the line opened) and has expired in progress: answer with that line again.
        live = store.get_activation(str(refused.details.get("activation_id")))
        if live is None or live.get("idempotency_key") != key or live["authority_id"] != caller.authority_id:
            raise
        activation = live
    opened.append(activation)
    return activation


def _open(caller: Caller, store: Store, request: dict[str, Any], idempotency_key: str | None = None) -> dict[str, Any]:
    requested_at = iso(utc_now())
    activation_id = str(uuid.uuid4())
    activation = {
        "id": activation_id, "authority_id": caller.authority_id, "authority_name": caller.authority_name,
        "status": "live", "revision": 0, "reason": request["reason"], "languages": request["languages"],
        "message": request["message"], "victim_information": request["victim_information"],
        "operators": request["operators"],
        "requested_at": requested_at,
    }
    if idempotency_key is not None:
        activation["idempotency_key"] = idempotency_key  # finds the line again should its record be lost
    audit = _audit(f"activation#{activation_id}", caller, "open",
                   {key: request[key] for key in ("languages", "victim_information", "operators")}, requested_at)
    return store.open_activation(activation, audit)


@cache
def _idempotency_store() -> DynamoDBPersistenceLayer:
    return DynamoDBPersistenceLayer(table_name=settings.api().idempotency_table, boto3_client=client("dynamodb"))


def _idempotency_config() -> IdempotencyConfig:
    return IdempotencyConfig(event_key_jmespath="[authority_id, key]", payload_validation_jmespath="request",
                             raise_on_no_idempotency_key=True,
                             expires_after_seconds=settings.api().idempotency_seconds)


def _visible_activation(caller: Caller, activation_id: str, store: Store) -> dict[str, Any]:
    """An activation the caller may see; another authority's is reported as missing, not forbidden."""
    _require(caller, "admin", "authority")
    activation = store.get_activation(activation_id)
    if activation is None or (caller.role == "authority" and activation["authority_id"] != caller.authority_id):
        raise errors.NotFound("No such activation.")
    return activation


def get_activation(caller: Caller, activation_id: str, store: Store) -> dict[str, Any]:
    return _visible_activation(caller, activation_id, store)


def list_activations(caller: Caller, store: Store, status: str | None = None) -> list[dict[str, Any]]:
    _require(caller, "admin", "authority")
    items = store.list_activations(caller.authority_id if caller.role == "authority" else None)
    return [item for item in items if status is None or item["status"] == status]


def update_activation(caller: Caller, activation_id: str, patch: ActivationPatch, store: Store) -> dict[str, Any]:
    """Change a live activation's message, languages, D2 line or operators. A change of operators is added to
    the operator timeline, from which personnel costs are billed, in time order.

    Each attempt reads the activation, checks the change against it and writes only if nobody changed it
    meanwhile; changes made at the same moment from several places are applied one after the other."""
    changes = patch.model_dump(mode="json", exclude_unset=True)
    for _ in range(_CHANGE_ATTEMPTS):
        activation = _visible_activation(caller, activation_id, store)
        if activation["status"] != "live":
            raise errors.ActivationClosed("This activation is closed; it can no longer change.",
                                          activation_id=activation_id)
        languages = changes.get("languages", activation["languages"])
        message = changes.get("message", activation["message"])
        try:
            check_messages(languages, message)
        except ValueError as error:
            raise errors.InvalidRequest(str(error),
                                        fields=[{"field": "message", "problem": str(error)}]) from error
        at = iso(utc_now())
        timeline_entry = None
        if "operators" in changes:
            # Never before the entry it follows, even if this function's clock is a little behind another's.
            previous = max((entry["at"] for entry in activation.get("operator_timeline", [])), default=at)
            timeline_entry = {"at": max(at, previous), "operators": changes["operators"]}
        if store.update_activation(activation, changes, timeline_entry,
                                   _audit(f"activation#{activation_id}", caller, "update", changes, at)):
            # The answer is what was written, not a read after it: a read failing then would answer 503 for a
            # change that was made, and a client retrying it would make it twice.
            updated = {**activation, **changes, "revision": (activation.get("revision") or 0) + 1}
            if timeline_entry is not None:
                updated["operator_timeline"] = [*activation.get("operator_timeline", []), timeline_entry]
            return updated
    raise errors.Conflict("This activation is being changed from several places at once; retry shortly.",
                          activation_id=activation_id)


def close_activation(caller: Caller, activation_id: str, store: Store) -> tuple[dict[str, Any], bool]:
    """Close the line and return its number to the pool; closing a closed activation changes nothing.
    Returns the activation and whether this call closed it."""
    activation = _visible_activation(caller, activation_id, store)
    if activation["status"] != "live":
        return activation, False
    at = iso(utc_now())
    if store.close_activation(activation, at, _audit(f"activation#{activation_id}", caller, "close", {}, at)):
        return {**activation, "status": "closed", "closed_at": at}, True  # what was written (see update_activation)
    return _visible_activation(caller, activation_id, store), False  # closed meanwhile by someone else


def activation_audit(caller: Caller, activation_id: str, store: Store) -> list[dict[str, Any]]:
    _visible_activation(caller, activation_id, store)
    return store.audit_entries(f"activation#{activation_id}")
