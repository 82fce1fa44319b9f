"""The caller simulator: plays one caller through a contact flow of this folder, as Amazon Connect would run it,
against the routing function behind the local stack's Lambda endpoint (or any invoker a test passes). It reports
what the caller hears, where the call ends (a queue, a callback, a hang-up) and the contact records Connect would
write.

    make call NUMBER=+3280012345 LANG=fr PRESS=2            # against `make run`; its records are metered
    python -m infra.connect.simulator --number +3280012345 --lang fr --press 2 --record
    make call-d2 NUMBER=+3280012345 D2_TOKEN=…             # a relative reaches D2; an agent records the enquiry

It interprets exactly the action types the checker allows. Time is simulated: a prompt takes one second per 15
characters, the caller answers a menu after two seconds, and queue and talk durations are given, so every record
is deterministic for a given start instant."""

from __future__ import annotations

import argparse
import json
import math
import os
import re
import sys
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from infra.connect import contact_record, flows
from infra.connect.contact_record import AgentAnswer, Contact, QueueVisit
from infra.local import template as cfn

# The menus of crisis-line.json that the caller answers, and the digits its language menu announces.
# The language menu's input is the last offered language's line (`pick-language-<language>`), so any of them.
LANGUAGE_MENUS = tuple(f"pick-language-{language}" for language in ("nl", "fr", "de", "en"))
QUEUE_MENU = "ask-queue"
CALLBACK_MENU = "offer-callback"
LANGUAGE_DIGITS = {"nl": "1", "fr": "2", "de": "3", "en": "4"}
# The local stack's name: the template names its queues `<stack>-D5` and `<stack>-D2`, as contact records carry them.
LOCAL_STACK = "crisisline"
SIMULATED_CALLER = "+32470000000"  # a made-up caller; never printed
INSTANCE_ID = "00000000-0000-4000-8000-000000000000"
CHARACTERS_PER_SECOND = 15
ANSWER_SECONDS = 2
MAX_STEPS = 500
STORED_INPUT = "$.StoredCustomerInput"
E164 = re.compile(r"^\+[1-9][0-9]{6,14}$")

Invoker = Callable[[str, dict[str, Any]], Any]
"""Invokes a function (logical id) with Connect's event and returns its answer; raises InvocationFailed."""


class InvocationFailed(Exception):
    """The Lambda call failed as Connect sees it: an error, a timeout, or no answer."""


class FlowError(Exception):
    """The flow did something a caller must never get: an error without a branch, a loop, an unknown action."""


class LambdaEndpoint:
    """Invokes through the Lambda Invoke API of the local stack (`make run`), port CRISISLINE_LAMBDA_PORT."""

    def __init__(self, port: int | None = None) -> None:
        import boto3
        from botocore.config import Config

        port = port or int(os.environ.get("CRISISLINE_LAMBDA_PORT", "3001"))
        self.client = boto3.client(
            "lambda",
            endpoint_url=f"http://127.0.0.1:{port}",
            region_name=cfn.LOCAL_REGION,
            aws_access_key_id="local",
            aws_secret_access_key="local",  # noqa: S106 - the local stack checks none
            config=Config(connect_timeout=2, read_timeout=8, retries={"max_attempts": 0}),
        )

    def __call__(self, function: str, event: dict[str, Any]) -> Any:
        try:
            answer = self.client.invoke(FunctionName=function, Payload=json.dumps(event).encode())
        except Exception as error:  # whatever the transport says, Connect takes the error branch
            raise InvocationFailed(f"{type(error).__name__}: {error}") from error
        payload = answer["Payload"].read()
        if answer.get("FunctionError"):
            raise InvocationFailed(payload.decode(errors="replace")[:300])
        return json.loads(payload) if payload else None


@dataclass
class QueueState:
    """What CheckMetricData and TransferContactToQueue see of a queue."""

    oldest_contact_age_seconds: int = 0
    contacts_in_queue: int = 0
    agents_available: int = 1
    at_capacity: bool = False


@dataclass
class Caller:
    """The person on the line: their number and what they key in at each menu (action identifier → digits;
    a menu missing here times out)."""

    number: str = SIMULATED_CALLER
    answers: dict[str, str | list[str]] = field(default_factory=dict)

    def keys(self, menu: str) -> str:
        """What the caller keys at `menu` this time: the answer, or the next of a list of answers (one per visit;
        none once the list is used up)."""
        answer = self.answers.get(menu)
        if isinstance(answer, list):
            return answer.pop(0) if answer else ""
        return answer or ""


@dataclass
class Timing:
    """Simulated time: the call's first instant, how long a queued caller waits, whether an operator answers,
    and how long they talk (to the operator, or on the callback)."""

    start: datetime = field(default_factory=lambda: datetime.now(UTC).replace(microsecond=0))
    queue_seconds: int = 30
    talk_seconds: int = 120
    answered: bool = True


@dataclass(frozen=True)
class Utterance:
    voice: str
    text: str


