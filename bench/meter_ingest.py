"""Metering figures: contact records per second through the metering handler against in-process moto, as a ratio
to raw moto put_item per second (aim >= 0.4: about two writes per record at most), and AWS calls per record.

moto snapshots (deep-copies) every table a TransactWriteItems touches, to roll back on cancellation, so in moto
each record's transaction costs time in proportion to the contacts already stored; DynamoDB has no such cost.
The ratio is therefore printed per batch, for the first batch (an almost empty ContactsTable) and the last."""

from __future__ import annotations

import json
import os
import time
from datetime import UTC, datetime, timedelta
from typing import Any

from bench.common import aim, counting_calls

RECORDS = 500
BATCH = 100
START = datetime(2026, 11, 28, 21, 30, tzinfo=UTC)
INSTANCE = "arn:aws:connect:eu-central-1:123456789012:instance/00000000-0000-4000-8000-000000000000"


def _records(count: int, activation: str, number: str) -> list[dict[str, Any]]:
    from infra.connect.contact_record import AgentAnswer, Contact, QueueVisit, contact_record

    made = []
    for n in range(count):
        start = START + timedelta(seconds=7 * n)
        left = start + timedelta(seconds=40)
        queue = "D2" if n % 5 == 0 else "D5"
        made.append(
            contact_record(
                Contact(
                    account_id="123456789012",
                    instance_arn=INSTANCE,
                    contact_id=f"bench-{n:06d}",
                    initial_contact_id=None,
                    previous_contact_id=None,
                    initiation_method="INBOUND",
                    system_number=number,
                    customer_number="+32470000000",
                    initiated=start,
                    connected_to_system=start + timedelta(seconds=10),
                    disconnected=left + timedelta(seconds=90),
                    disconnect_reason="CUSTOMER_DISCONNECT",
                    attributes={"activationId": activation},
                    queue=QueueVisit(f"{INSTANCE}/queue/{queue}", queue, start + timedelta(seconds=10), left),
                    agent=AgentAnswer(f"{INSTANCE}/agent/op", "op", left, 90) if n % 4 else None,
                )
            )
        )
    return made


