"""D2 lists end to end: a 5,000-row list uploaded through the logic and the store (moto in this process) against
2,000 and 20,000 open enquiries. The upload answers after storing the rows; the rows are then scored against the
open enquiries (for a list this large in an asynchronous invocation): both times are shown, and then how long a
new enquiry takes to be scored against the list (its blocks' rows read by key, never every row). The aims: a
5,000-row list against 20,000 open enquiries scored in under 60 s, a new enquiry's candidates in under 200 ms;
moto in-process is far slower per request than DynamoDB, so a figure here is an upper bound. The data is
bench.d2_matching's synthetic population (Belgian names, each enquiry with one or two of the variations
relatives and lists write)."""

from __future__ import annotations

import os
import statistics
import time
import uuid
from typing import Any

import infra  # noqa: F401 - puts the functions' packages on the path
from bench.common import aim
from bench.d2_matching import synthetic

LIST_ROWS = 5_000
NEW_ENQUIRIES = 20  # new enquiries scored one by one against the list, the median shown
# 20,000 open enquiries take minutes against moto in this process (every request serialised and parsed, the
# partition scanned per query page): `D2_UPLOAD_BENCH_FULL=1 make bench` adds that size.
SIZES = (2_000, 20_000) if os.environ.get("D2_UPLOAD_BENCH_FULL") == "1" else (2_000,)
HEADER = "source_ref;given_names;family_name;birth_date;sex;status;location"


def _csv(rows: list[dict[str, Any]]) -> bytes:
    lines = [HEADER]
    for row in rows:
        fields = [row["source_ref"], row["given_names"], row["family_name"], row.get("birth_date") or ""]
        lines.append(";".join([*map(str, fields), str(row.get("sex") or ""), "hospitalised", "UZ Brussel"]))
    return ("\n".join(lines) + "\n").encode()


def _seed_enquiries(store: Any, activation_id: str, sought: list[dict[str, Any]]) -> None:
    """The enquiries, their persons and their scoring snapshot's lines, as recording them writes them."""
    from d2 import d2_store, scoring

    enquiries, persons = [], []
    snapshot: dict[str, dict[str, Any]] = {}
    for number, person in enumerate(sought):
        enquiry_id, person_id = uuid.uuid4().hex, uuid.uuid4().hex
        enquiries.append(
            (
                f"ENQ#{enquiry_id}",
                {
                    "id": enquiry_id,
                    "activation_id": activation_id,
                    "status": "open",
                    "person_id": person_id,
                    "reference": f"R{number}",
                    "recorded_at": "2026-11-29T10:00:00Z",
                },
            )
        )
        persons.append((f"PERSON#{person_id}", {"id": person_id, "enquiry_id": enquiry_id, **person}))
        line = scoring.snapshot_line(person)
        if line is not None:
            snapshot.setdefault(d2_store._sought_item(enquiry_id), {})[enquiry_id] = line
    store._put_all(activation_id, enquiries + persons + sorted(snapshot.items()))


def _one(enquiries: int) -> tuple[float, float, int, float]:
    """(upload seconds, scoring seconds, candidates stored, a new enquiry's median scoring seconds) of one list
    against `enquiries` open enquiries."""
    from crisisline import dynamo
    from crisisline.aws import client, reset_clients
    from crisisline.models import Caller
    from d2 import matches, scoring
    from d2.d2_store import D2Store, d2_settings

    reset_clients()
    settings = d2_settings()
    store = D2Store(client("dynamodb"), settings)
    activation_id = uuid.uuid4().hex
    client("dynamodb").put_item(
        TableName=settings.activations_table,
        Item=dynamo.to_item(
            {"id": activation_id, "status": "live", "victim_information": True, "opened_at": "2026-11-29T08:00:00Z"}
        ),
    )
    data = synthetic(seed=7, enquiries=enquiries, list_rows=LIST_ROWS)
    _seed_enquiries(store, activation_id, [sought for _, sought, _ in data.enquiries])
    coordinator = Caller(role="d2_coordinator", credential_id="bench", label="Bench")
    later: list[dict[str, Any]] = []
    started = time.perf_counter()
    answer = matches.upload_list(
        coordinator, activation_id, "UZ Brussel", _csv(data.rows), "text/csv", store, later.append
    )
    uploaded = time.perf_counter() - started
    started = time.perf_counter()
    scored = sum(matches.rescore_list(activation_id, event["d2_rescore"]["list_id"], store) for event in later)
    if answer["scoring"] == "done":
        scored = -1
    scoring_seconds = time.perf_counter() - started
    activation = store.activation(activation_id) or {}
    new = []
    for _, person, _ in data.enquiries[:NEW_ENQUIRIES]:
        started = time.perf_counter()
        scoring.score_enquiry(store, activation, uuid.uuid4().hex, person)
        new.append(time.perf_counter() - started)
    return uploaded, scoring_seconds, scored, statistics.median(new)


def run() -> list[str]:
    from moto import mock_aws

    from crisisline import environment
    from infra.local import seed, template

    os.environ.update(
        {
            "AWS_ACCESS_KEY_ID": "bench",
            "AWS_SECRET_ACCESS_KEY": "bench",
            "AWS_DEFAULT_REGION": template.LOCAL_REGION,
            **template.environment(),
            "POWERTOOLS_LOG_LEVEL": "ERROR",
        }
    )
    os.environ.pop("AWS_ENDPOINT_URL", None)
    environment.forget_settings()
    lines = []
    for enquiries in SIZES:
        with mock_aws():
            seed.provision("bench-key")
            uploaded, scoring, candidates, new = _one(enquiries)
        lines.append(
            f"{LIST_ROWS:,}-row list against {enquiries:,} open enquiries (moto): upload answered in {uploaded:.1f} s "
            f"{aim(uploaded, 29, digits=1, note='API Gateway')}, scored in {scoring:.1f} s "
            f"{aim(scoring, 60, digits=1)}, {candidates:,} candidates stored; a new enquiry scored against the "
            f"list in {new * 1000:.0f} ms {aim(new * 1000, 200, digits=0)} (median of {NEW_ENQUIRIES})"
        )
    return lines


if __name__ == "__main__":
    print("\n".join(run()))
