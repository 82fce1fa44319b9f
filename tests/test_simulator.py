"""A caller through the real entry flow (infra/connect/crisis-line.json): what they hear, where the call ends,
and the contact records metering will read. The routing function is a small fake that keeps its contract here,
and the real one behind a started local stack at the end."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from typing import Any

import boto3
import pytest
from moto import mock_aws

from infra.connect import checker, contact_record, flows
from infra.connect.simulator import (
    CALLBACK_MENU,
    HANDLERS,
    LANGUAGE_DIGITS,
    LANGUAGE_MENUS,
    QUEUE_MENU,
    SIMULATED_CALLER,
    Call,
    InvocationFailed,
    LambdaEndpoint,
    QueueState,
    Timing,
    simulate_call,
)
from tests.conftest import RunningStack, activation_body

POOL_NUMBER = "+3280012345"
START = datetime(2026, 11, 28, 21, 30, tzinfo=UTC)
MESSAGES = {
    "fr": "Restez chez vous, fermez portes et fenêtres.",
    "nl": "Blijf binnen, sluit deuren en ramen.",
    "en": "Stay inside; close windows and doors.",
}


class FakeRoute:
    """The routing function's contract, for one live activation (or none)."""

    def __init__(
        self,
        live: bool = True,
        languages: str = "fr,nl,en",
        victim_information: bool = True,
        overflow: bool = False,
        fallback: bool = False,
        fail_on: int | None = None,
        answer: Any = None,
    ) -> None:
        self.live, self.languages, self.victim_information = live, languages, victim_information
        self.overflow, self.fallback, self.fail_on, self.answer = overflow, fallback, fail_on, answer
        self.events: list[dict[str, Any]] = []

    def __call__(self, function: str, event: dict[str, Any]) -> Any:
        assert function == "RouteFunction"
        self.events.append(event)
        if self.fail_on == len(self.events):
            raise InvocationFailed("Task timed out after 3.00 seconds")
        if self.answer is not None:
            return self.answer
        if self.fallback:
            return {
                "status": "live",
                "fallback": "true",
                "queue": "D5",
                "overflow": "false",
                "message": "",
                "languages": "",
                "activationId": "",
                "authorityName": "",
                "victimInformation": "false",
            }
        if not self.live:
            return {"status": "inactive", "fallback": "false"}
        parameters = event["Details"]["Parameters"]
        languages = self.languages.split(",")
        language = parameters.get("language") if parameters.get("language") in languages else languages[0]
        wants_d2 = parameters.get("choice") == "2"
        answer = {
            "status": "live",
            "activationId": "act-7f3a",
            "authorityName": "Ville de Bruxelles",
            "languages": self.languages,
            "message": MESSAGES[language],
            "victimInformation": "true" if self.victim_information else "false",
            "queue": "D2" if wants_d2 and self.victim_information else "D5",
            "d2Refused": "true" if wants_d2 and not self.victim_information else "false",
            "overflow": "true" if self.overflow and "choice" in parameters else "false",
            "fallback": "false",
        }
        return answer


def call(route: FakeRoute, **kwargs: Any) -> Call:
    kwargs.setdefault("timing", Timing(start=START, queue_seconds=45, talk_seconds=180))
    return simulate_call(POOL_NUMBER, invoker=route, **kwargs)


def texts(result: Call) -> list[str]:
    return [utterance.text for utterance in result.heard]


def test_a_french_caller_who_presses_2_hears_the_message_in_french_and_reaches_d2() -> None:
    route = FakeRoute()
    result = call(route, language="fr", press="2")
    assert (result.ending, result.queue) == ("queue", "D2")
    message = next(u for u in result.heard if u.text == MESSAGES["fr"])
    assert message.voice == "Isabelle"
    assert [e["Details"]["Parameters"] for e in route.events] == [
        {},
        {"language": "fr"},
        {"language": "fr", "choice": "2"},
    ]
    assert result.attributes["activationId"] == "act-7f3a"


