"""The person on duty at 3 a.m., in a car with only a phone: they call the activation line, are recognised by
their number (or key their authority's NIS code and their activator number), key their PIN, and open, change or
close the line, each step confirmed by voice and audited with `channel: "phone"`. Played through the real flow
(infra/connect/activate-by-phone.json) with the caller simulator, the phone activation function behind it."""

from __future__ import annotations

import json
import logging
import re
import string
from collections.abc import Callable
from datetime import datetime
from typing import Any

import pytest

from crisisline.aws import client
from infra.connect import checker, flows
from infra.connect.simulator import Call, simulate_activation_call
from infra.local import template
from tests.conftest import Api, authority_body, table_items

# The mayor asked for English, so that most stories below read the English texts.
MAYOR = {"name": "Mathias De Clercq", "function": "burgemeester", "phone": "+32475123456", "language": "en"}
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


# ---------------------------------------------------------------------- the activator's language
def _french(line: Line) -> None:
    answer = line.api.call(
        "PATCH", f"/authorities/44021/activators/{line.officer['id']}", line.admin, {"language": "fr"}
    )
    assert answer.status == 200, answer.body


def _texts_in(language: str) -> list[re.Pattern[str]]:
    """Every text of the activation by phone in `language`, placeholders as wildcards; the PIN's welcome is
    spoken together with the menu."""
    from activate import by_phone

    written = {key: by_phone.texts()[key][language] for key in by_phone.texts()}
    written["accepted"] = f"{written['hello']} {written['menu']}"

    def pattern(text: str) -> re.Pattern[str]:
        parsed = string.Formatter().parse(text)
        return re.compile("".join(re.escape(literal) + (".+" if field else "") for literal, field, _, _ in parsed))

    return [pattern(text) for text in written.values()]


def test_a_french_activator_recognised_by_their_number_hears_every_prompt_in_french(line: Line) -> None:
    _french(line)

    call = line.call(OFFICER["phone"], ["999111", PIN], "open")

    french = _texts_in("fr")
    assert call.heard, "the caller heard nothing"
    for utterance in call.heard:
        assert utterance.voice == "Isabelle", utterance
        assert any(pattern.fullmatch(utterance.text) for pattern in french), utterance.text
    heard = _heard(call)
    assert "Tapez 1 si vous êtes Anne Peeters, pour Stad Gent." in heard
    assert "Ce n'est pas correct ; encore 2 essais." in heard
    assert "Bonjour, Anne Peeters. Tapez 1 pour ouvrir la ligne" in heard
    assert "La ligne est ouverte. Son numéro est le" in heard
    [live] = line.live()
    assert live["opened_by"]["name"] == OFFICER["name"]


def test_a_caller_not_recognised_picks_french_at_the_language_menu_and_hears_french_from_then_on(line: Line) -> None:
    _french(line)
    line.call(MAYOR["phone"], PIN, "open")

    call = line.call(STRANGER, PIN, "operators:6", nis="44021", activator="1", language="fr")

    menu = [(u.voice, u.text) for u in call.heard[:4]]
    assert menu == [
        ("Lisa", "Activering van de crisislijn: voor Nederlands, druk 1."),
        ("Isabelle", "Activation de la ligne de crise : pour le français, tapez 2."),
        ("Vicki", "Aktivierung des Krisentelefons: für Deutsch drücken Sie 3."),
        ("Amy", "Crisis line activation: for English, press 4."),
    ]
    french = _texts_in("fr")
    for utterance in call.heard[4:]:
        assert utterance.voice == "Isabelle"
        assert any(pattern.fullmatch(utterance.text) for pattern in french), utterance.text
    assert "Tapez le code INS de votre autorité" in _heard(call)
    assert "C'est fait : 6 opérateurs répondent désormais. Au revoir." in _heard(call)
    assert line.live()[0]["operators"] == 6


def test_a_recognised_number_whose_caller_is_someone_else_gets_the_language_menu(line: Line) -> None:
    call = line.call(MAYOR["phone"], PIN, "close", nis="44021", activator="2", language="de")

    heard = _heard(call)
    assert "Press 1 if you are Mathias De Clercq" in heard
    assert "Geben Sie den NIS-Code Ihrer Behörde ein" in heard
    assert call.heard[-1].voice == "Vicki"
    assert call.heard[-1].text.startswith("Ihre Leitung ist nicht offen.")