@dataclass(frozen=True)
class Invocation:
    parameters: dict[str, str]
    answer: dict[str, str] | None
    error: str | None = None
    function: str = "routing function"


@dataclass
class Call:
    """One simulated call: what was heard, pressed and decided, how it ended, and its contact records."""

    dialled: str
    heard: list[Utterance] = field(default_factory=list)
    pressed: list[str] = field(default_factory=list)
    path: list[str] = field(default_factory=list)
    invocations: list[Invocation] = field(default_factory=list)
    attributes: dict[str, str] = field(default_factory=dict)
    ending: str = ""  # queue | callback | hang-up
    queue: str | None = None  # D5 | D2 when the ending is queue or callback
    contacts: list[Contact] = field(default_factory=list)

    def records(self) -> list[dict[str, Any]]:
        """Every contact record of the call: the inbound contact, then the callback contact if one was made."""
        return [contact_record.contact_record(contact) for contact in self.contacts]

    @property
    def record(self) -> dict[str, Any]:
        """The inbound contact's record."""
        return self.records()[0]

    def transcript(self) -> str:
        """What the caller experienced, for people; it never shows the caller's number."""
        lines = [f"call to {self.dialled}"]
        heard, pressed = iter(self.heard), iter(self.pressed)
        for step in self.path:
            if step.startswith("say:"):
                utterance = next(heard)
                lines.append(f"  hears [{utterance.voice}] {utterance.text}")
            elif step.startswith("press:"):
                lines.append(f"  presses {next(pressed) or '(nothing)'}")
            elif step.startswith("route:"):
                invocation = self.invocations[int(step.split(":")[1])]
                shown = invocation.error or ", ".join(
                    f"{key}={value}" for key, value in (invocation.answer or {}).items() if key != "message"
                )
                sent = ", ".join(f"{k}={v}" for k, v in invocation.parameters.items()) or "no parameters"
                lines.append(f"  {invocation.function} ({sent}): {shown}")
        ending = {
            "queue": f"queued in {self.queue}",
            "callback": f"callback requested in {self.queue}",
            "hang-up": "hang-up",
        }.get(self.ending, self.ending)
        lines.append(f"call ends: {ending}")
        inbound = self.contacts[0] if self.contacts else None
        if self.ending == "queue" and inbound and inbound.agent and inbound.queue:
            lines.append(f"  answered by an operator after {inbound.queue.seconds} s")
        if self.attributes.get("activationId"):
            lines.append(f"  contact record: activationId={self.attributes['activationId']}")
        return "\n".join(lines)


@dataclass
class _Resources:
    """How the flow's `${…}` references resolve locally: functions by logical id, queues to a local ARN."""

    instance_arn: str
    queue_names: dict[str, str]

    @classmethod
    def from_template(cls, template: dict[str, Any] | None = None) -> _Resources:
        template = template or cfn.load()
        names = {
            logical_id: _stack_named(body.get("Properties", {}).get("Name", logical_id))
            for logical_id, body in cfn.resources("AWS::Connect::Queue", template).items()
        }
        return cls(f"arn:aws:connect:{cfn.LOCAL_REGION}:{cfn.LOCAL_ACCOUNT}:instance/{INSTANCE_ID}", names)

    def queue_arn(self, logical_id: str) -> str:
        return f"{self.instance_arn}/queue/{logical_id}"

    def resolve(self, text: str) -> str:
        def one(found: re.Match[str]) -> str:
            logical_id, attribute = found.group(1), found.group(2)
            if logical_id in self.queue_names or (attribute or "").startswith("Queue"):
                return self.queue_arn(logical_id)
            return logical_id  # a function: the local endpoint serves it by logical id

        return flows.REFERENCE.sub(one, text)

    def queue_name(self, arn: str) -> str:
        """The queue's name on the instance, as its contact records carry it (`crisisline-D5`)."""
        logical_id = arn.rsplit("/", 1)[-1]
        return self.queue_names.get(logical_id, logical_id)

    def queue_role(self, arn: str) -> str:
        """Which of the line's queues it is (`D5`, `D2`), as the routing function names them."""
        return self.queue_name(arn).removeprefix(f"{LOCAL_STACK}-")


def _stack_named(name: Any) -> str:
    """A template name, `!Sub "${AWS::StackName}-D5"` or written out, as the local stack's."""
    text = name.get("Fn::Sub", "") if isinstance(name, dict) else name
    return str(text).replace("${AWS::StackName}", LOCAL_STACK)


def _named(function: str) -> str:
    return "routing function" if function == "RouteFunction" else function


def _seconds_to_say(text: str) -> int:
    return max(1, math.ceil(len(text) / CHARACTERS_PER_SECOND))


