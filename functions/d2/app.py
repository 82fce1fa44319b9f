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
from crisisline.models import Caller, Name
from crisisline.observability import logger, metrics
from d2 import callbacks, enquiries, matches, privacy, related, similar
from d2.d2_store import D2Store, d2_settings
from d2.models import BirthDate, CallbackDoneIn, DisclosureIn, EnquiryIn, LinkIn, MatchIn, RetentionIn

d2_settings()  # fail the cold start, not the first request, when the environment is incomplete

app = rest.new_resolver(d2_settings().console_origin)

ActivationId = Annotated[str, Path(min_length=1, max_length=64)]
PersonId = Annotated[str, Path(min_length=1, max_length=64)]
EntryId = Annotated[str, Path(min_length=1, max_length=200)]
CallbackId = Annotated[str, Path(min_length=1, max_length=200)]
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
    "/activations/<activation_id>/enquiries/similar",
    tags=["d2"],
    summary="Enquiries already recorded about someone alike, for the intake's warning (d2_agent, d2_coordinator)",
    description="Found through the matching engine's blocking keys. A d2_agent gets the count and the references of "
    "its own enquiries only; a d2_coordinator the references and grades (A strong, B probable, C possible) of all. "
    "Closed enquiries are left out.",
    responses=rest.responses(200, 404, 422, model="SimilarEnquiries"),
)
@rest.roles("d2_agent", "d2_coordinator")
def similar_enquiries(
    activation_id: ActivationId,
    family_name: Annotated[Name, Query()],
    given_names: Annotated[Name | None, Query()] = None,
    birth_date: Annotated[BirthDate | None, Query(description="YYYY, YYYY-MM or YYYY-MM-DD")] = None,
) -> Response[dict[str, Any]]:
    found = similar.similar_enquiries(caller(), activation_id, store(), given_names or "", family_name, birth_date)
    return rest.json_response(200, found)


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


# ---------------------------------------------------------------------- figures, export, retention
EXPORT_MEDIA_TYPES = {"pfif": "application/xml", "csv": "text/csv"}
EXPORT_EXTENSIONS = {"pfif": "xml", "csv": "csv"}
PFIF_DOMAIN = "crisisline.health.belgium.be"


@app.get(
    "/activations/<activation_id>/d2/figures",
    tags=["d2"],
    summary='The activation\'s D2 figures, counts only, under 5 shown as "<5" (its authority, admin, d2_coordinator)',
    description="Kept after the purge: answered from the archive then (`purged: true`).",
    responses=rest.responses(200, 404, model="D2Figures"),
)
@rest.roles("authority", "admin", "d2_coordinator")
def get_figures(activation_id: ActivationId) -> Response[dict[str, Any]]:
    return rest.json_response(200, privacy.activation_figures(caller(), activation_id, store()))


@app.get(
    "/activations/<activation_id>/d2/export",
    tags=["d2"],
    summary="The activation's D2 persons and notes for the FPS Public Health: PFIF 1.4 or CSV (d2_coordinator)",
    description="Audited. 410 d2_purged once the activation's D2 data was erased.",
    responses=rest.responses(
        200,
        404,
        410,
        content={
            "application/xml": {"schema": {"type": "string"}},
            "text/csv": {"schema": {"type": "string"}},
        },
    ),
)
@rest.roles("d2_coordinator")
def get_export(
    activation_id: ActivationId,
    written_format: Annotated[Literal["pfif", "csv"], Query(alias="format")] = "pfif",
) -> Response[Any]:
    body, _ = privacy.export_d2(caller(), activation_id, written_format, store(), PFIF_DOMAIN)
    name = f"crisisline-d2-{activation_id}.{EXPORT_EXTENSIONS[written_format]}"
    headers = {"Content-Disposition": f'attachment; filename="{name}"'}
    return Response(
        status_code=200,
        content_type=f"{EXPORT_MEDIA_TYPES[written_format]}; charset=utf-8",
        body=body.decode("utf-8"),
        headers=headers,
    )


@app.get(
    "/activations/<activation_id>/d2/retention",
    tags=["d2"],
    summary="How long after the activation closes its D2 data is kept (d2_coordinator)",
    responses=rest.responses(200, 404, 410, model="D2Retention"),
)
@rest.roles("d2_coordinator")
def get_retention(activation_id: ActivationId) -> Response[dict[str, Any]]:
    days = d2_settings().d2_retention_days
    return rest.json_response(200, privacy.get_retention(caller(), activation_id, store(), days))


