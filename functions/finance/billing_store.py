"""The one place the finance side speaks AWS: activations overlapping a month, the month's usage aggregates,
tariff versions, the months table (frozen or not) and the frozen files in S3. `ClientError` becomes a domain
error here."""

from __future__ import annotations

import base64
import os
from collections.abc import Iterator
from functools import cache
from typing import Any, Literal

from botocore.config import Config
from botocore.exceptions import ClientError
from pydantic import Field

from crisisline import dynamo, environment, errors
from crisisline.aws import API_CLIENT_CONFIG, client
from crisisline.dynamo import error_code, from_item, to_item, to_value, translated_errors
from crisisline.settings import ConsoleAccess, _Env, load
from ingest.settings import MeterSettings

# SSE-KMS objects are read only with Signature Version 4, presigned URLs included (boto3 would presign with
# Signature Version 2 in us-east-1), and through the regional endpoint (virtual-hosted style).
_S3_CONFIG = API_CLIENT_CONFIG.merge(Config(signature_version="s3v4", s3={"addressing_style": "virtual"}))
_LOCAL_S3_CONFIG = API_CLIENT_CONFIG.merge(Config(signature_version="s3v4", s3={"addressing_style": "path"}))
DOWNLOAD_SECONDS = 900
Format = Literal["json", "csv", "xlsx"]
# The media type of each export format: S3 keeps a frozen file under it (a download arrives as that type), and
# the finance API answers with it.
MEDIA_TYPES: dict[Format, str] = {
    "json": "application/json",
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
_ACTIVATION_FIELDS = (
    "id",
    "authority_id",
    "authority_name",
    "number",
    "number_kind",
    "status",
    "opened_at",
    "closed_at",
    "operator_timeline",
    "opened_by",
    "channel",
)


class ExportSettings(_Env):
    """The month close's (MonthCloseFunction), and the tables and bucket every export reads."""

    activations_table: str = Field(min_length=3)
    usage_table: str = Field(min_length=3)
    months_table: str = Field(min_length=3)
    tariffs_table: str = Field(min_length=3)
    exports_bucket: str = Field(min_length=3)


class FinanceApiSettings(ExportSettings, ConsoleAccess):
    """The finance API's (ExportFunction): an export's tables and bucket, the contact records that matched no
    activation, and the credentials a write re-checks (see `crisisline.settings.AuthorizerSettings`)."""

    contacts_table: str = Field(min_length=3)
    credentials_table: str = Field(min_length=3)
    token_key_parameter: str = Field(min_length=2)


@environment.settings
def export_settings() -> ExportSettings:
    return load(ExportSettings)


@environment.settings
def finance_api_settings() -> FinanceApiSettings:
    return load(FinanceApiSettings)


@cache
def _s3(endpoint_url: str | None) -> Any:
    import boto3

    return boto3.client("s3", config=_LOCAL_S3_CONFIG if endpoint_url else _S3_CONFIG)  # type: ignore[call-overload]


class BillingStore:
    """DynamoDB and S3 access for exports, tariffs and month close (tables in template.yaml)."""

    def __init__(self, settings: ExportSettings | None = None, dynamodb: Any = None, s3: Any = None) -> None:
        self.tables = settings or export_settings()
        self.ddb = dynamodb or client("dynamodb")
        self._s3_client = s3

    @property
    def s3(self) -> Any:
        if self._s3_client is None:
            self._s3_client = _s3(os.environ.get("AWS_ENDPOINT_URL"))
        return self._s3_client

    # ------------------------------------------------------------------ activations and usage
    def activations_overlapping(self, start: str, end: str) -> list[dict[str, Any]]:
        """Activations opened before `end` and not closed before `start` (ISO instants). A scan: activations
        are few (dozens a year) and their number, not the number of calls, is what it reads."""
        names = {f"#a{i}": name for i, name in enumerate(_ACTIVATION_FIELDS)}
        return list(
            self._pages(
                "scan",
                TableName=self.tables.activations_table,
                ProjectionExpression=", ".join(names),
                FilterExpression="attribute_exists(#a6) AND #a6 < :end"
                " AND (attribute_not_exists(#a7) OR #a7 >= :start)",
                ExpressionAttributeNames=names,
                ExpressionAttributeValues={":start": to_value(start), ":end": to_value(end)},
            )
        )

    def activations(self, ids: list[str]) -> list[dict[str, Any]]:
        """Activations by id (for adjustment lines of activations no longer live in the month)."""
        found: list[dict[str, Any]] = []
        names = {f"#a{i}": name for i, name in enumerate(_ACTIVATION_FIELDS)}
        for first in range(0, len(ids), 100):
            request: dict[str, Any] = {
                self.tables.activations_table: {
                    "Keys": [to_item({"id": i}) for i in ids[first : first + 100]],
                    "ProjectionExpression": ", ".join(names),
                    "ExpressionAttributeNames": names,
                }
            }
            while request:
                with translated_errors():
                    answer = self.ddb.batch_get_item(RequestItems=request)
                found.extend(from_item(item) for item in answer["Responses"].get(self.tables.activations_table, []))
                request = answer.get("UnprocessedKeys") or {}
        return found

    def _usage(self) -> Any:
        # Metering owns the usage and contacts tables; their reads are its store's, given this function's tables
        # (already validated; the month close has no contacts table, and reads none).
        from ingest.usage_store import UsageStore

        tables = MeterSettings.model_construct(
            contacts_table=getattr(self.tables, "contacts_table", ""),
            usage_table=self.tables.usage_table,
            months_table=self.tables.months_table,
            activations_table=self.tables.activations_table,
        )
        return UsageStore(tables, self.ddb)

    def usage_for_month(self, month: str) -> list[dict[str, Any]]:
        """Every usage aggregate booked in `month`: the month's own (`period` = month) and adjustments for
        frozen months (`period` = month#adjusts#frozen month), from metering's by-month index."""
        return self._usage().usage_for_month(month)  # type: ignore[no-any-return]

    def usage_consistent(self, activation_ids: list[str], month: str) -> list[dict[str, Any]]:
        """The same, read strongly consistent from the table itself, one query per activation: month close
        uses it right after marking the month frozen, when the index may still lag a write by a moment."""
        rows: list[dict[str, Any]] = []
        for activation_id in activation_ids:
            rows.extend(
                self._pages(
                    "query",
                    TableName=self.tables.usage_table,
                    ConsistentRead=True,
                    KeyConditionExpression="activation_id = :a AND begins_with(period, :m)",
                    ExpressionAttributeValues={":a": to_value(activation_id), ":m": to_value(month)},
                )
            )
        return rows

    def unattributed(self, month: str) -> list[dict[str, Any]]:
        """Contact records of `month` that matched no activation (metering keeps them, never drops them)."""
        return self._usage().unattributed(month)  # type: ignore[no-any-return]

    # ------------------------------------------------------------------ tariffs
    def tariff_versions(self) -> list[dict[str, Any]]:
        return list(self._pages("scan", TableName=self.tables.tariffs_table, ConsistentRead=True))

    def add_tariff_version(self, version: dict[str, Any]) -> None:
        """Store a version; a second version with the same effective_from is refused."""
        try:
            with translated_errors():
                self.ddb.put_item(
                    TableName=self.tables.tariffs_table,
                    Item=to_item(version),
                    ConditionExpression="attribute_not_exists(effective_from)",
                )
        except ClientError as error:
            if error_code(error) == "ConditionalCheckFailedException":
                raise errors.Conflict(
                    "A tariff version with this effective_from exists already.",
                    effective_from=version["effective_from"],
                ) from error
            raise

    # ------------------------------------------------------------------ months
    def month_record(self, month: str) -> dict[str, Any] | None:
        with translated_errors():
            answer = self.ddb.get_item(
                TableName=self.tables.months_table, Key=to_item({"month": month}), ConsistentRead=True
            )
        item = answer.get("Item")
        return from_item(item) if item else None

    def mark_frozen(self, month: str, frozen_at: str) -> bool:
        """Mark the month frozen, once: from then on metering books late records as adjustments. False when
        it was frozen already."""
        try:
            with translated_errors():
                self.ddb.update_item(
                    TableName=self.tables.months_table,
                    Key=to_item({"month": month}),
                    UpdateExpression="SET frozen_at = :at",
                    ConditionExpression="attribute_not_exists(frozen_at)",
                    ExpressionAttributeValues={":at": to_value(frozen_at)},
                )
        except ClientError as error:
            if error_code(error) == "ConditionalCheckFailedException":
                return False
            raise
        return True

    def record_files(self, month: str, files: dict[str, Any]) -> bool:
        """Record the frozen files' keys and checksums, once. False when another run recorded its own."""
        names = {f"#f{i}": key for i, key in enumerate(files)}
        values = {f":v{i}": to_value(value) for i, value in enumerate(files.values())}
        try:
            with translated_errors():
                self.ddb.update_item(
                    TableName=self.tables.months_table,
                    Key=to_item({"month": month}),
                    UpdateExpression="SET " + ", ".join(f"#f{i} = :v{i}" for i in range(len(files))),
                    ConditionExpression="attribute_exists(frozen_at) AND attribute_not_exists(csv_sha256)",
                    ExpressionAttributeNames=names,
                    ExpressionAttributeValues=values,
                )
        except ClientError as error:
            if error_code(error) == "ConditionalCheckFailedException":
                return False
            raise
        return True

    # ------------------------------------------------------------------ frozen files
    def put_file(self, key: str, body: bytes, export_format: Format, sha256_hex: str) -> None:
        """Write a frozen file in `export_format` (stored as its media type), as a new object only (the bucket
        refuses an upload that could replace one); S3 checks the SHA-256 on arrival (a checksum is also what
        Object Lock requires of an upload). The bucket encrypts it (SSE-KMS) and locks it."""
        with translated_errors():
            self.s3.put_object(
                Bucket=self.tables.exports_bucket,
                Key=key,
                Body=body,
                ContentType=MEDIA_TYPES[export_format],
                ChecksumAlgorithm="SHA256",
                IfNoneMatch="*",
                ChecksumSHA256=base64.b64encode(bytes.fromhex(sha256_hex)).decode(),
                Metadata={"sha256": sha256_hex},
            )

    def get_file(self, key: str) -> bytes:
        with translated_errors():
            answer = self.s3.get_object(Bucket=self.tables.exports_bucket, Key=key)
            return answer["Body"].read()  # type: ignore[no-any-return]

    def download_url(self, key: str, filename: str) -> str:
        """A presigned GET URL (SigV4, valid DOWNLOAD_SECONDS) that saves the file under `filename`."""
        return self.s3.generate_presigned_url(  # type: ignore[no-any-return]
            "get_object",
            ExpiresIn=DOWNLOAD_SECONDS,
            Params={
                "Bucket": self.tables.exports_bucket,
                "Key": key,
                "ResponseContentDisposition": f'attachment; filename="{filename}"',
            },
        )

    # ------------------------------------------------------------------ plumbing
    def _pages(self, operation: str, **request: Any) -> Iterator[dict[str, Any]]:
        return dynamo.pages(self.ddb, operation, **request)