def _matches(operator: str, operand: str, value: str) -> bool:
    if operator == "Equals":
        return value == operand
    if operator == "TextContains":
        return operand in value
    if operator == "TextStartsWith":
        return value.startswith(operand)
    if operator == "TextEndsWith":
        return value.endswith(operand)
    try:
        number, limit = float(value), float(operand)
    except ValueError:
        return False
    return {
        "NumberGreaterThan": number > limit,
        "NumberGreaterOrEqualTo": number >= limit,
        "NumberLessThan": number < limit,
        "NumberLessOrEqualTo": number <= limit,
    }.get(operator, False)


class _Run:
    """The interpreter: one contact going through one flow."""

    def __init__(
        self,
        flow: dict[str, Any],
        number: str,
        caller: Caller,
        invoker: Invoker,
        timing: Timing,
        queues: dict[str, QueueState],
        resources: _Resources,
        contact_id: str,
    ) -> None:
        self.actions = {action["Identifier"]: action for action in flow["Actions"]}
        self.start_action = flow["StartAction"]
        self.caller, self.invoker, self.timing, self.queues = caller, invoker, timing, queues
        self.resources = resources
        self.now = timing.start
        self.call = Call(dialled=number)
        self.contact_id = contact_id
        self.voice = "Joanna"  # Connect's default until UpdateContactTextToSpeechVoice runs
        self.data: dict[str, Any] = {
            "External": {},
            "Attributes": self.call.attributes,
            "FlowAttributes": {},
            "Channel": "VOICE",
            "ContactId": contact_id,
            "InitialContactId": contact_id,
            "InstanceARN": resources.instance_arn,
            "CustomerEndpoint": {"Address": caller.number, "Type": "TELEPHONE_NUMBER"},
            "SystemEndpoint": {"Address": number, "Type": "TELEPHONE_NUMBER"},
            "LanguageCode": "en-US",
        }
        self.target_queue: str | None = None
        self.callback_number = caller.number
        self.callback: tuple[str, int] | None = None  # (queue ARN, initial delay)

    # ------------------------------------------------------------------ flow data
    def lookup(self, value: str) -> str | None:
        """A parameter as Connect resolves it: `$.`-paths from the flow data, anything else as written."""
        if not value.startswith("$."):
            return value
        current: Any = self.data
        for part in value[2:].split("."):
            if not isinstance(current, dict) or part not in current:
                return None
            current = current[part]
        return None if current is None else str(current)

    def go(self, action: dict[str, Any], error: str) -> str:
        """The identifier an error leads to: its own branch, else NoMatchingError's; never nowhere."""
        errors = {entry["ErrorType"]: entry["NextAction"] for entry in action["Transitions"].get("Errors", [])}
        target = errors.get(error) or errors.get("NoMatchingError")
        if target is None:
            raise FlowError(f"{action['Identifier']}: {error} has no branch; the caller would be dropped")
        return str(target)

    def branch(self, action: dict[str, Any], value: str | None) -> str:
        for condition in action["Transitions"].get("Conditions", []):
            spec = condition["Condition"]
            if value is not None and _matches(spec["Operator"], str(spec["Operands"][0]), value):
                return str(condition["NextAction"])
        return self.go(action, "NoMatchingCondition")

    def next(self, action: dict[str, Any]) -> str:
        target = action["Transitions"].get("NextAction")
        if target is None:
            raise FlowError(f"{action['Identifier']}: no NextAction; the caller would hear silence")
        return str(target)

    def say(self, text: str) -> None:
        self.call.heard.append(Utterance(self.voice, text))
        self.call.path.append(f"say:{len(self.call.heard) - 1}")
        self.now += timedelta(seconds=_seconds_to_say(text))

    # ------------------------------------------------------------------ the run
    def run(self) -> Call:
        identifier: str | None = self.start_action
        for _ in range(MAX_STEPS):
            if identifier is None:
                break
            action = self.actions.get(identifier)
            if action is None:
                raise FlowError(f"no action {identifier!r}")
            method = HANDLERS.get(action["Type"])
            if method is None:
                raise FlowError(f"{identifier}: the simulator does not play {action['Type']}")
            identifier = getattr(self, method)(action, action.get("Parameters") or {})
        else:
            raise FlowError(f"more than {MAX_STEPS} steps: the flow loops")
        self._finish()
        return self.call

    def set_voice(self, action: dict[str, Any], params: dict[str, Any]) -> str:
        self.voice = str(params.get("TextToSpeechVoice", self.voice))
        return self.next(action)

    def set_contact_data(self, action: dict[str, Any], params: dict[str, Any]) -> str:
        if "LanguageCode" in params:
            self.data["LanguageCode"] = params["LanguageCode"]
        return self.next(action)

    def set_attributes(self, action: dict[str, Any], params: dict[str, Any]) -> str:
        values = {key: self.lookup(str(value)) for key, value in params.get("Attributes", {}).items()}
        self.call.attributes.update({key: value or "" for key, value in values.items()})
        return self.next(action)

    def set_flow_attributes(self, action: dict[str, Any], params: dict[str, Any]) -> str:
        for key, spec in params.get("FlowAttributes", {}).items():
            self.data["FlowAttributes"][key] = self.lookup(str(spec.get("Value", ""))) or ""
        return self.next(action)

    def message(self, action: dict[str, Any], params: dict[str, Any]) -> str:
        text = self.lookup(str(params.get("Text", "")))
        if not text:
            return self.go(action, "NoMatchingError")
        self.say(text)
        return self.next(action)

    def get_input(self, action: dict[str, Any], params: dict[str, Any]) -> str:
        if "Text" in params:
            text = self.lookup(str(params["Text"]))
            if not text:
                return self.go(action, "NoMatchingError")
            self.say(text)
        digits = self.caller.keys(action["Identifier"])
        stored = str(params.get("StoreInput", "False")).lower() == "true"
        # Stored input (a code, a PIN) is not echoed: the call keeps how many keys, not which.
        self.call.pressed.append("*" * len(digits) if stored else digits)
        self.call.path.append(f"press:{len(self.call.pressed) - 1}")
        if stored:
            # Store mode: no conditions; the input, or Connect's "Timeout" when none came, is $.StoredCustomerInput.
            self.data["StoredCustomerInput"] = digits or "Timeout"
            self.now += timedelta(seconds=ANSWER_SECONDS if digits else int(params.get("InputTimeLimitSeconds", 5)))
            return self.next(action)
        if not digits:
            self.now += timedelta(seconds=int(params.get("InputTimeLimitSeconds", 5)))
            return self.go(action, "InputTimeLimitExceeded")
        self.now += timedelta(seconds=ANSWER_SECONDS)
        return self.branch(action, digits)

    def invoke(self, action: dict[str, Any], params: dict[str, Any]) -> str:
        function = self.resources.resolve(str(params["LambdaFunctionARN"]))
        sources = params.get("LambdaInvocationAttributes", {})
        parameters = {key: self.lookup(str(value)) or "" for key, value in sources.items()}
        event = {"Details": {"ContactData": self._contact_data(), "Parameters": parameters}, "Name": "ContactFlowEvent"}
        self.call.path.append(f"route:{len(self.call.invocations)}")
        # What the call keeps of the parameters: stored input (a PIN) only as masked.
        parameters = {
            key: "***" if str(sources[key]) == STORED_INPUT and value else value for key, value in parameters.items()
        }
        try:
            answer = self.invoker(function, event)
        except InvocationFailed as error:
            self.call.invocations.append(Invocation(parameters, None, f"error: {error}", _named(function)))
            return self.go(action, "NoMatchingError")
        string_map = params.get("ResponseValidation", {}).get("ResponseType", "STRING_MAP") == "STRING_MAP"
        if not isinstance(answer, dict) or (
            string_map and not all(isinstance(k, str) and isinstance(v, str) for k, v in answer.items())
        ):
            self.call.invocations.append(
                Invocation(parameters, None, "error: not a flat map of strings", _named(function))
            )
            return self.go(action, "NoMatchingError")
        self.call.invocations.append(Invocation(parameters, dict(answer), None, _named(function)))
        self.data["External"] = dict(answer)
        return self.next(action)

    def _contact_data(self) -> dict[str, Any]:
        queue = None
        if self.target_queue:
            queue = {"ARN": self.target_queue, "Name": self.resources.queue_name(self.target_queue)}
        return {
            "Attributes": dict(self.call.attributes),
            "Channel": "VOICE",
            "ContactId": self.contact_id,
            "CustomerEndpoint": dict(self.data["CustomerEndpoint"]),
            "InitialContactId": self.contact_id,
            "InitiationMethod": "INBOUND",
            "InstanceARN": self.resources.instance_arn,
            "PreviousContactId": self.contact_id,
            "Queue": queue,
            "SystemEndpoint": dict(self.data["SystemEndpoint"]),
        }

    def compare(self, action: dict[str, Any], params: dict[str, Any]) -> str:
        return self.branch(action, self.lookup(str(params.get("ComparisonValue", ""))))

    def _queue_state(self, arn: str | None) -> QueueState:
        name = self.resources.queue_role(arn) if arn else ""
        return self.queues.get(name, QueueState())

    def check_metric(self, action: dict[str, Any], params: dict[str, Any]) -> str:
        arn = self.resources.resolve(str(params["QueueId"])) if "QueueId" in params else self.target_queue
        if arn is None:
            return self.go(action, "NoMatchingError")
        state = self._queue_state(arn)
        metric = {
            "OldestContactInQueueAgeSeconds": state.oldest_contact_age_seconds,
            "NumberOfContactsInQueue": state.contacts_in_queue,
            "NumberOfAgentsAvailable": state.agents_available,
            "NumberOfAgentsStaffed": state.agents_available,
            "NumberOfAgentsOnline": state.agents_available,
        }.get(str(params.get("MetricType")))
        if metric is None:
            return self.go(action, "NoMatchingError")
        return self.branch(action, str(metric))

    def set_queue(self, action: dict[str, Any], params: dict[str, Any]) -> str:
        arn = self.lookup(self.resources.resolve(str(params.get("QueueId", ""))))
        if not arn:
            return self.go(action, "NoMatchingError")
        self.target_queue = arn
        return self.next(action)

    def transfer(self, action: dict[str, Any], params: dict[str, Any]) -> str | None:
        if self.target_queue is None:
            return self.go(action, "NoMatchingError")
        if self._queue_state(self.target_queue).at_capacity:
            return self.go(action, "QueueAtCapacity")
        self.call.ending, self.call.queue = "queue", self.resources.queue_role(self.target_queue)
        return None  # the contact now waits in the queue; this flow is done with it

    def set_callback_number(self, action: dict[str, Any], params: dict[str, Any]) -> str:
        number = self.lookup(str(params.get("CallbackNumber", "")))
        if not number or not E164.match(number):
            return self.go(action, "InvalidCallbackNumber")
        self.callback_number = number
        return self.next(action)

    def create_callback(self, action: dict[str, Any], params: dict[str, Any]) -> str:
        arn = self.resources.resolve(str(params["QueueId"])) if "QueueId" in params else self.target_queue
        if arn is None:
            return self.go(action, "NoMatchingError")
        self.callback = (arn, int(params.get("InitialCallDelaySeconds", 1)))
        return self.next(action)

    def disconnect(self, action: dict[str, Any], params: dict[str, Any]) -> None:
        if self.callback is not None:
            self.call.ending, self.call.queue = "callback", self.resources.queue_role(self.callback[0])
        else:
            self.call.ending = "hang-up"
        return None

    # ------------------------------------------------------------------ contact records
    def _finish(self) -> None:
        if not self.call.ending:
            raise FlowError("the flow ended without a queue or a hang-up")
        timing, start = self.timing, self.timing.start
        base: dict[str, Any] = {
            "account_id": cfn.LOCAL_ACCOUNT,
            "instance_arn": self.resources.instance_arn,
            "system_number": self.call.dialled,
        }
        queue = agent = None
        disconnected, reason = self.now, "CONTACT_FLOW_DISCONNECT"
        if self.call.ending == "queue" and self.target_queue:
            left = self.now + timedelta(seconds=timing.queue_seconds)
            queue = QueueVisit(self.target_queue, self.resources.queue_name(self.target_queue), self.now, left)
            if timing.answered:
                agent = _operator(self.resources, left, timing.talk_seconds)
                disconnected = left + timedelta(seconds=timing.talk_seconds)
            else:
                disconnected = left
            reason = "CUSTOMER_DISCONNECT"
        self.call.contacts.append(
            Contact(
                **base,
                contact_id=self.contact_id,
                initial_contact_id=None,
                previous_contact_id=None,
                initiation_method="INBOUND",
                customer_number=self.caller.number,
                initiated=start,
                connected_to_system=start,
                disconnected=disconnected,
                disconnect_reason=reason,
                attributes=dict(self.call.attributes),
                queue=queue,
                agent=agent,
            )
        )
        if self.call.ending == "callback" and self.callback:
            arn, delay = self.callback
            scheduled = self.now + timedelta(seconds=delay)
            left = scheduled + timedelta(seconds=timing.queue_seconds)
            answered = _operator(self.resources, left, timing.talk_seconds) if timing.answered else None
            self.call.contacts.append(
                Contact(
                    **base,
                    contact_id=str(uuid.uuid5(uuid.NAMESPACE_URL, f"callback:{self.contact_id}")),
                    initial_contact_id=self.contact_id,
                    previous_contact_id=self.contact_id,
                    initiation_method="CALLBACK",
                    customer_number=self.callback_number,
                    initiated=self.now,
                    connected_to_system=left if answered else None,
                    disconnected=left + timedelta(seconds=timing.talk_seconds) if answered else left,
                    disconnect_reason="CUSTOMER_DISCONNECT",
                    attributes=dict(self.call.attributes),
                    queue=QueueVisit(arn, self.resources.queue_name(arn), scheduled, left),
                    agent=answered,
                    scheduled=scheduled,
                )
            )


