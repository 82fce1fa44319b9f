"""The activation API behind API Gateway: routes translate HTTP into one logic call and shape the answer.
Every error becomes `{"error": {"code", "message", "details"}}` here and nowhere else."""

from __future__ import annotations

import json
from typing import Annotated, Any, Literal

from aws_lambda_powertools.event_handler import APIGatewayRestResolver, Response, content_types
from aws_lambda_powertools.event_handler.middlewares import NextMiddleware
from aws_lambda_powertools.event_handler.openapi.exceptions import RequestValidationError
from aws_lambda_powertools.event_handler.openapi.params import Header, Path, Query
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

from activate import logic
from crisisline import errors, settings
from crisisline.models import ActivationIn, ActivationPatch, AuthorityIn, Caller, CredentialIn, NumberIn
from crisisline.observability import logger, metrics

MAX_BODY_BYTES = 64 * 1024
settings.api()  # fail the cold start, not the first request, when the environment is incomplete

app = APIGatewayRestResolver(enable_validation=True)
app.enable_swagger(path="/docs", title="crisisline API", version="1.0.0",
                   description="Activate a crisis information line, and read what it costs.")

NisCode = Annotated[str, Path(pattern=r"^[0-9]{5}$")]
ActivationId = Annotated[str, Path(min_length=1, max_length=64)]


def _error_body(code: str, message: str, details: dict[str, Any] | None = None) -> dict[str, Any]:
    return {"error": {"code": code, "message": message, "details": details or {}}}


def _error(status: int, code: str, message: str, details: dict[str, Any] | None = None,
           headers: dict[str, str] | None = None) -> Response[dict[str, Any]]:
    return Response(status_code=status, content_type=content_types.APPLICATION_JSON, headers=headers,
                    body=_error_body(code, message, details))


def _json(status: int, body: Any) -> Response[dict[str, Any]]:
    return Response(status_code=status, content_type=content_types.APPLICATION_JSON, body=body)


def _body_bytes(event: dict[str, Any]) -> int:
    body = event.get("body") or ""
    return len(body) * 3 // 4 if event.get("isBase64Encoded") else len(body.encode())


def _too_large() -> dict[str, Any]:
    """413 as an API Gateway proxy answer. Given before the resolver runs, because Powertools validates (and
    so parses) the body before any middleware could refuse it."""
    body = _error_body("payload_too_large", f"The body is larger than {MAX_BODY_BYTES} bytes.",
                       {"limit_bytes": MAX_BODY_BYTES})
    return {"statusCode": 413, "headers": {"Content-Type": content_types.APPLICATION_JSON},
            "body": json.dumps(body), "isBase64Encoded": False}


def _object_body(app: APIGatewayRestResolver, next_middleware: NextMiddleware) -> Response[dict[str, Any]]:
    # Powertools validates a JSON array against a model by taking its first element; a body is one object.
    if app.current_event.body and not isinstance(app.current_event.json_body, dict):
        return _error(422, "validation_error", "Invalid field(s): body.",
                      {"fields": [{"field": "body", "problem": "must be a JSON object"}]})
    return next_middleware(app)


app.use(middlewares=[_object_body])


def caller() -> Caller:
    """The caller as the authorizer described it in the request context."""
    context = app.current_event.raw_event.get("requestContext", {}).get("authorizer") or {}
    role = context.get("role")
    if role not in ("admin", "authority", "finance"):
        raise errors.Unauthorized("A valid bearer token is required.")
    return Caller(role=role, credential_id=str(context.get("credential_id", "")),
                  authority_id=context.get("authority_id"), authority_name=context.get("authority_name"))


@app.exception_handler(errors.DomainError)
def _domain_error(error: errors.DomainError) -> Response[dict[str, Any]]:
    headers = {"Retry-After": str(error.details["retry_after"])} if "retry_after" in error.details else None
    if error.status >= 500:
        logger.warning("store unavailable", extra={"code": error.code})
    return _error(error.status, error.code, error.message, error.details, headers)


@app.exception_handler(RequestValidationError)
def _invalid_request(error: RequestValidationError) -> Response[dict[str, Any]]:
    problems = error.errors()
    if any(problem.get("type") == "json_invalid" for problem in problems):
        return _error(400, "malformed_json", "The body is not valid JSON.")
    fields = [{"field": ".".join(str(part) for part in problem.get("loc", ())[1:] if part != "body") or "body",
               "problem": problem.get("msg", "invalid")} for problem in problems]
    names = ", ".join(sorted({field["field"] for field in fields}))
    return _error(422, "validation_error", f"Invalid field(s): {names}.", {"fields": fields})


