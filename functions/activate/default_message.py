"""Logic layer, for authorities and the crisis center: the message an authority keeps ready per language, which
the phone flow reads when an activator opens the line at night (`authority["default_message"]`, its keys the
line's languages). The authority (its token or its activators') reads and changes its own; admin any."""

from __future__ import annotations

from typing import Any

from activate.logic import _audit, _require
from crisisline import errors
from crisisline.clock import iso, utc_now
from crisisline.models import Caller, DefaultMessageIn
from crisisline.stores import Stores

_CHANGE_ATTEMPTS = 10


def _own(caller: Caller, authority_id: str) -> None:
    """Another authority learns nothing, not even that this one exists (404, as everywhere)."""
    if caller.role == "authority" and caller.authority_id != authority_id:
        raise errors.NotFound("No such authority.")
    _require(caller, "admin", "authority")


def _shown(authority_id: str, item: dict[str, Any]) -> dict[str, Any]:
    return {
        "authority_id": authority_id,
        "message": item.get("default_message") or {},
        "changed_at": item.get("default_message_changed_at"),
    }


def read(caller: Caller, authority_id: str, store: Stores) -> dict[str, Any]:
    """The authority's default message (empty until one is saved)."""
    _own(caller, authority_id)
    item = store.authorities.get(authority_id)
    if item is None:
        raise errors.NotFound("No such authority.")
    return _shown(authority_id, item)


def save(caller: Caller, authority_id: str, request: DefaultMessageIn, store: Stores) -> dict[str, Any]:
    """Replace the authority's default message; audited on the authority with the message before and after."""
    _own(caller, authority_id)
    message: dict[str, str] = {str(lang): text for lang, text in request.message.items()}
    for _ in range(_CHANGE_ATTEMPTS):
        item = store.authorities.get(authority_id, consistent=True)
        if item is None:
            raise errors.NotFound("No such authority.")
        if item.get("revoked_at"):
            raise errors.AuthorityRevoked("This authority's enrolment was revoked.")
        before = item.get("default_message")
        at = iso(utc_now())
        audit = _audit(
            f"authority#{authority_id}",
            caller,
            "default_message_change",
            {"before": before or {}, "after": message},
            at,
        )
        if store.authorities.set_default_message(authority_id, before, message, at, audit):
            return _shown(authority_id, {"default_message": message, "default_message_changed_at": at})
    raise errors.Conflict("This authority's default message is being changed from several places at once; retry.")
