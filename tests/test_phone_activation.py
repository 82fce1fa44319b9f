"""The person on duty at 3 a.m., in a car with only a phone: they call the activation line, are recognised by
their number (or key their authority's NIS code and their activator number), key their PIN, and open, change or
close the line, each step confirmed by voice and audited with `channel: "phone"`. Played through the real flow
(infra/connect/activate-by-phone.json) with the caller simulator, the phone activation function behind it."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from typing import Any

import pytest

from crisisline.aws import client
from infra.connect import checker, flows
from infra.connect.simulator import Call, simulate_activation_call
from infra.local import template
from tests.conftest import Api, authority_body, table_items

MAYOR = {"name": "Mathias De Clercq", "function": "burgemeester", "phone": "+32475123456", "language": "nl"}
OFFICER = {"name": "Anne Peeters", "function": "noodplanningsambtenaar", "phone": "+32476654321", "language": "nl"}
PIN = "482915"
STRANGER = "+32499000111"
DEFAULTS = {"nl": "Blijf binnen en sluit ramen en deuren.", "en": "Stay inside; close windows and doors."}


class Line:
    """Stad Gent (44021) with its mayor and officer as activators, both with PIN 482915, and two pool numbers."""

    def __init__(self, api: Api, admin: str) -> None:
        self.api, self.admin = api, admin
        assert api.post("/authorities", admin, authority_body(activators=[MAYOR, OFFICER])).status == 201
        for number in ("+3280012345", "+3280012346"):
            assert api.post("/numbers", admin, {"number": number, "kind": "toll_free"}).status == 201
        listed = api.get("/authorities/44021/activators", admin).body["activators"]
        self.mayor, self.officer = listed
        for person in listed:
            answer = api.call("PUT", f"/authorities/44021/activators/{person['id']}/pin", admin, {"pin": PIN})
            assert answer.status == 200, answer.body
        client("dynamodb").update_item(
            TableName=template.physical_table_name("AuthoritiesTable"),
            Key={"id": {"S": "44021"}},
            UpdateExpression="SET default_message = :m",
            ExpressionAttributeValues={":m": {"M": {k: {"S": v} for k, v in DEFAULTS.items()}}},
        )

    def call(self, caller: str, pins: list[str] | str, choice: str, **keys: Any) -> Call:
        return simulate_activation_call(caller, pins, choice, invoker=phone_function, **keys)

    def live(self) -> list[dict[str, Any]]:
        return [a for a in self.api.get("/activations?status=live", self.admin).body["activations"]]


def phone_function(function: str, event: dict[str, Any]) -> Any:
    """The phone activation function as Connect invokes it (JSON in, JSON out)."""
    from activate import phone

    assert function == "PhoneActivationFunction"
    return json.loads(json.dumps(phone.lambda_handler(json.loads(json.dumps(event)), None)))


@pytest.fixture
def line(api: Api, admin: str) -> Line:
    return Line(api, admin)


@pytest.fixture
def alerts(line: Line) -> Callable[[], list[dict[str, Any]]]:
    """The messages published to the duty officer's topic (through a queue subscribed to it)."""
    sqs, sns = client("sqs"), client("sns")
    queue = sqs.create_queue(QueueName="duty-officer-inbox")["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    sns.subscribe(TopicArn=template.topic_arn("DutyOfficerTopic"), Protocol="sqs", Endpoint=arn)

    def read() -> list[dict[str, Any]]:
        messages = sqs.receive_message(QueueUrl=queue, MaxNumberOfMessages=10).get("Messages", [])
        return [json.loads(message["Body"]) for message in messages]

    return read


def _heard(call: Call) -> str:
    return " | ".join(utterance.text for utterance in call.heard)


def _phone_audit(action: str) -> list[dict[str, Any]]:
    return [
        item
        for item in table_items("AuditTable")
        if item["action"]["S"] == action and item.get("channel", {}).get("S") == "phone"
    ]


# ---------------------------------------------------------------------- the flow itself
def test_the_activation_flow_passes_the_checker_and_is_in_the_template() -> None:
    assert checker.check_files(flows.flow_files(), template.load()) == []
    held = {file for file, _ in flows.template_flows().values()}
    assert "infra/connect/activate-by-phone.json" in held


def test_no_contact_attribute_of_the_activation_flow_takes_stored_input() -> None:
    flow = flows.load("activate-by-phone.json")
    for action in flow["Actions"]:
        if action["Type"] == "UpdateContactAttributes":
            assert "StoredCustomerInput" not in json.dumps(action["Parameters"])
    pin_step = next(a for a in flow["Actions"] if a["Identifier"] == "ask-pin")
    assert pin_step["Parameters"]["StoreInput"] == "True"


# ---------------------------------------------------------------------- recognised, and opening the line
def test_an_activator_recognised_by_their_number_opens_the_line_with_the_default_message(line: Line) -> None:
    call = line.call(MAYOR["phone"], PIN, "open")

    heard = _heard(call)
    assert "Press 1 if you are Mathias De Clercq for Stad Gent" in heard
    [live] = line.live()
    assert live["message"] == DEFAULTS and live["languages"] == ["nl", "en"]
    assert live["channel"] == "phone" and live["opened_by"]["name"] == MAYOR["name"]
    spoken = " ".join(live["number"].lstrip("+"))
    assert f"The line is open. Its number is {spoken}." in heard
    [opened] = _phone_audit("open")
    assert opened["actor"]["M"]["activator_id"]["S"] == line.mayor["id"]
    assert opened["actor"]["M"]["name"]["S"] == MAYOR["name"]
    assert call.ending == "hang-up"


def test_a_caller_not_recognised_keys_the_nis_code_and_their_activator_number(line: Line) -> None:
    call = line.call(STRANGER, PIN, "open", nis="44021", activator="2")

    assert "Press 1 if you are" not in _heard(call)
    [live] = line.live()
    assert live["opened_by"]["name"] == OFFICER["name"]


def test_a_wrong_pin_then_the_right_one_opens_the_line(line: Line) -> None:
    call = line.call(MAYOR["phone"], ["999111", PIN], "open")

    assert "That is not right; 2 tries left." in _heard(call)
    assert len(line.live()) == 1


def test_three_wrong_pins_lock_the_activator_and_alert_the_crisis_center(
    line: Line, alerts: Callable[[], list[dict[str, Any]]]
) -> None:
    call = line.call(MAYOR["phone"], ["999111", "999112", "999113", PIN], "open")

    assert "This PIN is locked for 15 minutes" in _heard(call)
    assert line.live() == []
    [alert] = alerts()
    assert "three wrong PINs" in alert["Message"] and MAYOR["name"] in alert["Message"]
    assert MAYOR["phone"] not in alert["Message"] and "999111" not in alert["Message"]
    # A fourth try, even the right PIN, is refused without being compared, and alerts nobody again.
    again = line.call(MAYOR["phone"], PIN, "open")
    assert "This PIN is locked" in _heard(again)
    assert line.live() == [] and alerts() == []


def test_tries_are_limited_per_calling_number_whoever_the_caller_claims_to_be(line: Line) -> None:
    for authority_guess in range(5):
        line.call(STRANGER, ["111222", "111223"], "open", nis="44021", activator=str(authority_guess + 3))
    refused = line.call(STRANGER, PIN, "open", nis="44021", activator="1")

    assert "Too many tries from this phone" in _heard(refused)
    assert line.live() == []
    # Counted under the number's keyed hash, never the number.
    assert STRANGER not in json.dumps(table_items("PhoneActivationTable"))


# ---------------------------------------------------------------------- templates, operators, close
def test_an_incident_template_opens_the_line_in_the_authority_s_languages(line: Line) -> None:
    from crisisline.incidents import templates

    line.call(MAYOR["phone"], PIN, "template:2")

    [live] = line.live()
    second = templates()[1]
    assert live["message"] == {language: second["message"][language] for language in ("nl", "en")}
    assert live["operators"] == 2


def test_the_activator_changes_the_operators_of_the_live_line(line: Line) -> None:
    line.call(MAYOR["phone"], PIN, "open")
    call = line.call(MAYOR["phone"], PIN, "operators:7")

    assert "Done: 7 operators answer from now on." in _heard(call)
    [live] = line.live()
    assert live["operators"] == 7
    [update] = _phone_audit("update")
    assert update["actor"]["M"]["name"]["S"] == MAYOR["name"]


def test_the_activator_closes_the_line(line: Line) -> None:
    line.call(MAYOR["phone"], PIN, "open")
    call = line.call(MAYOR["phone"], PIN, "close")

    assert "The line is closed." in _heard(call)
    assert line.live() == []
    assert len(_phone_audit("close")) == 1


# ---------------------------------------------------------------------- failing safe, and keeping the PIN
def test_any_failure_sends_the_caller_to_the_duty_officer(line: Line) -> None:
    from activate import phone

    class Broken:
        def __getattr__(self, name: str) -> Any:
            raise RuntimeError("the store is gone")

    def broken(function: str, event: dict[str, Any]) -> Any:
        return phone.lambda_handler(event, None, stores=(Broken(), Broken()))  # type: ignore[arg-type]

    call = simulate_activation_call(MAYOR["phone"], PIN, "open", invoker=broken)

    assert call.ending == "queue" and call.queue == "duty-officer"
    assert "duty officer" in _heard(call)


def test_the_pin_is_in_no_attribute_record_transcript_answer_or_log(
    line: Line, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)  # the functions log at INFO (template)
    call = line.call(MAYOR["phone"], ["999111", PIN], "open")
    logs = " ".join(f"{record.getMessage()} {record.__dict__}" for record in caplog.records)

    assert len(line.live()) == 1
    shown = json.dumps([call.attributes, call.records(), [i.answer for i in call.invocations]]) + call.transcript()
    for secret in (PIN, "999111"):
        assert secret not in shown
        assert secret not in logs
    assert MAYOR["phone"] not in logs
    assert "phone activation step" in logs  # the function did log its steps
