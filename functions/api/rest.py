"""What every function behind the REST API shares: the resolver with its error mapping, the caller from the
authorizer's context, and the body size limit. Domain errors become `{"error": {"code", "message",
"details"}}` here and nowhere else."""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Callable
from itertools import accumulate
from typing import Any, Final, TypeVar

from aws_lambda_powertools.event_handler import APIGatewayRestResolver, CORSConfig, Response, content_types
from aws_lambda_powertools.event_handler.middlewares import NextMiddleware
from aws_lambda_powertools.event_handler.openapi.exceptions import RequestValidationError
from aws_lambda_powertools.event_handler.openapi.types import OpenAPIResponse, OpenAPIResponseContentSchema
from pydantic import BaseModel, ConfigDict

from crisisline import errors, settings, tokens
from crisisline.aws import client
from crisisline.models import FIELD_FORMATS, FIELD_NAMES, FIELD_RANGES, Caller, Channel, Role
from crisisline.observability import count_failure, logger
from crisisline.stores.authorities import AuthorityStore

MAX_BODY_BYTES = 64 * 1024
# No body of this API nests more than a few levels; Python's JSON parser recurses once per level and fails
# (RecursionError, the function's crash) near a thousand, which a 2 KB body reaches.
MAX_BODY_DEPTH = 32


class ErrorDetail(BaseModel):
    model_config = ConfigDict(extra="forbid")

    code: str
    message: str
    details: dict[str, Any]


class ErrorBody(BaseModel):
    """Every error the API answers, from a function or from API Gateway's own responses."""

    model_config = ConfigDict(extra="forbid")

    error: ErrorDetail


# What each error status means across the API; a route documents the ones it can answer.
ERROR_STATUSES = {
    400: f"The body is not valid JSON (malformed_json), or nested more than {MAX_BODY_DEPTH} levels deep "
    "(body_too_deep).",
    401: "No token, or not a valid one (unauthorized).",
    403: "This role may not do this (forbidden).",
    404: "No such resource, or another authority's: its existence is not revealed (not_found).",
    409: "The request conflicts with the current state; the code says how.",
    410: "The activation's D2 data was erased after its retention; only its aggregate figures remain (d2_purged).",
    412: "If-Match names a revision the activation no longer has: someone else changed it (precondition_failed).",
    413: f"The body is larger than {MAX_BODY_BYTES} bytes (payload_too_large).",
    415: "The body is sent as another type than JSON; send Content-Type: application/json (unsupported_media_type).",
    422: "A field is invalid; details.fields names it (validation_error).",
    429: "Too many requests: API Gateway's throttle (throttled).",
    503: "The state store or the authorizer did not answer in time; retry after Retry-After seconds (unavailable).",
}
SCHEMAS = "#/components/schemas/"  # where the API's document keeps the answers' models
# Any route behind the authorizer: a bad token, the wrong role, the throttle, a store that does not answer.
AUTHORIZED_ERRORS = (401, 403, 429, 503)
# Any route, given a body: not JSON, too large, sent as another media type, not one JSON object.
BODY_ERRORS = (400, 413, 415, 422)


def responses(
    success: int,
    *error_statuses: int,
    model: str | None = None,
    authorized: bool = True,
    content: dict[str, Any] | None = None,
) -> dict[int, OpenAPIResponse]:
    """The OpenAPI responses of a route: its success status with the JSON body the model named `model`
    describes (a class of crisisline.responses; `content` adds other media types, such as the export's CSV) and
    every error status it can answer, each with the error body, so that the document says what the API really
    answers.

    The model is named, not imported: `python -m infra.openapi` adds the models to the document it generates,
    and a function serving requests never creates their classes (a few dozen milliseconds of every cold start
    for a document it serves as a file)."""
    documented: dict[int, OpenAPIResponse] = {success: {"description": "Success"}}
    described: dict[str, OpenAPIResponseContentSchema] = (
        {content_types.APPLICATION_JSON: {"schema": {"$ref": f"{SCHEMAS}{model}"}}} if model is not None else {}
    )
    if described or content is not None:
        documented[success]["content"] = {**described, **(content or {})}
    for status in sorted({*BODY_ERRORS, *error_statuses, *(AUTHORIZED_ERRORS if authorized else ())}):
        answer: OpenAPIResponse = {
            "description": ERROR_STATUSES[status],
            "content": {content_types.APPLICATION_JSON: {"model": ErrorBody}},
        }
        if status == 503:
            answer["headers"] = {
                "Retry-After": {"description": "Seconds to wait before retrying", "schema": {"type": "string"}}
            }
        documented[status] = answer
    return documented


