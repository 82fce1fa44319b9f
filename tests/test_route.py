"""A citizen dials a pool number: the routing function tells the contact flow whether the line is live, what
the caller hears in their language, which queue takes the call, when this hour's capacity is used up, and
falls back to D5 whenever DynamoDB fails or hangs. Activations are opened through the real API."""

from __future__ import annotations

import copy
import io
import logging
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from types import ModuleType
from typing import Any

import boto3
import pytest

from bench.common import counting_calls
from infra.local import template
from tests.conftest import Api, activation_body, load_event
from tests.route_support import SAMPLE, Attempts, InjectedErrors, SplitClient, connect_event, silent_server

NUMBER = "+3280012345"
FOUR_LANGUAGES = {
    "fr": "Restez chez vous.",
    "nl": "Blijf binnen.",
    "de": "Bleiben Sie zu Hause.",
    "en": "Stay at home.",
}


@pytest.fixture(autouse=True)
def route_environment(function_environment: Callable[..., None]) -> None:
    """RouteFunction's own environment from template.yaml, and no cached settings or client between tests."""
    function_environment("RouteFunction")


@pytest.fixture
def route(aws: None) -> ModuleType:
    """The handler module, imported as Lambda imports it."""
    from route import app

    return app


@pytest.fixture
def open_line(api: Api, gent: str, add_numbers: Any) -> Any:
    """Open Stad Gent's line through the API on a pool number; returns the activation."""

    def _open(number: str = NUMBER, **changes: Any) -> dict[str, Any]:
        add_numbers(number)
        answer = api.post("/activations", gent, activation_body(**changes))
        assert answer.status == 201, answer.body
        return answer.body  # type: ignore[no-any-return]

    return _open


def configured() -> int:
    """The calls per operator-hour that RouteFunction's environment sets (CALLS_PER_OPERATOR_HOUR)."""
    from route import settings

    return settings.route().calls_per_operator_hour


def store_with(client: Any) -> Any:
    from route import settings
    from route.store import RoutingStore

    return RoutingStore(settings.route(), client)


# ---------------------------------------------------------------------- live, inactive, unknown
def test_a_caller_on_a_live_number_is_greeted_with_the_authoritys_first_language(
    route: ModuleType, open_line: Any
) -> None:
    activation = open_line()
    answer = route.lambda_handler(connect_event(NUMBER), None)
    assert answer == {
        "status": "live",
        "activationId": activation["id"],
        "authorityName": "Stad Gent",
        "languages": "nl,en",
        "message": "Blijf binnen en sluit ramen en deuren.",
        "victimInformation": "true",
        "queue": "D5",
        "d2Refused": "false",
        "overflow": "false",
        "fallback": "false",
    }


@pytest.mark.parametrize("language", ["nl", "fr", "de", "en"])
def test_the_caller_hears_the_message_in_the_language_they_picked(
    route: ModuleType, open_line: Any, language: str
) -> None:
    open_line(languages=["fr", "nl", "de", "en"], message=FOUR_LANGUAGES)
    answer = route.lambda_handler(connect_event(NUMBER, language=language), None)
    assert answer["message"] == FOUR_LANGUAGES[language]
    assert answer["languages"] == "fr,nl,de,en"  # the authority's order, for the flow's language menu


@pytest.mark.parametrize("asked", ["de", "xx", ""])
def test_a_language_the_line_does_not_offer_falls_back_to_its_first(
    route: ModuleType, open_line: Any, asked: str
) -> None:
    open_line(languages=["en", "nl"])
    answer = route.lambda_handler(connect_event(NUMBER, language=asked), None)
    assert answer["message"] == "Stay inside; close windows and doors."


def test_a_german_caller_on_a_french_and_dutch_line_is_told_so_in_german(route: ModuleType, open_line: Any) -> None:
    open_line(languages=["fr", "nl"], message={"fr": "Restez chez vous.", "nl": "Blijf binnen."})
    answer = route.lambda_handler(connect_event(NUMBER, language="de"), None)
    assert answer["message"] == "Restez chez vous."
    assert answer["noticeLanguages"] == "de"
    assert answer["noticeDe"] == (
        "Das Krisentelefon ist auf Französisch und Niederländisch erreichbar. Es geht auf Französisch weiter."
    )
    assert not {"noticeNl", "noticeFr", "noticeEn"} & answer.keys()


