"""Finance's side of the API behind API Gateway: the monthly export, tariff versions and, for admin, the
contact records that matched no activation. Routes translate HTTP into one logic call; errors are mapped in
api.rest, shared with the activation API.

XLSX is binary: the body goes out base64-encoded (`isBase64Encoded`), and API Gateway turns it back into
bytes because the XLSX type is among the API's BinaryMediaTypes and the client asks for it in `Accept`."""

from __future__ import annotations

import base64
from typing import Annotated, Any, cast

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Path, Query
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext

from api import rest
from crisisline.clock import utc_now
from crisisline.models import Caller
from crisisline.observability import logger, metrics
from crisisline.tariffs import TariffIn
from finance import billing
from finance.billing_store import MEDIA_TYPES, BillingStore, finance_api_settings

finance_api_settings()  # fail the cold start, not the first request, when the environment is incomplete

app = rest.new_resolver(finance_api_settings().console_origin)

# Checked by the logic, which says what is wrong with it (not a month, or not begun yet).
Month = Annotated[str, Path(min_length=1, max_length=20)]
# json, csv or xlsx in any case (`CSV` as well as `csv`), spelt out so the API's document says the same.
FORMAT = "^(" + "|".join("".join(f"[{c.lower()}{c.upper()}]" for c in kind) for kind in ("json", "csv", "xlsx")) + ")$"
# Beside the JSON answer (model Export): the same lines as CSV text and as an XLSX workbook.
SPREADSHEET_CONTENT = {
    "text/csv": {"schema": {"type": "string"}},
    MEDIA_TYPES["xlsx"]: {"schema": {"type": "string", "format": "binary"}},
}


def file_name(month: str, export_format: billing.Format) -> str:
    """The name a downloaded export is saved under."""
    return f"crisisline-{month}.{export_format}"


def caller() -> Caller:
    return rest.caller(app)


def store() -> BillingStore:
    return BillingStore(finance_api_settings())


@app.get(
    "/exports/<month>",
    tags=["exports"],
    summary="A month's cost export (finance, admin): json, csv or xlsx; frozen once the month is closed",
    responses=rest.responses(200, 422, model="Export", content=SPREADSHEET_CONTENT),
)
@rest.roles("finance", "admin")
def get_export(
    month: Month,
    written_format: Annotated[str, Query(alias="format", pattern=FORMAT)] = "json",
) -> Response[Any]:
    export_format = cast(billing.Format, written_format.lower())
    answered_format, body = billing.get_export(caller(), month, export_format, store(), utc_now())
    if isinstance(body, dict):
        return rest.json_response(200, body)
    content_type = MEDIA_TYPES[answered_format]
    headers = {"Content-Disposition": f'attachment; filename="{file_name(month, answered_format)}"'}
    if answered_format == "csv":
        return Response(status_code=200, content_type=content_type, body=body.decode("utf-8"), headers=headers)
    # Encoded here, not by Powertools: its response validation would read raw bytes as UTF-8 text.
    binary = Response(status_code=200, content_type=content_type, body=base64.b64encode(body).decode(), headers=headers)
    binary.base64_encoded = True
    return binary


@app.get(
    "/tariffs",
    tags=["tariffs"],
    summary="Every tariff version and the one in force (admin, finance)",
    responses=rest.responses(200, model="Tariffs"),
)
@rest.roles("finance", "admin")
def list_tariffs() -> Response[dict[str, Any]]:
    return rest.json_response(200, billing.list_tariffs(caller(), store(), utc_now()))


@app.put(
    "/tariffs",
    tags=["tariffs"],
    summary="Add a tariff version from a date or instant, not in the past (admin)",
    responses=rest.responses(201, 400, 409, 413, 422, model="TariffVersion"),
)
@rest.roles("admin")
def add_tariff(tariff: TariffIn) -> Response[dict[str, Any]]:
    return rest.json_response(201, billing.add_tariff(caller(), tariff, store(), utc_now()))


@app.get(
    "/unattributed",
    tags=["exports"],
    summary="Contact records that matched no activation (admin)",
    responses=rest.responses(200, 422, model="UnattributedContacts"),
)
@rest.roles("admin")
def list_unattributed(month: Annotated[str, Query(min_length=1, max_length=20)]) -> Response[dict[str, Any]]:
    contacts = billing.unattributed(caller(), month, store(), utc_now())
    return rest.json_response(200, {"month": month, "contacts": contacts})


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_REST, log_event=False)
@metrics.log_metrics(raise_on_empty_metrics=False)
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return rest.refused(event) or app.resolve(event, context)
