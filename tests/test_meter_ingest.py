"""Cost metering: Amazon Connect contact records from Kinesis become per activation and month usage, each
contact counted exactly once however often, in whatever order and in however many versions it arrives."""

from __future__ import annotations

import base64
import io
import json
import random
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import pytest

from crisisline.clock import iso
from crisisline.dynamo import to_item
from crisisline.months import month_of
from infra.connect.contact_record import AgentAnswer, Contact, QueueVisit, contact_record
from infra.local import template
from infra.local.stack import LambdaContext
from infra.local.streams import kinesis_event
from ingest.usage_store import UsageStore
from tests.billing_support import finance_env

__all__ = ["finance_env"]  # fixtures

NUMBER = "+3280012345"
OTHER_NUMBER = "+3225551001"
INSTANCE = "arn:aws:connect:eu-central-1:123456789012:instance/00000000-0000-4000-8000-000000000000"
QUEUES = {"D5": f"{INSTANCE}/queue/d5", "D2": f"{INSTANCE}/queue/d2"}
# 28 November 2026, 22:30 in Brussels (UTC+1).
START = datetime(2026, 11, 28, 21, 30, tzinfo=UTC)
COUNTERS = ("calls", "d2_calls", "answered_calls", "abandoned_calls", "call_seconds", "queue_seconds")


def record(
    contact_id: str,
    start: datetime = START,
    *,
    activation: str | None = "act-gent",
    number: str = NUMBER,
    queue: str | None = "D5",
    queue_seconds: int = 30,
    talk_seconds: int = 120,
    answered: bool = True,
    method: str = "INBOUND",
    caller: str = "+32470123456",
    updated_after: int = 0,
) -> dict[str, Any]:
    """A real contact record (infra/connect/contact_record.py) for one call of the crisis line."""
    connected = start + timedelta(seconds=20)
    visit = agent = None
    ended = connected
    if queue is not None:
        left = connected + timedelta(seconds=queue_seconds)
        visit = QueueVisit(QUEUES[queue], queue, connected, left)
        ended = left
        if answered:
            agent = AgentAnswer(f"{INSTANCE}/agent/op-1", "op-1", left, talk_seconds)
            ended = left + timedelta(seconds=talk_seconds)
    contact = Contact(
        account_id=template.LOCAL_ACCOUNT,
        instance_arn=INSTANCE,
        contact_id=contact_id,
        initial_contact_id=None,
        previous_contact_id=None,
        initiation_method=method,
        system_number=number,
        customer_number=caller,
        initiated=start,
        connected_to_system=connected,
        disconnected=ended,
        disconnect_reason="CUSTOMER_DISCONNECT",
        attributes={"activationId": activation, "language": "nl"} if activation else {"language": "nl"},
        queue=visit,
        agent=agent,
    )
    made = contact_record(contact)
    if updated_after:
        made["LastUpdateTimestamp"] = (ended + timedelta(seconds=updated_after)).strftime("%Y-%m-%dT%H:%M:%SZ")
    return made


def expected(*records: dict[str, Any]) -> dict[str, int]:
    """The totals metering must reach, worked out by hand from the records' fields."""
    totals = dict.fromkeys(COUNTERS, 0)

    def at(made: dict[str, Any], name: str) -> datetime:
        return datetime.fromisoformat(made[name].replace("Z", "+00:00"))

    for made in records:
        queued, answered = made["Queue"] is not None, made["Agent"] is not None
        totals["calls"] += 1
        totals["d2_calls"] += int(queued and str(made["Queue"]["Name"]).rpartition("-")[2] == "D2")
        totals["answered_calls"] += int(answered)
        totals["abandoned_calls"] += int(queued and not answered)
        totals["call_seconds"] += int(
            (at(made, "DisconnectTimestamp") - at(made, "ConnectedToSystemTimestamp")).total_seconds()
        )
        totals["queue_seconds"] += made["Queue"]["Duration"] if queued else 0
    return totals


class Stream:
    """Kinesis as Lambda delivers it: sequence numbers in order, each batch one event."""

    def __init__(self) -> None:
        self.sequence = 49_650_000_000_000_000_000

    def event(self, *items: dict[str, Any] | bytes) -> dict[str, Any]:
        records = []
        for item in items:
            self.sequence += 1
            data = item if isinstance(item, bytes) else json.dumps(item).encode()
            key = item.get("ContactId", "x") if isinstance(item, dict) else "x"
            records.append(
                {
                    "SequenceNumber": str(self.sequence),
                    "Data": data,
                    "PartitionKey": key or "x",
                    "ApproximateArrivalTimestamp": START,
                }
            )
        return kinesis_event(records, "crisisline-ContactRecordStream", function="MeterFunction")