def error_body(code: str, message: str, details: dict[str, Any] | None = None) -> dict[str, Any]:
    return {"error": {"code": code, "message": message, "details": details or {}}}


def error(
    status: int, code: str, message: str, details: dict[str, Any] | None = None, headers: dict[str, str] | None = None
) -> Response[dict[str, Any]]:
    return Response(
        status_code=status,
        content_type=content_types.APPLICATION_JSON,
        headers=headers,
        body=error_body(code, message, details),
    )


def json_response(status: int, body: Any, headers: dict[str, str] | None = None) -> Response[dict[str, Any]]:
    return Response(status_code=status, content_type=content_types.APPLICATION_JSON, body=body, headers=headers)


def refused(event: dict[str, Any]) -> dict[str, Any] | None:
    """The API Gateway proxy answer to a body refused before the resolver runs, else None: too large (413),
    nested too deep (400), sent as a media type other than JSON (415), not JSON in UTF-8 (400). Checked before
    the resolver, because Powertools parses the body before any middleware could refuse it.

    A JSON body sent without a content type or as `text/plain` (what many HTTP tools send by default) is read
    as JSON: its Content-Type header in `event` becomes `application/json` for the resolver."""
    return too_large(event) or too_deep(event) or unsupported_media_type(event) or unreadable(event)


def too_large(event: dict[str, Any]) -> dict[str, Any] | None:
    """413 as an API Gateway proxy answer for a body over the limit, else None."""
    body = event.get("body") or ""
    size = len(body) * 3 // 4 if event.get("isBase64Encoded") else len(body.encode())
    if size <= MAX_BODY_BYTES:
        return None
    return _proxy_error(
        413, "payload_too_large", f"The body is larger than {MAX_BODY_BYTES} bytes.", {"limit_bytes": MAX_BODY_BYTES}
    )


_JSON_STRING = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*"', re.DOTALL)
_NOT_A_BRACKET = bytes(byte for byte in range(256) if byte not in b"[]{}")
_NESTING = {ord("["): 1, ord("{"): 1, ord("]"): -1, ord("}"): -1}


def too_deep(event: dict[str, Any]) -> dict[str, Any] | None:
    """400 for a body nested more than MAX_BODY_DEPTH levels, else None. The bytes are scanned, never parsed:
    brackets inside JSON strings are left out, and the running count of the rest is the depth."""
    body = _body_bytes(event)
    if not body:
        return None
    brackets = _JSON_STRING.sub(b"", body).translate(None, _NOT_A_BRACKET)
    if max(accumulate(map(_NESTING.__getitem__, brackets)), default=0) <= MAX_BODY_DEPTH:
        return None
    return _proxy_error(
        400,
        "body_too_deep",
        f"The body is nested more than {MAX_BODY_DEPTH} levels deep; no request of this API needs more than a few.",
        {"limit_depth": MAX_BODY_DEPTH},
    )


# Read as JSON: many tools send a JSON body as text/plain or without a type (curl -d sends the form type).
_READ_AS_JSON = ("", "text/plain")


