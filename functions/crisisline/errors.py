"""Domain errors. Each carries the HTTP status and code that the API shows; only the API's error mapper
turns them into responses, so logic and store stay free of HTTP."""

from __future__ import annotations

from typing import Any


class DomainError(Exception):
    status = 400
    code = "bad_request"

    def __init__(self, message: str, **details: Any) -> None:
        super().__init__(message)
        self.message = message
        self.details = details


class Unauthorized(DomainError):
    status = 401
    code = "unauthorized"


class Forbidden(DomainError):
    status = 403
    code = "forbidden"


class NotFound(DomainError):
    status = 404
    code = "not_found"


class Conflict(DomainError):
    status = 409
    code = "conflict"


class AlreadyEnrolled(Conflict):
    code = "authority_exists"


class NumberExists(Conflict):
    code = "number_exists"


class NoNumberAvailable(Conflict):
    code = "no_number_available"


class NumberInUse(Conflict):
    code = "number_in_use"


class LastAdmin(Conflict):
    code = "last_admin"


class AuthorityCredential(Conflict):
    code = "authority_credential"


class ActivationAlreadyLive(Conflict):
    code = "activation_already_live"


class ActivationClosed(Conflict):
    code = "activation_closed"


class AuthorityRevoked(Conflict):
    code = "authority_revoked"


class RequestInProgress(Conflict):
    code = "request_in_progress"


class IdempotencyKeyUsed(Conflict):
    """A replayed open whose activation has closed since: the key cannot open another line."""

    code = "idempotency_key_used"


class D2Purged(DomainError):
    """The activation's D2 data was erased once its retention ended; only its aggregate figures remain."""

    status = 410
    code = "d2_purged"


class PreconditionFailed(DomainError):
    """A change made against a revision that is no longer the activation's (If-Match)."""

    status = 412
    code = "precondition_failed"


class InvalidRequest(DomainError):
    status = 422
    code = "validation_error"


class InvalidList(InvalidRequest):
    """An uploaded list of victims and survivors that cannot be read as a whole: nothing of it is taken."""

    code = "invalid_list"


class StoreUnavailable(DomainError):
    """The state store did not answer in time or refused for load: the caller may retry."""

    status = 503
    code = "unavailable"


class NoD2Line(Conflict):
    """An enquiry on an activation that is not live or has no D2 line for victims' relatives."""

    code = "no_d2_line"


class FourEyesRequired(Forbidden):
    """A D2 match confirmed by the coordinator who proposed it: another coordinator confirms."""

    code = "four_eyes_required"


class MatchExists(Conflict):
    """A D2 match proposed for a pair that already has one: proposed, confirmed or rejected (remembered)."""

    code = "match_exists"


class MatchDecided(Conflict):
    """A D2 match confirmed or rejected after another coordinator decided it."""

    code = "match_decided"


class ReferenceMistyped(DomainError):
    """A reference whose check character does not fit: misheard or mistyped, not merely unknown."""

    status = 422
    code = "reference_mistyped"


class PinLocked(Conflict):
    """Three wrong PINs in a row: the activator's PIN is refused until details.locked_until."""

    code = "pin_locked"


class NoPin(Conflict):
    """The activator has no PIN yet: the crisis center sets the first one."""

    code = "no_pin"


class WrongPin(DomainError):
    """The PIN given is not the activator's; details.tries_left before the lock."""

    status = 422
    code = "wrong_pin"