@pytest.fixture
def store(aws: None) -> UsageStore:
    return UsageStore()


@pytest.fixture
def stream() -> Stream:
    return Stream()


def deliver(store: UsageStore, event: dict[str, Any]) -> list[str]:
    """Invoke the metering handler; the sequence numbers it reports as failed."""
    from ingest import app  # imported here: its cold start reads the tables' environment the fixtures set

    answer = app.lambda_handler(event, LambdaContext("MeterFunction"), store=store)
    return [failure["itemIdentifier"] for failure in answer["batchItemFailures"]]


def put_activation(
    activation_id: str, number: str, opened_at: datetime, closed_at: datetime | None = None, authority_id: str = "44021"
) -> None:
    item = {
        "id": activation_id,
        "authority_id": authority_id,
        "number": number,
        "number_kind": "toll_free",
        "status": "closed" if closed_at else "live",
        "requested_at": iso(opened_at),
        "opened_at": iso(opened_at),
        "closed_at": iso(closed_at) if closed_at else None,
        "operator_timeline": [{"at": iso(opened_at), "operators": 4}],
    }
    boto3.client("dynamodb").put_item(TableName=template.physical_table_name("ActivationsTable"), Item=to_item(item))


def freeze(month: str) -> None:
    """What month close does to a month (the export helper's job; metering only reads it)."""
    boto3.client("dynamodb").put_item(
        TableName=template.physical_table_name("MonthsTable"),
        Item=to_item({"month": month, "frozen_at": "2026-12-01T05:00:00.000Z"}),
    )


def usage(store: UsageStore, month: str) -> dict[tuple[str, str], dict[str, int]]:
    return {
        (item["activation_id"], item["period"]): {name: item[name] for name in COUNTERS}
        for item in store.usage_for_month(month)
    }


@pytest.fixture
def gent(aws: None) -> str:
    """Stad Gent's activation, live on NUMBER since a week before START."""
    put_activation("act-gent", NUMBER, START - timedelta(days=7))
    return "act-gent"


# ---------------------------------------------------------------------- counted once
def test_each_record_delivered_three_times_shuffled_gives_exact_totals(
    store: UsageStore, stream: Stream, gent: str
) -> None:
    records = [
        record(
            f"c-{n}",
            START + timedelta(minutes=n),
            queue=("D2" if n % 3 == 0 else "D5"),
            answered=n % 4 != 0,
            queue_seconds=10 + n,
            talk_seconds=60 + 7 * n,
        )
        for n in range(24)
    ]
    records.append(record("c-hangup", queue=None))  # heard the message and hung up: never queued
    deliveries = records * 3
    random.Random(4).shuffle(deliveries)
    for start in range(0, len(deliveries), 10):
        assert deliver(store, stream.event(*deliveries[start : start + 10])) == []
    totals = expected(*records)
    assert usage(store, "2026-11") == {(gent, "2026-11"): totals}
    assert totals["abandoned_calls"] == 6 and totals["d2_calls"] == 8  # the fixture exercises every counter


def test_an_updated_record_adjusts_the_usage_rather_than_adding_to_it(
    store: UsageStore, stream: Stream, gent: str
) -> None:
    first = record("c-1", queue_seconds=30, talk_seconds=100)
    corrected = record("c-1", queue_seconds=45, talk_seconds=300, updated_after=60)
    other = record("c-2", START + timedelta(minutes=3), queue="D2")
    assert deliver(store, stream.event(first, other)) == []
    assert deliver(store, stream.event(corrected)) == []
    assert usage(store, "2026-11") == {(gent, "2026-11"): expected(corrected, other)}


def test_an_older_version_arriving_after_a_newer_one_changes_nothing(
    store: UsageStore, stream: Stream, gent: str
) -> None:
    older = record("c-1", queue_seconds=30, answered=False)
    newer = record("c-1", queue_seconds=40, talk_seconds=200, updated_after=30)
    assert deliver(store, stream.event(newer)) == []
    before = usage(store, "2026-11")
    assert deliver(store, stream.event(older, newer)) == []
    assert usage(store, "2026-11") == before == {(gent, "2026-11"): expected(newer)}