def unsupported_media_type(event: dict[str, Any]) -> dict[str, Any] | None:
    """415 for a body sent as a media type other than JSON, else None; a body without a type or as text/plain
    is marked as JSON for the resolver."""
    if not event.get("body"):
        return None
    headers = event.get("headers") or {}
    sent = next((value for key, value in headers.items() if key.lower() == "content-type"), None) or ""
    media_type = sent.split(";", 1)[0].strip().lower()
    if media_type == "application/json":
        return None
    if media_type in _READ_AS_JSON or (media_type.startswith("application/") and media_type.endswith("+json")):
        _mark_json(event)
        return None
    return _proxy_error(
        415,
        "unsupported_media_type",
        "The body must be JSON, sent with the header Content-Type: application/json.",
        {"content_type": sent[:100]},
    )


def _mark_json(event: dict[str, Any]) -> None:
    for name in ("headers", "multiValueHeaders"):
        headers = {key: value for key, value in (event.get(name) or {}).items() if key.lower() != "content-type"}
        headers["Content-Type"] = "application/json" if name == "headers" else ["application/json"]
        event[name] = headers


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def unreadable(event: dict[str, Any]) -> dict[str, Any] | None:
    """400 as an API Gateway proxy answer for a body that is not JSON in UTF-8, else None. Powertools'
    validation turns only a JSON syntax error into a validation error, not bytes that are not UTF-8, and a
    route without a body model parses the body in `_object_body`; either way the function would fail and API
    Gateway answer 502. NaN and Infinity, which Python's parser accepts, are not JSON either."""
    if not event.get("body"):
        return None
    body = _body_bytes(event)
    try:
        if body is None:
            raise ValueError("not base64")
        json.loads(body.decode(), parse_constant=_reject_constant)
    except ValueError:  # not base64, not UTF-8, not JSON, a number of over 4300 digits: each a ValueError
        return _proxy_error(400, "malformed_json", "The body is not valid JSON.")
    return None


def _body_bytes(event: dict[str, Any]) -> bytes | None:
    """The body as bytes; None when a base64 body is not base64."""
    body = event.get("body") or ""
    if not event.get("isBase64Encoded"):
        return str(body).encode("utf-8", "surrogatepass")
    try:
        return base64.b64decode(body, validate=True)
    except ValueError:
        return None


def _proxy_error(status: int, code: str, message: str, details: dict[str, Any] | None = None) -> dict[str, Any]:
    return {
        "statusCode": status,
        "headers": {"Content-Type": content_types.APPLICATION_JSON},
        "body": json.dumps(error_body(code, message, details)),
        "isBase64Encoded": False,
    }


def caller(app: APIGatewayRestResolver) -> Caller:
    """The caller as the authorizer described it in the request context."""
    context = app.current_event.raw_event.get("requestContext", {}).get("authorizer") or {}
    role = context.get("role")
    if role not in _ROLE_NAMES:
        raise errors.Unauthorized("A valid bearer token is required.")
    return Caller(
        role=role,
        credential_id=str(context.get("credential_id", "")),
        authority_id=context.get("authority_id"),
        authority_name=context.get("authority_name"),
        number_kind=context.get("number_kind") if context.get("number_kind") in ("did", "toll_free") else None,
        label=context.get("label") or None,
        activator_id=context.get("activator_id") or None,
        channel=channel(app.current_event.headers.get(CHANNEL_HEADER.lower())),
    )


CHANNEL_HEADER = "X-Crisisline-Channel"


def channel(header: object) -> Channel:
    """The channel a request came by, as the audit trail records it: `console` when the console says so, else
    `api` (any other value too: `phone` is the phone flow's own, never a header's)."""
    return "console" if isinstance(header, str) and header.strip().lower() == "console" else "api"


# ---------------------------------------------------------------------- who may call each route
RouteT = TypeVar("RouteT", bound=Callable[..., Any])
ANONYMOUS: Final = frozenset({"anonymous"})  # a route API Gateway serves without its authorizer
_ROLES_ATTRIBUTE = "__crisisline_roles__"
_READS = frozenset({"GET", "HEAD", "OPTIONS"})
_ROLE_NAMES = {
    "admin": "the crisis center (admin)",
    "authority": "an authority",
    "finance": "finance",
    "operator": "an operator of the call center",
    "d2_agent": "a D2 agent of the FPS Public Health",
    "d2_coordinator": "a D2 coordinator of the FPS Public Health",
}


