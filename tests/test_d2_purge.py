"""D2 data is kept until 30 days after the activation closes, longer where a D2 coordinator extends it with a
reason, never shorter. Then the daily purge archives the aggregate figures, erases everything D2 of the
activation and its audit chain, and signs a record of what it erased; the figures stay readable, the personal
endpoints answer 410."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from typing import Any

import boto3
import pytest

from crisisline.aws import client
from crisisline.clock import parse_iso
from d2 import figures
from d2.d2_store import D2Store, d2_purge_settings
from tests.conftest import table_items, table_names
from tests.test_d2_enquiries import Line, _open, _record, line  # noqa: F401  (the fixture)


class _Handler:
    """`d2.purge`, imported when first used: its cold start reads the function's environment, which each test
    gives it (conftest's `environment`), so the module is not imported when the tests are collected."""

    def __getattr__(self, name: str) -> Any:
        from d2 import purge as module

        return getattr(module, name)


purge = _Handler()


def _store() -> D2Store:
    return D2Store(client("dynamodb"), d2_purge_settings())


def _signer() -> purge.ErasureSigner:
    return purge.ErasureSigner(client("kms"), d2_purge_settings().d2_erasure_key)


def _retention(line: Line, token: str | None = None, **body: Any) -> Any:  # noqa: F811
    path = f"/activations/{line.activation_id}/d2/retention"
    return (
        line.api.post(path, token or line.coordinator, body) if body else line.api.get(path, token or line.coordinator)
    )


def _fill(line: Line, activation_id: str | None = None) -> None:  # noqa: F811
    """Enquiries through the API, and the items the other D2 parts write, as they write them."""
    activation_id = activation_id or line.activation_id
    for _ in range(3):
        recorded = line.api.post(
            f"/activations/{activation_id}/enquiries",
            line.agent,
            {
                "sought": {"given_names": "Marie", "family_name": "Peeters"},
                "enquirer": {
                    "name": "Jan Peeters",
                    "phone": "+32470998877",
                    "relationship": "brother",
                    "language": "nl",
                    "callback_consent": True,
                },
            },
        ).body
        assert recorded["id"], recorded
    table = boto3.resource("dynamodb").Table(table_names()["D2Table"])
    with table.batch_writer() as batch:
        for n in range(40):  # more than one batch of deletes
            batch.put_item(
                Item={
                    "activation_id": activation_id,
                    "sk": f"ENTRY#x{n}",
                    "entry_id": f"x{n}",
                    "list_id": "l1",
                    "family_name": "Peeters",
                    "status": "hospitalised",
                }
            )
        batch.put_item(Item={"activation_id": activation_id, "sk": "CAND#x1#p1", "score": 90})
        batch.put_item(
            Item={
                "activation_id": activation_id,
                "sk": "MATCH#m1",
                "match_id": "m1",
                "person_id": recorded["person_id"],
                "status": "confirmed",
            }
        )
        batch.put_item(
            Item={
                "activation_id": activation_id,
                "sk": "CALLBACK#c1",
                "callback_id": "c1",
                "enquiry_id": recorded["id"],
                "kind": "news",
                "done_at": "2026-11-29T23:00:00Z",
            }
        )


def _close(line: Line) -> datetime:  # noqa: F811
    closed = line.api.post(f"/activations/{line.activation_id}/close", line.gent)
    assert closed.status == 200, closed.body
    return parse_iso(closed.body["closed_at"])


def _left(logical_id: str, activation_id: str) -> list[dict[str, Any]]:
    return [item for item in table_items(logical_id) if item["activation_id"]["S"] == activation_id]


def _run(now: datetime) -> dict[str, Any]:
    return purge.run(_store(), _signer(), now, d2_purge_settings().d2_retention_days, "D2PurgeDaily")


# ---------------------------------------------------------------------- retention
def test_data_is_kept_thirty_days_after_the_activation_closes(line: Line) -> None:  # noqa: F811
    assert _retention(line).body["purge_after"] is None  # live: kept
    closed_at = _close(line)
    kept = _retention(line).body
    assert kept["days"] == 30
    assert parse_iso(kept["purge_after"]) == closed_at + timedelta(days=30)


def test_a_coordinator_extends_the_retention_with_a_reason_and_it_is_audited(line: Line) -> None:  # noqa: F811
    extended = _retention(line, days=90, reason="Judicial inquiry by the Gent prosecutor")
    assert extended.status == 200, extended.body
    assert extended.body["days"] == 90 and extended.body["extended"] is True
    assert _retention(line).body["reason"] == "Judicial inquiry by the Gent prosecutor"
    assert _store().audit_entries(line.activation_id)[-1]["action"] == "d2.retention.extend"


def test_a_retention_is_never_shortened_and_needs_a_reason(line: Line, snapshot: Any) -> None:  # noqa: F811
    assert _retention(line, days=60, reason="Inquiry").status == 200
    before = snapshot()
    shorter = _retention(line, days=45, reason="Less")
    assert shorter.status == 422
    assert [f["field"] for f in shorter.body["error"]["details"]["fields"]] == ["days"]
    assert _retention(line, days=60, reason="Same").status == 422
    assert _retention(line, days=120).status == 422  # no reason
    assert _retention(line, days=120, reason="   ").status == 422
    assert snapshot() == before


@pytest.mark.parametrize("who", ["agent", "gent", "admin", "finance"])
def test_only_a_coordinator_decides_the_retention(line: Line, who: str) -> None:  # noqa: F811
    assert _retention(line, getattr(line, who), days=90, reason="Inquiry").status == 403
    assert _retention(line, getattr(line, who)).status == 403


# ---------------------------------------------------------------------- the purge
def test_nothing_is_purged_before_the_retention_ends(line: Line) -> None:  # noqa: F811
    _fill(line)
    closed_at = _close(line)
    before = len(_left("D2Table", line.activation_id))
    assert _run(closed_at + timedelta(days=29, hours=23)) == {"purged": []}
    assert len(_left("D2Table", line.activation_id)) == before
    _retention(line, days=60, reason="Inquiry")
    assert _run(closed_at + timedelta(days=45)) == {"purged": []}
    assert len(_left("D2Table", line.activation_id)) == before + 1  # the retention item


def test_a_live_activation_is_never_purged(line: Line) -> None:  # noqa: F811
    _fill(line)
    assert _run(datetime.now().astimezone() + timedelta(days=400)) == {"purged": []}


def test_the_purge_erases_everything_and_keeps_the_figures_and_a_signed_record(line: Line, enrol: Any) -> None:  # noqa: F811
    other = _open(line.api, enrol("11002", "Stad Antwerpen")[1])  # another authority's live activation
    _fill(line)
    _fill(line, other)
    line.api.get(f"/activations/{line.activation_id}/enquiries", line.coordinator)
    before = line.api.get(f"/activations/{line.activation_id}/d2/figures", line.gent).body
    chain = _store().audit_entries(line.activation_id)
    others = (len(_left("D2Table", other)), len(_left("D2AuditTable", other)))
    # The open enquiries' scoring snapshot: one to three items, as the three enquiries' ids fall.
    snapshot = sum(1 for item in _left("D2Table", line.activation_id) if item["sk"]["S"].startswith("SOUGHT#"))
    assert 1 <= snapshot <= 3
    closed_at = _close(line)

    assert _run(closed_at + timedelta(days=30, minutes=1)) == {"purged": [line.activation_id]}

    assert _left("D2Table", line.activation_id) == []
    assert _left("D2AuditTable", line.activation_id) == []
    assert (len(_left("D2Table", other)), len(_left("D2AuditTable", other))) == others
    after = line.api.get(f"/activations/{line.activation_id}/d2/figures", line.gent)
    assert after.status == 200
    assert after.body["purged"] is True
    keep = [key for key in before if key not in ("as_of", "purged")]
    assert {key: after.body[key] for key in keep} == {key: before[key] for key in keep}

    record = _store().archived(line.activation_id, "ERASURE")
    assert record is not None
    assert record["deleted"] == {
        "AUDIT": len(chain),
        "CALLBACK": 1,
        "CAND": 1,
        "ENQ": 3,
        "ENTRY": 40,
        "MATCH": 1,
        "PERSON": 3,
        "REF": 3,
        "SOUGHT": snapshot,
    }
    assert record["last_audit_hash"] == chain[-1]["hash"]
    assert record["schedule"] == "D2PurgeDaily"
    assert purge.verify_erasure(record, _signer())
    assert not purge.verify_erasure({**record, "deleted": {**record["deleted"], "ENQ": 2}}, _signer())
    assert not purge.verify_erasure({**record, "last_audit_hash": "0" * 64}, _signer())


def test_after_the_purge_every_personal_endpoint_answers_gone(line: Line) -> None:  # noqa: F811
    recorded = _record(line)
    closed_at = _close(line)
    _run(closed_at + timedelta(days=31))
    base = f"/activations/{line.activation_id}"
    for path in (
        "/enquiries",
        f"/enquiries/{recorded['reference']}",
        "/d2/export?format=csv",
        "/d2/retention",
        "/d2/audit/verify",
    ):
        answer = line.api.get(base + path, line.coordinator)
        assert answer.status == 410, (path, answer.body)
        assert answer.body["error"]["code"] == "d2_purged"
    assert line.api.post(f"{base}/d2/retention", line.coordinator, {"days": 99, "reason": "late"}).status == 410


def test_a_second_run_finds_nothing_and_does_nothing(line: Line, snapshot: Any) -> None:  # noqa: F811
    _fill(line)
    closed_at = _close(line)
    _run(closed_at + timedelta(days=31))
    after_first = snapshot()
    assert _run(closed_at + timedelta(days=32)) == {"purged": []}
    assert snapshot() == after_first


class _FailsAfterFirstBatch(D2Store):
    def __init__(self, *args: Any) -> None:
        super().__init__(*args)
        self.batches = 0

    def delete_batch(self, table: str, keys: list[dict[str, Any]]) -> None:
        if self.batches == 1:
            raise RuntimeError("the function timed out")
        self.batches += 1
        super().delete_batch(table, keys)


def test_an_interrupted_purge_is_finished_by_the_next_run(line: Line) -> None:  # noqa: F811
    _fill(line)
    closed_at = _close(line)
    complete = figures.compute(_store().partition(line.activation_id))
    count = len(_left("D2Table", line.activation_id))
    failing = _FailsAfterFirstBatch(client("dynamodb"), d2_purge_settings())
    with pytest.raises(RuntimeError):
        purge.run(failing, _signer(), closed_at + timedelta(days=31), 30, "D2PurgeDaily")
    assert len(_left("D2Table", line.activation_id)) == count - purge.BATCH
    assert _store().archived(line.activation_id, "ERASURE") is None

    assert _run(closed_at + timedelta(days=32)) == {"purged": [line.activation_id]}
    assert _left("D2Table", line.activation_id) == []
    assert _left("D2AuditTable", line.activation_id) == []
    record = _store().archived(line.activation_id, "ERASURE")
    assert record is not None and sum(v for k, v in record["deleted"].items() if k != "AUDIT") == count
    assert json.loads((_store().archived(line.activation_id, "FIGURES") or {})["figures"]) == complete
    assert purge.verify_erasure(record, _signer())


def test_the_scheduled_handler_purges_what_is_due(line: Line, monkeypatch: pytest.MonkeyPatch) -> None:  # noqa: F811
    _record(line)
    closed_at = _close(line)
    answer = purge.lambda_handler({"schedule": "D2PurgeDaily"}, None, now=lambda: closed_at + timedelta(days=31))
    assert answer == {"purged": [line.activation_id]}