def test_the_greeting_is_spoken_in_dutch_french_german_and_english_before_anything_else() -> None:
    result = call(FakeRoute(), language="nl", press="1")
    assert [u.voice for u in result.heard[:4]] == ["Lisa", "Isabelle", "Vicki", "Amy"]


@pytest.mark.parametrize("language", ["nl", "fr", "en"])
def test_each_offered_language_plays_the_message_in_that_language(language: str) -> None:
    result = call(FakeRoute(), language=language, press="1")
    assert MESSAGES[language] in texts(result)
    assert result.attributes["language"] == language and result.queue == "D5"


def test_the_menu_offers_only_the_authoritys_languages() -> None:
    result = call(FakeRoute(languages="nl,fr"), language="nl", press="1")
    menu = [t for t in texts(result) if re.search(r"(druk|tapez|drücken|press) \d\.$", t)]
    assert menu == ["Voor Nederlands, druk 1.", "Pour le français, tapez 2."]


def test_a_caller_who_presses_nothing_or_an_unoffered_language_hears_the_first_language() -> None:
    for language in (None, "de"):
        result = call(FakeRoute(languages="nl,fr,en"), language=language, press="1")
        assert MESSAGES["nl"] in texts(result), language
        assert result.attributes["language"] == "nl"


def test_an_inactive_number_says_so_reminds_of_112_in_four_languages_and_hangs_up() -> None:
    route = FakeRoute(live=False)
    result = call(route, language="fr", press="2")
    assert result.ending == "hang-up" and result.queue is None and len(route.events) == 1
    reminders = [t for t in texts(result) if "112" in t]
    assert len(reminders) == 4
    record = result.record
    assert record["DisconnectReason"] == "CONTACT_FLOW_DISCONNECT" and record["Queue"] is None
    assert "activationId" not in record["Attributes"]


def test_pressing_2_where_there_is_no_d2_line_reaches_d5_without_the_d2_menu() -> None:
    route = FakeRoute(victim_information=False)
    result = call(route, language="fr", press="2")
    assert result.queue == "D5"
    assert route.events[-1]["Details"]["Parameters"] == {"language": "fr", "choice": "1"}
    assert not any("personne" in t for t in texts(result))


def test_a_refused_d2_is_explained_before_d5() -> None:
    refusing = FakeRoute()
    refusing.answer = None

    def route(function: str, event: dict[str, Any]) -> Any:
        answer = refusing(function, event)
        if "choice" in event["Details"]["Parameters"]:
            answer.update(queue="D5", d2Refused="true")
        return answer

    result = simulate_call(POOL_NUMBER, language="en", press="2", invoker=route, timing=Timing(start=START))
    assert result.queue == "D5"
    assert any("no victim information line" in t for t in texts(result))


def test_overflow_plays_the_message_once_and_a_caller_who_accepts_gets_a_queued_callback() -> None:
    result = call(FakeRoute(overflow=True), language="fr", press="1")
    assert (result.ending, result.queue) == ("callback", "D5")
    assert texts(result).count(MESSAGES["fr"]) == 1
    inbound, callback = result.records()
    assert inbound["DisconnectReason"] == "CONTACT_FLOW_DISCONNECT" and inbound["Queue"] is None
    assert callback["InitiationMethod"] == "CALLBACK" and callback["PreviousContactId"] == inbound["ContactId"]
    assert callback["Attributes"]["activationId"] == "act-7f3a" and callback["Queue"]["Name"] == "crisisline-D5"
    assert callback["CustomerEndpoint"]["Address"] == SIMULATED_CALLER


def test_a_caller_who_declines_the_callback_hears_goodbye_and_the_line_hangs_up() -> None:
    result = call(FakeRoute(overflow=True), language="nl", press="1", callback=False)
    assert result.ending == "hang-up" and len(result.records()) == 1
    assert "112" in texts(result)[-1]


@pytest.mark.parametrize("state", [QueueState(oldest_contact_age_seconds=601), QueueState(at_capacity=True)])
def test_a_saturated_queue_offers_the_callback_instead_of_queueing(state: QueueState) -> None:
    result = call(FakeRoute(), language="fr", press="2", queues={"D2": state})
    assert (result.ending, result.queue) == ("callback", "D2")