def test_a_record_that_can_never_be_metered_is_set_aside_at_once_while_the_batch_is_metered_once(
    store: UsageStore, stream: Stream, gent: str
) -> None:
    good = [record("c-1"), record("c-2", START + timedelta(minutes=1))]
    no_contact_id = {**record("c-3"), "ContactId": ""}
    endless = json.dumps(record("c-endless")).replace('"Duration": 30', '"Duration": 1e400').encode()
    oversized = record("c-oversized")  # over DynamoDB's 400 KB item: the store refuses it for good
    oversized["Attributes"]["note"] = "x" * 500_000
    event = stream.event(good[0], b"{not json", no_contact_id, endless, oversized, good[1])
    assert deliver(store, event) == []  # nothing for Lambda to retry: the shard moves on
    assert deliver(store, event) == []  # delivered again (a retry of a later record): still once
    assert usage(store, "2026-11") == {(gent, "2026-11"): expected(*good)}
    listed = store.unattributed("2026-11")
    assert sorted(item["reason"] for item in listed) == ["unreadable"] * 3 + ["unstorable"]
    assert {item["contact_id"] for item in listed if item["reason"] == "unreadable"} == {
        f"unreadable#{r['eventID']}" for r in event["Records"][1:4]
    }
    [unstorable] = [item for item in listed if item["reason"] == "unstorable"]
    assert unstorable["version_of"] == "c-oversized" and len(unstorable["record"]) < 200_000


class FailingStore(UsageStore):
    """The store failing for one contact, as DynamoDB throttling would."""

    def __init__(self, failing: str) -> None:
        super().__init__()
        self.failing = failing

    def book(self, booking: Any) -> None:
        if booking.contact["contact_id"] == self.failing:
            from crisisline.errors import StoreUnavailable

            raise StoreUnavailable("throttled")
        super().book(booking)


def test_a_store_failure_fails_only_its_record_and_the_retry_counts_it_once(stream: Stream, gent: str) -> None:
    records = [record("c-1"), record("c-2", START + timedelta(minutes=1)), record("c-3", START + timedelta(minutes=2))]
    event = stream.event(*records)
    assert deliver(FailingStore("c-2"), event) == [event["Records"][1]["kinesis"]["sequenceNumber"]]
    # Lambda retries from the failed record: c-2 and c-3 (already counted) come again.
    retry = {"Records": event["Records"][1:]}
    assert deliver(UsageStore(), retry) == []
    assert usage(UsageStore(), "2026-11") == {(gent, "2026-11"): expected(*records)}