# Flow action type → the _Run method that plays it.
HANDLERS = {
    "UpdateContactTextToSpeechVoice": "set_voice",
    "UpdateContactData": "set_contact_data",
    "UpdateContactAttributes": "set_attributes",
    "UpdateFlowAttributes": "set_flow_attributes",
    "MessageParticipant": "message",
    "GetParticipantInput": "get_input",
    "InvokeLambdaFunction": "invoke",
    "Compare": "compare",
    "CheckMetricData": "check_metric",
    "UpdateContactTargetQueue": "set_queue",
    "TransferContactToQueue": "transfer",
    "UpdateContactCallbackNumber": "set_callback_number",
    "CreateCallbackContact": "create_callback",
    "DisconnectParticipant": "disconnect",
}


def _operator(resources: _Resources, connected: datetime, talk_seconds: int) -> AgentAnswer:
    return AgentAnswer(f"{resources.instance_arn}/agent/local-operator", "local-operator", connected, talk_seconds)


def play(
    flow: dict[str, Any],
    number: str,
    caller: Caller,
    invoker: Invoker,
    *,
    timing: Timing | None = None,
    queues: dict[str, QueueState] | None = None,
    template: dict[str, Any] | None = None,
    contact_id: str | None = None,
) -> Call:
    """Run one contact through `flow` (a parsed flow file) and return the call with its contact records."""
    run = _Run(
        flow,
        number,
        caller,
        invoker,
        timing or Timing(),
        queues or {},
        _Resources.from_template(template),
        contact_id or str(uuid.uuid4()),
    )
    return run.run()


