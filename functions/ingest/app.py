"""The metering function: consumes Amazon Connect's contact records from a Kinesis data stream and keeps per
activation and month usage (see ingest.metering). Each Kinesis record is one contact record.

Failures are told apart. A transient one (DynamoDB throttled, a 5xx, a timeout, a race lost too often) is
reported as a batch item failure, so Lambda retries it (and, with bisection, only what follows it) while the
rest of the batch is kept. A permanent one (not JSON, no ContactId, unreadable fields, a value the store
refuses) would fail every retry and hold up its shard: the record is set aside for review at once, listed
with the unattributed ones (`GET /unattributed`), and not reported. Only when even setting it aside fails is
it reported, so Lambda's retries and then the failure queue keep it.

Neither the caller's number nor any token is logged: log lines carry contact and activation ids only."""

from __future__ import annotations

from datetime import UTC, datetime
from functools import cache
from typing import Any

from aws_lambda_powertools.logging import Logger
from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.data_classes.kinesis_stream_event import KinesisStreamRecord

from crisisline.clock import utc_now
from crisisline.errors import StoreUnavailable
from crisisline.observability import count_failure, publish_failures
from ingest import settings
from ingest.contact_records import MalformedRecord, read_contact_record
from ingest.metering import StillContended, meter_contact_record, set_aside_unmeterable, set_aside_unreadable
from ingest.usage_store import UsageStore

logger = Logger(service="meter")
settings.meter()  # fail the cold start, not the first record, when the environment is incomplete
# Worth retrying: DynamoDB throttled, failing inside (5xx) or not answering in time; races lost too often.
TRANSIENT = (StoreUnavailable, StillContended)


@cache
def default_store() -> UsageStore:
    return UsageStore(settings.meter())


def lambda_handler(event: dict[str, Any], context: Any, store: UsageStore | None = None) -> dict[str, Any]:
    """Meter a batch of Kinesis records; `store` is for tests. Answers Lambda's partial batch response."""
    usage = store or default_store()
    # An entirely failed batch is reported record by record too, not raised: Lambda then retries from the
    # first failure (bisecting), exactly as for a partial failure.
    processor = BatchProcessor(event_type=EventType.KinesisDataStreams, raise_on_entire_batch_failure=False)

    def meter_one(record: KinesisStreamRecord) -> None:
        try:
            meter_or_set_aside(record)
        except Exception:
            count_failure("ContactRecordsRetried")  # reported: Lambda retries it, then the failure queue keeps it
            raise

    def meter_or_set_aside(record: KinesisStreamRecord) -> None:
        sequence = record.kinesis.sequence_number
        try:
            contact = read_contact_record(record.kinesis.data_as_bytes())
        except MalformedRecord as error:
            stamp = record.kinesis.approximate_arrival_timestamp
            arrived = datetime.fromtimestamp(stamp, UTC) if isinstance(stamp, int | float) and stamp else utc_now()
            set_aside_unreadable(record.event_id, arrived, str(error), usage)
            logger.warning(
                "contact record set aside",
                extra={"sequence_number": sequence, "reason": "unreadable", "problem": str(error)},
            )
            count_failure("ContactRecordsSetAside")
            return
        try:
            outcome = meter_contact_record(contact, usage)
        except TRANSIENT as error:
            logger.warning(
                "contact record not metered",
                extra={"sequence_number": sequence, "contact_id": contact.contact_id, "problem": type(error).__name__},
            )
            raise
        except Exception as error:  # noqa: BLE001 - anything else would fail every retry as well
            outcome = set_aside_unmeterable(contact, usage, type(error).__name__)
        if outcome.result == "set_aside":
            logger.warning(
                "contact record set aside",
                extra={"sequence_number": sequence, "contact_id": outcome.contact_id, "reason": outcome.reason},
            )
            count_failure("ContactRecordsSetAside")
            return
        logger.info(
            "contact record metered",
            extra={
                "contact_id": outcome.contact_id,
                "result": outcome.result,
                "activation_id": outcome.activation_id,
                "period": outcome.period,
                "purpose": outcome.purpose,
            },
        )

    try:
        answer = process_partial_response(event=event, record_handler=meter_one, processor=processor, context=context)
    finally:
        publish_failures()
    return dict(answer)
