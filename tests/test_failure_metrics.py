"""Every failure a function logs is also counted as a CloudWatch metric (EMF lines on stdout), so that an alarm
can tell the crisis center's duty officer; a routed call or a metered record publishes no metric line at all.
Each test drives one failure path and reads the metric lines the function printed."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from crisisline.errors import StoreUnavailable
from crisisline.observability import FAILURES
from finance.billing_store import BillingStore
from infra.local import template
from infra.local.stack import LambdaContext
from route.models import LiveLine
from tests.billing_support import finance_env
from tests.conftest import Api, activation_body
from tests.route_support import InjectedErrors, connect_event
from tests.test_meter_ingest import Stream, deliver, record

CAPACITY = 12  # calls per operator-hour: routing with a store of its own, as the surge replay does

__all__ = ["finance_env"]  # fixtures

NUMBER = "+3280012345"
Published = Callable[[], Counter[str]]


@pytest.fixture
def published(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> Published:
    """The metrics published since the last read, by name, from the EMF lines printed (metrics are on here)."""
    from crisisline.observability import metrics

    monkeypatch.setenv("POWERTOOLS_METRICS_DISABLED", "false")
    metrics.clear_metrics()  # what earlier tests counted while metrics were off
    capsys.readouterr()

    def read() -> Counter[str]:
        counted: Counter[str] = Counter()
        for line in capsys.readouterr().out.splitlines():
            try:
                blob = json.loads(line)
            except ValueError:
                continue
            if not isinstance(blob, dict) or "_aws" not in blob:
                continue
            for directive in blob["_aws"]["CloudWatchMetrics"]:
                assert directive["Namespace"] == template.environment()["POWERTOOLS_METRICS_NAMESPACE"]
                for metric in directive["Metrics"]:
                    value = blob[metric["Name"]]
                    counted[metric["Name"]] += int(sum(value) if isinstance(value, list) else value)
                    assert metric["Unit"] == "Count"
        return counted

    return read


# ---------------------------------------------------------------------- routing (every citizen's call)
@pytest.fixture
def route(aws: None, monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """The routing handler in RouteFunction's own environment (its import reads it)."""
    for key, value in template.functions()["RouteFunction"].environment.items():
        if key != "POWERTOOLS_SERVICE_NAME":  # the API's loggers live in this process too
            monkeypatch.setenv(key, value)
    from route import app, settings

    settings.route.cache_clear()
    yield app
    settings.route.cache_clear()


class LineData:
    """A live line whose reading or counting can be made to fail."""

    def __init__(self, read_fails: bool = False, count_fails: bool = False) -> None:
        self.read_fails, self.count_fails = read_fails, count_fails

    def live_line(self, number: str, deadline: float) -> LiveLine | None:
        if self.read_fails:
            raise StoreUnavailable("throttled")
        return LiveLine(
            activation_id="act-1",
            authority_name="Stad Gent",
            languages=("nl", "en"),
            message={"nl": "Blijf binnen.", "en": "Stay inside."},
            victim_information=True,
            operators=2,
        )

    def count_call(self, activation_id: str, now: datetime, deadline: float) -> int:
        if self.count_fails:
            raise StoreUnavailable("throttled")
        return 1


def test_a_call_routed_as_usual_publishes_no_metric_line(route: Any, published: Published) -> None:
    answer = route.answer(connect_event(NUMBER, language="nl", choice="2"), LineData(), CAPACITY)
    assert answer["queue"] == "D2"
    assert published() == Counter()


def test_a_caller_sent_to_the_fallback_is_counted(route: Any, published: Published) -> None:
    answer = route.answer(connect_event(NUMBER, language="nl"), LineData(read_fails=True), CAPACITY)
    assert answer["fallback"] == "true"
    assert published() == Counter({"RoutingFallbacks": 1})


def test_a_call_counted_without_its_capacity_check_is_counted(route: Any, published: Published) -> None:
    answer = route.answer(connect_event(NUMBER, language="en", choice="1"), LineData(count_fails=True), CAPACITY)
    assert (answer["fallback"], answer["overflow"]) == ("false", "false")
    assert published() == Counter({"RoutingCapacityUnchecked": 1})


def test_a_malformed_connect_event_is_counted_with_its_fallback(route: Any, published: Published) -> None:
    answer = route.answer({"Details": "not a map"}, LineData(), CAPACITY)
    assert answer["fallback"] == "true"
    assert published() == Counter({"MalformedConnectEvents": 1, "RoutingFallbacks": 1})


def test_a_routing_error_nobody_foresaw_is_counted_with_its_fallback(route: Any, published: Published) -> None:
    class Broken(LineData):
        def live_line(self, number: str, deadline: float) -> LiveLine | None:
            raise RuntimeError("bug")

    answer = route.answer(connect_event(NUMBER, language="en"), Broken(), CAPACITY)
    assert answer["fallback"] == "true"
    assert published() == Counter({"RoutingErrors": 1, "RoutingFallbacks": 1})