def simulate_call(
    number: str,
    *,
    language: str | None = None,
    press: str | None = None,
    callback: bool = True,
    caller_number: str = SIMULATED_CALLER,
    invoker: Invoker | None = None,
    timing: Timing | None = None,
    queues: dict[str, QueueState] | None = None,
    flow: dict[str, Any] | None = None,
    template: dict[str, Any] | None = None,
    contact_id: str | None = None,
) -> Call:
    """One caller dialling `number` through the entry flow: picks `language` (nl, fr, de, en; none = no key),
    presses `press` at the D5/D2 menu, and accepts a callback when offered unless `callback` is False.
    The routing function runs behind the local stack's Lambda endpoint unless an `invoker` is given."""
    answers: dict[str, str | list[str]] = {CALLBACK_MENU: "1" if callback else "2"}
    if language:
        answers.update(dict.fromkeys(LANGUAGE_MENUS, LANGUAGE_DIGITS[language]))
    if press:
        answers[QUEUE_MENU] = press
    return play(
        flow or flows.load(),
        number,
        Caller(caller_number, answers),
        invoker or LambdaEndpoint(),
        timing=timing,
        queues=queues,
        template=template,
        contact_id=contact_id,
    )


ACTIVATION_FLOW = "activate-by-phone.json"
ACTIVATION_LINE = "+3225550100"  # the activation by phone's own number, made up for the simulation
ACTIVATION_CHOICES = {"open": "1", "template": "2", "operators": "3", "close": "4"}
ACTIVATION_LANGUAGE_MENU = "pick-language"  # heard by a caller the flow does not recognise by their number