def _events(records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    from infra.local.streams import kinesis_event

    kinesis = [
        {
            "SequenceNumber": f"{49650000000000000000 + n}",
            "Data": json.dumps(r).encode(),
            "PartitionKey": r["ContactId"],
            "ApproximateArrivalTimestamp": START,
        }
        for n, r in enumerate(records)
    ]
    return [
        kinesis_event(kinesis[i : i + BATCH], "crisisline-ContactRecordStream", function="MeterFunction")
        for i in range(0, len(kinesis), BATCH)
    ]


def ingest() -> list[str]:
    import boto3
    from moto import mock_aws

    from infra.local import seed, template
    from infra.local.stack import LambdaContext

    os.environ.update(
        {
            "AWS_ACCESS_KEY_ID": "bench",
            "AWS_SECRET_ACCESS_KEY": "bench",
            "AWS_DEFAULT_REGION": template.LOCAL_REGION,
            **template.environment(),
            "POWERTOOLS_LOG_LEVEL": "ERROR",
            "POWERTOOLS_METRICS_DISABLED": "true",
        }
    )
    os.environ.pop("AWS_ENDPOINT_URL", None)
    from crisisline import aws
    from crisisline.dynamo import to_item

    aws.reset_clients()
    lines = []
    with mock_aws():
        seed.provision("bench-key")
        from ingest import app
        from ingest.usage_store import UsageStore

        app.default_store.cache_clear()
        dynamodb = boto3.client("dynamodb")
        activations = template.physical_table_name("ActivationsTable")
        dynamodb.put_item(
            TableName=activations,
            Item=to_item(
                {
                    "id": "act-bench",
                    "authority_id": "44021",
                    "number": "+3280012345",
                    "number_kind": "toll_free",
                    "status": "live",
                    "opened_at": "2026-11-01T00:00:00.000Z",
                    "requested_at": "2026-11-01T00:00:00.000Z",
                }
            ),
        )
        records = _records(RECORDS, "act-bench", "+3280012345")
        events = _events(records)
        store = UsageStore(dynamodb=dynamodb)
        context = LambdaContext("MeterFunction", timeout_seconds=900)

        # Baseline: raw put_item of an item like a contact item into a table of the same size.
        baseline_table = template.physical_table_name("ContactsTable")
        raw_items = [
            to_item({"contact_id": f"raw-{n:06d}", "last_update": "2026-11-28T21:30:00.000Z", "record": json.dumps(r)})
            for n, r in enumerate(records)
        ]
        started = time.perf_counter()
        for item in raw_items:
            dynamodb.put_item(TableName=baseline_table, Item=item)
        raw_rate = len(raw_items) / (time.perf_counter() - started)
        for item in raw_items:
            dynamodb.delete_item(TableName=baseline_table, Key={"contact_id": item["contact_id"]})

        batch_rates = []
        for event in events:
            started = time.perf_counter()
            assert app.lambda_handler(event, context, store=store)["batchItemFailures"] == []
            batch_rates.append(len(event["Records"]) / (time.perf_counter() - started))
        ingest_rate = RECORDS / sum(len(e["Records"]) / rate for e, rate in zip(events, batch_rates, strict=True))
        # The same transaction the handler sends for a new record, sent bare, on fresh contacts in the same table.
        from ingest.contact_records import read_contact_record
        from ingest.metering import _attribute_check, _contact_item
        from ingest.usage_store import Booking

        bare = [read_contact_record(json.dumps({**r, "ContactId": f"bare-{n}"})) for n, r in enumerate(records[:BATCH])]
        started = time.perf_counter()
        for contact in bare:
            store.book(
                Booking(
                    _contact_item(contact, "act-bench", "2026-12", True),
                    None,
                    {("act-bench", "2026-12"): contact.usage},
                    _attribute_check(contact, "act-bench"),
                )
            )
        bare_rate = len(bare) / (time.perf_counter() - started)
        started = time.perf_counter()
        assert app.lambda_handler(events[0], context, store=store)["batchItemFailures"] == []  # delivered again
        repeat_rate = len(events[0]["Records"]) / (time.perf_counter() - started)
        [usage] = store.usage_for_month("2026-11")
        assert usage["calls"] == RECORDS

        with counting_calls() as counter:
            counted = UsageStore(dynamodb=boto3.client("dynamodb"))
            fresh = _events(_records(RECORDS + 20, "act-bench", "+3280012345")[RECORDS:])[0]
            counter.reset()
            app.lambda_handler(fresh, context, store=counted)
            new_calls = len(counter.calls) / 20
            counter.reset()
            app.lambda_handler(fresh, context, store=counted)
            repeat_calls = len(counter.calls) / 20
    lines.append(f"raw moto put_item: {raw_rate:.0f}/s ({RECORDS} items)")
    lines.append(
        f"contact records metered, first batch of {BATCH} (empty ContactsTable): {batch_rates[0]:.0f}/s: "
        f"ratio {batch_rates[0] / raw_rate:.2f} {aim(batch_rates[0] / raw_rate, 0.4, at_most=False)}"
    )
    lines.append(
        f"contact records metered, last batch ({RECORDS - BATCH} contacts stored): {batch_rates[-1]:.0f}/s:"
        f" ratio {batch_rates[-1] / raw_rate:.2f} (moto copies every table a transaction touches)"
    )
    lines.append(f"contact records metered, all {RECORDS}: {ingest_rate:.0f}/s: ratio {ingest_rate / raw_rate:.2f}")
    lines.append(
        f"the bare TransactWriteItems of one record in moto ({RECORDS} contacts stored): {bare_rate:.0f}/s; "
        f"the last batch through the handler runs at {batch_rates[-1] / bare_rate:.2f} of it"
    )
    lines.append(f"a batch delivered again (counted once): {repeat_rate:.0f}/s: ratio {repeat_rate / raw_rate:.2f}")
    lines.append(
        f"AWS calls per new record {new_calls:.1f}, per repeated record {repeat_calls:.1f} "
        f"{aim(max(new_calls, repeat_calls), 2, digits=1)}"
    )
    return lines


def run() -> list[str]:
    return ingest()


if __name__ == "__main__":
    import infra  # noqa: F401 - puts the functions' packages on the path

    print("\n".join(run()))