def test_the_callers_number_is_neither_stored_nor_logged(
    store: UsageStore, stream: Stream, gent: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from ingest import app

    log = io.StringIO()
    for handler in app.logger.handlers:  # bound to whatever stdout was when the module was first imported
        monkeypatch.setattr(handler, "stream", log)
    assert deliver(store, stream.event(record("c-1", caller="+32499887766"), b"+32499887766 not json")) == []
    stored = boto3.client("dynamodb").scan(TableName=template.physical_table_name("ContactsTable"))["Items"]
    assert len(stored) == 2 and "+32499887766" not in json.dumps(stored)
    assert (
        json.loads(next(item for item in stored if item["contact_id"]["S"] == "c-1")["record"]["S"])["ContactId"]
        == "c-1"
    )
    assert "contact record metered" in log.getvalue() and "contact record set aside" in log.getvalue()
    assert "+32499887766" not in log.getvalue()


# ---------------------------------------------------------------------- attribution
def test_attribution_by_the_flows_activation_attribute(store: UsageStore, stream: Stream) -> None:
    # The number was closed and opened again by another authority a minute later; the call began in the last
    # seconds of the first line (Connect's clock a little behind ours): the flow saw that line, so it pays.
    put_activation("act-flow", NUMBER, START - timedelta(days=2), START - timedelta(seconds=30))
    put_activation("act-window", NUMBER, START - timedelta(seconds=20), authority_id="44083")
    assert deliver(store, stream.event(record("c-1", activation="act-flow"))) == []
    assert list(usage(store, "2026-11")) == [("act-flow", "2026-11")]


def test_attribution_by_dialled_number_and_its_live_window(store: UsageStore, stream: Stream) -> None:
    put_activation("act-before", NUMBER, START - timedelta(days=3), START - timedelta(days=2))
    put_activation("act-now", NUMBER, START - timedelta(hours=2), START + timedelta(hours=2))
    put_activation("act-after", NUMBER, START + timedelta(hours=3))
    calls = [
        record("c-before", START - timedelta(days=2, hours=12), activation=None),
        record("c-now", START, activation=None),
        record("c-after", START + timedelta(hours=4), activation=None),
    ]
    assert deliver(store, stream.event(*calls)) == []
    assert set(usage(store, "2026-11")) == {("act-before", "2026-11"), ("act-now", "2026-11"), ("act-after", "2026-11")}
    assert all(totals["calls"] == 1 for totals in usage(store, "2026-11").values())


def test_an_attribute_naming_no_activation_falls_back_to_the_dialled_number(
    store: UsageStore, stream: Stream, gent: str
) -> None:
    assert deliver(store, stream.event(record("c-1", activation="act-unknown"))) == []
    assert list(usage(store, "2026-11")) == [(gent, "2026-11")]


def test_an_unattributed_record_is_kept_and_listed_for_admin(store: UsageStore, stream: Stream, gent: str) -> None:
    outside = record("c-gap", START - timedelta(days=10), activation=None)  # before Gent's line opened
    unknown = record("c-unknown", START, activation=None, number="+3280099999")
    assert deliver(store, stream.event(outside, unknown, record("c-1"))) == []
    assert usage(store, "2026-11") == {(gent, "2026-11"): expected(record("c-1"))}
    listed = store.unattributed("2026-11")
    assert [item["contact_id"] for item in listed] == ["c-gap", "c-unknown"]
    assert listed[1]["system_number"] == "+3280099999" and listed[1]["calls"] == 1
    assert [item["contact_id"] for item in store.unattributed()] == ["c-gap", "c-unknown"]
    assert store.unattributed("2026-10") == []


def test_a_record_attributed_later_leaves_the_unattributed_list(store: UsageStore, stream: Stream) -> None:
    # The first version came before the line's activation was known; a later version carries the attribute.
    assert deliver(store, stream.event(record("c-1", activation=None))) == []
    assert len(store.unattributed("2026-11")) == 1
    put_activation("act-gent", NUMBER, START - timedelta(days=7))
    gent = "act-gent"
    assert deliver(store, stream.event(record("c-1", updated_after=5))) == []
    assert store.unattributed("2026-11") == []
    assert usage(store, "2026-11") == {(gent, "2026-11"): expected(record("c-1"))}


# ---------------------------------------------------------------------- a record is checked before it is billed
def set_aside(store: UsageStore, month: str) -> dict[str, str]:
    """What GET /unattributed lists for `month`: contact id -> reason."""
    return {item.get("version_of", item["contact_id"]): item["reason"] for item in store.unattributed(month)}


def test_a_record_naming_another_authoritys_closed_activation_is_set_aside_not_billed(
    store: UsageStore, stream: Stream, gent: str
) -> None:
    # Antwerp's line on another number closed weeks ago; a record of a call to Gent's number names it.
    put_activation("act-antwerp", OTHER_NUMBER, START - timedelta(days=30), START - timedelta(days=20), "11002")
    assert deliver(store, stream.event(record("c-forged", activation="act-antwerp"), record("c-1"))) == []
    assert usage(store, "2026-11") == {(gent, "2026-11"): expected(record("c-1"))}
    assert usage(store, "2026-10") == {}
    assert set_aside(store, "2026-11") == {"c-forged": "attribute_number_mismatch"}


def test_a_record_outside_its_activations_live_window_is_set_aside(store: UsageStore, stream: Stream) -> None:
    put_activation("act-gent", NUMBER, START - timedelta(days=1), START - timedelta(hours=1))
    after_close = record("c-late", START, activation="act-gent")
    in_2020 = record("c-2020", datetime(2020, 11, 28, 21, 30, tzinfo=UTC), activation="act-gent")
    assert deliver(store, stream.event(after_close, in_2020)) == []
    assert usage(store, "2026-11") == {} and usage(store, "2020-11") == {}
    assert set_aside(store, "2026-11") == {"c-late": "outside_live_window"}
    assert set_aside(store, "2020-11") == {"c-2020": "outside_live_window"}


def test_a_call_begun_just_before_close_is_billed_whole_and_a_callback_placed_hours_later_too(
    store: UsageStore, stream: Stream
) -> None:
    closed = START - timedelta(days=2)
    put_activation("act-gent", NUMBER, closed - timedelta(days=1), closed + timedelta(seconds=10))
    last_call = record("c-last", closed, talk_seconds=1800)  # ends half an hour after close
    callback = record("c-callback", closed + timedelta(hours=5), method="CALLBACK")
    too_late = record("c-inbound-late", closed + timedelta(hours=5))  # an inbound call: not after close
    callback_too_late = record("c-callback-late", closed + timedelta(hours=13), method="CALLBACK")
    assert deliver(store, stream.event(last_call, callback, too_late, callback_too_late)) == []
    assert usage(store, "2026-11") == {("act-gent", "2026-11"): expected(last_call, callback)}
    assert set_aside(store, "2026-11") == dict.fromkeys(("c-callback-late", "c-inbound-late"), "outside_live_window")


def test_a_callback_dialled_from_a_softphone_is_checked_against_the_call_that_asked_for_it(
    store: UsageStore, stream: Stream, gent: str
) -> None:
    put_activation("act-antwerp", OTHER_NUMBER, START - timedelta(days=1), authority_id="11002")
    asked = record("c-asked", queue=None)
    callbacks = []
    for contact_id, initial, activation in (
        ("c-back", "c-asked", gent),
        ("c-forged", "c-asked", "act-antwerp"),
        ("c-orphan", None, gent),
    ):
        callback = record(contact_id, START + timedelta(minutes=5), activation=activation, method="CALLBACK")
        callback.update(SystemEndpoint={"Address": "Softphone", "Type": "TELEPHONE_NUMBER"}, InitialContactId=initial)
        callbacks.append(callback)
    assert deliver(store, stream.event(asked, *callbacks)) == []
    assert usage(store, "2026-11") == {(gent, "2026-11"): expected(asked, callbacks[0])}
    assert set_aside(store, "2026-11") == dict.fromkeys(("c-forged", "c-orphan"), "callback_origin_unknown")


def test_a_call_longer_than_a_day_is_set_aside_for_review_never_billed(
    store: UsageStore, stream: Stream, gent: str
) -> None:
    two_days = record("c-long", START - timedelta(days=3), talk_seconds=2 * 86400)
    # 1,525,326.34 EUR of toll-free minutes: connected in 1976, long before the call began.
    decades = record("c-decades", START)
    decades["ConnectedToSystemTimestamp"] = "1976-04-01T00:00:00Z"
    backwards = record("c-backwards", START)
    backwards["DisconnectTimestamp"] = "2026-11-28T21:00:00Z"  # before it connected
    endless_queue = record("c-queue", START)
    endless_queue["Queue"]["Duration"] = 10**40  # more digits than DynamoDB keeps
    assert deliver(store, stream.event(two_days, decades, backwards, endless_queue, record("c-1"))) == []
    assert usage(store, "2026-11") == {(gent, "2026-11"): expected(record("c-1"))}
    assert set_aside(store, "2026-11") == dict.fromkeys(
        ("c-backwards", "c-decades", "c-long", "c-queue"), "implausible_duration"
    )


def test_a_record_from_the_future_is_set_aside_but_a_little_clock_skew_is_not(
    store: UsageStore, stream: Stream, gent: str
) -> None:
    now = datetime.now(UTC)
    tomorrow = record("c-tomorrow", now + timedelta(days=1))
    skewed = record("c-skewed", now - timedelta(seconds=130), talk_seconds=120)  # ends 60 s ahead of our clock
    assert deliver(store, stream.event(tomorrow, skewed)) == []
    assert set_aside(store, month_of(now + timedelta(days=1))) == {"c-tomorrow": "in_the_future"}
    assert store.counted_contact("c-skewed")["activation_id"] == gent  # type: ignore[index]


def test_a_newer_version_may_not_move_a_contact_to_another_activation(
    store: UsageStore, stream: Stream, gent: str
) -> None:
    put_activation("act-leuven", OTHER_NUMBER, START - timedelta(days=1), authority_id="24062")
    genuine = record("c-1", talk_seconds=1200)
    assert deliver(store, stream.event(genuine)) == []
    # Each newer version is updated after the genuine one ended (20 min after it began).
    moved = record("c-1", activation="act-leuven", number=OTHER_NUMBER, talk_seconds=0, updated_after=1300)
    renumbered = record("c-1", number=OTHER_NUMBER, talk_seconds=0, updated_after=1400)
    assert deliver(store, stream.event(moved, renumbered)) == []
    assert usage(store, "2026-11") == {(gent, "2026-11"): expected(genuine)}
    assert [(item["version_of"], item["reason"]) for item in store.unattributed("2026-11")] == [
        ("c-1", "moved_by_update"),
        ("c-1", "moved_by_update"),
    ]
    corrected = record("c-1", talk_seconds=900, updated_after=1500)  # a correction of durations is applied
    assert deliver(store, stream.event(corrected)) == []
    assert usage(store, "2026-11") == {(gent, "2026-11"): expected(corrected)}


def test_a_newer_version_naming_no_known_activation_corrects_the_contact_counted_by_its_number(
    store: UsageStore, stream: Stream, gent: str
) -> None:
    first = record("c-1", activation="act-unknown", talk_seconds=100)
    corrected = record("c-1", activation="act-unknown", talk_seconds=400, updated_after=600)
    assert deliver(store, stream.event(first)) == []
    assert deliver(store, stream.event(corrected)) == []
    assert usage(store, "2026-11") == {(gent, "2026-11"): expected(corrected)}
    assert store.unattributed("2026-11") == []


def test_admin_sees_why_each_record_was_set_aside(
    store: UsageStore, stream: Stream, gent: str, finance_env: None
) -> None:
    from tests.conftest import Api

    put_activation("act-antwerp", OTHER_NUMBER, START - timedelta(days=30), START - timedelta(days=20), "11002")
    unknown_number = record("c-unknown", activation=None, number="+3280099999")
    assert deliver(store, stream.event(record("c-forged", activation="act-antwerp"), unknown_number)) == []
    from infra.local import seed

    answer = Api().get("/unattributed?month=2026-11", seed.admin_credential())
    assert answer.status == 200
    assert [(c["contact_id"], c["reason"]) for c in answer.body["contacts"]] == [
        ("c-forged", "attribute_number_mismatch"),
        ("c-unknown", "no_activation"),
    ]


# ---------------------------------------------------------------------- months
def test_a_contact_is_booked_in_the_brussels_month_it_began(store: UsageStore, stream: Stream) -> None:
    # 31 October 2026 23:59:59 in Brussels is 22:59:59 UTC; one second later it is November there.
    put_activation("act-gent", NUMBER, datetime(2026, 10, 31, 12, tzinfo=UTC))
    october = record("c-oct", datetime(2026, 10, 31, 22, 59, 59, tzinfo=UTC))
    november = record("c-nov", datetime(2026, 10, 31, 23, 0, 0, tzinfo=UTC))
    assert deliver(store, stream.event(october, november)) == []
    assert usage(store, "2026-10") == {("act-gent", "2026-10"): expected(october)}
    assert usage(store, "2026-11") == {("act-gent", "2026-11"): expected(november)}


def test_a_late_record_for_a_frozen_month_is_next_months_adjustment(
    store: UsageStore, stream: Stream, gent: str
) -> None:
    on_time = record("c-1")
    assert deliver(store, stream.event(on_time)) == []
    freeze("2026-11")
    frozen_usage = usage(store, "2026-11")
    late = record("c-late", START + timedelta(hours=1), queue="D2")
    corrected = record("c-1", talk_seconds=400, updated_after=3600)
    assert deliver(store, stream.event(late, corrected)) == []
    assert usage(store, "2026-11") == frozen_usage == {(gent, "2026-11"): expected(on_time)}
    adjustment = expected(late)
    adjustment["call_seconds"] += expected(corrected)["call_seconds"] - expected(on_time)["call_seconds"]
    december = store.usage_for_month("2026-12")
    assert [(i["period"], i["month"], i["adjusts"]) for i in december] == [
        ("2026-12#adjusts#2026-11", "2026-12", "2026-11")
    ]
    assert {name: december[0][name] for name in COUNTERS} == adjustment


def test_an_adjustment_skips_every_frozen_month_to_the_first_open_one(
    store: UsageStore, stream: Stream, gent: str
) -> None:
    freeze("2026-11")
    freeze("2026-12")
    assert deliver(store, stream.event(record("c-late"))) == []
    assert usage(store, "2026-11") == {} and usage(store, "2026-12") == {}
    assert usage(store, "2027-01") == {(gent, "2027-01#adjusts#2026-11"): expected(record("c-late"))}


# ---------------------------------------------------------------------- cost
def test_a_new_record_costs_at_most_two_aws_calls(aws: None, stream: Stream, gent: str) -> None:
    from bench.common import counting_calls

    with counting_calls() as counter:
        store = UsageStore(dynamodb=boto3.client("dynamodb"))
        assert deliver(store, stream.event(record("c-warm"))) == []
        for n in range(5):
            counter.reset()
            assert deliver(store, stream.event(record(f"c-{n}", START + timedelta(minutes=n)))) == []
            assert len(counter.calls) <= 2, counter.calls
        counter.reset()
        assert deliver(store, stream.event(record("c-0", START))) == []  # a repeated delivery
        assert counter.calls == ["dynamodb.TransactWriteItems"]
        counter.reset()
        assert deliver(store, stream.event(record("c-0", START, talk_seconds=999, updated_after=9))) == []
        assert counter.calls == ["dynamodb.TransactWriteItems"] * 2


def test_the_kinesis_event_carries_base64_json(stream: Stream) -> None:
    event = stream.event(record("c-1"))
    assert json.loads(base64.b64decode(event["Records"][0]["kinesis"]["data"]))["ContactId"] == "c-1"


# ---------------------------------------------------------------------- call seconds per Brussels day
def day_seconds(store: UsageStore, month: str) -> dict[tuple[str, str], dict[str, int]]:
    return {
        (item["activation_id"], item["period"]): {
            key: value for key, value in item.items() if key.startswith("call_seconds@") and value
        }
        for item in store.usage_for_month(month)
    }


def test_call_seconds_are_also_counted_per_brussels_day_for_pricing(
    store: UsageStore, stream: Stream, gent: str
) -> None:
    # 22:30 and 23:30 UTC on 28 November are 23:30 on the 28th and 00:30 on the 29th in Brussels.
    late_evening = record("c-28", START + timedelta(hours=1), talk_seconds=100)
    after_midnight = record("c-29", START + timedelta(hours=2), talk_seconds=200)
    deliveries = [late_evening, after_midnight, late_evening]
    assert deliver(store, stream.event(*deliveries)) == []
    seconds = expected(late_evening, after_midnight)["call_seconds"]
    by_day = day_seconds(store, "2026-11")[(gent, "2026-11")]
    assert by_day == {
        "call_seconds@2026-11-28": expected(late_evening)["call_seconds"],
        "call_seconds@2026-11-29": expected(after_midnight)["call_seconds"],
    }
    assert sum(by_day.values()) == seconds


def test_an_updated_record_moves_its_day_seconds_by_the_difference(
    store: UsageStore, stream: Stream, gent: str
) -> None:
    first = record("c-1", talk_seconds=100)
    corrected = record("c-1", talk_seconds=400, updated_after=60)
    assert deliver(store, stream.event(first)) == []
    assert deliver(store, stream.event(corrected, first)) == []
    assert day_seconds(store, "2026-11")[(gent, "2026-11")] == {
        "call_seconds@2026-11-28": expected(corrected)["call_seconds"]
    }


def test_a_call_queued_on_the_stacks_own_d2_queue_counts_as_a_d2_call() -> None:
    from ingest.contact_records import read_contact_record

    def queued_on(name: str) -> int:
        made = record("c-d2", queue="D2")
        made["Queue"]["Name"] = name
        return read_contact_record(json.dumps(made)).usage.d2_calls

    # Queues carry the stack's name (template.yaml), so two stacks can share one Connect instance.
    assert [queued_on(name) for name in ("crisisline-D2", "D2", "crisisline-D5", "crisisline-D2-D5")] == [1, 1, 0, 0]


def test_a_call_marked_as_the_crisis_center_s_own_is_billed_to_no_activation_whatever_it_names(
    store: UsageStore, stream: Stream, gent: str
) -> None:
    own = record("c-own", activation="act-gent", queue=None)
    own["Attributes"]["purpose"] = "activation_by_phone"
    other = record("c-other", queue=None, activation=None)
    other["Attributes"]["purpose"] = "something_else"  # only the known purposes are the crisis center's

    assert deliver(store, stream.event(own, own, other)) == []

    assert usage(store, "2026-11") == {(gent, "2026-11"): expected(other)}
    assert store.unattributed() == []
    kept = store.counted_contact("c-own")
    assert kept is not None and kept["purpose"] == "activation_by_phone" and kept["own_month"] == "2026-11"
    assert "activation_id" not in kept and kept["calls"] == 1