@app.post(
    "/activations/<activation_id>/d2/retention",
    tags=["d2"],
    summary="Keep the activation's D2 data longer after it closes, with a reason (d2_coordinator; never shorter)",
    responses=rest.responses(200, 404, 410, model="D2Retention"),
)
@rest.roles("d2_coordinator")
def extend_retention(activation_id: ActivationId, retention: RetentionIn) -> Response[dict[str, Any]]:
    days = d2_settings().d2_retention_days
    extended = privacy.extend_retention(caller(), activation_id, retention.days, retention.reason, store(), days)
    return rest.json_response(200, extended)


# ---------------------------------------------------------------------- related enquiries and links
@app.get(
    "/activations/<activation_id>/enquiries/<reference>/related",
    tags=["d2"],
    summary="Other enquiries that seem to be about the same person, with the evidence (d2_coordinator)",
    description="Found through the matching engine's blocking keys; `linked` says whether a coordinator linked "
    "the two persons. Nothing is linked automatically.",
    responses=rest.responses(200, 404, 422, model="RelatedEnquiries"),
)
@rest.roles("d2_coordinator")
def related_enquiries(activation_id: ActivationId, reference: TypedReference) -> Response[dict[str, Any]]:
    typed = urllib.parse.unquote(reference)
    return rest.json_response(200, {"items": related.related(caller(), activation_id, typed, store())})


@app.post(
    "/activations/<activation_id>/persons/<person_id>/links",
    tags=["d2"],
    summary="Link the sought persons of two enquiries as one person (d2_coordinator)",
    description="Written both ways and audited; a person is not linked to themself (422), nor to a person of "
    "another activation (404).",
    responses=rest.responses(201, 404, 422, model="PersonLink"),
)
@rest.roles("d2_coordinator")
def link_persons(activation_id: ActivationId, person_id: PersonId, other: LinkIn) -> Response[dict[str, Any]]:
    return rest.json_response(201, related.link(caller(), activation_id, person_id, other.person_id, store()))


@app.delete(
    "/activations/<activation_id>/persons/<person_id>/links/<other_person_id>",
    tags=["d2"],
    summary="Undo a link between two sought persons (d2_coordinator)",
    responses=rest.responses(204, 404, 422, content={}),  # 204: no body
)
@rest.roles("d2_coordinator")
def unlink_persons(activation_id: ActivationId, person_id: PersonId, other_person_id: PersonId) -> Response[None]:
    related.unlink(caller(), activation_id, person_id, other_person_id, store())
    return Response(status_code=204, body=None)


# ---------------------------------------------------------------------- callbacks
@app.get(
    "/activations/<activation_id>/callbacks",
    tags=["d2"],
    summary="Relatives to call back: due now or done (d2_coordinator all; d2_agent the news and interim calls "
    "of their enquiries)",
    description="A confirmed match makes a task for each enquiry about that person whose enquirer consented; an "
    "enquiry without news for D2_NO_NEWS_HOURS gets an interim call. A death is never told by the line: its task "
    "is for a coordinator, to pass to the police victim assistance service. `say` is in the enquirer's language.",
    responses=rest.responses(200, 404, 422, model="Callbacks"),
)
@rest.roles("d2_agent", "d2_coordinator")
def list_callbacks(
    activation_id: ActivationId, status: Annotated[Literal["due", "done"], Query()] = "due"
) -> Response[dict[str, Any]]:
    found = callbacks.list_callbacks(caller(), activation_id, store(), status, d2_settings().d2_no_news_hours)
    return rest.json_response(200, {"items": found})


@app.post(
    "/activations/<activation_id>/callbacks/<callback_id>/done",
    tags=["d2"],
    summary="Report a callback: reached, no answer (the task stays due) or a wrong number",
    responses=rest.responses(201, 404, 422, model="CallbackDone"),
)
@rest.roles("d2_agent", "d2_coordinator")
def callback_done(
    activation_id: ActivationId, callback_id: CallbackId, done: CallbackDoneIn
) -> Response[dict[str, Any]]:
    recorded = callbacks.record_done(
        caller(), activation_id, callback_id, done.outcome, done.note, store(), d2_settings().d2_no_news_hours
    )
    return rest.json_response(201, recorded)


@app.post(
    "/activations/<activation_id>/entries/<entry_id>/disclosure",
    tags=["d2"],
    summary="Record whether a found person refused that their whereabouts be told (d2_coordinator)",
    description="With a refusal, a callback says only that the person is safe and does not wish their "
    "whereabouts shared (the ICRC rule).",
    responses=rest.responses(200, 404, 422, model="EntryDisclosure"),
)
@rest.roles("d2_coordinator")
def entry_disclosure(
    activation_id: ActivationId, entry_id: EntryId, disclosure: DisclosureIn
) -> Response[dict[str, Any]]:
    updated = callbacks.set_disclosure(caller(), activation_id, entry_id, disclosure.refused, store())
    return rest.json_response(200, updated)


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