def activation_answers(
    pins: list[str],
    choice: str,
    nis: str | None = None,
    activator: str | None = None,
    language: str | None = None,
) -> dict[str, str | list[str]]:
    """What an activator keys in the activation by phone flow: 1 at the caller-ID offer (or, with `nis` and
    `activator`, 2, the key of `language` at the language menu (nl, fr, de, en; none = no key) and then those),
    the PINs one per try, then `choice`: `open`, `template:N`, `operators:N` or `close`."""
    action, _, argument = choice.partition(":")
    if action not in ACTIVATION_CHOICES or (action in ("template", "operators")) != bool(argument.isdigit()):
        raise ValueError(f"CHOICE is open, template:N, operators:N or close, not {choice!r}")
    answers: dict[str, str | list[str]] = {"offer-caller": "2" if nis else "1", "ask-pin": list(pins)}
    if nis:
        answers.update({"ask-nis": nis, "ask-activator-number": activator or ""})
    if language:
        answers[ACTIVATION_LANGUAGE_MENU] = LANGUAGE_DIGITS[language]
    answers["menu"] = ACTIVATION_CHOICES[action]
    answers["ask-template" if action == "template" else "ask-operators"] = argument
    return answers


def simulate_activation_call(
    caller_number: str,
    pins: list[str] | str,
    choice: str,
    *,
    nis: str | None = None,
    activator: str | None = None,
    language: str | None = None,
    invoker: Invoker | None = None,
    template: dict[str, Any] | None = None,
    contact_id: str | None = None,
) -> Call:
    """An activator calling the activation by phone line from `caller_number` (see `activation_answers`); the
    phone activation function runs behind the local stack's Lambda endpoint unless an `invoker` is given."""
    keyed = [pins] if isinstance(pins, str) else pins
    return play(
        flows.load(ACTIVATION_FLOW),
        ACTIVATION_LINE,
        Caller(caller_number, activation_answers(keyed, choice, nis, activator, language)),
        invoker or LambdaEndpoint(),
        template=template,
        contact_id=contact_id,
    )