@pytest.mark.parametrize("keyed", ["none", "", "9"])
def test_a_caller_who_picked_no_language_is_told_the_lines_languages_in_each_of_them(
    route: ModuleType, open_line: Any, keyed: str
) -> None:
    open_line(
        languages=["nl", "fr", "en"], message={"nl": "Blijf binnen.", "fr": "Restez chez vous.", "en": "Stay inside."}
    )
    answer = route.lambda_handler(connect_event(NUMBER, language=keyed), None)
    assert answer["noticeLanguages"] == "nl,fr,en" and answer["message"] == "Blijf binnen."
    assert (
        answer["noticeNl"] == "De crisislijn is beschikbaar in het Nederlands, het Frans en het Engels. "
        "Wij gaan verder in het Nederlands."
    )
    assert (
        answer["noticeFr"] == "La ligne de crise est disponible en néerlandais, en français et en anglais. "
        "Nous continuons en néerlandais."
    )
    assert answer["noticeEn"] == "The crisis line is available in Dutch, French and English. We will continue in Dutch."


def test_no_notice_when_the_pick_is_offered_or_there_is_nothing_to_pick(route: ModuleType, open_line: Any) -> None:
    open_line(languages=["nl", "en"])
    assert "noticeLanguages" not in route.lambda_handler(connect_event(NUMBER, language="en"), None)
    assert "noticeLanguages" not in route.lambda_handler(connect_event(NUMBER), None)  # the greeting
    assert "noticeLanguages" not in route.lambda_handler(connect_event(NUMBER, language="de", choice="1"), None)


def test_a_one_language_line_tells_only_a_caller_who_picked_another(route: ModuleType, open_line: Any) -> None:
    open_line(languages=["fr"], message={"fr": "Restez chez vous."})
    assert "noticeLanguages" not in route.lambda_handler(connect_event(NUMBER, language="none"), None)
    answer = route.lambda_handler(connect_event(NUMBER, language="en"), None)
    assert (answer["noticeLanguages"], answer["noticeEn"]) == (
        "en",
        "The crisis line is available in French. We will continue in French.",
    )


def test_the_language_code_is_read_whatever_its_case(route: ModuleType, open_line: Any) -> None:
    open_line()
    assert route.lambda_handler(connect_event(NUMBER, language=" EN "), None)["message"].startswith("Stay inside")


def test_a_pool_number_in_no_activation_is_inactive(route: ModuleType, add_numbers: Any) -> None:
    add_numbers(NUMBER)
    answer = route.lambda_handler(connect_event(NUMBER), None)
    assert answer["status"] == "inactive"
    assert answer["activationId"] == ""
    assert answer["fallback"] == "false"


def test_a_number_outside_the_pool_is_inactive(route: ModuleType, aws: None) -> None:
    assert route.lambda_handler(connect_event("+3225550000"), None)["status"] == "inactive"


def test_a_closed_line_is_inactive_at_once(route: ModuleType, api: Api, gent: str, open_line: Any) -> None:
    activation = open_line()
    assert route.lambda_handler(connect_event(NUMBER), None)["status"] == "live"
    assert api.post(f"/activations/{activation['id']}/close", gent).status == 200
    assert route.lambda_handler(connect_event(NUMBER), None)["status"] == "inactive"


def test_a_change_of_message_reaches_the_next_caller(route: ModuleType, api: Api, gent: str, open_line: Any) -> None:
    activation = open_line()
    changed = {"nl": "De brand is onder controle.", "en": "The fire is under control."}
    assert api.patch(f"/activations/{activation['id']}", gent, {"message": changed}).status == 200
    answer = route.lambda_handler(connect_event(NUMBER, language="en"), None)
    assert answer["message"] == "The fire is under control."


# ---------------------------------------------------------------------- AWS's sample event, as it is
def test_the_real_connect_sample_event_is_accepted_as_it_is(route: ModuleType, aws: None) -> None:
    answer = route.lambda_handler(load_event(SAMPLE), None)
    assert answer["status"] == "inactive"  # its number is in no pool
    assert all(isinstance(key, str) and isinstance(value, str) for key, value in answer.items())


