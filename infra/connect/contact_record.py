"""Amazon Connect contact records (format version 2017-03-10, the "Contact records data model" of the Amazon
Connect Administrator Guide) for simulated calls, so cost metering can consume them as it will consume the
instance's real contact record stream. Instants are UTC `YYYY-MM-DDTHH:MM:SSZ`, as Connect writes them."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

FORMAT_VERSION = "2017-03-10"


def instant(moment: datetime) -> str:
    """An instant as a contact record writes it: UTC, whole seconds, `Z`."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass(frozen=True)
class QueueVisit:
    """The contact's time in a queue."""

    arn: str
    name: str
    enqueued: datetime
    dequeued: datetime

    @property
    def seconds(self) -> int:
        return int((self.dequeued - self.enqueued).total_seconds())


@dataclass(frozen=True)
class AgentAnswer:
    """The operator who answered, and for how long they talked."""

    arn: str
    username: str
    connected: datetime
    interaction_seconds: int


@dataclass(frozen=True)
class Contact:
    """What a contact record is made of; `contact_record` turns it into Connect's shape."""

    account_id: str
    instance_arn: str
    contact_id: str
    initial_contact_id: str | None
    previous_contact_id: str | None
    initiation_method: str  # INBOUND | CALLBACK
    system_number: str
    customer_number: str
    initiated: datetime
    connected_to_system: datetime | None
    disconnected: datetime
    disconnect_reason: str  # CUSTOMER_DISCONNECT | AGENT_DISCONNECT | CONTACT_FLOW_DISCONNECT
    attributes: dict[str, str] = field(default_factory=dict)
    queue: QueueVisit | None = None
    agent: AgentAnswer | None = None
    next_contact_id: str | None = None
    scheduled: datetime | None = None


def contact_record(contact: Contact) -> dict[str, Any]:
    """The contact record as Amazon Connect exports it (JSON-ready dict)."""
    queue = None
    if contact.queue is not None:
        queue = {
            "ARN": contact.queue.arn,
            "Name": contact.queue.name,
            "EnqueueTimestamp": instant(contact.queue.enqueued),
            "DequeueTimestamp": instant(contact.queue.dequeued),
            "Duration": contact.queue.seconds,
        }
    agent = None
    if contact.agent is not None:
        agent = {
            "ARN": contact.agent.arn,
            "Username": contact.agent.username,
            "ConnectedToAgentTimestamp": instant(contact.agent.connected),
            "AgentInteractionDuration": contact.agent.interaction_seconds,
            "CustomerHoldDuration": 0,
            "LongestHoldDuration": 0,
            "NumberOfHolds": 0,
            "AfterContactWorkDuration": 0,
            "AfterContactWorkStartTimestamp": None,
            "AfterContactWorkEndTimestamp": None,
            "HierarchyGroups": None,
            "RoutingProfile": None,
        }
    return {
        "AWSAccountId": contact.account_id,
        "AWSContactTraceRecordFormatVersion": FORMAT_VERSION,
        "Agent": agent,
        "AgentConnectionAttempts": 1 if agent else 0,
        "Attributes": dict(contact.attributes),
        "Channel": "VOICE",
        "ConnectedToSystemTimestamp": instant(contact.connected_to_system) if contact.connected_to_system else None,
        "ContactId": contact.contact_id,
        "CustomerEndpoint": {"Address": contact.customer_number, "Type": "TELEPHONE_NUMBER"},
        "DisconnectReason": contact.disconnect_reason,
        "DisconnectTimestamp": instant(contact.disconnected),
        "InitialContactId": contact.initial_contact_id,
        "InitiationMethod": contact.initiation_method,
        "InitiationTimestamp": instant(contact.initiated),
        "InstanceARN": contact.instance_arn,
        "LastUpdateTimestamp": instant(contact.disconnected),
        "MediaStreams": [{"Type": "AUDIO"}],
        "NextContactId": contact.next_contact_id,
        "PreviousContactId": contact.previous_contact_id,
        "Queue": queue,
        "Recording": None,
        "Recordings": None,
        "ScheduledTimestamp": instant(contact.scheduled) if contact.scheduled else None,
        "SystemEndpoint": {"Address": contact.system_number, "Type": "TELEPHONE_NUMBER"},
        "TransferCompletedTimestamp": None,
        "TransferredToEndpoint": None,
    }


def put_on_stream(records: list[dict[str, Any]], stream_name: str, kinesis: Any = None) -> int:
    """Put contact records on a Kinesis data stream as Connect's export does (one JSON record each,
    partitioned by ContactId). Returns how many were put."""
    if kinesis is None:
        import boto3

        kinesis = boto3.client("kinesis")
    for record in records:
        kinesis.put_record(StreamName=stream_name, Data=json.dumps(record).encode(), PartitionKey=record["ContactId"])
    return len(records)