def test_a_caller_who_keys_nothing_at_the_language_menu_hears_english() -> None:
    from activate import by_phone

    call = by_phone.PhoneCall("contact-1", STRANGER, {"step": "prompts", "language": "Timeout"})
    assert by_phone.prompts(call)["language"] == "en"
    assert by_phone.prompts(call)["askPin"] == "Key your PIN, then the hash key."


def test_every_text_is_written_in_the_four_languages_with_the_same_placeholders() -> None:
    from activate import by_phone

    def placeholders(text: str) -> set[str]:
        return {field for _, field, _, _ in string.Formatter().parse(text) if field is not None}

    assert len(by_phone.texts()) >= 20
    for key, versions in by_phone.texts().items():
        assert sorted(versions) == sorted(by_phone.LANGUAGES), key
        english = placeholders(versions["en"])
        for language, text in versions.items():
            assert text.strip() and "<" not in text, (key, language)
            assert placeholders(text) == english, (key, language)
    assert set(by_phone.FLOW_PROMPTS) <= set(by_phone.texts())


def test_every_prompt_the_flow_speaks_itself_is_one_the_function_gives() -> None:
    from activate import by_phone

    flow = flows.load("activate-by-phone.json")
    kept = next(a for a in flow["Actions"] if a["Identifier"] == "keep-prompts")["Parameters"]["FlowAttributes"]
    assert set(kept) == set(by_phone.FLOW_PROMPTS)
    spoken = {
        a["Parameters"]["Text"].removeprefix("$.FlowAttributes.")
        for a in flow["Actions"]
        if a["Type"] in ("MessageParticipant", "GetParticipantInput")
        and a["Parameters"]["Text"].startswith("$.FlowAttributes.")
    }
    assert spoken - {"offer"} <= set(by_phone.FLOW_PROMPTS)


# ---------------------------------------------------------------------- metering: the crisis center's own calls
def test_the_call_is_marked_as_an_activation_by_phone_before_anything_else() -> None:
    flow = flows.load("activate-by-phone.json")
    first = next(a for a in flow["Actions"] if a["Identifier"] == flow["StartAction"])
    assert first["Type"] == "UpdateContactAttributes"
    assert first["Parameters"]["Attributes"] == {"purpose": "activation_by_phone"}


def test_a_call_to_the_activation_line_is_metered_once_as_the_crisis_center_s_own_call(
    line: Line, function_environment: Callable[..., None]
) -> None:
    from crisisline.months import month_of
    from infra.local.stack import LambdaContext
    from infra.local.streams import kinesis_event
    from ingest import app
    from ingest.contact_records import read_contact_record
    from ingest.metering import meter_contact_record
    from ingest.usage_store import UsageStore

    call = line.call(MAYOR["phone"], PIN, "open")
    record = call.record
    assert record["Attributes"]["purpose"] == "activation_by_phone"
    assert "activationId" not in record["Attributes"] and PIN not in json.dumps(record)
    function_environment("MeterFunction")
    store = UsageStore()

    def deliver(first_sequence: int, copies: int) -> list[Any]:
        records = [
            {
                "SequenceNumber": str(first_sequence + n),
                "Data": json.dumps(record).encode(),
                "PartitionKey": record["ContactId"],
                "ApproximateArrivalTimestamp": 1_800_000_000,
            }
            for n in range(copies)
        ]
        event = kinesis_event(records, "crisisline-ContactRecordStream", function="MeterFunction")
        return list(app.lambda_handler(event, LambdaContext("MeterFunction"), store=store)["batchItemFailures"])

    assert deliver(1, 2) == []  # delivered twice in one batch
    assert deliver(3, 1) == []  # and once more later

    month = month_of(datetime.fromisoformat(record["InitiationTimestamp"].replace("Z", "+00:00")))
    assert store.usage_for_month(month) == []  # billed to no authority
    assert store.unattributed() == []  # and not waiting for finance's review
    own = store.counted_contact(record["ContactId"])
    assert own is not None
    assert own["purpose"] == "activation_by_phone" and own["own_month"] == month
    assert own["calls"] == 1 and "activation_id" not in own and "unattributed_month" not in own
    again = meter_contact_record(read_contact_record(json.dumps(record)), store)
    assert again.result == "unchanged"
