"""The D2 line's API behind API Gateway (D2Function): the FPS Public Health's staff record relatives'
enquiries about people who may be victims and read them back. Routes translate HTTP into one logic call;
errors are mapped in api.rest, shared with the other API functions. No body, phone number or name is logged."""

from __future__ import annotations

import base64
import json
import urllib.parse
from typing import Annotated, Any, Literal

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Header, Path, Query
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext

from api import rest
from crisisline.aws import client
from crisisline.models import Caller
from crisisline.observability import logger, metrics
from d2 import enquiries, matches
from d2.d2_store import D2Store, d2_settings
from d2.models import EnquiryIn, MatchIn

d2_settings()  # fail the cold start, not the first request, when the environment is incomplete

app = rest.new_resolver(d2_settings().console_origin)

ActivationId = Annotated[str, Path(min_length=1, max_length=64)]
TypedReference = Annotated[
    str, Path(min_length=1, max_length=40, description="as read out, e.g. K7MD-4QX; case, spaces, dashes ignored")
]
REPLAYED = {"Idempotent-Replayed": "true"}


def caller() -> Caller:
    return rest.caller(app)


def store() -> D2Store:
    return D2Store(client("dynamodb"), d2_settings())


@app.post(
    "/activations/<activation_id>/enquiries",
    tags=["d2"],
    summary="Record a relative's enquiry on the activation's D2 line (d2_agent, d2_coordinator)",
    description="Only while the activation is live with a D2 line (409 no_d2_line otherwise). A retry with the "
    "same contact_id (or the same Idempotency-Key) and the same body records nothing new: it answers the "
    "enquiry recorded first, with `Idempotent-Replayed: true`.",
    responses=rest.responses(201, 404, 409, model="Enquiry"),
)
@rest.roles("d2_agent", "d2_coordinator")
def record_enquiry(
    activation_id: ActivationId,
    enquiry: EnquiryIn,
    idempotency_key: Annotated[
        str | None, Header(alias="idempotency-key", min_length=1, max_length=100, pattern=r"^[\x21-\x7e]+$")
    ] = None,
) -> Response[dict[str, Any]]:
    recorded, replayed = enquiries.record_enquiry(caller(), activation_id, enquiry, store(), idempotency_key)
    return rest.json_response(201, recorded, REPLAYED if replayed else None)


@app.get(
    "/activations/<activation_id>/enquiries",
    tags=["d2"],
    summary="The activation's enquiries: a d2_agent's own, all for a d2_coordinator",
    responses=rest.responses(200, 404, 422, model="EnquiryList"),
)
@rest.roles("d2_agent", "d2_coordinator")
def list_enquiries(
    activation_id: ActivationId,
    status: Annotated[Literal["open", "matched", "closed", "deceased"] | None, Query()] = None,
) -> Response[dict[str, Any]]:
    return rest.json_response(200, {"enquiries": enquiries.list_enquiries(caller(), activation_id, store(), status)})


@app.get(
    "/activations/<activation_id>/enquiries/<reference>",
    tags=["d2"],
    summary="One enquiry by its reference (d2_agent: its own; d2_coordinator: any)",
    description="A reference whose check character does not fit answers 422 reference_mistyped: check it.",
    responses=rest.responses(200, 404, 422, model="Enquiry"),
)
@rest.roles("d2_agent", "d2_coordinator")
def get_enquiry(activation_id: ActivationId, reference: TypedReference) -> Response[dict[str, Any]]:
    # A reference read out with a space arrives percent-encoded in the path.
    typed = urllib.parse.unquote(reference)
    return rest.json_response(200, enquiries.get_enquiry(caller(), activation_id, typed, store()))


@app.get(
    "/activations/<activation_id>/d2/audit/verify",
    tags=["d2"],
    summary="Walk the activation's D2 audit chain (d2_coordinator, admin)",
    responses=rest.responses(200, 404, model="D2AuditVerification"),
)
@rest.roles("d2_coordinator", "admin")
def verify_audit(activation_id: ActivationId) -> Response[dict[str, Any]]:
    return rest.json_response(200, enquiries.verify_audit(caller(), activation_id, store()))


# ---------------------------------------------------------------------- lists, candidates and matches
LIST_UPLOAD = "/activations/{activation_id}/lists"
ListSource = Annotated[
    str,
    Query(min_length=1, max_length=80, pattern=r"^[^\x00-\x1f\x7f]+$", description="who sent the list: UZ Brussel"),
]
MatchId = Annotated[str, Path(min_length=1, max_length=64, pattern=r"^[0-9a-f]+$")]


def score_later(event: dict[str, Any]) -> None:
    """Have this function score a large list in an asynchronous invocation of its own."""
    client("lambda").invoke(
        FunctionName=app.lambda_context.invoked_function_arn,
        InvocationType="Event",
        Payload=json.dumps(event).encode(),
    )


def _file_body() -> bytes:
    event = app.current_event
    body = event.body or ""
    return base64.b64decode(body) if event.is_base64_encoded else body.encode("utf-8")


