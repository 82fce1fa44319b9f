"""Lambda's Kinesis event source mapping, emulated for the local stack: for every function event of type
`Kinesis` in template.yaml, a poller reads the stream's shards on the embedded moto backend and invokes the
function with Lambda's Kinesis event (base64 data, sequence numbers, eventSourceARN …).

As Lambda does with `FunctionResponseTypes: [ReportBatchItemFailures]`, it checkpoints after the records before
the first reported failure and retries from there; with `BisectBatchOnFunctionError` the retried batch is halved
each time; a record still failing after `MaximumRetryAttempts` retries is given up, which the deployed stack
sends to the on-failure destination and the local one keeps in `discarded` (its position, not its data)."""

from __future__ import annotations

import base64
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from infra.local import template

Invoker = Callable[[str, dict[str, Any]], Any]


@dataclass(frozen=True)
class StreamMapping:
    """One Kinesis event of a function in the template."""

    function: str
    stream: str  # the stream's logical id
    batch_size: int = 100
    starting_position: str = "TRIM_HORIZON"
    bisect: bool = False
    maximum_retries: int = -1  # -1: until the record expires, as Lambda's default
    report_failures: bool = False


def physical_stream_name(logical_id: str) -> str:
    return f"crisisline-{logical_id}"


def stream_arn(name: str) -> str:
    return f"arn:aws:kinesis:{template.LOCAL_REGION}:{template.LOCAL_ACCOUNT}:stream/{name}"


def stream_mappings(source: dict[str, Any] | None = None) -> list[StreamMapping]:
    """Every `Type: Kinesis` event of the template's functions."""
    found = []
    for logical_id, body in template.resources("AWS::Serverless::Function", source).items():
        for event in (body["Properties"].get("Events") or {}).values():
            if event.get("Type") != "Kinesis":
                continue
            props = event["Properties"]
            stream = props["Stream"]
            stream_id = stream["Fn::GetAtt"][0] if isinstance(stream, dict) and "Fn::GetAtt" in stream else str(stream)
            found.append(
                StreamMapping(
                    function=logical_id,
                    stream=stream_id,
                    batch_size=int(props.get("BatchSize", 100)),
                    starting_position=str(props.get("StartingPosition", "TRIM_HORIZON")),
                    bisect=bool(props.get("BisectBatchOnFunctionError", False)),
                    maximum_retries=int(props.get("MaximumRetryAttempts", -1)),
                    report_failures="ReportBatchItemFailures" in (props.get("FunctionResponseTypes") or []),
                )
            )
    return found


def kinesis_event(
    records: list[dict[str, Any]], stream_name: str, shard_id: str = "shardId-000000000000", function: str = "function"
) -> dict[str, Any]:
    """Lambda's event for a batch of Kinesis records (as GetRecords returns them: Data as bytes)."""
    arn = stream_arn(stream_name)
    return {
        "Records": [
            {
                "kinesis": {
                    "kinesisSchemaVersion": "1.0",
                    "partitionKey": record["PartitionKey"],
                    "sequenceNumber": record["SequenceNumber"],
                    "data": base64.b64encode(record["Data"]).decode("ascii"),
                    "approximateArrivalTimestamp": _epoch(record.get("ApproximateArrivalTimestamp")),
                },
                "eventSource": "aws:kinesis",
                "eventVersion": "1.0",
                "eventID": f"{shard_id}:{record['SequenceNumber']}",
                "eventName": "aws:kinesis:record",
                "awsRegion": template.LOCAL_REGION,
                "eventSourceARN": arn,
                "invokeIdentityArn": f"arn:aws:iam::{template.LOCAL_ACCOUNT}:role/{function}-role",
            }
            for record in records
        ]
    }


def _epoch(value: Any) -> float:
    if isinstance(value, datetime):
        return round(value.timestamp(), 3)
    return round(float(value or time.time()), 3)


@dataclass
class _Shard:
    mapping: StreamMapping
    stream_name: str
    shard_id: str
    iterator: str | None
    pending: list[dict[str, Any]] = field(default_factory=list)
    batch_limit: int = 0
    attempts: int = 0  # failed deliveries of the first pending record


