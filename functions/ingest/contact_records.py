"""A contact record (Amazon Connect CTR, format 2017-03-10) read into what metering counts.

What one contact contributes to its activation's month:

| counter | rule |
| --- | --- |
| `calls` | 1 for every contact: an inbound call and the callback it asked for are two calls, because each is a
  telephone connection that Connect bills (the callback is an outbound call to the citizen) |
| `d2_calls` | 1 when the contact was queued on D2 (`Queue.Name` `<stack>-D2` or `D2`, else a `queue` attribute) |
| `answered_calls` | 1 when an operator (`Agent`) took the contact |
| `abandoned_calls` | 1 when it was queued but no operator took it (a caller who hung up, a callback nobody answered) |
| `call_seconds` | `DisconnectTimestamp - ConnectedToSystemTimestamp`, 0 when it never connected (billable seconds) |
| `queue_seconds` | `Queue.Duration` |
| `call_seconds@YYYY-MM-DD` | `call_seconds` again, under the Brussels day of InitiationTimestamp (pricing by day) |

The caller's number (`CustomerEndpoint`) is dropped here, before anything is stored or logged."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from crisisline.clock import iso, parse_iso
from crisisline.months import day_of, month_of
from crisisline.usage import UsageCounters

D2 = "D2"
# The stack names its queues `<stack>-D5` and `<stack>-D2` (template.yaml), so that two stacks share an instance.
D2_SUFFIX = f"-{D2}"
CALLBACK = "CALLBACK"  # InitiationMethod of a queued callback: Connect dials the citizen back later
# The `purpose` contact attribute of calls that serve the crisis center itself, not an authority's line: the
# activation by phone flow sets it first thing (infra/connect/activate-by-phone.json).
OWN_PURPOSES = frozenset({"activation_by_phone"})
# Never stored, never logged: the citizen's own number.
CALLER_FIELDS = ("CustomerEndpoint",)


class MalformedRecord(ValueError):
    """The record cannot be metered (not JSON, no ContactId, unreadable instants). The message never quotes
    the record, which carries the caller's number."""


@dataclass(frozen=True)
class ContactRecord:
    """One version of one contact's record: its identity, version, attribution hints and contribution."""

    contact_id: str
    last_update: str  # ISO UTC with milliseconds, so versions compare as text
    initiated: datetime
    initiation_method: str
    system_number: str | None  # SystemEndpoint's address when it is a telephone number (E.164)
    activation_attribute: str | None
    usage: UsageCounters
    stored: str  # the record as JSON, without the caller's number
    connected: datetime | None = None  # ConnectedToSystemTimestamp
    disconnected: datetime | None = None  # DisconnectTimestamp
    agent_seconds: int = 0  # Agent.AgentInteractionDuration (not billed; checked for plausibility)
    initial_contact_id: str | None = None  # for a callback: the contact that asked for it
    # Kept per contact for the line's figures (crisisline.figures), never billed:
    queue_name: str | None = None  # Queue.Name when the contact was queued (D5 | D2)
    picked_queue: bool = False  # the caller chose a queue in the flow (contact attribute `choice`)
    disconnect_reason: str | None = None  # DisconnectReason
    purpose: str | None = None  # contact attribute `purpose`, when it is one of OWN_PURPOSES

    @property
    def is_callback(self) -> bool:
        return self.initiation_method == CALLBACK

    @property
    def is_own_call(self) -> bool:
        """A call the crisis center makes use of itself (activation by phone): billed to no authority."""
        return self.purpose is not None

    @property
    def month(self) -> str:
        """The Brussels month the contact is booked into: that of its InitiationTimestamp."""
        return month_of(self.initiated)

    @property
    def day(self) -> str:
        """The Brussels day of its InitiationTimestamp: its call seconds are also counted per day, so each
        day's calls are priced with the tariff in force that day."""
        return day_of(self.initiated)