@pytest.mark.parametrize(
    "variant", ["queue_null", "parameters_empty", "parameters_null", "parameters_absent", "media_streams"]
)
def test_the_sample_event_variants_that_connect_really_sends_are_routed(
    route: ModuleType, open_line: Any, variant: str
) -> None:
    open_line()
    event = copy.deepcopy(load_event(SAMPLE))
    event["Details"]["ContactData"]["SystemEndpoint"]["Address"] = NUMBER
    contact = event["Details"]["ContactData"]
    if variant == "queue_null":
        contact["Queue"] = None
    elif variant == "parameters_empty":
        event["Details"]["Parameters"] = {}
    elif variant == "parameters_null":
        event["Details"]["Parameters"] = None
    elif variant == "parameters_absent":
        del event["Details"]["Parameters"]
    else:
        contact["MediaStreams"] = {"Customer": {"Audio": {"StartFragmentNumber": "9134385", "StreamARN": "arn"}}}
    answer = route.lambda_handler(event, None)
    assert (answer["status"], answer["message"], answer["queue"], answer["fallback"]) == (
        "live",
        "Blijf binnen en sluit ramen en deuren.",
        "D5",
        "false",
    )


def test_the_sample_events_unknown_parameter_is_ignored(route: ModuleType, open_line: Any) -> None:
    open_line()
    event = copy.deepcopy(load_event(SAMPLE))
    event["Details"]["ContactData"]["SystemEndpoint"]["Address"] = NUMBER
    assert event["Details"]["Parameters"] == {"sentAttributeKey": "sentAttributeValue"}
    assert route.lambda_handler(event, None)["status"] == "live"


@pytest.mark.parametrize("event", [{}, {"Details": {}}, {"Details": {"ContactData": {"SystemEndpoint": None}}}, []])
def test_a_malformed_event_still_sends_the_caller_to_d5(route: ModuleType, aws: None, event: Any) -> None:
    answer = route.lambda_handler(event, None)
    assert (answer["status"], answer["queue"], answer["fallback"]) == ("live", "D5", "true")


def _nested(depth: int, leaf: Any, make: str) -> Any:
    value = leaf
    for _ in range(depth):
        value = {"CustomerEndpoint": value} if make == "dict" else [value]
    return value


ODD_EVENTS = {
    "details nested 10,000 dicts deep": lambda: {"Details": _nested(10_000, {"Address": "+32470999888"}, "dict")},
    "details nested 10,000 lists deep": lambda: {"Details": _nested(10_000, "+32470999888", "list")},
    "an endpoint nested 10,000 deep": lambda: {
        "Details": {
            "ContactData": {
                "CustomerEndpoint": _nested(10_000, "+32470999888", "dict"),
                "SystemEndpoint": _nested(10_000, 1, "list"),
            }
        }
    },
    "None": lambda: None,
    "a string": lambda: "Details",
    "a number": lambda: 3280012345,
    "not a number": lambda: float("nan"),
    "bytes": lambda: b"{}",
    "a set": lambda: {"Details"},
    "the dialled number as a number": lambda: {"Details": {"ContactData": {"SystemEndpoint": {"Address": 3280012345}}}},
    "the dialled number as a list": lambda: {"Details": {"ContactData": {"SystemEndpoint": {"Address": [NUMBER]}}}},
    "contact data as a string": lambda: {"Details": {"ContactData": "SystemEndpoint"}},
    "a contact id nested 10,000 deep": lambda: {
        "Details": {"ContactData": {"ContactId": _nested(10_000, 1, "list"), "SystemEndpoint": None}}
    },
}


@pytest.mark.parametrize("name", sorted(ODD_EVENTS))
def test_an_event_of_any_shape_or_depth_is_answered_with_the_fallback_and_never_raises(
    route: ModuleType, aws: None, name: str
) -> None:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(route.logger.registered_formatter)
    route.logger.addHandler(handler)
    try:
        answer = route.lambda_handler(ODD_EVENTS[name](), None)
    finally:
        route.logger.removeHandler(handler)
    assert (answer["status"], answer["queue"], answer["fallback"]) == ("live", "D5", "true")
    assert all(isinstance(value, str) for value in answer.values())
    assert "degraded routing" in stream.getvalue() and "+32470999888" not in stream.getvalue()


