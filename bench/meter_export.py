"""Export figures: GET /exports/{month} for a month of 100,000 contact records against a month of 1,000 (ratio,
aim <= 1.3), and the AWS calls one export makes, by the number of activations in the month.

The export reads per activation and month aggregates, never contact records, so what a month's size changes is
the numbers inside the aggregates, not how many items are read. The months are therefore written as metering
leaves them (one usage item per activation, counting 1,000 or 100,000 contacts), not by metering 100,000
records one by one, which would take minutes against in-process moto and measure ingest, not the export
(bench/meter_ingest.py measures that). The call count shows no call touches the contacts table."""

from __future__ import annotations

import json
import os
import statistics
import time
from collections import Counter
from datetime import timedelta
from typing import Any

from bench.common import aim, counting_calls

ACTIVATIONS = 20
RUNS = 7
SMALL, LARGE = ("2026-09", 1_000), ("2026-10", 100_000)


def _seed(month: str, contacts: int, activations: int, prefix: str) -> None:
    import boto3

    from crisisline.dynamo import to_item
    from crisisline.months import month_bounds
    from infra.local import template

    dynamodb = boto3.client("dynamodb")
    start, _ = month_bounds(month)
    opened = start.isoformat(timespec="milliseconds").replace("+00:00", "Z")
    closed = (start + timedelta(days=19)).isoformat(timespec="milliseconds").replace("+00:00", "Z")
    share = contacts // activations
    for n in range(activations):
        activation_id = f"{prefix}-{n:04d}"
        dynamodb.put_item(
            TableName=template.physical_table_name("ActivationsTable"),
            Item=to_item(
                {
                    "id": activation_id,
                    "authority_id": f"{10000 + n % 50:05d}",
                    "authority_name": f"Gemeente {n % 50}",
                    "number": f"+3280{n:07d}",
                    "number_kind": "toll_free" if n % 3 else "did",
                    "status": "closed",
                    "requested_at": opened,
                    "opened_at": opened,
                    "closed_at": closed,
                    "operators": 4,
                    "operator_timeline": [{"at": opened, "operators": 4}],
                }
            ),
        )
        dynamodb.put_item(
            TableName=template.physical_table_name("UsageTable"),
            Item=to_item(
                {
                    "activation_id": activation_id,
                    "period": month,
                    "month": month,
                    "calls": share,
                    "d2_calls": share // 5,
                    "answered_calls": share * 3 // 4,
                    "abandoned_calls": share // 4,
                    "call_seconds": share * 130,
                    "queue_seconds": share * 30,
                }
            ),
        )


def _export_seconds(gateway: Any, token: str, month: str, export_format: str) -> float:
    times = []
    for _ in range(RUNS):
        started = time.perf_counter()
        status, _, raw = gateway.handle(
            "GET", f"/exports/{month}?format={export_format}", {"Authorization": f"Bearer {token}"}, b""
        )
        times.append(time.perf_counter() - started)
        assert status == 200, raw[:300]
    return statistics.median(times)


def run() -> list[str]:
    from moto import mock_aws

    from infra.local import seed, template
    from infra.local.stack import ApiGateway, Functions, forget_cached_state

    os.environ.update(
        {
            "AWS_ACCESS_KEY_ID": "bench",
            "AWS_SECRET_ACCESS_KEY": "bench",
            "AWS_DEFAULT_REGION": template.LOCAL_REGION,
            "POWERTOOLS_LOG_LEVEL": "ERROR",
            **template.functions()["ExportFunction"].environment,
        }
    )
    os.environ.pop("AWS_ENDPOINT_URL", None)
    forget_cached_state()
    lines = []
    with mock_aws(), counting_calls() as counter:
        seed.provision("bench-key")
        admin = seed.admin_credential()
        gateway = ApiGateway(Functions(), cache_seconds=300)
        _, _, raw = gateway.handle(
            "POST",
            "/credentials",
            {"Authorization": f"Bearer {admin}", "Content-Type": "application/json"},
            json.dumps({"role": "finance", "label": "bench"}).encode(),
        )
        finance = json.loads(raw)["token"]
        for (month, contacts), prefix in ((SMALL, "small"), (LARGE, "large")):
            _seed(month, contacts, ACTIVATIONS, prefix)
        for export_format in ("json", "csv", "xlsx"):
            small = _export_seconds(gateway, finance, SMALL[0], export_format)
            large = _export_seconds(gateway, finance, LARGE[0], export_format)
            lines.append(
                f"export {export_format}: {LARGE[1]:,} contacts {large * 1000:.1f} ms, {SMALL[1]:,} "
                f"contacts {small * 1000:.1f} ms, ratio {large / small:.2f} "
                f"{aim(large / small, 1.3, note=f'{ACTIVATIONS} activations each')}"
            )
        for activations, month in ((1, "2026-06"), (ACTIVATIONS, LARGE[0]), (200, "2026-07")):
            if month != LARGE[0]:
                _seed(month, 1_000 * activations, activations, f"m{month}")
            _export_seconds(gateway, finance, month, "json")  # the authorizer's answer cached
            counter.reset()
            gateway.handle("GET", f"/exports/{month}", {"Authorization": f"Bearer {finance}"}, b"")
            calls = Counter(counter.calls)
            shown = ", ".join(f"{name} {count}" for name, count in sorted(calls.items()))
            lines.append(
                f"AWS calls per export with {activations} activation(s) in the month: {sum(calls.values())} ({shown})"
            )
    forget_cached_state()
    return lines