@app.post(
    "/activations/<activation_id>/lists",
    tags=["d2"],
    summary="Upload a list of victims and survivors from one source (d2_coordinator)",
    description="The body is the file itself: CSV (`text/csv`, UTF-8 or Windows-1252) or Excel "
    "(`application/vnd.openxmlformats-officedocument.spreadsheetml.sheet`), at most 5 MB, its first row naming the "
    "columns source_ref, given_names, family_name, birth_date, sex, status, location. A later list from the same "
    "source updates its rows by source_ref. Rows are scored against the open enquiries at once "
    '(`"scoring": "done"`) or, for a large list, just after the answer (`"pending"`). Only while the activation '
    "has a D2 line (409 no_d2_line).",
    responses=rest.responses(201, 404, 409, 422, model="ListUpload"),
)
@rest.roles("d2_coordinator")
def upload_list(activation_id: ActivationId, source: ListSource) -> Response[dict[str, Any]]:
    content_type = app.current_event.headers.get("content-type") or app.current_event.headers.get("Content-Type")
    answer = matches.upload_list(
        caller(), activation_id, source, _file_body(), content_type or "", store(), score_later
    )
    return rest.json_response(201, answer)


@app.get(
    "/activations/<activation_id>/enquiries/<reference>/candidates",
    tags=["d2"],
    summary="The list rows that may be the enquiry's sought person, best first (d2_coordinator)",
    description="Graded A (strong), B (probable) or C (possible), nothing below C; a rejected pair never again.",
    responses=rest.responses(200, 404, 422, model="CandidateList"),
)
@rest.roles("d2_coordinator")
def list_candidates(activation_id: ActivationId, reference: TypedReference) -> Response[dict[str, Any]]:
    typed = urllib.parse.unquote(reference)
    return rest.json_response(200, {"items": matches.candidates(caller(), activation_id, typed, store())})


@app.post(
    "/activations/<activation_id>/matches",
    tags=["d2"],
    summary="Propose that a list row is an enquiry's sought person (d2_coordinator)",
    description="Another coordinator confirms it (four eyes). 409 match_exists when the pair was proposed, "
    "confirmed or rejected before.",
    responses=rest.responses(201, 404, 409, 422, model="Match"),
)
@rest.roles("d2_coordinator")
def propose_match(activation_id: ActivationId, proposal: MatchIn) -> Response[dict[str, Any]]:
    typed = proposal.reference
    return rest.json_response(201, matches.propose(caller(), activation_id, typed, proposal.entry_id, store()))


@app.post(
    "/activations/<activation_id>/matches/<match_id>/confirm",
    tags=["d2"],
    summary="Confirm a proposed match: another coordinator than the proposer (d2_coordinator)",
    description="The enquiry's status becomes matched. The proposer gets 403 four_eyes_required; a match decided "
    "meanwhile 409 match_decided.",
    responses=rest.responses(200, 404, 409, model="Match"),
)
@rest.roles("d2_coordinator")
def confirm_match(activation_id: ActivationId, match_id: MatchId) -> Response[dict[str, Any]]:
    return rest.json_response(200, matches.decide(caller(), activation_id, match_id, "confirmed", store()))


@app.post(
    "/activations/<activation_id>/matches/<match_id>/reject",
    tags=["d2"],
    summary="Reject a proposed match, remembered: the pair is never a candidate again (d2_coordinator)",
    responses=rest.responses(200, 404, 409, model="Match"),
)
@rest.roles("d2_coordinator")
def reject_match(activation_id: ActivationId, match_id: MatchId) -> Response[dict[str, Any]]:
    return rest.json_response(200, matches.decide(caller(), activation_id, match_id, "rejected", store()))


@app.get(
    "/activations/<activation_id>/matches",
    tags=["d2"],
    summary="The activation's matches, e.g. the review queue (status=proposed) (d2_coordinator)",
    responses=rest.responses(200, 404, 422, model="MatchList"),
)
@rest.roles("d2_coordinator")
def list_matches(
    activation_id: ActivationId,
    status: Annotated[Literal["proposed", "confirmed", "rejected"] | None, Query()] = None,
) -> Response[dict[str, Any]]:
    return rest.json_response(200, {"items": matches.list_matches(caller(), activation_id, store(), status)})


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_REST, log_event=False)
@metrics.log_metrics(raise_on_empty_metrics=False)
def _handle(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    if event.get("resource") == LIST_UPLOAD and event.get("httpMethod") == "POST":
        return app.resolve(event, context)  # the body is a file, not JSON: read_list judges it
    return rest.refused(event) or app.resolve(event, context)


@logger.inject_lambda_context(log_event=False)
def _rescore(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    asked = event["d2_rescore"]
    scored = matches.rescore_list(str(asked["activation_id"]), str(asked["list_id"]), store())
    logger.info("list scored", extra={"list_id": asked["list_id"], "candidates": scored})
    return {"candidates": scored}


def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    if "d2_rescore" in event:  # a large list's scoring, invoked asynchronously by an upload
        return _rescore(event, context)
    return _handle(event, context)