def roles(*allowed: Role) -> Callable[[RouteT], RouteT]:
    """Declare which roles may call a route, below its `@app.<method>(...)` decorator. Checked before the
    request is validated, so a caller who may not call the route learns that first (403), whatever it sent. A
    route without a declaration lets nobody in (a test lists the template's routes that lack one)."""
    if not allowed:
        raise ValueError("name at least one role, or declare the route @rest.anonymous")

    def declare(route: RouteT) -> RouteT:
        setattr(route, _ROLES_ATTRIBUTE, frozenset(allowed))
        return route

    return declare


def anonymous(route: RouteT) -> RouteT:
    """Declare a route that anyone may call (API Gateway calls no authorizer for it)."""
    setattr(route, _ROLES_ATTRIBUTE, ANONYMOUS)
    return route


def declared_roles(route: Callable[..., Any]) -> frozenset[str] | None:
    """The roles a route function declares, ANONYMOUS, or None when it declares nothing."""
    declared = getattr(route, _ROLES_ATTRIBUTE, None)
    return declared if isinstance(declared, frozenset) else None


def _who_may_call(app: APIGatewayRestResolver) -> None:
    """The caller may call this route, or Unauthorized/Forbidden. A write also re-reads the caller's credential:
    API Gateway's cached authorizer answer keeps a rotated or revoked token valid for up to its TTL, which is
    acceptable for reading, not for changing anything."""
    route = app.context.get("_route")
    declared = declared_roles(route.func) if route is not None else None
    if declared == ANONYMOUS:
        return
    if app._cors is not None and app.current_event.http_method.upper() == "OPTIONS":
        return  # a browser's CORS preflight: it carries no token, and Powertools answers it with no route run
    who = caller(app)
    if declared is None or who.role not in declared:
        if declared is None:
            raise errors.Forbidden("Nobody may do this: the route declares no roles.", allowed_roles=[])
        allowed = sorted(declared)
        needed = " or ".join(_ROLE_NAMES[role] for role in allowed)
        raise errors.Forbidden(
            f"Only {needed} may do this; this token belongs to {_ROLE_NAMES[who.role]}.", allowed_roles=allowed
        )
    if app.current_event.http_method.upper() not in _READS:
        _still_current(app, who)


def _still_current(app: APIGatewayRestResolver, who: Caller) -> None:
    token = tokens.bearer_token(app.current_event.headers.get("authorization"))
    config = settings.authorizer()
    credentials = AuthorityStore(client("dynamodb"), credentials_table=config.credentials_table)
    credential = tokens.credential(token, config.token_key_parameter, credentials.credential) if token else None
    if credential is None or credential.get("credential_id") != who.credential_id:
        raise errors.Unauthorized("This token has been replaced or revoked; use the current one.")


class _CallerFirst:
    """Powertools runs its request validation before every middleware a resolver adds; this runs the check of
    who may call in front of it, as the first step of every route."""

    def __init__(self, validation: Callable[..., Any]) -> None:
        self.validation = validation
        self.__name__ = "who_may_call"

    def __call__(self, app: APIGatewayRestResolver, next_middleware: NextMiddleware) -> Any:
        _who_may_call(app)
        return self.validation(app, next_middleware)


def _object_body(app: APIGatewayRestResolver, next_middleware: NextMiddleware) -> Response[dict[str, Any]]:
    # Powertools validates a JSON array against a model by taking its first element; a body is one object.
    # `refused` marked every JSON body application/json; another type reached a route that takes a file.
    sent = app.current_event.headers.get("content-type") or app.current_event.headers.get("Content-Type") or ""
    if sent.split(";", 1)[0].strip().lower() != "application/json":
        return next_middleware(app)
    if app.current_event.body and not isinstance(app.current_event.json_body, dict):
        sentence = "The body must be one JSON object, not a list or a single value."
        return error(422, "validation_error", sentence, {"fields": [{"field": "body", "problem": sentence}]})
    return next_middleware(app)


