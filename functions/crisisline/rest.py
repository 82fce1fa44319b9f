"""What every function behind the REST API shares: the resolver with its error mapping, the caller from the
authorizer's context, and the body size limit. Domain errors become `{"error": {"code", "message",
"details"}}` here and nowhere else."""

from __future__ import annotations

import base64
import json
from typing import Any

from aws_lambda_powertools.event_handler import APIGatewayRestResolver, Response, content_types
from aws_lambda_powertools.event_handler.middlewares import NextMiddleware
from aws_lambda_powertools.event_handler.openapi.exceptions import RequestValidationError
from aws_lambda_powertools.event_handler.openapi.types import OpenAPIResponse
from pydantic import BaseModel, ConfigDict

from crisisline import errors
from crisisline.models import Caller
from crisisline.observability import logger

MAX_BODY_BYTES = 64 * 1024


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
    400: "The body is not valid JSON (malformed_json).",
    401: "No token, or not a valid one (unauthorized).",
    403: "This role may not do this (forbidden).",
    404: "No such resource, or another authority's: its existence is not revealed (not_found).",
    409: "The request conflicts with the current state; the code says how.",
    412: "If-Match names a revision the activation no longer has: someone else changed it (precondition_failed).",
    413: f"The body is larger than {MAX_BODY_BYTES} bytes (payload_too_large).",
    422: "A field is invalid; details.fields names it (validation_error).",
    429: "Too many requests: API Gateway's throttle (throttled).",
    503: "The state store or the authorizer did not answer in time; retry after Retry-After seconds (unavailable).",
}
# Any route behind the authorizer: a bad token, the wrong role, the throttle, a store that does not answer.
AUTHORIZED_ERRORS = (401, 403, 429, 503)
# Any route, given a body: not JSON, too large, not one JSON object.
BODY_ERRORS = (400, 413, 422)


def responses(success: int, *error_statuses: int, authorized: bool = True,
              content: dict[str, Any] | None = None) -> dict[int, OpenAPIResponse]:
    """The OpenAPI responses of a route: its success status (content from the route's return type unless
    given) and every error status it can answer, each with the error body, so that the document says what
    the API really answers."""
    documented: dict[int, OpenAPIResponse] = {success: {"description": "Success"}}
    if content is not None:
        documented[success]["content"] = content
    for status in sorted({*BODY_ERRORS, *error_statuses, *(AUTHORIZED_ERRORS if authorized else ())}):
        answer: OpenAPIResponse = {"description": ERROR_STATUSES[status],
                                   "content": {content_types.APPLICATION_JSON: {"model": ErrorBody}}}
        if status == 503:
            answer["headers"] = {"Retry-After": {"description": "Seconds to wait before retrying",
                                                 "schema": {"type": "string"}}}
        documented[status] = answer
    return documented


def error_body(code: str, message: str, details: dict[str, Any] | None = None) -> dict[str, Any]:
    return {"error": {"code": code, "message": message, "details": details or {}}}


def error(status: int, code: str, message: str, details: dict[str, Any] | None = None,
          headers: dict[str, str] | None = None) -> Response[dict[str, Any]]:
    return Response(status_code=status, content_type=content_types.APPLICATION_JSON, headers=headers,
                    body=error_body(code, message, details))


def json_response(status: int, body: Any, headers: dict[str, str] | None = None) -> Response[dict[str, Any]]:
    return Response(status_code=status, content_type=content_types.APPLICATION_JSON, body=body, headers=headers)


def too_large(event: dict[str, Any]) -> dict[str, Any] | None:
    """413 as an API Gateway proxy answer for a body over the limit, else None. Checked before the resolver
    runs, because Powertools validates (and so parses) the body before any middleware could refuse it."""
    body = event.get("body") or ""
    size = len(body) * 3 // 4 if event.get("isBase64Encoded") else len(body.encode())
    if size <= MAX_BODY_BYTES:
        return None
    return _proxy_error(413, "payload_too_large", f"The body is larger than {MAX_BODY_BYTES} bytes.",
                        {"limit_bytes": MAX_BODY_BYTES})


def unreadable(event: dict[str, Any]) -> dict[str, Any] | None:
    """400 as an API Gateway proxy answer for a body that is not JSON in UTF-8, else None. Checked before the
    resolver runs: Powertools' validation turns only a JSON syntax error into a validation error, not bytes that
    are not UTF-8, and a route without a body model parses the body in `_object_body`; either way the function
    failed and API Gateway answered 502."""
    body = event.get("body")
    if not body:
        return None
    try:
        json.loads(base64.b64decode(body, validate=True).decode() if event.get("isBase64Encoded") else body)
    except ValueError:  # not base64, not UTF-8, not JSON: each a ValueError
        return _proxy_error(400, "malformed_json", "The body is not valid JSON.")
    return None


def _proxy_error(status: int, code: str, message: str, details: dict[str, Any] | None = None) -> dict[str, Any]:
    return {"statusCode": status, "headers": {"Content-Type": content_types.APPLICATION_JSON},
            "body": json.dumps(error_body(code, message, details)), "isBase64Encoded": False}


def caller(app: APIGatewayRestResolver) -> Caller:
    """The caller as the authorizer described it in the request context."""
    context = app.current_event.raw_event.get("requestContext", {}).get("authorizer") or {}
    role = context.get("role")
    if role not in ("admin", "authority", "finance"):
        raise errors.Unauthorized("A valid bearer token is required.")
    return Caller(role=role, credential_id=str(context.get("credential_id", "")),
                  authority_id=context.get("authority_id"), authority_name=context.get("authority_name"),
                  number_kind=context.get("number_kind") if context.get("number_kind") in ("did", "toll_free")
                  else None)


def _object_body(app: APIGatewayRestResolver, next_middleware: NextMiddleware) -> Response[dict[str, Any]]:
    # Powertools validates a JSON array against a model by taking its first element; a body is one object.
    if app.current_event.body and not isinstance(app.current_event.json_body, dict):
        return error(422, "validation_error", "Invalid field(s): body.",
                     {"fields": [{"field": "body", "problem": "must be a JSON object"}]})
    return next_middleware(app)


def _domain_error(failure: errors.DomainError) -> Response[dict[str, Any]]:
    headers = {"Retry-After": str(failure.details["retry_after"])} if "retry_after" in failure.details else None
    if failure.status >= 500:
        logger.warning("store unavailable", extra={"code": failure.code})
    return error(failure.status, failure.code, failure.message, failure.details, headers)


def _invalid_request(failure: RequestValidationError) -> Response[dict[str, Any]]:
    problems = failure.errors()
    if any(problem.get("type") == "json_invalid" for problem in problems):
        return error(400, "malformed_json", "The body is not valid JSON.")
    fields = [{"field": ".".join(str(part) for part in problem.get("loc", ())[1:] if part != "body") or "body",
               "problem": problem.get("msg", "invalid")} for problem in problems]
    names = ", ".join(sorted({field["field"] for field in fields}))
    return error(422, "validation_error", f"Invalid field(s): {names}.", {"fields": fields})


def _no_route(_: Exception) -> Response[dict[str, Any]]:
    return error(404, "not_found", "No such resource.")


def new_resolver() -> APIGatewayRestResolver:
    """A validating resolver with the project's error mapping and body rules."""
    app = APIGatewayRestResolver(enable_validation=True)
    app.use(middlewares=[_object_body])
    app.exception_handler(errors.DomainError)(_domain_error)
    app.exception_handler(RequestValidationError)(_invalid_request)
    app.not_found(_no_route)
    return app
