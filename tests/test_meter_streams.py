"""Contact records reach the metering function as Lambda's Kinesis event source mapping delivers them: the
local stack's poller (infra/local/streams.py) against moto, and a simulated call through a started local stack
that ends up metered."""

from __future__ import annotations

import json
import re
import time
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3

from crisisline.months import month_of
from infra.connect import contact_record
from infra.connect.simulator import LambdaEndpoint, Timing, simulate_call
from infra.local import template
from infra.local.stack import Functions
from infra.local.streams import StreamMapping, StreamPoller, physical_stream_name, stream_mappings
from ingest.usage_store import UsageStore
from tests.conftest import RunningStack, activation_body
from tests.test_meter_ingest import START, expected, put_activation, record

STREAM = physical_stream_name("ContactRecordStream")


def test_the_template_maps_the_contact_record_stream_to_the_metering_function() -> None:
    [mapping] = stream_mappings()
    assert (mapping.function, mapping.stream) == ("MeterFunction", "ContactRecordStream")
    assert mapping.report_failures and mapping.bisect and 0 <= mapping.maximum_retries <= 20


def test_records_put_on_the_stream_are_metered_by_the_template_function(aws: None) -> None:
    put_activation("act-gent", "+3280012345", START - timedelta(days=1))
    poller = StreamPoller(Functions().invoke, boto3.client("kinesis"), retry_delay=0, quiet=True).create_streams()
    records = [record(f"c-{n}", START + timedelta(minutes=n)) for n in range(5)]
    contact_record.put_on_stream(records + records[:2], STREAM, boto3.client("kinesis"))
    assert poller.poll_once() == 7
    assert poller.poll_once() == 0  # checkpointed: nothing is delivered twice by the poller itself
    [usage] = UsageStore().usage_for_month("2026-11")
    assert {name: usage[name] for name in expected()} == expected(*records)


class Flaky:
    """A function that fails records whose data contains `bad` (reporting them), `times` times each."""

    def __init__(self, bad: bytes, times: int) -> None:
        self.bad, self.times = bad, times
        self.batches: list[list[str]] = []
        self.failures = 0

    def __call__(self, function: str, event: dict[str, Any]) -> Any:
        import base64

        sequences = [r["kinesis"]["sequenceNumber"] for r in event["Records"]]
        self.batches.append(sequences)
        failed = [
            r["kinesis"]["sequenceNumber"]
            for r in event["Records"]
            if self.bad in base64.b64decode(r["kinesis"]["data"]) and self.failures < self.times
        ]
        self.failures += bool(failed)
        return {"batchItemFailures": [{"itemIdentifier": s} for s in failed]}


def _poller(aws: None, invoke: Any, retries: int = 2, bisect: bool = True) -> tuple[StreamPoller, list[str]]:
    kinesis = boto3.client("kinesis")
    mapping = StreamMapping(
        "MeterFunction",
        "ContactRecordStream",
        batch_size=10,
        bisect=bisect,
        maximum_retries=retries,
        report_failures=True,
    )
    poller = StreamPoller(invoke, kinesis, [mapping], retry_delay=0, quiet=True).create_streams()
    sequences = [
        kinesis.put_record(StreamName=STREAM, Data=data, PartitionKey="p")["SequenceNumber"]
        for data in (b"a", b"b", b"bad", b"c", b"d")
    ]
    return poller, sequences


def test_a_reported_failure_is_retried_from_it_and_the_records_before_it_are_kept(aws: None) -> None:
    flaky = Flaky(b"bad", times=1)
    poller, sequences = _poller(aws, flaky)
    assert poller.poll_once() == 5
    assert flaky.batches == [sequences, sequences[2:]]  # checkpoint before the failure, retry from it
    assert poller.discarded == []


def test_a_record_failing_beyond_the_retries_is_given_up_and_the_rest_goes_on(aws: None) -> None:
    flaky = Flaky(b"bad", times=100)
    poller, sequences = _poller(aws, flaky, retries=2)
    poller.poll_once()
    assert [d["sequence_number"] for d in poller.discarded] == [sequences[2]]
    assert flaky.batches[-1] == sequences[3:]  # the records after it are delivered
    # Bisected down to the failing record alone, then three deliveries of it (the first and two retries).
    assert flaky.batches[-4:-1] == [[sequences[2]]] * 3


def test_a_function_error_fails_the_whole_batch_which_is_bisected(aws: None) -> None:
    calls: list[int] = []

    def crashing(function: str, event: dict[str, Any]) -> Any:
        calls.append(len(event["Records"]))
        if len(calls) == 1:
            raise RuntimeError("boom")
        return {"batchItemFailures": []}

    poller, _ = _poller(aws, crashing)
    assert poller.poll_once() == 5
    assert calls == [5, 2, 3]  # the failed batch split in two, then the rest


# ---------------------------------------------------------------------- through a started local stack
def test_a_call_simulated_against_the_local_stack_ends_up_metered(local_stack: RunningStack) -> None:
    from tests.test_local_stack import http

    api, token = local_stack.api_url, local_stack.authority_token
    body = activation_body(
        languages=["fr", "nl"], message={"fr": "Restez chez vous.", "nl": "Blijf binnen."}, victim_information=True
    )
    status, _, opened = http("POST", f"{api}/activations", token, body, {"Idempotency-Key": "meter-e2e"})
    assert status == 201, opened
    backend = re.search(r"AWS backend \(moto\)\s+(\S+)", local_stack.output)
    assert backend is not None
    aws = {
        "endpoint_url": backend.group(1),
        "region_name": template.LOCAL_REGION,
        "aws_access_key_id": "local",
        "aws_secret_access_key": "local",
    }
    try:
        # The call begins after the line opened, and its record is no further ahead than a call's length.
        timing = Timing(start=datetime.now(UTC).replace(microsecond=0))
        call = simulate_call(
            opened["number"], language="fr", press="2", invoker=LambdaEndpoint(local_stack.lambda_port), timing=timing
        )
        assert call.record["Attributes"]["activationId"] == opened["id"]
        contact_record.put_on_stream(call.records(), STREAM, boto3.client("kinesis", **aws))
        dynamodb = boto3.client("dynamodb", **aws)
        usage: list[dict[str, Any]] = []
        mine: list[dict[str, Any]] = []
        deadline = time.monotonic() + 20
        # Wait for this activation's item: other tests on the same stack leave theirs in the month too.
        while not mine and time.monotonic() < deadline:
            usage = dynamodb.query(
                TableName=template.physical_table_name("UsageTable"),
                IndexName="by-month",
                KeyConditionExpression="#m = :m",
                ExpressionAttributeNames={"#m": "month"},
                ExpressionAttributeValues={":m": {"S": month_of(timing.start)}},
            )["Items"]
            mine = [item for item in usage if item["activation_id"]["S"] == opened["id"]]
            time.sleep(0.2)
        assert len(mine) == 1, json.dumps(usage)
        totals = expected(*call.records())
        assert {name: int(mine[0][name]["N"]) for name in totals} == totals
        assert totals["d2_calls"] == 1 and totals["answered_calls"] == 1
    finally:
        assert http("POST", f"{api}/activations/{opened['id']}/close", token)[0] == 200