@pytest.mark.parametrize(
    "parameters",
    [
        {"language": {"nl": "nl"}},
        {"language": ["nl"], "choice": 2},
        {"choice": {"2": "2"}},
        {"language": None, "choice": None},
    ],
)
def test_parameters_of_odd_types_are_no_choice_and_the_line_still_answers(
    route: ModuleType, open_line: Any, parameters: dict[str, Any]
) -> None:
    open_line(victim_information=True)
    event = connect_event(NUMBER)
    event["Details"]["Parameters"] = parameters
    answer = route.lambda_handler(event, None)
    assert (answer["status"], answer["fallback"], answer["queue"]) == ("live", "false", "D5")
    assert answer["message"] == "Blijf binnen en sluit ramen en deuren."


def test_a_good_event_with_a_deeply_nested_extra_field_is_routed_as_usual(route: ModuleType, open_line: Any) -> None:
    open_line()
    event = connect_event(NUMBER) | {"Extra": _nested(10_000, 1, "dict")}
    event["Details"]["ContactData"]["Attributes"] = {"deep": _nested(10_000, "x", "list")}
    assert (route.lambda_handler(event, None)["status"]) == "live"


def test_parameters_that_are_not_a_map_leave_the_line_answering(route: ModuleType, open_line: Any) -> None:
    open_line()
    event = connect_event(NUMBER)
    event["Details"]["Parameters"] = "language=en"
    answer = route.lambda_handler(event, None)
    assert (answer["status"], answer["fallback"]) == ("live", "false")


def test_neither_phone_number_is_ever_logged(route: ModuleType, open_line: Any) -> None:
    open_line()
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(route.logger.registered_formatter)
    route.logger.addHandler(handler)
    try:
        for parameters in ({}, {"language": "nl"}, {"language": "nl", "choice": "2"}):
            route.lambda_handler(connect_event(NUMBER, caller="+32470999888", **parameters), None)
        route.lambda_handler(load_event(SAMPLE), None)
        route.lambda_handler({"Details": {"ContactData": {"CustomerEndpoint": {"Address": "+32470999888"}}}}, None)
    finally:
        route.logger.removeHandler(handler)
    logged = stream.getvalue()
    assert logged.count("call routed") == 4 and "degraded routing" in logged
    assert "+32470999888" not in logged
    assert "1234567890" not in logged
    assert NUMBER not in logged


# ---------------------------------------------------------------------- D5 and D2
def test_pressing_2_on_a_line_with_victim_information_reaches_d2(route: ModuleType, open_line: Any) -> None:
    open_line(victim_information=True)
    answer = route.lambda_handler(connect_event(NUMBER, language="nl", choice="2"), None)
    assert (answer["queue"], answer["d2Refused"], answer["victimInformation"]) == ("D2", "false", "true")


@pytest.mark.parametrize("choice", ["1", "5", "", "#", "22"])
def test_any_other_key_reaches_d5(route: ModuleType, open_line: Any, choice: str) -> None:
    open_line(victim_information=True)
    answer = route.lambda_handler(connect_event(NUMBER, language="nl", choice=choice), None)
    assert (answer["queue"], answer["d2Refused"]) == ("D5", "false")


@pytest.mark.parametrize("choice", ["2 ", " 2", "\t2\n", "\u00a02"])
def test_a_2_with_whitespace_around_reaches_d2(route: ModuleType, open_line: Any, choice: str) -> None:
    open_line(victim_information=True)
    answer = route.lambda_handler(connect_event(NUMBER, language="nl", choice=choice), None)
    assert answer["queue"] == "D2"


@pytest.mark.parametrize("choice", ["\u0662", "\uff12", "\u00b2", "\u06f2", "2\u20e3", "2\u200b", "*", "02", "two"])
def test_anything_but_ascii_digits_is_no_choice_and_reaches_d5(route: ModuleType, open_line: Any, choice: str) -> None:
    """DTMF gives only ASCII 0-9, * and #: another script's 2 ('٢', '２', '۲'), a superscript or a keycap is no
    choice, even where str.isdigit() would say otherwise; it still counts as the call's one counted decision."""
    open_line(victim_information=False)
    answer = route.lambda_handler(connect_event(NUMBER, language="nl", choice=choice), None)
    assert (answer["queue"], answer["d2Refused"]) == ("D5", "false")