@pytest.mark.parametrize("failing", [1, 2, 3])
def test_a_failing_routing_function_still_ends_in_a_spoken_message_and_d5(failing: int) -> None:
    result = call(FakeRoute(fail_on=failing), language="fr", press="2")
    assert (result.ending, result.queue) == ("queue", "D5")
    assert any("problème technique" in t for t in texts(result))


def test_a_fallback_answer_goes_to_d5_with_a_generic_message() -> None:
    result = call(FakeRoute(fallback=True), language="fr", press="2")
    assert (result.ending, result.queue) == ("queue", "D5")
    assert any("technical problem" in t for t in texts(result))


def test_an_answer_that_is_not_a_flat_map_of_strings_takes_the_error_branch_to_d5() -> None:
    result = call(FakeRoute(answer={"status": "live", "overflow": False}), language="fr")
    assert result.queue == "D5" and result.invocations[0].error


def test_the_event_has_connects_shape_and_the_dialled_number() -> None:
    route = FakeRoute()
    call(route, language="fr", press="1")
    event = route.events[1]
    assert event["Name"] == "ContactFlowEvent"
    contact = event["Details"]["ContactData"]
    assert contact["SystemEndpoint"] == {"Address": POOL_NUMBER, "Type": "TELEPHONE_NUMBER"}
    assert contact["Channel"] == "VOICE" and contact["InitiationMethod"] == "INBOUND"
    assert contact["Attributes"]["activationId"] == "act-7f3a"