def _domain_error(failure: errors.DomainError) -> Response[dict[str, Any]]:
    headers = {"Retry-After": str(failure.details["retry_after"])} if "retry_after" in failure.details else None
    if failure.status >= 500:
        logger.warning("store unavailable", extra={"code": failure.code})
        count_failure("StoreUnavailable")
    return error(failure.status, failure.code, failure.message, failure.details, headers)


def _invalid_request(failure: RequestValidationError) -> Response[dict[str, Any]]:
    problems = failure.errors()
    if any(problem.get("type") == "json_invalid" for problem in problems):
        return error(400, "malformed_json", "The body is not valid JSON.")
    fields = [{"field": _dotted(problem.get("loc", ())), "problem": problem_sentence(problem)} for problem in problems]
    sentences = list(dict.fromkeys(field["problem"] for field in fields))  # each once, in the order found
    return error(422, "validation_error", " ".join(sentences), {"fields": fields})


def _dotted(loc: Any) -> str:
    # loc is (where, *path): where is body, path, query or header; a body's own loc may repeat "body".
    return ".".join(str(part) for part in tuple(loc)[1:] if part != "body") or "body"


def _table_key(loc: Any) -> str:
    key = ""
    for part in tuple(loc)[1:]:
        if part == "body":
            continue
        if isinstance(part, int):
            key += "[]"
        elif part == "[key]":  # a key of an object that is not valid: the key itself is the previous part
            key = key.rsplit(".", 1)[0] + "[key]"
        else:
            key += f".{part}" if key else str(part)
    return key or "body"


def _field_name(loc: Any) -> str:
    key = _table_key(loc)
    return FIELD_NAMES.get(key) or FIELD_NAMES.get(key.replace("[]", "")) or f'the field "{_dotted(loc)}"'


def _choices(expected: str) -> str:
    return expected.replace("'", "")


# A number that is not one, or lies outside its field's range: for a field with a range, its sentence.
_NUMBER_PROBLEMS = frozenset(
    {
        "float_parsing",
        "float_type",
        "finite_number",
        "greater_than",
        "greater_than_equal",
        "less_than",
        "less_than_equal",
    }
)
_TYPE_NAMES = {
    "string_type": "text, in quotes",
    "int_type": "a whole number",
    "int_parsing": "a whole number",
    "int_from_float": "a whole number",
    "bool_type": "true or false",
    "bool_parsing": "true or false",
    "list_type": "a list",
    "dict_type": "an object",
    "model_type": "an object",
    "model_attributes_type": "an object",
    "date_type": "a date written as text, YYYY-MM-DD",
}


