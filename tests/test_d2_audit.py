"""The D2 audit trail is a hash chain per activation: every read and change of an enquiry adds an entry, an
entry altered afterwards is found by walking the chain, and two writers at once never fork it."""

from __future__ import annotations

from typing import Any

import boto3
import pytest

from crisisline.aws import client
from crisisline.models import Caller
from d2 import audit, enquiries
from d2.d2_store import D2Store, d2_settings
from tests.conftest import at_once, table_names
from tests.test_d2_enquiries import Line, _record, line  # noqa: F401  (the fixture)


def _store() -> D2Store:
    return D2Store(client("dynamodb"), d2_settings())


def _verify(on: Line, token: str) -> Any:
    return on.api.get(f"/activations/{on.activation_id}/d2/audit/verify", token)


def test_the_chain_of_an_activation_is_intact_after_reads_and_changes(line: Line) -> None:  # noqa: F811
    recorded = _record(line)
    line.api.get(f"/activations/{line.activation_id}/enquiries/{recorded['reference']}", line.agent)
    answer = _verify(line, line.coordinator)
    assert answer.status == 200, answer.body
    assert answer.body == {"entries": 2, "intact": True, "first_broken": None}
    entries = _store().audit_entries(line.activation_id)
    assert entries[0]["previous_hash"] == audit.GENESIS
    assert entries[1]["previous_hash"] == entries[0]["hash"]
    assert entries[0]["at"].endswith("Z")
    assert entries[0]["who"] == {"credential_id": recorded["recorded_by"]["credential_id"], "label": "Els Janssens"}


def test_an_entry_altered_in_the_table_is_found(line: Line) -> None:  # noqa: F811
    for _ in range(3):
        _record(line)
    boto3.client("dynamodb").update_item(
        TableName=table_names()["D2AuditTable"],
        Key={"activation_id": {"S": line.activation_id}, "seq": {"S": audit.sequence_key(2)}},
        UpdateExpression="SET #action = :read",
        ExpressionAttributeNames={"#action": "action"},
        ExpressionAttributeValues={":read": {"S": "enquiry.read"}},
    )
    assert _verify(line, line.admin).body == {"entries": 3, "intact": False, "first_broken": 2}


def test_an_entry_removed_from_the_table_is_found(line: Line) -> None:  # noqa: F811
    for _ in range(3):
        _record(line)
    boto3.client("dynamodb").delete_item(
        TableName=table_names()["D2AuditTable"],
        Key={"activation_id": {"S": line.activation_id}, "seq": {"S": audit.sequence_key(2)}},
    )
    assert _verify(line, line.coordinator).body == {"entries": 2, "intact": False, "first_broken": 3}


@pytest.mark.parametrize("role", ["agent", "gent", "finance", "operator"])
def test_only_a_coordinator_or_the_crisis_center_verifies_the_chain(line: Line, role: str) -> None:  # noqa: F811
    assert _verify(line, getattr(line, role)).status == 403


def test_a_chain_is_verified_only_for_an_activation_that_exists(line: Line) -> None:  # noqa: F811
    assert line.api.get("/activations/nope/d2/audit/verify", line.admin).status == 404


def test_writers_at_once_never_fork_the_chain(line: Line, atomic_dynamodb: None) -> None:  # noqa: F811
    store = _store()
    who = Caller(role="d2_coordinator", credential_id="c-1", label="Karel Peeters")
    written = at_once(8, lambda n: enquiries.record_audit(store, who, line.activation_id, "enquiry.list", [f"e{n}"]))
    entries = store.audit_entries(line.activation_id)
    assert len(entries) == 8
    assert sorted(entry["seq"] for entry in written) == [audit.sequence_key(n) for n in range(1, 9)]
    assert audit.verify(entries) == {"entries": 8, "intact": True, "first_broken": None}


def test_enquiries_recorded_at_once_each_get_one_entry_of_one_chain(line: Line, atomic_dynamodb: None) -> None:  # noqa: F811
    recorded = at_once(6, lambda n: _record(line, contact_id=f"contact-{n}"))
    entries = _store().audit_entries(line.activation_id)
    assert sorted(entry["items"][0] for entry in entries) == sorted(enquiry["id"] for enquiry in recorded)
    assert audit.verify(entries)["intact"] is True


def test_the_hash_covers_every_field_and_the_previous_hash() -> None:
    first = audit.next_entry(
        None,
        "a1",
        credential_id="c1",
        label="Els",
        at="2026-11-29T10:00:00.000Z",
        action="enquiry.record",
        items=["e1", "p1"],
    )
    second = audit.next_entry(
        first, "a1", credential_id="c1", label="Els", at="2026-11-29T10:01:00.000Z", action="enquiry.read", items=["e1"]
    )
    assert audit.verify([first, second])["intact"] is True
    for field, value in (("items", ["e2"]), ("who", {"credential_id": "c2", "label": "Els"}), ("at", "x")):
        assert audit.verify([first, {**second, field: value}]) == {"entries": 2, "intact": False, "first_broken": 2}
    assert audit.verify([{**first, "previous_hash": "f" * 64}, second])["first_broken"] == 1