def activate_main(argv: list[str] | None = None) -> int:
    """`make call-activate`: 0 when the call was played (whatever it came to), 1 when the stack is not there or
    the flow failed, 2 for bad arguments. Prints what the caller hears; never the PIN."""
    parser = argparse.ArgumentParser(prog="python -m infra.connect.simulator activate")
    parser.add_argument("--number", required=True, help="the calling number, E.164 (an activator's, or any)")
    parser.add_argument("--nis", help="the authority's NIS code, when the caller is not recognised by number")
    parser.add_argument("--activator", help="the activator number (their place in the authority's list, from 1)")
    parser.add_argument("--pin", default=os.environ.get("CRISISLINE_PIN", ""), help="the PIN (or CRISISLINE_PIN)")
    parser.add_argument("--choice", default="open", help="open, template:N, operators:N or close")
    parser.add_argument("--lang", choices=sorted(LANGUAGE_DIGITS), help="the language picked at the language menu")
    args = parser.parse_args(argv)
    if not E164.match(args.number) or not args.pin:
        print(
            "NUMBER is the calling number in E.164 and PIN the activator's PIN: make call-activate "
            "NUMBER=+32470123456 PIN=… CHOICE=open",
            file=sys.stderr,
        )
        return 2
    lambda_port = int(os.environ.get("CRISISLINE_LAMBDA_PORT", "3001"))
    if not _listening(lambda_port):
        print(f"No local stack answers on 127.0.0.1:{lambda_port}: start one with `make run`.", file=sys.stderr)
        return 1
    try:
        call = simulate_activation_call(
            args.number,
            args.pin,
            args.choice,
            nis=args.nis,
            activator=args.activator,
            language=args.lang,
            invoker=LambdaEndpoint(lambda_port),
        )
    except ValueError as error:
        print(str(error), file=sys.stderr)
        return 2
    except FlowError as error:
        print(f"flow error: {error}", file=sys.stderr)
        return 1
    print(call.transcript())
    return 0


CONTACT_RECORD_STREAM = "ContactRecordStream"  # the template's stream, mapped to the metering function
NO_NUMBER = (
    "NUMBER is empty or not a phone number in E.164 (+ and digits): make call NUMBER=+3280012345 "
    "LANG=fr PRESS=2, with a pool number `make run` prints"
)


def main(argv: list[str] | None = None) -> int:
    """`make call`: 0 when the call was played and its contact records put on the local stack's stream; 1 when
    the stack is not there or the flow failed; 2 for a number that is not one."""
    from infra.local.streams import physical_stream_name

    parser = argparse.ArgumentParser(prog="python -m infra.connect.simulator", description=__doc__.split("\n")[0])
    parser.add_argument("--number", required=True, help="the pool number dialled, E.164")
    parser.add_argument("--lang", choices=sorted(LANGUAGE_DIGITS), help="the language the caller picks")
    parser.add_argument("--press", help="the caller's key at the D5/D2 menu (1 or 2)")
    parser.add_argument("--no-callback", action="store_true", help="decline the callback when offered")
    parser.add_argument("--record", action="store_true", help="print the contact records as JSON")
    parser.add_argument(
        "--stream",
        default=physical_stream_name(CONTACT_RECORD_STREAM),
        help="the Kinesis stream of the local stack's backend that takes the contact records "
        "(default: the one metering reads)",
    )
    parser.add_argument("--no-stream", action="store_true", help="keep the contact records off the stream")
    parser.add_argument(
        "--record-enquiry",
        action="store_true",
        help="once the call reaches the D2 queue, record the relative's enquiry through the local stack's API as "
        "a D2 agent would, with the call's ContactId (token: --d2-token or CRISISLINE_D2_TOKEN)",
    )
    parser.add_argument("--d2-token", default=os.environ.get("CRISISLINE_D2_TOKEN"), help="a d2_agent's token")
    parser.add_argument(
        "--api-url",
        default=os.environ.get("CRISISLINE_API_URL")
        or f"http://127.0.0.1:{os.environ.get('CRISISLINE_API_PORT', '3000')}",
        help="the local stack's API (default http://127.0.0.1:3000, CRISISLINE_API_URL)",
    )
    args = parser.parse_args(argv)
    if not E164.match(args.number):
        print(NO_NUMBER, file=sys.stderr)
        return 2
    if args.record_enquiry and not args.d2_token:
        print(MISSING_D2_CREDENTIAL, file=sys.stderr)
        return 2
    lambda_port = int(os.environ.get("CRISISLINE_LAMBDA_PORT", "3001"))
    if not _listening(lambda_port):
        print(
            f"No local stack answers on 127.0.0.1:{lambda_port}: start one with `make run` (in another "
            "terminal), or set CRISISLINE_LAMBDA_PORT to its Lambda port.",
            file=sys.stderr,
        )
        return 1
    try:
        call = simulate_call(
            args.number,
            language=args.lang,
            press=args.press,
            callback=not args.no_callback,
            invoker=LambdaEndpoint(lambda_port),
        )
    except FlowError as error:
        print(f"flow error: {error}", file=sys.stderr)
        return 1
    print(call.transcript())
    if args.record:
        print(json.dumps(call.records(), indent=2, ensure_ascii=False))
    if args.record_enquiry and not _enquiry_recorded(call, args.api_url, args.d2_token, args.lang):
        return 1
    if args.no_stream:
        return 0
    moto_port = int(os.environ.get("CRISISLINE_MOTO_PORT", "3002"))
    try:
        count = contact_record.put_on_stream(call.records(), args.stream, _local_kinesis(moto_port))
    except Exception as error:  # noqa: BLE001 - whatever the transport says, the records did not arrive
        print(
            f"The contact records were not delivered: no stream {args.stream} on the local stack's AWS backend "
            f"at 127.0.0.1:{moto_port} (CRISISLINE_MOTO_PORT) ({type(error).__name__}).",
            file=sys.stderr,
        )
        return 1
    month = call.contacts[0].initiated.astimezone(ZoneInfo("Europe/Brussels")).strftime("%Y-%m")
    print(
        f"{count} contact record(s) put on {args.stream}: metering books them within a second "
        f"(GET /exports/{month}, line of activation {call.attributes.get('activationId') or '(none)'})"
    )
    return 0


