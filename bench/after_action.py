"""After-action report figures: the time to build the report of a 25-day line with 25,000 calls as the route
does for one format (its figures from the contact facts, its cost priced as the export, the PDF or the HTML page
drawn), and the file's size.

The line is built from the figures function's inputs (the contact facts the store reads, routing's counter per
hour, the operator timeline) and one month's usage aggregate, not through DynamoDB: the store's reads are one
paged query per table, and what grows with the calls is the computing and the drawing measured here."""

from __future__ import annotations

import random
import time
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from bench.common import aim

DAYS = 25
CALLS = 25_000
RUNS = 3


def _line() -> tuple[dict[str, Any], list[Any], dict[str, int], list[tuple[datetime, int]]]:
    from crisisline.facts import counter_hour
    from crisisline.figures import ContactFacts

    opened = datetime(2026, 10, 2, 7, 0, tzinfo=UTC)
    closed = opened + timedelta(days=DAYS)
    rng = random.Random(2015)
    contacts: list[Any] = []
    routed: dict[str, int] = {}
    for n in range(CALLS):
        # Busy at first, then quieter: three quarters of the calls in the first five days.
        day = rng.uniform(0, 5) if n < CALLS * 3 // 4 else rng.uniform(5, DAYS)
        initiated = opened + timedelta(days=day)
        answered = rng.random() < 0.85
        queue = "D2" if rng.random() < 0.2 else "D5"
        contacts.append(
            ContactFacts(
                contact_id=f"c-{n}",
                last_update=(initiated + timedelta(minutes=5)).isoformat(),
                initiated=initiated,
                picked_queue=True,
                queue=queue,
                answered=answered,
                queue_seconds=rng.randint(5, 400),
                agent_seconds=rng.randint(60, 400) if answered else None,
            )
        )
        routed[counter_hour(initiated)] = routed.get(counter_hour(initiated), 0) + 1
    timeline = [(opened, 20), (opened + timedelta(days=5), 6)]
    activation = {
        "id": "bench-line",
        "authority_id": "21004",
        "authority_name": "Ville de Bruxelles / Stad Brussel",
        "number": "+3280012345",
        "number_kind": "toll_free",
        "status": "closed",
        "reason": "Floods: information for residents",
        "opened_at": opened.isoformat().replace("+00:00", "Z"),
        "closed_at": closed.isoformat().replace("+00:00", "Z"),
        "operators": 6,
        "victim_information": True,
        "operator_timeline": [
            {"at": at.isoformat().replace("+00:00", "Z"), "operators": operators} for at, operators in timeline
        ],
    }
    return activation, contacts, routed, timeline


def run() -> list[str]:
    from activate import report_document
    from activate.after_action import Event, Report
    from crisisline.figures import line_figures
    from crisisline.tariffs import TariffSchedule, default_tariff
    from finance.pricing import MONEY, PeriodUsage, price_month

    activation, contacts, routed, timeline = _line()
    schedule = TariffSchedule([default_tariff()])
    opened, closed = timeline[0][0], timeline[0][0] + timedelta(days=DAYS)
    usage = PeriodUsage(calls=CALLS, answered_calls=CALLS * 85 // 100, call_seconds=CALLS * 260)
    times: dict[str, list[float]] = {"pdf": [], "html": []}
    sizes = {"pdf": 0, "html": 0}
    pages = 0
    for _ in range(RUNS):
        for kind in ("pdf", "html"):  # one format per request, as the route draws it
            started = time.perf_counter()
            figures = line_figures(contacts, routed, timeline, lambda at: 12, opened, closed)
            cost = [price_month(activation, "2026-10", usage, schedule, closed)]
            made = Report(
                activation=activation,
                language="fr",
                events=[Event(opened, "opened", after=20), Event(closed, "closed")],
                figures=figures,
                cost=cost,
                generated_at=closed,
                cost_total={name: sum((getattr(line, name) for line in cost), Decimal("0.00")) for name in MONEY},
            )
            body = report_document.pdf(made) if kind == "pdf" else report_document.page(made).encode()
            times[kind].append(time.perf_counter() - started)
            sizes[kind] = len(body)
            if kind == "pdf":
                pages = body.count(b"/Type /Page\n") or body.count(b"/Type /Page")
    return [
        f"after-action report of a {DAYS}-day line with {CALLS:,} calls as {kind.upper()}: {min(times[kind]):.2f} s "
        f"(figures, cost and drawing; best of {RUNS}), {sizes[kind] / 1024:.0f} KiB"
        f"{f', {pages} pages' if kind == 'pdf' else ''} "
        f"{aim(min(times[kind]), 10.0, note='seconds: ActivateFunction times out at 10')}"
        for kind in ("pdf", "html")
    ]