def test_a_failure_outside_any_decision_is_counted(
    route: Any, published: Published, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken_log(*_: Any) -> None:
        raise RuntimeError("bug")

    monkeypatch.setattr(route, "_log", broken_log)
    answer = route.answer(connect_event(NUMBER, language="en"), LineData(), CAPACITY)
    assert answer["fallback"] == "true"
    assert published() == Counter({"RoutingErrors": 1, "RoutingFallbacks": 1})


def test_a_metric_that_cannot_be_published_does_not_fail_the_call(
    route: Any, published: Published, monkeypatch: pytest.MonkeyPatch
) -> None:
    from crisisline.observability import metrics

    def unpublishable(**_: Any) -> None:
        raise ValueError("EMF refused")

    monkeypatch.setattr(metrics, "flush_metrics", unpublishable)
    answer = route.answer(connect_event(NUMBER, language="nl"), LineData(read_fails=True), CAPACITY)
    assert (answer["queue"], answer["fallback"]) == ("D5", "true")
    metrics.clear_metrics()


# ---------------------------------------------------------------------- the API and its authorizer
def test_an_api_request_answered_503_is_counted(api: Api, gent: str, published: Published) -> None:
    from crisisline.aws import client

    InjectedErrors(client("dynamodb"), "Query", "ProvisionedThroughputExceededException")
    answer = api.get("/activations", gent)
    assert answer.status == 503
    assert published()["StoreUnavailable"] == 1


def test_a_token_that_cannot_be_checked_is_counted(api: Api, gent: str, published: Published) -> None:
    from crisisline.aws import client

    InjectedErrors(client("dynamodb"), "GetItem", "InternalServerError", status=500)
    answer = api.get("/activations", gent)
    assert answer.status == 503
    assert published()["AuthorizerErrors"] == 1


def test_a_line_opened_whose_idempotency_record_was_not_completed_is_counted(
    api: Api, gent: str, add_numbers: Any, published: Published
) -> None:
    from crisisline.aws import client

    add_numbers(NUMBER)
    InjectedErrors(client("dynamodb"), "UpdateItem", "InternalServerError", status=500)
    answer = api.post("/activations", gent, activation_body(), headers={"Idempotency-Key": "night-1"})
    assert answer.status == 201
    assert published()["IdempotencyRecordsNotCompleted"] == 1


# ---------------------------------------------------------------------- metering and month close
def test_a_contact_record_set_aside_is_counted(aws: None, published: Published) -> None:
    from ingest.usage_store import UsageStore

    stream = Stream()
    assert deliver(UsageStore(), stream.event(b"{not json", {**record("c-1"), "ContactId": ""})) == []
    assert published() == Counter({"ContactRecordsSetAside": 2})


def test_a_contact_record_left_to_lambdas_retries_is_counted(aws: None, published: Published) -> None:
    from ingest.usage_store import UsageStore

    class Throttled(UsageStore):
        def book(self, booking: Any) -> None:
            raise StoreUnavailable("throttled")

        def set_aside(self, item: dict[str, Any]) -> None:
            raise StoreUnavailable("throttled")

    stream = Stream()
    event = stream.event(record("c-1"), b"{not json")
    assert len(deliver(Throttled(), event)) == 2  # one not metered, one not even set aside
    assert published() == Counter({"ContactRecordsRetried": 2})


def test_a_failed_month_close_is_counted_and_still_raises(aws: None, finance_env: None, published: Published) -> None:
    from finance.month_close import lambda_handler

    class S3Down(BillingStore):
        def put_file(self, key: str, body: bytes, export_format: str, sha256_hex: str) -> None:  # type: ignore[override]
            raise StoreUnavailable("S3 did not answer")

    with pytest.raises(StoreUnavailable):
        lambda_handler(
            {}, LambdaContext("MonthCloseFunction"), store=S3Down(), now=datetime(2026, 11, 1, 5, tzinfo=UTC)
        )
    assert published() == Counter({"MonthCloseFailures": 1})


def test_a_failed_pool_deploy_is_counted(published: Published) -> None:
    from connect_setup import app

    from tests.test_connect_setup import Down, FakeTable, event

    answers: list[dict[str, Any]] = []
    app.lambda_handler(event(), None, Down([]), lambda url, body: answers.append(body), FakeTable())
    assert answers[0]["Status"] == "FAILED"
    assert published() == Counter({"PoolNumbersFailures": 1})


# ---------------------------------------------------------------------- the list the duty officer reads
def test_every_failure_metric_is_explained_in_the_readme() -> None:
    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Observability", 1)[1].split("\n## ", 1)[0]
    assert [name for name in FAILURES if f"`{name}`" not in section] == []
