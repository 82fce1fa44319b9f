"""Month close freezes the month before: marked frozen first, then its CSV, XLSX and JSON written to S3 with
SHA-256 checksums and recorded. From then on the export is the frozen copy, unchanged by a late contact record,
which metering books as an adjustment line in the next open month. Closing twice changes nothing."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import pytest

from crisisline.dynamo import from_item
from finance import billing
from finance.billing_store import BillingStore
from infra.local import template
from infra.local.stack import LambdaContext
from tests.billing_support import XLSX, csv_rows, finance, finance_env, put_activation, put_usage, table, xlsx_rows
from tests.conftest import Api, table_items
from tests.test_meter_ingest import Stream, deliver, record

__all__ = ["finance", "finance_env"]  # fixtures

CLOSING = datetime(2026, 11, 1, 5, 0, tzinfo=UTC)  # 1 November 2026, 06:00 in Brussels
BUCKET = template.physical_bucket_name("ExportsBucket")


@pytest.fixture
def october(aws: None, finance_env: None) -> None:
    put_activation("gent-oct", "2026-10-05T10:00", "2026-10-05T13:00", operators=2)
    put_activation(
        "brussels-oct",
        "2026-10-31T22:00",
        "2026-11-01T03:00",
        authority_id="21004",
        authority_name="Ville de Bruxelles / Stad Brussel",
        number="+3280012346",
    )
    put_usage("gent-oct", "2026-10", calls=20, answered_calls=18, abandoned_calls=2, call_seconds=3000)
    put_usage("brussels-oct", "2026-10", calls=5, answered_calls=5, call_seconds=600)


def close(month: str | None = None, now: datetime = CLOSING) -> dict[str, Any]:
    from finance.month_close import lambda_handler

    return lambda_handler({"month": month} if month else {}, LambdaContext("MonthCloseFunction"), now=now)


def month_item(month: str) -> dict[str, Any]:
    answer = boto3.client("dynamodb").get_item(TableName=table("MonthsTable"), Key={"month": {"S": month}})
    return from_item(answer["Item"])


def test_closing_writes_the_months_files_with_their_checksums_and_records_them(october: None) -> None:
    result = close()
    assert result["month"] == "2026-10" and result["frozen_now"] is True  # the month before 1 November
    item = month_item("2026-10")
    assert item["frozen_at"] <= item["files_written_at"]
    s3 = boto3.client("s3")
    for kind in ("csv", "xlsx", "json"):
        body = s3.get_object(Bucket=BUCKET, Key=item[f"{kind}_key"])["Body"].read()
        assert hashlib.sha256(body).hexdigest() == item[f"{kind}_sha256"]
    csv_file = s3.get_object(Bucket=BUCKET, Key=item["csv_key"])["Body"].read()
    assert {row["activation_id"] for row in csv_rows(csv_file) if row["line"] == "activation"} == {
        "gent-oct",
        "brussels-oct",
    }
    assert all(row["provisional"] == "no" for row in csv_rows(csv_file))


def test_a_frozen_file_downloads_as_its_own_media_type(october: None) -> None:
    item = month_item(close()["month"])
    s3 = boto3.client("s3")
    stored = {kind: s3.head_object(Bucket=BUCKET, Key=item[f"{kind}_key"])["ContentType"] for kind in ("csv", "xlsx")}
    assert stored == {"csv": "text/csv; charset=utf-8", "xlsx": XLSX}


def test_closing_twice_changes_nothing(october: None) -> None:
    first = close("2026-10")
    second = close("2026-10", CLOSING + timedelta(hours=1))
    assert second["frozen_now"] is False
    assert {k: v for k, v in second.items() if k.endswith("_sha256")} == {
        k: v for k, v in first.items() if k.endswith("_sha256")
    }
    objects = boto3.client("s3").list_objects_v2(Bucket=BUCKET).get("Contents", [])
    assert len(objects) == 3


class LosingTheRace(BillingStore):
    """A store on which another run of month close records its files just before this one does."""

    def record_files(self, month: str, files: dict[str, Any]) -> bool:
        billing.freeze_month(month, BillingStore(), CLOSING)
        return super().record_files(month, files)


def test_a_run_that_loses_the_race_leaves_the_winners_files_recorded_and_deletes_nothing(october: None) -> None:
    s3 = boto3.client("s3")
    result = billing.freeze_month("2026-10", LosingTheRace(), CLOSING)
    item = month_item("2026-10")
    assert result["frozen_now"] is False and result["csv_key"] == item["csv_key"]
    keys = {entry["Key"] for entry in s3.list_objects_v2(Bucket=BUCKET)["Contents"]}
    # The loser's files stay, named by no record (month close cannot delete: frozen files are locked).
    retention = s3.get_object_lock_configuration(Bucket=BUCKET)["ObjectLockConfiguration"]["Rule"]["DefaultRetention"]
    assert (retention["Mode"], retention["Years"]) == ("GOVERNANCE", 10)
    assert len(keys) == 6 and {item[f"{kind}_key"] for kind in ("csv", "xlsx", "json")} < keys


def test_a_month_not_over_is_not_frozen(october: None) -> None:
    with pytest.raises(ValueError, match="not over"):
        close("2026-11")
    assert table_items("MonthsTable") == []


class RecordingStore(BillingStore):
    """The real store, noting the order of what month close does."""

    def __init__(self) -> None:
        super().__init__()
        self.calls: list[str] = []

    def mark_frozen(self, month: str, frozen_at: str) -> bool:
        self.calls.append("mark_frozen")
        return super().mark_frozen(month, frozen_at)

    def usage_for_month(self, month: str) -> list[dict[str, Any]]:
        self.calls.append("usage")
        return super().usage_for_month(month)

    def usage_consistent(self, activation_ids: list[str], month: str) -> list[dict[str, Any]]:
        self.calls.append("usage")
        return super().usage_consistent(activation_ids, month)


def test_the_month_is_marked_frozen_before_its_usage_is_read(october: None) -> None:
    store = RecordingStore()
    billing.freeze_month("2026-10", store, CLOSING)
    assert store.calls[0] == "mark_frozen" and "usage" in store.calls[1:]


def test_the_frozen_month_is_served_unchanged_and_a_late_record_lands_in_the_next_month(
    api: Api, finance: str, aws: None
) -> None:
    stream = Stream()
    put_activation("gent-oct", "2026-10-05T10:00", "2026-10-05T13:00", operators=2)
    on_time = record("c-1", datetime(2026, 10, 5, 8, 30, tzinfo=UTC), activation="gent-oct")
    assert deliver_records(stream, on_time) == []
    before = api.get("/exports/2026-10", finance).body
    close("2026-10")
    frozen = api.get("/exports/2026-10", finance).body
    assert frozen["frozen"] is True and frozen["lines"] == before["lines"]
    assert (
        frozen["download"]["csv"].startswith("http")
        and "X-Amz-Algorithm=AWS4-HMAC-SHA256" in frozen["download"]["xlsx"]
    )
    csv_before = api.get("/exports/2026-10?format=csv", finance).raw

    # A record for 5 October arrives after the close; metering sees October frozen.
    late = record(
        "c-late", datetime(2026, 10, 5, 9, 0, tzinfo=UTC), activation="gent-oct", queue="D2", talk_seconds=300
    )
    assert deliver_records(stream, late) == []
    after = api.get("/exports/2026-10", finance)
    assert after.body["lines"] == frozen["lines"] and after.body["totals"] == frozen["totals"]
    assert api.get("/exports/2026-10?format=csv", finance).raw == csv_before
    november = api.get("/exports/2026-11", finance).body
    (adjustment,) = [line for line in november["lines"] if line["line"] == "adjustment"]
    assert (adjustment["activation_id"], adjustment["adjusts_month"], adjustment["calls"], adjustment["d2_calls"]) == (
        "gent-oct",
        "2026-10",
        1,
        1,
    )
    assert adjustment["call_seconds"] == 30 + 300  # queue and talk: connected to system until disconnect


def deliver_records(stream: Stream, *records: dict[str, Any]) -> list[str]:
    from ingest.usage_store import UsageStore

    return deliver(UsageStore(), stream.event(*records))


def test_the_frozen_xlsx_is_served_as_frozen(api: Api, finance: str, october: None) -> None:
    close("2026-10")
    item = month_item("2026-10")
    answer = api.get("/exports/2026-10?format=xlsx", finance, headers={"Accept": XLSX})
    assert hashlib.sha256(answer.raw).hexdigest() == item["xlsx_sha256"]
    assert {row["activation_id"] for row in xlsx_rows(answer.raw) if row["line"] == "activation"} == {
        "gent-oct",
        "brussels-oct",
    }


def test_a_frozen_file_that_no_longer_matches_its_checksum_is_not_served(api: Api, finance: str, october: None) -> None:
    close("2026-10")
    # Only someone who first changed the bucket's policy could: a new version over the locked one.
    boto3.client("s3").put_object(
        Bucket=BUCKET, Key=month_item("2026-10")["json_key"], Body=b"{}", ChecksumAlgorithm="SHA256"
    )
    answer = api.get("/exports/2026-10", finance)
    assert answer.status == 503


# ---------------------------------------------------------------------- the template
def test_month_close_runs_on_the_first_at_six_brussels_time() -> None:
    events = template.load()["Resources"]["MonthCloseFunction"]["Properties"]["Events"]
    (schedule,) = [event["Properties"] for event in events.values() if event["Type"] == "ScheduleV2"]
    assert schedule["ScheduleExpression"] == "cron(0 6 1 * ? *)"
    assert schedule["ScheduleExpressionTimezone"] == "Europe/Brussels"


def test_frozen_exports_are_kms_encrypted_private_and_tls_only() -> None:
    resources = template.load()["Resources"]
    bucket = resources["ExportsBucket"]["Properties"]
    (rule,) = bucket["BucketEncryption"]["ServerSideEncryptionConfiguration"]
    assert rule["ServerSideEncryptionByDefault"]["SSEAlgorithm"] == "aws:kms"
    assert rule["ServerSideEncryptionByDefault"]["KMSMasterKeyID"] == {"Fn::GetAtt": ["ExportsKey", "Arn"]}
    assert all(bucket["PublicAccessBlockConfiguration"].values())
    statements = resources["ExportsBucketPolicy"]["Properties"]["PolicyDocument"]["Statement"]
    assert any(
        s["Effect"] == "Deny" and s["Condition"] == {"Bool": {"aws:SecureTransport": "false"}} for s in statements
    )


@pytest.mark.parametrize("month", ["1999-12", "0000-01", "9999-12", "2026-10\n"])
def test_a_month_outside_the_billed_range_is_not_frozen(october: None, month: str) -> None:
    with pytest.raises(ValueError):
        close(month)
    assert table_items("MonthsTable") == []
