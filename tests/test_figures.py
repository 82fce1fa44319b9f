"""A line's figures per quarter hour and per hour: what the authority, the crisis center and the operators read
of a line's calls, waits and capacity, from routing's counters and the contact records metering keeps."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from crisisline.clock import utc_now
from crisisline.figures import ContactFacts, Figures, line_figures, newest_versions, percentile
from infra.connect.contact_record import AgentAnswer, Contact, QueueVisit, contact_record
from infra.local import template
from infra.local.stack import LambdaContext
from infra.local.streams import kinesis_event
from tests.conftest import Api, activation_body
from tests.route_support import connect_event

OPENED = datetime(2026, 11, 29, 10, 5, tzinfo=UTC)
UNTIL = datetime(2026, 11, 29, 11, 40, tzinfo=UTC)
# 2 operators when the line opened, 5 from 10:20.
TIMELINE = [(OPENED, 2), (datetime(2026, 11, 29, 10, 20, tzinfo=UTC), 5)]


def at(minute: int, hour: int = 10) -> datetime:
    return datetime(2026, 11, 29, hour, minute, tzinfo=UTC)


def facts(contact_id: str, initiated: datetime, *, updated: datetime | None = None, **fields: Any) -> ContactFacts:
    return ContactFacts(contact_id, (updated or initiated + timedelta(minutes=3)).isoformat(), initiated, **fields)


def inbound(contact_id: str, initiated: datetime, queue: str | None, wait: int, talk: int | None, **kw: Any) -> Any:
    return facts(
        contact_id,
        initiated,
        picked_queue=True,
        queue=queue,
        answered=talk is not None,
        queue_seconds=wait if queue else None,
        agent_seconds=talk,
        **kw,
    )


CONTACTS = [
    inbound("a", at(6), "D5", 10, 100),
    inbound("b", at(7), "D2", 40, 200),
    inbound("b", at(7), "D2", 40, 200),  # the same ContactId twice
    inbound("c", at(10), "D5", 90, None),  # hung up in the queue
    facts("g", at(12)),  # hung up in the language menu: never offered
    inbound("d", at(16), None, 0, None),  # over capacity: offered a callback
    facts("e", at(16), callback=True, answered=True, queue="D5", queue_seconds=45, agent_seconds=300),
    # Its record arrived an hour after the call: counted in the quarter the call began.
    inbound("f", at(31), "D5", 20, 150, updated=at(35, hour=11)),
]


def twelve(_: datetime) -> int:
    return 12


def figures(contacts: list[ContactFacts] = CONTACTS, routed: dict[str, int] | None = None, **kw: Any) -> Figures:
    return line_figures(
        contacts,
        {"2026-11-29T10Z": 6} if routed is None else routed,
        kw.get("timeline", TIMELINE),
        kw.get("per_operator", twelve),
        OPENED,
        UNTIL,
    )


def test_each_quarter_hour_counts_its_calls_from_the_contact_records_once() -> None:
    first, second, third, *rest = figures().quarter_hours
    assert (first.start, first.end) == ("2026-11-29T10:00:00Z", "2026-11-29T10:15:00Z")
    assert first.calls_offered == 3  # a, b (twice in the records), c; not g, who never picked a queue
    assert (first.calls_answered, first.abandoned_in_queue) == (2, 1)
    assert first.d2_share == 0.3333
    assert (first.wait_median_seconds, first.wait_p90_seconds) == (40, 90)
    assert first.handle_mean_seconds == 150.0
    assert (second.callbacks_offered, second.callbacks_completed, second.handle_mean_seconds) == (1, 1, 300.0)
    assert second.wait_median_seconds is None  # the callback's wait is not a caller's wait in the queue
    assert (third.calls_offered, third.calls_answered, third.wait_p90_seconds) == (1, 1, 20)
    assert len(rest) == 4 and rest[-1].end == "2026-11-29T11:45:00Z"


def test_an_older_version_of_a_contact_read_late_does_not_replace_the_newer_one() -> None:
    newer = inbound("x", at(6), "D5", 10, 100, updated=at(20))
    older = inbound("x", at(6), "D5", 10, None, updated=at(9))
    assert newest_versions([newer, older]) == [newer]
    assert figures([newer, older]).quarter_hours[0].calls_answered == 1


def test_an_hour_takes_routings_count_at_once_and_its_overflow_beyond_capacity() -> None:
    ten, eleven = figures().hours
    assert ten.routed == 6 and ten.calls_offered == 6  # the records know 5 of them so far
    assert (ten.calls_answered, ten.abandoned_in_queue, ten.callbacks_completed) == (3, 1, 1)
    assert eleven.routed is None and eleven.calls_offered == 0
    crowded = figures(routed={"2026-11-29T10Z": 70}).hours[0]
    assert crowded.callbacks_offered == 70 - 60  # beyond 5 operators x 12


def test_the_totals_take_percentiles_over_every_call() -> None:
    totals = figures().totals
    assert (totals.start, totals.end) == ("2026-11-29T10:05:00Z", "2026-11-29T11:40:00Z")
    assert (totals.calls_offered, totals.calls_answered, totals.abandoned_in_queue) == (6, 3, 1)
    assert (totals.wait_median_seconds, totals.wait_p90_seconds) == (20, 90)  # of 10, 20, 40, 90
    assert totals.handle_mean_seconds == 187.5  # (100 + 200 + 300 + 150) / 4
    assert totals.d2_share == 0.25


def test_the_capacity_follows_the_operator_timeline_and_the_tariff_in_force() -> None:
    def per_operator(instant: datetime) -> int:
        return 12 if instant < at(0, hour=11) else 10

    made = figures(per_operator=per_operator)
    quarters = [(bucket.operators, bucket.capacity_per_hour) for bucket in made.quarter_hours]
    assert quarters[:3] == [(2, 24), (5, 60), (5, 60)]  # 5 from 10:20, in force at the second quarter's end
    assert quarters[-1] == (5, 50)  # the tariff version of 11:00: 10 calls per operator-hour
    assert [(hour.operators, hour.capacity_per_hour) for hour in made.hours] == [(5, 60), (5, 50)]
    assert (made.totals.operators, made.totals.capacity_per_hour) == (5, 50)


def test_percentiles_are_nearest_rank() -> None:
    assert percentile(list(range(1, 11)), 0.5) == 5
    assert percentile(list(range(1, 11)), 0.9) == 9
    assert percentile([7], 0.9) == 7
    assert percentile([], 0.5) is None


# ---------------------------------------------------------------------- through the API, with real records
INSTANCE = "arn:aws:connect:eu-central-1:123456789012:instance/00000000-0000-4000-8000-000000000000"


def record(contact_id: str, number: str, activation_id: str, start: datetime, wait: int, talk: int | None) -> Any:
    """A contact record as Connect writes it (infra/connect/contact_record.py) of a caller who picked D5."""
    left = start + timedelta(seconds=20 + wait)
    return contact_record(
        Contact(
            account_id=template.LOCAL_ACCOUNT,
            instance_arn=INSTANCE,
            contact_id=contact_id,
            initial_contact_id=None,
            previous_contact_id=None,
            initiation_method="INBOUND",
            system_number=number,
            customer_number="+32470123456",
            initiated=start,
            connected_to_system=start,
            disconnected=left + timedelta(seconds=talk or 0),
            disconnect_reason="CUSTOMER_DISCONNECT",
            attributes={"activationId": activation_id, "language": "nl", "choice": "1"},
            queue=QueueVisit(f"{INSTANCE}/queue/d5", "D5", start + timedelta(seconds=20), left),
            agent=AgentAnswer(f"{INSTANCE}/agent/op-1", "op-1", left, talk) if talk else None,
        )
    )


def meter(*records: dict[str, Any]) -> None:
    from ingest import app

    event = kinesis_event(
        [
            {
                "SequenceNumber": str(49_650_000_000_000_000_000 + index),
                "Data": json.dumps(made).encode(),
                "PartitionKey": made["ContactId"],
                "ApproximateArrivalTimestamp": utc_now(),
            }
            for index, made in enumerate(records)
        ],
        "crisisline-ContactRecordStream",
        function="MeterFunction",
    )
    assert app.lambda_handler(event, LambdaContext("MeterFunction"))["batchItemFailures"] == []


@pytest.fixture
def gent_line(
    api: Api, gent: str, add_numbers: Any, function_environment: Callable[..., None], monkeypatch: pytest.MonkeyPatch
) -> tuple[str, str, str]:
    function_environment("ActivateFunction", "RouteFunction", "MeterFunction")
    monkeypatch.setenv("ROUTE_BUDGET_SECONDS", "5")
    add_numbers("+3280012345")
    opened = api.post("/activations", gent, activation_body(operators=2))
    assert opened.status == 201, opened.body
    return gent, opened.body["id"], opened.body["number"]


def test_the_authority_reads_its_routed_calls_at_once_and_the_records_once_metered(
    api: Api, gent_line: tuple[str, str, str]
) -> None:
    from route import app as route

    token, activation_id, number = gent_line
    for _ in range(3):
        route.lambda_handler(connect_event(number, language="nl", choice="1"), None)
    before = api.get(f"/activations/{activation_id}/figures", token)
    assert before.status == 200, before.body
    assert before.body["hours"][-1]["calls_offered"] == 3
    assert before.body["totals"]["calls_answered"] == 0
    start = utc_now().replace(microsecond=0) - timedelta(seconds=30)
    answered, abandoned = (
        record("c-1", number, activation_id, start, 30, 200),
        record("c-2", number, activation_id, start, 70, None),
    )
    meter(answered, abandoned, answered)  # the same contact record twice
    after = api.get(f"/activations/{activation_id}/figures", token).body["totals"]
    assert (after["calls_offered"], after["calls_answered"], after["abandoned_in_queue"]) == (3, 1, 1)
    assert (after["wait_median_seconds"], after["wait_p90_seconds"], after["handle_mean_seconds"]) == (30, 70, 200.0)
    assert (after["operators"], after["capacity_per_hour"]) == (2, 24)
    assert "+32470123456" not in json.dumps(after)


def test_figures_are_read_by_the_lines_authority_admin_and_operators_only(
    api: Api, admin: str, enrol: Any, gent_line: tuple[str, str, str]
) -> None:
    token, activation_id, _ = gent_line
    _, antwerp = enrol("11002", "Stad Antwerpen")
    operator = str(api.post("/credentials", admin, {"role": "operator", "label": "Call center"}).body["token"])
    finance = str(api.post("/credentials", admin, {"role": "finance", "label": "Finance"}).body["token"])
    for route in ("figures", "advice"):
        path = f"/activations/{activation_id}/{route}"
        assert [api.get(path, who).status for who in (token, admin, operator)] == [200, 200, 200]
        assert api.get(path, antwerp).status == 404
        assert api.get(path, finance).status == 403
    assert api.post(f"/activations/{activation_id}/close", token).status == 200
    assert api.get(f"/activations/{activation_id}/figures", operator).status == 404  # as the briefing
    assert api.get(f"/activations/{activation_id}/figures", token).status == 200


def test_a_long_busy_line_has_its_figures_in_seconds_not_minutes() -> None:
    import time

    opened = datetime(2026, 10, 2, 7, 0, tzinfo=UTC)
    many = [
        inbound(f"c-{n}", opened + timedelta(seconds=n * 86), "D5", 20, 100) for n in range(25_000)
    ]  # 25 days, one call every 86 s
    started = time.perf_counter()
    made = line_figures(many, {}, [(opened, 4)], twelve, opened, opened + timedelta(days=25))
    assert time.perf_counter() - started < 10  # each of 3,000 buckets used to scan every call: over 30 s
    assert sum(bucket.calls_offered for bucket in made.hours) == made.totals.calls_offered == 25_000