def test_the_contact_record_is_deterministic_for_a_given_start_and_durations() -> None:
    first = call(FakeRoute(), language="fr", press="2", contact_id="c-1").record
    again = call(FakeRoute(), language="fr", press="2", contact_id="c-1").record
    assert first == again
    assert first["AWSContactTraceRecordFormatVersion"] == "2017-03-10"
    assert first["InitiationTimestamp"] == "2026-11-28T21:30:00Z"
    queue = first["Queue"]
    assert queue["Name"] == "crisisline-D2" and queue["Duration"] == 45
    assert first["Agent"]["ConnectedToAgentTimestamp"] == queue["DequeueTimestamp"]
    assert first["Agent"]["AgentInteractionDuration"] == 180
    stamps = [first[k] for k in ("InitiationTimestamp", "ConnectedToSystemTimestamp", "DisconnectTimestamp")]
    assert all(re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", s) for s in stamps)
    assert stamps == sorted(stamps) and queue["EnqueueTimestamp"] < queue["DequeueTimestamp"]


def test_a_caller_who_gives_up_in_the_queue_has_no_agent_on_the_record() -> None:
    record = call(
        FakeRoute(), language="fr", press="1", timing=Timing(start=START, queue_seconds=90, answered=False)
    ).record
    assert record["Agent"] is None and record["Queue"]["Duration"] == 90
    assert record["DisconnectReason"] == "CUSTOMER_DISCONNECT"


def test_the_transcript_never_shows_the_callers_number() -> None:
    result = call(FakeRoute(overflow=True), language="fr", press="1", caller_number="+32499123456")
    assert "+32499123456" not in result.transcript()
    assert "call ends: callback requested in D5" in result.transcript()


def test_contact_records_go_on_a_kinesis_stream_as_json() -> None:
    result = call(FakeRoute(overflow=True), language="fr", press="1")
    with mock_aws():
        kinesis = boto3.client("kinesis", region_name="eu-central-1")
        kinesis.create_stream(StreamName="contact-records", ShardCount=1)
        assert contact_record.put_on_stream(result.records(), "contact-records", kinesis) == 2
        shard = kinesis.describe_stream(StreamName="contact-records")["StreamDescription"]["Shards"][0]["ShardId"]
        iterator = kinesis.get_shard_iterator(
            StreamName="contact-records", ShardId=shard, ShardIteratorType="TRIM_HORIZON"
        )["ShardIterator"]
        records = [json.loads(r["Data"]) for r in kinesis.get_records(ShardIterator=iterator)["Records"]]
    assert [r["ContactId"] for r in records] == [r["ContactId"] for r in result.records()]
    assert records[0]["Attributes"]["activationId"] == "act-7f3a"


def test_the_simulator_plays_exactly_the_action_types_the_checker_allows() -> None:
    assert set(HANDLERS) == set(checker.ALLOWED_TYPES)


def test_the_menus_the_simulated_caller_answers_exist_and_announce_its_digits() -> None:
    actions = {a["Identifier"]: a for a in flows.load()["Actions"]}
    assert {*LANGUAGE_MENUS, QUEUE_MENU, CALLBACK_MENU} <= set(actions)
    for language, digit in LANGUAGE_DIGITS.items():
        # Each language's input block speaks that language's menu line as its prompt, the line played when the
        # language is not the last one offered.
        menu = actions[f"pick-language-{language}"]
        assert menu["Parameters"]["Text"].endswith(f"{digit}.")
        if language != "en":
            assert actions[f"menu-{language}"]["Parameters"]["Text"] == menu["Parameters"]["Text"]
        for pick in LANGUAGE_MENUS:
            assert {"Equals": [digit]} in [
                {c["Condition"]["Operator"]: c["Condition"]["Operands"]}
                for c in actions[pick]["Transitions"]["Conditions"]
            ]


# ---------------------------------------------------------------------- through a started local stack
def test_a_caller_through_the_local_stack_reaches_d2_and_the_record_names_the_activation(
    local_stack: RunningStack,
) -> None:
    from tests.test_local_stack import http

    api, token = local_stack.api_url, local_stack.authority_token
    body = activation_body(
        languages=["fr", "nl"], message={"fr": "Restez chez vous.", "nl": "Blijf binnen."}, victim_information=True
    )
    status, _, opened = http("POST", f"{api}/activations", token, body, {"Idempotency-Key": "simulator-e2e"})
    assert status == 201, opened
    endpoint = LambdaEndpoint(local_stack.lambda_port)
    try:
        result = simulate_call(opened["number"], language="fr", press="2", invoker=endpoint, timing=Timing(start=START))
        assert (result.ending, result.queue) == ("queue", "D2"), result.transcript()
        assert "Restez chez vous." in texts(result)
        assert result.record["Attributes"]["activationId"] == opened["id"]
        unknown = simulate_call("+3280099999", language="fr", invoker=endpoint, timing=Timing(start=START))
        assert unknown.ending == "hang-up"
    finally:
        assert http("POST", f"{api}/activations/{opened['id']}/close", token)[0] == 200
    closed = simulate_call(opened["number"], language="fr", invoker=endpoint, timing=Timing(start=START))
    assert closed.ending == "hang-up" and any("112" in t for t in texts(closed))


# ---------------------------------------------------------------------- `make call` against `make run`
def test_make_call_books_the_call_through_the_stream_into_the_months_export(
    local_stack: RunningStack, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import time

    from crisisline.months import month_of
    from infra.connect import simulator
    from tests.test_local_stack import http

    api, token, admin = local_stack.api_url, local_stack.authority_token, local_stack.admin_token
    body = activation_body(
        languages=["fr", "nl"], message={"fr": "Restez chez vous.", "nl": "Blijf binnen."}, victim_information=True
    )
    status, _, opened = http("POST", f"{api}/activations", token, body, {"Idempotency-Key": "make-call-e2e"})
    assert status == 201, opened
    monkeypatch.setenv("CRISISLINE_LAMBDA_PORT", str(local_stack.lambda_port))
    monkeypatch.setenv("CRISISLINE_MOTO_PORT", str(local_stack.moto_port))
    try:
        assert simulator.main(["--number", opened["number"], "--lang", "fr", "--press", "2"]) == 0
        said = capsys.readouterr().out
        assert "call ends: queued in D2" in said and "1 contact record(s)" in said
        line: dict[str, Any] = {}
        deadline = time.monotonic() + 20
        while not line.get("calls") and time.monotonic() < deadline:
            status, _, export = http("GET", f"{api}/exports/{month_of(datetime.now(UTC))}", admin)
            assert status == 200, export
            line = next((item for item in export["lines"] if item["activation_id"] == opened["id"]), {})
            time.sleep(0.2)
        assert (line.get("calls"), line.get("d2_calls"), line.get("answered_calls")) == (1, 1, 1), line
    finally:
        assert http("POST", f"{api}/activations/{opened['id']}/close", token)[0] == 200


@pytest.mark.parametrize("number", ["", "3280012345", "+32 800 12 345"])
def test_make_call_without_a_pool_number_says_how_to_give_one(number: str, capsys: pytest.CaptureFixture[str]) -> None:
    from infra.connect import simulator

    assert simulator.main(["--number", number]) == 2
    said = capsys.readouterr()
    assert "NUMBER" in said.err and "make call NUMBER=+" in said.err and said.out == ""


def test_make_call_without_a_running_stack_says_so_and_fails(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import socket

    from infra.connect import simulator

    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    monkeypatch.setenv("CRISISLINE_LAMBDA_PORT", str(port))
    assert simulator.main(["--number", POOL_NUMBER, "--lang", "fr"]) == 1
    said = capsys.readouterr()
    assert f"127.0.0.1:{port}" in said.err and "make run" in said.err and "CRISISLINE_LAMBDA_PORT" in said.err
    assert said.out == ""


# ---------------------------------------------------------------------- `make call-d2`: a relative's call to D2
def test_make_call_d2_plays_a_relatives_call_to_d2_and_records_the_enquiry_with_its_contact_id(
    local_stack: RunningStack, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from infra.connect import simulator
    from tests.test_local_stack import http

    api, token, admin = local_stack.api_url, local_stack.authority_token, local_stack.admin_token
    body = activation_body(languages=["nl", "fr"], message={"nl": "Blijf binnen.", "fr": "Restez chez vous."})
    status, _, opened = http("POST", f"{api}/activations", token, body, {"Idempotency-Key": "make-call-d2-e2e"})
    assert status == 201, opened
    status, _, issued = http("POST", f"{api}/credentials", admin, {"role": "d2_agent", "label": "Els Janssens"})
    assert status == 201, issued
    monkeypatch.setenv("CRISISLINE_LAMBDA_PORT", str(local_stack.lambda_port))
    monkeypatch.setenv("CRISISLINE_MOTO_PORT", str(local_stack.moto_port))
    monkeypatch.setenv("CRISISLINE_D2_TOKEN", issued["token"])
    try:
        argv = ["--number", opened["number"], "--lang", "nl", "--press", "2", "--record-enquiry", "--api-url", api]
        assert simulator.main(argv) == 0
        said = capsys.readouterr().out
        assert "call ends: queued in D2" in said
        reference = re.search(r"enquiry recorded: reference (\S+) \(contact ([0-9a-f-]+)\)", said)
        assert reference is not None, said
        contact_id = reference.group(2)
        assert f"{api}/console/?activationId={opened['id']}&contactId={contact_id}" in said
        status, _, enquiry = http(
            "GET", f"{api}/activations/{opened['id']}/enquiries/{reference.group(1)}", issued["token"]
        )
        assert status == 200, enquiry
        assert enquiry["contact_id"] == contact_id and enquiry["enquirer"]["language"] == "nl"
        assert SIMULATED_CALLER not in said and issued["token"] not in said
    finally:
        assert http("POST", f"{api}/activations/{opened['id']}/close", token)[0] == 200


def test_make_call_d2_without_a_d2_token_says_how_to_get_one(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from infra.connect import simulator

    monkeypatch.delenv("CRISISLINE_D2_TOKEN", raising=False)
    assert simulator.main(["--number", POOL_NUMBER, "--press", "2", "--record-enquiry"]) == 2
    said = capsys.readouterr()
    assert "d2_agent" in said.err and "D2_TOKEN" in said.err and said.out == ""