class StreamPoller:
    """Polls the template's Kinesis streams and invokes their functions, Lambda-style."""

    def __init__(
        self,
        invoke: Invoker,
        kinesis: Any = None,
        mappings: list[StreamMapping] | None = None,
        interval: float = 0.2,
        retry_delay: float = 0.05,
        quiet: bool = False,
    ) -> None:
        if kinesis is None:
            import boto3

            kinesis = boto3.client("kinesis")
        self.invoke, self.kinesis, self.interval, self.retry_delay = invoke, kinesis, interval, retry_delay
        self.mappings = stream_mappings() if mappings is None else mappings
        self.quiet = quiet
        self.discarded: list[dict[str, str]] = []
        self.delivered = 0
        self._shards: list[_Shard] = []
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()

    def create_streams(self) -> StreamPoller:
        """Create each mapped stream (one shard) unless it exists, and open its shards' iterators."""
        existing = set(self.kinesis.list_streams().get("StreamNames", []))
        for mapping in self.mappings:
            name = physical_stream_name(mapping.stream)
            if name not in existing:
                self.kinesis.create_stream(StreamName=name, ShardCount=1)
                existing.add(name)
            shards = self.kinesis.describe_stream(StreamName=name)["StreamDescription"]["Shards"]
            for shard in shards:
                position = "LATEST" if mapping.starting_position == "LATEST" else "TRIM_HORIZON"
                iterator = self.kinesis.get_shard_iterator(
                    StreamName=name, ShardId=shard["ShardId"], ShardIteratorType=position
                )["ShardIterator"]
                self._shards.append(_Shard(mapping, name, shard["ShardId"], iterator, batch_limit=mapping.batch_size))
        return self

    def poll_once(self) -> int:
        """Deliver everything the streams hold now (retries included); the number of records delivered."""
        with self._lock:
            before = self.delivered
            for shard in self._shards:
                while self._step(shard):
                    pass
            return self.delivered - before

    def _step(self, shard: _Shard) -> bool:
        """One delivery on `shard`; False when it has nothing more to deliver now."""
        if not shard.pending:
            if shard.iterator is None:
                return False
            answer = self.kinesis.get_records(ShardIterator=shard.iterator, Limit=shard.mapping.batch_size)
            shard.iterator = answer.get("NextShardIterator")
            shard.pending = list(answer.get("Records", []))
            if not shard.pending:
                return False
        batch = shard.pending[: max(1, shard.batch_limit)]
        failed_at = self._deliver(shard, batch)
        if failed_at is None:
            shard.pending = shard.pending[len(batch) :]
            shard.batch_limit, shard.attempts = shard.mapping.batch_size, 0
            self.delivered += len(batch)
            return True
        # Checkpoint before the first failure and retry from it. A batch failing at its first record is split in
        # two (bisect), which does not count as a retry; a record failing alone counts its retries.
        self.delivered += failed_at
        shard.pending = shard.pending[failed_at:]
        remaining = len(batch) - failed_at
        if failed_at:
            shard.attempts, shard.batch_limit = 0, remaining
        elif shard.mapping.bisect and remaining > 1:
            shard.batch_limit = remaining // 2
        else:
            shard.attempts += 1
            retries = shard.mapping.maximum_retries
            if 0 <= retries < shard.attempts:
                given_up = shard.pending.pop(0)
                self.discarded.append(
                    {
                        "stream": shard.stream_name,
                        "shard": shard.shard_id,
                        "sequence_number": given_up["SequenceNumber"],
                    }
                )
                if not self.quiet:
                    sys.stderr.write(f"streams: gave up {shard.stream_name} record {given_up['SequenceNumber']}\n")
                shard.attempts, shard.batch_limit = 0, shard.mapping.batch_size
                return True
        if self.retry_delay:
            time.sleep(self.retry_delay)
        return True

    def _deliver(self, shard: _Shard, batch: list[dict[str, Any]]) -> int | None:
        """Invoke the function; None when the whole batch succeeded, else the index of the first failure."""
        event = kinesis_event(batch, shard.stream_name, shard.shard_id, shard.mapping.function)
        try:
            answer = self.invoke(shard.mapping.function, event)
        except Exception:  # noqa: BLE001 - a function error fails the whole batch, as in Lambda
            return 0
        if not shard.mapping.report_failures:
            return None
        failures = (answer or {}).get("batchItemFailures") or [] if isinstance(answer, dict) else []
        failed = {str(item.get("itemIdentifier") or "") for item in failures}
        if not failed:
            return None
        positions = [i for i, record in enumerate(batch) if record["SequenceNumber"] in failed]
        return min(positions) if positions else 0  # an identifier not in the batch fails it whole

    # ------------------------------------------------------------------ background
    def start(self) -> StreamPoller:
        if not self._shards:
            self.create_streams()
        self._thread = threading.Thread(target=self._run, name="kinesis-poller", daemon=True)
        self._thread.start()
        return self

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            try:
                self.poll_once()
            except Exception as error:  # noqa: BLE001 - the backend stopping under us ends polling quietly
                if self._stop.is_set():
                    return
                if not self.quiet:
                    sys.stderr.write(f"streams: polling failed: {type(error).__name__}\n")

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