MISSING_D2_CREDENTIAL = (
    "--record-enquiry needs a d2_agent's token: issue one with the admin token `make run` printed "
    '(curl -s -X POST -H \'Authorization: Bearer <admin token>\' -d \'{"role": "d2_agent", "label": "Agent"}\' '
    "http://127.0.0.1:3000/credentials) and give it as D2_TOKEN=… (make call-d2) or CRISISLINE_D2_TOKEN"
)


def enquiry_of(call: Call, language: str | None) -> dict[str, Any]:
    """The enquiry a D2 agent records from this call: a made-up relative asking about a made-up person, in the
    language the caller chose, with the call's ContactId so that the enquiry is found from the call."""
    return {
        "sought": {
            "given_names": "Marie",
            "family_name": "Peeters",
            "birth_date": "1987-03",
            "sex": "f",
            "last_seen": "At the event, in the evening",
        },
        "enquirer": {
            "name": "Jan Peeters",
            "phone": SIMULATED_CALLER,
            "relationship": "brother",
            "language": language or "nl",
            "callback_consent": True,
        },
        "contact_id": call.contacts[0].contact_id,
    }


def record_enquiry(call: Call, api_url: str, d2_token: str, language: str | None) -> dict[str, Any]:
    """POST the call's enquiry to the local stack's API as a d2_agent; the enquiry as recorded. Raises
    EnquiryRefused when the call did not reach D2 or the API refused."""
    import urllib.error
    import urllib.request

    activation_id = call.attributes.get("activationId")
    if (call.ending, call.queue) != ("queue", "D2") or not activation_id:
        raise EnquiryRefused(f"the call did not reach the D2 queue (it ended: {call.ending} {call.queue or ''})")
    request = urllib.request.Request(  # noqa: S310 - the URL is the local stack's, given by the person running it
        f"{api_url.rstrip('/')}/activations/{activation_id}/enquiries",
        data=json.dumps(enquiry_of(call, language)).encode(),
        headers={"Authorization": f"Bearer {d2_token}", "Content-Type": "application/json"},
        method="POST",
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as answer:  # noqa: S310
            return json.loads(answer.read())  # type: ignore[no-any-return]
    except urllib.error.HTTPError as error:
        body = json.loads(error.read() or b"{}").get("error", {})
        raise EnquiryRefused(f"HTTP {error.code} {body.get('code', '')}: {body.get('message', '')}") from None
    except OSError as error:
        raise EnquiryRefused(f"no API answers at {api_url} ({type(error).__name__})") from None


class EnquiryRefused(Exception):
    """The D2 call's enquiry was not recorded."""


def _enquiry_recorded(call: Call, api_url: str, d2_token: str, language: str | None) -> bool:
    try:
        enquiry = record_enquiry(call, api_url, d2_token, language)
    except EnquiryRefused as refused:
        print(f"The enquiry was not recorded: {refused}.", file=sys.stderr)
        return False
    contact_id = call.contacts[0].contact_id
    print(f"enquiry recorded: reference {enquiry['reference']} (contact {contact_id})")
    print(
        f"D2 intake of this call: {api_url.rstrip('/')}/console/?activationId={enquiry['activation_id']}"
        f"&contactId={contact_id}"
    )
    return True


def _listening(port: int) -> bool:
    import socket

    try:
        with socket.create_connection(("127.0.0.1", port), timeout=2):
            return True
    except OSError:
        return False


def _local_kinesis(port: int) -> Any:
    import boto3
    from botocore.config import Config

    return boto3.client(
        "kinesis",
        endpoint_url=f"http://127.0.0.1:{port}",
        region_name=cfn.LOCAL_REGION,
        aws_access_key_id="local",
        aws_secret_access_key="local",  # noqa: S106 - none checked
        config=Config(connect_timeout=2, read_timeout=10, retries={"max_attempts": 1}),
    )


if __name__ == "__main__":
    if sys.argv[1:2] == ["activate"]:
        sys.exit(activate_main(sys.argv[2:]))
    sys.exit(main())