def problem_sentence(problem: dict[str, Any]) -> str:
    """One validation problem as a sentence an official understands, naming the field as they know it."""
    kind, loc, ctx = problem.get("type", ""), problem.get("loc", ()), problem.get("ctx") or {}
    name = _field_name(loc)
    subject = name[0].upper() + name[1:]
    key = _table_key(loc)
    character = f" ({ctx['character']})" if "character" in ctx else ""
    if kind == "missing":
        return f"{subject} is missing."
    if kind == "extra_forbidden":
        return f'The request does not take a field "{_dotted(loc)}"; remove it.'
    if kind == "string_too_short":
        minimum = ctx.get("min_length", 1)
        return f"{subject} is empty." if minimum == 1 else f"{subject} needs at least {minimum} characters."
    if kind == "string_too_long":
        return f"{subject} is too long: at most {ctx.get('max_length')} characters."
    if kind == "too_short":
        entries = "entry" if ctx.get("min_length") == 1 else "entries"
        return f"{subject} needs at least {ctx.get('min_length')} {entries}."
    if kind == "too_long":
        return f"{subject} has too many entries: at most {ctx.get('max_length')}."
    if kind in _NUMBER_PROBLEMS and key in FIELD_RANGES:
        return FIELD_RANGES[key]
    if kind == "string_pattern_mismatch":
        return FIELD_FORMATS.get(key) or f"{subject} is not written in the expected form."
    if kind == "literal_error":
        return f"{subject} is one of: {_choices(str(ctx.get('expected', '')))}."
    if kind in ("greater_than_equal", "greater_than", "less_than_equal", "less_than"):
        bound = {
            "greater_than_equal": "at least",
            "greater_than": "more than",
            "less_than_equal": "at most",
            "less_than": "less than",
        }[kind]
        limit = next(value for name_, value in ctx.items() if name_ in ("ge", "gt", "le", "lt"))
        return f"{subject} must be {bound} {limit}."
    if kind in _TYPE_NAMES:
        return f"{subject} must be {_TYPE_NAMES[kind]}."
    if kind == "string_unicode":
        return f"{subject} contains half of a character (a lone surrogate); remove it."
    if kind == "text_control_character":
        return f"{subject} contains a control character{character}; remove it."
    if kind == "text_direction_control":
        return f"{subject} contains a character that changes the direction of the text{character}; remove it."
    if kind == "text_invisible_character":
        return f"{subject} contains an invisible character{character}; remove it."
    if kind == "text_not_visible":
        heard = "callers would hear silence" if key.startswith("message") else "write it out"
        return f"{subject} has no visible text; {heard}."
    if kind == "date_text":
        return f"{subject} is a date written as text, YYYY-MM-DD, for example 2026-02-01."
    if kind == "languages_repeated":
        return f"{subject} names a language twice; name each once."
    if kind == "agreement_not_signed_yet":
        return f"{subject} is in the future; an authority is enrolled once its agreement is signed."
    if kind == "null_in_change":
        return f"{subject} may not be null; leave it out to keep it as it is."
    if kind == "value_error":
        text = str(ctx.get("error", problem.get("msg", ""))).rstrip(".")
        return f"{text}." if text[:1].isupper() else f"{subject}: {text}."
    return f"{subject} is not valid ({str(problem.get('msg', kind)).rstrip('.')})."


def _no_route(_: Exception) -> Response[dict[str, Any]]:
    return error(404, "not_found", "No such resource.")


# What the console sends and reads across origins: its token, its body, revisions and the idempotency key.
CONSOLE_REQUEST_HEADERS = [
    "Authorization",
    "Content-Type",
    "If-Match",
    "If-None-Match",
    "Idempotency-Key",
    "X-Crisisline-Channel",
]
CONSOLE_EXPOSED_HEADERS = ["ETag"]


def console_cors(origin: str) -> CORSConfig | None:
    """CORS for exactly the console's origin, or None when none is set: no CORS headers at all."""
    if not origin:
        return None
    return CORSConfig(
        allow_origin=origin,
        allow_headers=CONSOLE_REQUEST_HEADERS,
        expose_headers=CONSOLE_EXPOSED_HEADERS,
        max_age=600,
    )


def new_resolver(console_origin: str = "") -> APIGatewayRestResolver:
    """A validating resolver with the project's error mapping and body rules, answering CORS for the console's
    origin when one is given (the function's settings, ConsoleAccess)."""
    app = APIGatewayRestResolver(enable_validation=True, cors=console_cors(console_origin))
    # Powertools keeps its request validation here and puts it first of all; who may call goes before it.
    validation = getattr(app, "_request_validation_middleware", None)
    if validation is None:
        raise RuntimeError("Powertools' request validation was not found: who may call would run after it")
    app._request_validation_middleware = _CallerFirst(validation)  # type: ignore[assignment]
    app.use(middlewares=[_object_body])
    app.exception_handler(errors.DomainError)(_domain_error)
    app.exception_handler(RequestValidationError)(_invalid_request)
    app.not_found(_no_route)
    return app
