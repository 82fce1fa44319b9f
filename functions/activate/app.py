"""The activation API behind API Gateway: routes translate HTTP into one logic call and shape the answer.
Errors are mapped to HTTP in crisisline.rest, shared with the other API functions."""

from __future__ import annotations

import threading
from typing import Annotated, Any, Literal

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Header, Path, Query
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

from activate import logic
from crisisline import rest, settings
from crisisline.models import ActivationIn, ActivationPatch, AuthorityIn, Caller, CredentialIn, NumberIn
from crisisline.observability import logger, metrics

_one_event_at_a_time = threading.Lock()
settings.api()  # fail the cold start, not the first request, when the environment is incomplete

app = rest.new_resolver()
app.enable_swagger(path="/docs", title="crisisline API", version="1.0.0",
                   description="Activate a crisis information line, and read what it costs.")

NisCode = Annotated[str, Path(pattern=r"^[0-9]{5}$")]
ActivationId = Annotated[str, Path(min_length=1, max_length=64)]


def caller() -> Caller:
    return rest.caller(app)


_json = rest.json_response


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
def _handle(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return rest.too_large(event) or app.resolve(event, context)


def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    # Powertools keeps the current event on the resolver's class (and the correlation id on the one Logger).
    # Lambda hands an environment one event at a time, but the local stack and the tests call this handler
    # from several threads: without the lock a request could run with another request's body and caller.
    # Uncontended, and so free, in Lambda.
    with _one_event_at_a_time:
        return _handle(event, context)