def test_the_choice_rule_is_one_rule_for_digits_and_language_codes() -> None:
    from route.app import call_request

    def read(**parameters: Any) -> tuple[str | None, str | None]:
        request = call_request(connect_event(NUMBER, **parameters))
        return request.language, request.choice

    assert read(language=" FR\t", choice=" 2 ") == ("fr", "2")
    assert read(language="\uff26\uff32", choice="\uff12") == (None, "")  # fullwidth FR and 2: no choice
    assert read(language="f r", choice="2 2") == (None, "")
    assert read() == (None, None)  # no choice parameter: this invocation does not count the call


def test_pressing_2_where_there_is_no_d2_line_reaches_d5_and_is_told_why(route: ModuleType, open_line: Any) -> None:
    open_line(victim_information=False)
    answer = route.lambda_handler(connect_event(NUMBER, language="nl", choice="2"), None)
    assert (answer["queue"], answer["d2Refused"], answer["victimInformation"]) == ("D5", "true", "false")


def test_a_d2_line_opened_during_the_crisis_takes_the_next_caller(
    route: ModuleType, api: Api, gent: str, open_line: Any
) -> None:
    activation = open_line(victim_information=False)
    assert api.patch(f"/activations/{activation['id']}", gent, {"victim_information": True}).status == 200
    assert route.lambda_handler(connect_event(NUMBER, language="nl", choice="2"), None)["queue"] == "D2"


# ---------------------------------------------------------------------- capacity and overflow
def choose(route: ModuleType, choice: str = "1", at: datetime | None = None, number: str = NUMBER) -> dict[str, str]:
    event = connect_event(number, language="nl", choice=choice)
    if at is None:
        return route.lambda_handler(event, None)  # type: ignore[no-any-return]
    from route import settings, store

    config = settings.route()
    return route.answer(
        event,
        store.default_store(config),  # type: ignore[no-any-return]
        store.default_capacity(config).calls_per_operator_hour,
        clock=lambda: at,
    )


