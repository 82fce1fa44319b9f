"""The operators' briefing, free of HTTP: the questions callers ask and the answers to give, per language of a
line, with everything else an operator needs about that line on one sheet.

- Its authority and admin read and replace it; an operator reads it while the line is live, and a line that
  is not live does not exist for an operator (404, as another authority's line for an authority).
- Items only in the languages the line speaks; a line whose languages change keeps the items of a language it
  no longer speaks, and the sheet shows them again if it speaks it again.
- Each replacement is audited on the activation (action `briefing`, the items before and after) and refused
  once the line has closed. Its revision is 0 before the first and one more with each; `if_match` (revisions the
  caller read) refuses a replacement decided on a sheet someone else has changed since (412).
- The sheet's ETag names both the briefing's revision and the activation's, so a console polling with
  If-None-Match learns of a new message or operator count as well as of new answers."""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

from activate.logic import _audit, _visible_activation, revision
from crisisline import errors
from crisisline.clock import iso, utc_now
from crisisline.models import BriefingIn, Caller, check_briefing_languages
from crisisline.stores import Stores

_CHANGE_ATTEMPTS = 20


def _readable_activation(caller: Caller, activation_id: str, store: Stores) -> dict[str, Any]:
    """The activation whose briefing the caller may read: an operator's only while it is live."""
    if caller.role != "operator":
        return _visible_activation(caller, activation_id, store)
    activation = store.activations.get(activation_id)
    if activation is None or activation["status"] != "live":
        raise errors.NotFound("No such activation.")
    return activation


def etag(sheet: dict[str, Any]) -> str:
    """The sheet's entity tag: `"<briefing revision>.<activation revision>"`."""
    return f'"{sheet["revision"]}.{sheet["activation_revision"]}"'


def sheet(activation: dict[str, Any], briefing: dict[str, Any] | None) -> dict[str, Any]:
    """What an operator reads: the line as callers hear it and the answers to give, in the line's languages.
    Nothing about billing, tokens or the audit trail."""
    items = (briefing or {}).get("items") or {}
    languages = list(activation["languages"])
    return {
        "activation_id": activation["id"],
        "status": activation["status"],
        "authority_id": activation["authority_id"],
        "authority_name": activation.get("authority_name"),
        "number": activation["number"],
        "reason": activation["reason"],
        "opened_at": activation["opened_at"],
        "languages": languages,
        "message": {language: activation["message"][language] for language in languages},
        "d2": bool(activation["victim_information"]),
        "operators": activation["operators"],
        "items": {language: items.get(language, []) for language in languages},
        "revision": int((briefing or {}).get("revision") or 0),
        "updated_at": (briefing or {}).get("updated_at"),
        "activation_revision": revision(activation),
    }


def get_briefing(caller: Caller, activation_id: str, store: Stores) -> dict[str, Any]:
    activation = _readable_activation(caller, activation_id, store)
    return sheet(activation, store.briefings.get(activation_id))


def replace_briefing(
    caller: Caller,
    activation_id: str,
    request: BriefingIn,
    store: Stores,
    if_match: Collection[int] | None = None,
) -> dict[str, Any]:
    """Replace the live line's questions and answers; answers the sheet as written."""
    items = request.model_dump(mode="json")["items"]
    for _ in range(_CHANGE_ATTEMPTS):
        activation = _visible_activation(caller, activation_id, store)
        if activation["status"] != "live":
            raise errors.ActivationClosed(
                "This activation is closed; its briefing can no longer change.", activation_id=activation_id
            )
        try:
            check_briefing_languages(activation["languages"], items)
        except ValueError as error:
            raise errors.InvalidRequest(str(error), fields=[{"field": "items", "problem": str(error)}]) from error
        current = store.briefings.get(activation_id)
        seen = int((current or {}).get("revision") or 0)
        if if_match is not None and seen not in if_match:
            raise errors.PreconditionFailed(
                f"These questions and answers changed since you read them: someone else changed them meanwhile "
                f"(they are now at revision {seen}). Read them again and send your change with the new ETag.",
                current_revision=seen,
            )
        before = (current or {}).get("items") or {}
        # Kept beside the new ones: the items of a language the line stopped speaking come back with it.
        kept = {language: pairs for language, pairs in before.items() if language not in activation["languages"]}
        at = iso(utc_now())
        written = {"activation_id": activation_id, "items": {**kept, **items}, "revision": seen + 1, "updated_at": at}
        audit = _audit(
            f"activation#{activation_id}", caller, "briefing", {"items": {"before": before, "after": items}}, at
        )
        if store.briefings.replace(written, seen, audit):
            return sheet(activation, written)
    raise errors.Conflict(
        "This briefing is being changed from several places at once; retry shortly.", activation_id=activation_id
    )