@app.not_found
def _no_route(_: Exception) -> Response[dict[str, Any]]:
    return _error(404, "not_found", "No such resource.")


# ---------------------------------------------------------------------- health
@app.get("/health", tags=["health"])
def health() -> dict[str, str]:
    return {"status": "ok"}


# ---------------------------------------------------------------------- authorities and credentials
@app.post("/authorities", tags=["authorities"], summary="Enrol an authority (admin); its token is shown once")
def create_authority(authority: AuthorityIn) -> Response[dict[str, Any]]:
    return _json(201, logic.enrol_authority(caller(), authority, logic.default_store()))


@app.get("/authorities", tags=["authorities"])
def list_authorities() -> Response[dict[str, Any]]:
    return _json(200, {"authorities": logic.list_authorities(caller(), logic.default_store())})


@app.get("/authorities/<authority_id>", tags=["authorities"])
def get_authority(authority_id: NisCode) -> Response[dict[str, Any]]:
    return _json(200, logic.get_authority(caller(), authority_id, logic.default_store()))


@app.post("/authorities/<authority_id>/token", tags=["authorities"], summary="Rotate an authority's token (admin)")
def rotate_token(authority_id: NisCode) -> Response[dict[str, Any]]:
    return _json(201, logic.rotate_token(caller(), authority_id, logic.default_store()))


@app.post("/authorities/<authority_id>/revoke", tags=["authorities"], summary="End an enrolment (admin)")
def revoke_authority(authority_id: NisCode) -> Response[dict[str, Any]]:
    return _json(200, logic.revoke_authority(caller(), authority_id, logic.default_store()))


@app.post("/credentials", tags=["authorities"], summary="Issue a finance or admin token (admin)")
def create_credential(credential: CredentialIn) -> Response[dict[str, Any]]:
    return _json(201, logic.create_credential(caller(), credential.role, logic.default_store()))


# ---------------------------------------------------------------------- pool numbers
@app.post("/numbers", tags=["numbers"], summary="Add a pre-provisioned Connect number to the pool (admin)")
def add_number(number: NumberIn) -> Response[dict[str, Any]]:
    return _json(201, logic.add_number(caller(), number, logic.default_store()))


@app.get("/numbers", tags=["numbers"])
def list_numbers() -> Response[dict[str, Any]]:
    return _json(200, {"numbers": logic.list_numbers(caller(), logic.default_store())})


# ---------------------------------------------------------------------- activations
@app.post("/activations", tags=["activations"], summary="Open the authority's crisis line")
def create_activation(
    activation: ActivationIn,
    idempotency_key: Annotated[str | None, Header(alias="idempotency-key", min_length=1, max_length=100,
                                                  pattern=r"^[\x21-\x7e]+$")] = None,
) -> Response[dict[str, Any]]:
    opened = logic.open_activation(caller(), activation, logic.default_store(), idempotency_key,
                                   app.lambda_context)
    metrics.add_metric(name="ActivationsOpened", unit=MetricUnit.Count, value=1)
    return _json(201, opened)


@app.get("/activations", tags=["activations"])
def list_activations(status: Annotated[Literal["live", "closed"] | None, Query()] = None) -> Response[dict[str, Any]]:
    return _json(200, {"activations": logic.list_activations(caller(), logic.default_store(), status)})


@app.get("/activations/<activation_id>", tags=["activations"])
def get_activation(activation_id: ActivationId) -> Response[dict[str, Any]]:
    return _json(200, logic.get_activation(caller(), activation_id, logic.default_store()))


@app.patch("/activations/<activation_id>", tags=["activations"],
           summary="Change message, languages, D2 line or operators")
def update_activation(activation_id: ActivationId, patch: ActivationPatch) -> Response[dict[str, Any]]:
    return _json(200, logic.update_activation(caller(), activation_id, patch, logic.default_store()))


@app.post("/activations/<activation_id>/close", tags=["activations"], summary="Close the line; idempotent")
def close_activation(activation_id: ActivationId) -> Response[dict[str, Any]]:
    closed, closed_now = logic.close_activation(caller(), activation_id, logic.default_store())
    if closed_now:
        metrics.add_metric(name="ActivationsClosed", unit=MetricUnit.Count, value=1)
    return _json(200, closed)


@app.get("/activations/<activation_id>/audit", tags=["activations"])
def activation_audit(activation_id: ActivationId) -> Response[dict[str, Any]]:
    return _json(200, {"entries": logic.activation_audit(caller(), activation_id, logic.default_store())})


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_REST, log_event=False)
@metrics.log_metrics(raise_on_empty_metrics=False)
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    if _body_bytes(event) > MAX_BODY_BYTES:
        return _too_large()
    return app.resolve(event, context)