def test_overflow_starts_exactly_with_the_call_after_capacity(
    route: ModuleType, open_line: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CALLS_PER_OPERATOR_HOUR", "3")
    open_line(operators=2)  # capacity 6 calls this hour
    answers = [choose(route, "2" if n % 2 else "1") for n in range(8)]
    assert [a["overflow"] for a in answers] == ["false"] * 6 + ["true"] * 2
    assert all(a["fallback"] == "false" for a in answers)
    assert answers[6]["queue"] in ("D5", "D2")  # the flow still knows the caller's queue for the callback


def test_the_default_capacity_is_twelve_calls_per_operator_hour(route: ModuleType, open_line: Any) -> None:
    open_line(operators=1)
    assert [choose(route)["overflow"] for _ in range(13)] == ["false"] * 12 + ["true"]


def test_only_the_invocation_with_the_callers_choice_counts(
    route: ModuleType, open_line: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CALLS_PER_OPERATOR_HOUR", "1")
    open_line(operators=1)
    for _ in range(5):
        assert route.lambda_handler(connect_event(NUMBER), None)["overflow"] == "false"
        assert route.lambda_handler(connect_event(NUMBER, language="en"), None)["overflow"] == "false"
    assert choose(route)["overflow"] == "false"
    assert choose(route)["overflow"] == "true"
    # Once over capacity, the greeting of the next call does not say overflow: only the choice does.
    assert route.lambda_handler(connect_event(NUMBER), None)["overflow"] == "false"


def test_capacity_is_counted_per_utc_hour(route: ModuleType, open_line: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CALLS_PER_OPERATOR_HOUR", "1")
    open_line(operators=1)
    nine = datetime(2026, 11, 28, 9, 0, 1, tzinfo=UTC)
    assert choose(route, at=nine)["overflow"] == "false"
    assert choose(route, at=nine + timedelta(minutes=59))["overflow"] == "true"
    assert choose(route, at=nine + timedelta(hours=1))["overflow"] == "false"


def test_more_operators_raise_the_capacity_at_once(
    route: ModuleType, api: Api, gent: str, open_line: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CALLS_PER_OPERATOR_HOUR", "1")
    activation = open_line(operators=1)
    assert choose(route)["overflow"] == "false"
    assert choose(route)["overflow"] == "true"
    assert api.patch(f"/activations/{activation['id']}", gent, {"operators": 3}).status == 200
    assert choose(route)["overflow"] == "false"  # third call, capacity now 3


def test_each_activation_has_its_own_capacity(
    route: ModuleType, api: Api, open_line: Any, enrol: Any, add_numbers: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CALLS_PER_OPERATOR_HOUR", "1")
    open_line(operators=1)
    _, antwerp = enrol("11002", "Stad Antwerpen")
    add_numbers("+3280012399")
    assert api.post("/activations", antwerp, activation_body(operators=1)).status == 201
    assert choose(route)["overflow"] == "false"
    assert choose(route, number="+3280012399")["overflow"] == "false"


def test_concurrent_callers_never_exceed_capacity(
    route: ModuleType, open_line: Any, atomic_dynamodb: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    from route import settings, store

    monkeypatch.setenv("CALLS_PER_OPERATOR_HOUR", "5")
    open_line(operators=3)  # capacity 15
    # Every call is counted: a count that ran out of routing budget (threads queueing on the backend of a busy
    # machine) would fail open, and this test is about the counter, not the budget.
    data = Unhurried(store.default_store(settings.route()))
    start = threading.Barrier(12)

    def call(n: int) -> str:
        if n < 12:
            start.wait()
        event = connect_event(NUMBER, language="nl", choice="2" if n % 3 == 0 else "1")
        return route.answer(event, data, configured())["overflow"]  # type: ignore[no-any-return]

    with ThreadPoolExecutor(max_workers=12) as pool:
        overflows = list(pool.map(call, range(60)))
    assert data.counted == 60
    assert overflows.count("false") == 15
    assert overflows.count("true") == 45


class Unhurried:
    """The routing store with no deadline, counting the calls it counted."""

    def __init__(self, store: Any) -> None:
        self.store, self.counted, self._lock = store, 0, threading.Lock()

    def live_line(self, number: str, deadline: float) -> Any:
        return self.store.live_line(number, float("inf"))

    def count_call(self, activation_id: str, now: datetime, deadline: float) -> int:
        count = self.store.count_call(activation_id, now, float("inf"))
        with self._lock:
            self.counted += 1
        return count  # type: ignore[no-any-return]


# ---------------------------------------------------------------------- AWS calls per decision
def test_a_decision_makes_one_read_and_at_most_one_counter_update(route: ModuleType, open_line: Any) -> None:
    open_line()
    with counting_calls() as counter:
        route.lambda_handler(connect_event(NUMBER, language="en", choice="1"), None)
        assert counter.calls == ["dynamodb.GetItem", "dynamodb.UpdateItem", "dynamodb.Scan"]  # tariffs, once
        seen = []
        for parameters in ({}, {"language": "en"}, {"language": "en", "choice": "2"}):
            counter.reset()
            route.lambda_handler(connect_event(NUMBER, **parameters), None)
            seen.append(list(counter.calls))
    assert seen == [["dynamodb.GetItem"], ["dynamodb.GetItem"], ["dynamodb.GetItem", "dynamodb.UpdateItem"]]


def test_an_inactive_number_costs_one_read(route: ModuleType, aws: None) -> None:
    with counting_calls() as counter:
        route.lambda_handler(connect_event(NUMBER, language="nl", choice="1"), None)
    assert counter.calls == ["dynamodb.GetItem"]


# ---------------------------------------------------------------------- fallback: DynamoDB failing or hanging
@pytest.mark.parametrize(
    ("code", "status"),
    [
        ("ThrottlingException", 400),
        ("ProvisionedThroughputExceededException", 400),
        ("InternalServerError", 500),
        ("AccessDeniedException", 400),
    ],
)
def test_when_the_store_fails_the_caller_still_reaches_d5_with_a_generic_message(
    route: ModuleType, open_line: Any, code: str, status: int
) -> None:
    from route.store import READ_ATTEMPTS, dynamodb_client

    open_line()
    client = dynamodb_client()
    errors = InjectedErrors(client, "GetItem", code, status=status)
    answer = route.answer(connect_event(NUMBER, language="fr", choice="2"), store_with(client), configured())
    assert (answer["status"], answer["queue"], answer["fallback"], answer["overflow"]) == (
        "live",
        "D5",
        "true",
        "false",
    )
    assert "112" in answer["message"] and "ligne de crise" in answer["message"]
    assert answer["languages"] == "nl,fr,de,en"
    assert errors.attempts == (1 if code == "AccessDeniedException" else READ_ATTEMPTS)


def test_a_fallback_greeting_speaks_all_four_languages(route: ModuleType, open_line: Any) -> None:
    from route.store import dynamodb_client

    open_line()
    client = dynamodb_client()
    InjectedErrors(client, "GetItem", "ThrottlingException")
    message = route.answer(connect_event(NUMBER), store_with(client), configured())["message"]
    assert all(words in message for words in ("crisislijn", "ligne de crise", "Krisentelefon", "crisis line"))


def test_one_throttled_read_is_retried_and_the_caller_hears_the_authority(route: ModuleType, open_line: Any) -> None:
    from route.store import dynamodb_client

    open_line()
    client = dynamodb_client()
    errors = InjectedErrors(client, "GetItem", "ThrottlingException", times=1)
    answer = route.answer(connect_event(NUMBER, language="nl"), store_with(client), configured())
    assert (answer["fallback"], answer["message"]) == ("false", "Blijf binnen en sluit ramen en deuren.")
    assert errors.attempts == 2


@pytest.mark.parametrize("code", ["ThrottlingException", "InternalServerError"])
def test_when_only_the_counter_fails_the_call_keeps_its_message_and_queue_without_overflow(
    route: ModuleType, open_line: Any, monkeypatch: pytest.MonkeyPatch, code: str
) -> None:
    from route.store import dynamodb_client

    monkeypatch.setenv("CALLS_PER_OPERATOR_HOUR", "1")
    open_line(operators=1)
    assert choose(route)["overflow"] == "false"  # capacity used up
    client = dynamodb_client()
    errors = InjectedErrors(client, "UpdateItem", code, status=500 if code == "InternalServerError" else 400)
    answer = route.answer(connect_event(NUMBER, language="en", choice="2"), store_with(client), configured())
    assert (answer["status"], answer["queue"], answer["overflow"], answer["fallback"]) == (
        "live",
        "D2",
        "false",
        "false",
    )
    assert answer["message"] == "Stay inside; close windows and doors."
    # A throttled update wrote nothing and is retried once; a failed one may have counted, so it is not.
    assert errors.attempts == (2 if code == "ThrottlingException" else 1)


def test_when_dynamodb_hangs_the_caller_gets_the_fallback_after_the_reads_the_budget_holds(
    route: ModuleType, aws: None
) -> None:
    from route.store import READ_ATTEMPTS, dynamodb_client

    with silent_server() as endpoint:
        client = dynamodb_client(endpoint_url=endpoint)
        reads = Attempts(client, "GetItem")
        answer = route.answer(connect_event(NUMBER, language="de", choice="1"), store_with(client), configured())
    assert (answer["status"], answer["queue"], answer["fallback"]) == ("live", "D5", "true")
    assert "Krisentelefon" in answer["message"]
    # Each read gives up after the client's timeouts, and no read starts without one whole timeout left of the
    # budget: how long this takes is a figure of `make bench` (bench/route.py), not an assertion.
    assert 1 <= reads.count <= READ_ATTEMPTS


def test_when_the_counter_hangs_the_caller_is_queued_after_one_attempt(route: ModuleType, open_line: Any) -> None:
    from route.store import dynamodb_client

    open_line()
    with silent_server() as endpoint:
        hanging = dynamodb_client(endpoint_url=endpoint)
        counts = Attempts(hanging, "UpdateItem")
        data = store_with(SplitClient(reads=dynamodb_client(), counts=hanging))
        answer = route.answer(connect_event(NUMBER, language="nl", choice="2"), data, configured())
    assert (answer["queue"], answer["overflow"], answer["fallback"]) == ("D2", "false", "false")
    assert counts.count == 1  # a count that timed out may have been applied: never sent twice


def test_an_unexpected_failure_is_a_fallback_not_an_error(route: ModuleType, aws: None) -> None:
    class Broken:
        def live_line(self, number: str, deadline: float) -> Any:
            raise RuntimeError("bug")

        def count_call(self, activation_id: str, now: datetime, deadline: float) -> int:
            raise RuntimeError("bug")

    answer = route.answer(connect_event(NUMBER, language="en"), Broken(), configured())
    assert (answer["queue"], answer["fallback"]) == ("D5", "true")
    assert answer["message"].startswith("You are calling the crisis line")


# ---------------------------------------------------------------------- environment and template
def test_the_environment_is_checked_at_cold_start(monkeypatch: pytest.MonkeyPatch) -> None:
    from route.settings import InvalidEnvironment, RouteSettings

    good = {"NUMBERS_TABLE": "numbers", "CALL_COUNTERS_TABLE": "counters"}
    assert RouteSettings.from_environment(good).calls_per_operator_hour == 12
    for broken in (
        {"NUMBERS_TABLE": "numbers"},
        {**good, "CALLS_PER_OPERATOR_HOUR": "many"},
        {**good, "CALLS_PER_OPERATOR_HOUR": "0"},
        {**good, "ROUTE_BUDGET_SECONDS": "60"},
    ):
        with pytest.raises(InvalidEnvironment):
            RouteSettings.from_environment(broken)


def test_the_routing_function_may_only_read_numbers_and_tariffs_and_count_calls() -> None:
    function = template.resources("AWS::Serverless::Function")["RouteFunction"]["Properties"]
    statements = [s for policy in function["Policies"] for s in policy["Statement"]]
    granted = {(s["Action"], s["Resource"]["Fn::GetAtt"][0]) for s in statements}
    assert granted == {
        ("dynamodb:GetItem", "NumbersTable"),
        ("dynamodb:UpdateItem", "CallCountersTable"),
        ("dynamodb:Scan", "TariffsTable"),
    }
    assert function["Timeout"] <= 8  # Connect gives a Lambda at most 8 s


def test_call_counters_expire_by_ttl() -> None:
    table = template.resources("AWS::DynamoDB::Table")["CallCountersTable"]["Properties"]
    assert table["TimeToLiveSpecification"] == {"AttributeName": "expires_at", "Enabled": True}


# ---------------------------------------------------------------------- capacity from the tariffs
def put_tariff_version(effective_from: str, calls_per_operator_hour: int) -> None:
    boto3.client("dynamodb").put_item(
        TableName=template.physical_table_name("TariffsTable"),
        Item={"effective_from": {"S": effective_from}, "calls_per_operator_hour": {"N": str(calls_per_operator_hour)}},
    )


def test_capacity_follows_the_tariff_version_in_force(route: ModuleType, open_line: Any) -> None:
    put_tariff_version("2026-01-01T00:00:00.000Z", 2)
    put_tariff_version("2099-01-01T00:00:00.000Z", 50)  # not yet in force
    open_line(operators=1)  # capacity 1 × 2 by the tariffs (CALLS_PER_OPERATOR_HOUR says 12)
    assert [choose(route)["overflow"] for _ in range(3)] == ["false", "false", "true"]


def test_the_tariffs_are_read_once_per_process_and_cached(aws: None) -> None:
    from route.settings import RouteSettings
    from route.store import TariffCapacity, dynamodb_client

    put_tariff_version("2026-01-01T00:00:00.000Z", 7)
    settings = RouteSettings(
        numbers_table="numbers",
        call_counters_table="counters",
        tariffs_table=template.physical_table_name("TariffsTable"),
    )
    now = datetime(2026, 11, 28, 21, 30, tzinfo=UTC)
    with counting_calls() as counter:
        capacity = TariffCapacity(settings, dynamodb_client())
        answers = [capacity.calls_per_operator_hour(now, float("inf")) for _ in range(5)]
    assert answers == [7] * 5 and counter.calls == ["dynamodb.Scan"]


def test_unreadable_tariffs_leave_the_configured_capacity(aws: None) -> None:
    from route.settings import RouteSettings
    from route.store import TariffCapacity, dynamodb_client

    settings = RouteSettings(
        numbers_table="numbers",
        call_counters_table="counters",
        calls_per_operator_hour=9,
        tariffs_table="no-such-table",
    )
    capacity = TariffCapacity(settings, dynamodb_client())
    now = datetime(2026, 11, 28, 21, 30, tzinfo=UTC)
    assert capacity.calls_per_operator_hour(now, float("inf")) == 9


def test_the_configured_capacity_is_the_default_tariffs() -> None:
    from crisisline.tariffs import default_tariff
    from route import settings

    # Not restated in the template: the default tariffs' figure serves until the tariffs are read.
    assert "CALLS_PER_OPERATOR_HOUR" not in template.functions()["RouteFunction"].environment
    assert settings.route().calls_per_operator_hour == default_tariff().calls_per_operator_hour