def read_contact_record(data: bytes | str) -> ContactRecord:
    """Parse one Kinesis record's data (a CTR as JSON) into a ContactRecord; MalformedRecord when it cannot be."""
    try:
        record = json.loads(data)
    except (ValueError, UnicodeDecodeError) as error:
        raise MalformedRecord("contact record is not JSON") from error
    if not isinstance(record, dict):
        raise MalformedRecord("contact record is not a JSON object")
    contact_id = record.get("ContactId")
    if not isinstance(contact_id, str) or not contact_id.strip():
        raise MalformedRecord("contact record has no ContactId")
    try:
        initiated = parse_iso(_text(record, "InitiationTimestamp"))
        last_update = parse_iso(_text(record, "LastUpdateTimestamp") or _text(record, "DisconnectTimestamp"))
        connected, disconnected = (
            _instant(record, "ConnectedToSystemTimestamp"),
            _instant(record, "DisconnectTimestamp"),
        )
        usage = _usage(record, connected, disconnected)
        agent_seconds = int(_mapping(record, "Agent").get("AgentInteractionDuration") or 0)
        stored = json.dumps(
            {key: value for key, value in record.items() if key not in CALLER_FIELDS},
            separators=(",", ":"),
            sort_keys=True,
        )
    except (TypeError, ValueError, AttributeError, OverflowError) as error:
        raise MalformedRecord(f"contact record {contact_id} has unreadable fields ({type(error).__name__})") from None
    activation = _mapping(record, "Attributes").get("activationId")
    # For a callback Connect may write "Softphone" (an agent's) rather than a number: no number then.
    number = _mapping(record, "SystemEndpoint").get("Address")
    initial = record.get("InitialContactId")
    queue = _mapping(record, "Queue")
    queue_name = queue.get("Name") if queue.get("Name") or queue.get("ARN") else None
    reason = record.get("DisconnectReason")
    purpose = _mapping(record, "Attributes").get("purpose")
    return ContactRecord(
        contact_id=contact_id,
        last_update=iso(last_update),
        initiated=initiated,
        initiation_method=str(record.get("InitiationMethod") or ""),
        system_number=number if isinstance(number, str) and number.startswith("+") else None,
        activation_attribute=activation.strip() if isinstance(activation, str) and activation.strip() else None,
        usage=usage,
        stored=stored,
        connected=connected,
        disconnected=disconnected,
        agent_seconds=agent_seconds,
        initial_contact_id=initial if isinstance(initial, str) and initial else None,
        queue_name=queue_name if isinstance(queue_name, str) and queue_name else None,
        picked_queue=bool(_mapping(record, "Attributes").get("choice")),
        disconnect_reason=reason if isinstance(reason, str) and reason else None,
        purpose=purpose if purpose in OWN_PURPOSES else None,
    )


def _instant(record: dict[str, Any], name: str) -> datetime | None:
    text = _text(record, name)
    return parse_iso(text) if text else None


def _text(record: dict[str, Any], name: str) -> str:
    value = record.get(name)
    if value is None:
        return ""
    if not isinstance(value, str):
        raise TypeError(name)
    return value


def _mapping(record: dict[str, Any], name: str) -> dict[str, Any]:
    value = record.get(name)
    return value if isinstance(value, dict) else {}


def _usage(record: dict[str, Any], connected: datetime | None, disconnected: datetime | None) -> UsageCounters:
    queue = _mapping(record, "Queue")
    attributes = _mapping(record, "Attributes")
    answered = bool(record.get("Agent"))
    queued = bool(queue.get("Name") or queue.get("ARN"))
    # The queue's name, else a `queue` contact attribute should a flow set one (the entry flow does not).
    queue_name = str(queue.get("Name") or attributes.get("queue") or "")
    on_d2 = queued and (queue_name == D2 or queue_name.endswith(D2_SUFFIX))
    # Negative or huge values are kept as they are: metering sets such a record aside (ingest.metering).
    call_seconds = int((disconnected - connected).total_seconds()) if connected and disconnected else 0
    queue_seconds = int(queue.get("Duration") or 0) if queued else 0
    return UsageCounters(
        calls=1,
        d2_calls=int(on_d2),
        answered_calls=int(answered),
        abandoned_calls=int(queued and not answered),
        call_seconds=call_seconds,
        queue_seconds=queue_seconds,
    )
