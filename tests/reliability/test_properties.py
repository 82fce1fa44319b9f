"""Part 2, properties (hypothesis): money sums and rounding, Brussels month splits across summer time, routing
decisions for random activation states, and contact record attribution under redelivery in any order.

The four properties run inside one test so that they record one figure line, whichever pytest-xdist worker runs
it; each failing property still fails the test with hypothesis's shrunk counterexample."""

from __future__ import annotations

import calendar
import itertools
import json
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import boto3
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from crisisline.clock import iso
from crisisline.dynamo import to_item
from crisisline.errors import StoreUnavailable
from crisisline.money import CENT
from crisisline.months import BRUSSELS, month_bounds, month_of, seconds_in, split_by_month
from crisisline.tariffs import KINDS, Tariff, TariffSchedule
from crisisline.usage import COUNTERS
from finance.billing import Export
from finance.pricing import MONEY, PeriodUsage, live_window, price_month
from infra.connect.contact_record import AgentAnswer, Contact, QueueVisit, contact_record
from infra.local import template
from ingest.contact_records import read_contact_record
from ingest.metering import CLOCK_SKEW, meter_contact_record
from ingest.usage_store import UsageStore
from route.logic import decide
from route.models import ALL_LANGUAGES, D2, CallRequest, LiveLine
from tests.reliability import figures

SECOND = timedelta(seconds=1)
EARLIEST = datetime(2019, 1, 1, tzinfo=UTC)
LATEST = datetime(2031, 12, 31, tzinfo=UTC)
MONTH_HOURS = {672, 696, 719, 720, 743, 744, 745}
RUN = "RUNID"
RUNS = itertools.count()
INSTANCE = "arn:aws:connect:eu-central-1:123456789012:instance/00000000-0000-4000-8000-000000000000"


@dataclass
class Tally:
    """Examples each property ran, and the properties that found a counterexample."""

    examples: Counter[str] = field(default_factory=Counter)
    failed: list[str] = field(default_factory=list)


TALLY = Tally()


def sized(examples_ci: int, examples_full: int) -> settings:
    return settings(
        max_examples=figures.size(ci=examples_ci, full=examples_full),
        deadline=None,
        database=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )


instants = st.datetimes(
    min_value=EARLIEST.replace(tzinfo=None), max_value=LATEST.replace(tzinfo=None), timezones=st.just(UTC)
).map(lambda moment: moment.replace(microsecond=0))
amounts = st.decimals(min_value=Decimal("0"), max_value=Decimal("500"), places=3, allow_nan=False, allow_infinity=False)


# ---------------------------------------------------------------------- money
@st.composite
def tariff_versions(draw: st.DrawFn, start: datetime, end: datetime) -> list[Tariff]:
    """0 to 2 tariff versions taking effect inside [start, end], with random rates."""
    versions = []
    for _ in range(draw(st.integers(0, 2))):
        effective = start + SECOND * draw(st.integers(0, max(0, int((end - start) / SECOND))))
        versions.append(
            Tariff(
                effective_from=effective,
                operator_hour=draw(amounts),
                number_day={kind: draw(amounts) for kind in KINDS},
                telephony_minute={kind: draw(amounts) for kind in KINDS},
                service_minute=draw(amounts),
                personnel_minimum_hours=Decimal(draw(st.integers(0, 8))),
                calls_per_operator_hour=12,
            )
        )
    return versions


@st.composite
def priced_activations(draw: st.DrawFn) -> tuple[dict[str, Any], datetime, TariffSchedule, int]:
    """(activation, now, tariff schedule, call seconds): up to 75 days, live or closed, operators changing."""
    opened = draw(instants)
    lasted = SECOND * draw(st.integers(0, 75 * 86400))
    live = draw(st.booleans())
    end = opened + lasted
    now = end if live else end + SECOND * draw(st.integers(0, 86400))
    changes = sorted(draw(st.lists(st.integers(0, int(lasted / SECOND)), max_size=4)))
    timeline = [{"at": iso(opened), "operators": draw(st.integers(0, 30))}]
    timeline += [{"at": iso(opened + SECOND * at), "operators": draw(st.integers(0, 30))} for at in changes]
    activation = {
        "id": f"act-{draw(st.integers(0, 10**6))}",
        "authority_id": draw(st.sampled_from(["44021", "21004", "62063"])),
        "authority_name": "x",
        "number": "+3280012345",
        "number_kind": draw(st.sampled_from(KINDS)),
        "status": "live" if live else "closed",
        "opened_at": iso(opened),
        "closed_at": None if live else iso(end),
        "operator_timeline": timeline,
    }
    schedule = TariffSchedule(draw(tariff_versions(opened, end)))
    return activation, now, schedule, draw(st.integers(0, 10**7))


def _exact_line(
    activation: dict[str, Any], month: str, schedule: TariffSchedule, now: datetime, call_seconds: int
) -> dict[str, Decimal]:
    """The line's components before rounding, worked out second-exactly in a way of its own: cut the month's
    part of the live window at every tariff change, price each part by its version, add, never round."""
    opened, end = live_window(activation, now)
    if activation["closed_at"] and int((end - opened) / SECOND) <= schedule.at(opened).grace_minutes * 60:
        # Closed within the grace period, and these lines have no answered call: opened by accident.
        return dict.fromkeys(("personnel_eur", "number_eur", "telephony_eur"), Decimal(0))
    month_start, month_end = month_bounds(month)
    start, stop = max(opened, month_start), max(max(opened, month_start), min(end, month_end))
    cuts = sorted({start, stop, *(v.effective_from for v in schedule.versions if start < v.effective_from < stop)})
    kind = activation["number_kind"]
    # Two changes in the same second: the later one in the timeline holds (a stable sort by instant only).
    entries = sorted(
        (
            (datetime.fromisoformat(e["at"].replace("Z", "+00:00")), e["operators"])
            for e in activation["operator_timeline"]
        ),
        key=lambda entry: entry[0],
    )

    def operated(a: datetime, b: datetime) -> int:
        total = 0
        for index, (at, operators) in enumerate(entries):
            until = entries[index + 1][0] if index + 1 < len(entries) else b
            total += operators * max(0, int((min(until, b) - max(at, a)) / SECOND))
        return total

    personnel = number = weighted = Decimal(0)
    live = 0
    for a, b in itertools.pairwise(cuts):
        tariff = schedule.at(a)
        seconds = int((b - a) / SECOND)
        personnel += operated(a, b) * tariff.operator_hour / 3600
        number += seconds * tariff.number_day[kind] / 86400
        weighted += seconds * (tariff.telephony_minute[kind] + tariff.service_minute)
        live += seconds
    last = month_of(max(opened, end - SECOND))
    if last == month:
        final = schedule.at(max(opened, end - SECOND))
        top_up = max(Decimal(0), final.personnel_minimum_seconds - operated(opened, end))
        personnel += top_up * final.operator_hour / 3600
    if live == 0:
        instant = min(max(end, month_start), month_end - SECOND)
        tariff = schedule.at(instant)
        weighted, live = tariff.telephony_minute[kind] + tariff.service_minute, 1
    return {"personnel_eur": personnel, "number_eur": number, "telephony_eur": call_seconds * weighted / (60 * live)}


def _no_float(value: Any) -> bool:
    if isinstance(value, float):
        return False
    if isinstance(value, dict):
        return all(_no_float(item) for item in value.values())
    if isinstance(value, list | tuple):
        return all(_no_float(item) for item in value)
    return True


@given(st.lists(priced_activations(), min_size=1, max_size=4))
def money_adds_up_to_the_cent(activations: list[tuple[dict[str, Any], datetime, TariffSchedule, int]]) -> None:
    """Each component is its exact amount rounded half-up once; a line's total is the sum of its rounded
    components; an authority's total is the sum of its lines; nothing is ever a float."""
    TALLY.examples["money"] += 1
    lines = []
    for activation, now, schedule, call_seconds in activations:
        opened, end = live_window(activation, now)
        months = [month for month, _, _ in split_by_month(opened, end)] or [month_of(opened)]
        for month in months:
            line = price_month(activation, month, PeriodUsage(call_seconds=call_seconds), schedule, now)
            exact = _exact_line(activation, month, schedule, now, call_seconds)
            for name in ("personnel_eur", "number_eur", "telephony_eur"):
                amount = getattr(line, name)
                assert isinstance(amount, Decimal), name
                assert amount == exact[name].quantize(CENT, rounding=ROUND_HALF_UP), (name, amount, exact[name])
                assert amount.as_tuple().exponent == -2, (name, amount)
            assert line.total_eur == line.personnel_eur + line.number_eur + line.telephony_eur
            lines.append(line)
    export = Export(month="2026-11", lines=lines, provisional=True, generated_at="2026-11-30T00:00:00.000Z")
    for total in export.totals():
        mine = [line for line in lines if line.authority_id == total["authority_id"]]
        assert total["lines"] == len(mine)
        for name in MONEY:
            assert total[name] == sum((getattr(line, name) for line in mine), Decimal("0.00")), name
    document = export.document()
    assert _no_float(document)
    assert _no_float(json.loads(json.dumps(document), parse_float=lambda text: float(text)))
    assert Decimal(document["total_eur"]) == sum((line.total_eur for line in lines), Decimal("0.00"))


# ---------------------------------------------------------------------- Brussels months
def _expected_hours(month: str) -> int:
    year, number = int(month[:4]), int(month[5:])
    # Summer time starts on March's last Sunday (an hour less) and ends on October's (an hour more).
    return calendar.monthrange(year, number)[1] * 24 - (number == 3) + (number == 10)


@given(instants, st.integers(0, 400 * 86400))
def months_split_exactly(start: datetime, length: int) -> None:
    """Pieces are contiguous, cover the interval exactly, each lies inside one Brussels month, their seconds add
    up, and every month is 672, 696, 719, 720, 743, 744 or 745 hours long as its calendar says."""
    TALLY.examples["months"] += 1
    end = start + SECOND * length
    pieces = list(split_by_month(start, end))
    if length == 0:
        assert pieces == []
        return
    assert (pieces[0][1], pieces[-1][2]) == (start, end)
    for (_, _, first_end), (_, second_start, _) in itertools.pairwise(pieces):
        assert first_end == second_start
    assert sum(int((b - a) / SECOND) for _, a, b in pieces) == length
    for month, a, b in pieces:
        month_start, month_end = month_bounds(month)
        assert month_start <= a < b <= month_end
        assert month_of(a) == month == month_of(b - SECOND)
        assert seconds_in(month, start, end) == int((b - a) / SECOND)
        assert month_start.astimezone(BRUSSELS).hour == 0 == month_end.astimezone(BRUSSELS).hour
        hours = (month_end - month_start) / timedelta(hours=1)
        assert hours == _expected_hours(month) and hours in MONTH_HOURS, (month, hours)


# ---------------------------------------------------------------------- routing
@dataclass
class FakeRouting:
    """The routing copy of one pool number and the hour's counter, as random states set them."""

    line: LiveLine | None
    count: int
    count_fails: bool
    counted: int = 0

    def live_line(self, number: str, deadline: float) -> LiveLine | None:
        return self.line

    def count_call(self, activation_id: str, now: datetime, deadline: float) -> int:
        self.counted += 1
        if self.count_fails:
            raise StoreUnavailable("injected")
        return self.count


@st.composite
def routing_states(draw: st.DrawFn) -> tuple[CallRequest, FakeRouting, int]:
    languages = tuple(draw(st.lists(st.sampled_from(ALL_LANGUAGES), min_size=1, max_size=4, unique=True)))
    operators = draw(st.integers(0, 20))
    per_hour = draw(st.integers(1, 30))
    capacity = operators * per_hour
    state = draw(st.sampled_from(["live", "closed", "unknown"]))
    line = None
    if state == "live":
        line = LiveLine(
            activation_id="act-1",
            authority_name="Stad Gent",
            languages=languages,
            message={language: f"message in {language}" for language in languages},
            victim_information=draw(st.booleans()),
            operators=operators,
        )
    count = max(1, capacity + draw(st.integers(-2, 2))) if draw(st.booleans()) else draw(st.integers(1, 10**4))
    request = CallRequest(
        dialled_number="+3280012345",
        language=draw(st.sampled_from([None, *ALL_LANGUAGES, "xx", ""])),
        choice=draw(st.sampled_from([None, "1", "2", "3", "", "*"])),
    )
    return request, FakeRouting(line, count, draw(st.booleans())), per_hour


@given(routing_states())
def routing_decides_as_promised(state: tuple[CallRequest, FakeRouting, int]) -> None:
    """Never D2 without a D2 line; overflow iff the count exceeds capacity; the message is the authority's, in a
    language it offers; a number in no live activation is inactive; only the choice counts the call."""
    TALLY.examples["routing"] += 1
    request, data, per_hour = state
    decision = decide(request, data, per_hour, datetime(2026, 11, 28, 21, 30, tzinfo=UTC), deadline=float("inf"))
    assert data.counted == (1 if data.line is not None and request.choice is not None else 0)
    if data.line is None:
        assert (decision.status, decision.queue, decision.overflow, decision.message) == ("inactive", "D5", False, "")
        return
    line = data.line
    assert decision.status == "live" and not decision.fallback
    assert decision.queue != D2 or line.victim_information
    assert decision.queue == (D2 if request.choice == "2" and line.victim_information else "D5")
    assert decision.d2_refused == (request.choice == "2" and not line.victim_information)
    counted_ok = request.choice is not None and not data.count_fails
    assert decision.overflow == (counted_ok and data.count > line.operators * per_hour)
    assert decision.language in line.languages
    assert decision.message == line.message[decision.language]
    if request.language in line.languages:
        assert decision.language == request.language


# ---------------------------------------------------------------------- contact record attribution
@dataclass(frozen=True)
class Window:
    activation_id: str
    number: str
    opened: datetime
    closed: datetime | None


@st.composite
def metering_cases(draw: st.DrawFn) -> tuple[list[Window], list[dict[str, Any]], list[int]]:
    """Activations on two pool numbers (windows that never overlap on one number), contact records around
    them (by number, by a valid or unknown activationId, on an unknown number), up to two versions each, and a
    delivery order in which every record arrives one to three times."""
    run = RUN  # each example's ids and numbers are made unique when it runs: moto's tables outlive it
    base = datetime(2026, 10, 20, tzinfo=UTC) + timedelta(days=draw(st.integers(0, 30)))
    numbers = [f"+3280{n}{run}" for n in range(2)]
    windows: list[Window] = []
    for n, number in enumerate(numbers):
        cursor = base
        for index in range(draw(st.integers(0, 3))):
            opened = cursor + SECOND * draw(st.integers(0, 20 * 86400))
            live = draw(st.booleans()) and index == 0
            closed = None if live else opened + SECOND * draw(st.integers(1, 20 * 86400))
            windows.append(Window(f"act-{run}-n{n}-{index}", number, opened, closed))
            if closed is None:
                break
            cursor = closed
    records = []
    for index in range(draw(st.integers(1, 8))):
        contact = f"c-{run}-{index}"
        number = draw(st.sampled_from([*numbers, "+3225550000"]))
        attribute = draw(st.sampled_from([None, "unknown", *(w.activation_id for w in windows)]))
        if attribute == "unknown":
            attribute = f"act-{run}-gone"
        initiated = base + SECOND * draw(st.integers(0, 60 * 86400))
        for version in range(draw(st.integers(1, 2))):
            talk = draw(st.integers(0, 3600))
            records.append(_record(contact, number, attribute, initiated, talk, draw(st.booleans()), version))
    deliveries = draw(st.lists(st.integers(1, 3), min_size=len(records), max_size=len(records)))
    order = [index for index, times in enumerate(deliveries) for _ in range(times)]
    return windows, records, draw(st.permutations(order))


LATER = datetime(2027, 6, 1, tzinfo=UTC)  # metering's "now": after every record a case makes


def _record(
    contact_id: str, number: str, activation: str | None, initiated: datetime, talk: int, d2: bool, version: int
) -> dict[str, Any]:
    connected = initiated + timedelta(seconds=5)
    left = connected + timedelta(seconds=30)
    queue = QueueVisit(f"{INSTANCE}/queue/{'d2' if d2 else 'd5'}", "D2" if d2 else "D5", connected, left)
    agent = AgentAnswer(f"{INSTANCE}/agent/op-1", "op-1", left, talk) if talk else None
    ended = left + timedelta(seconds=talk)
    made = contact_record(
        Contact(
            account_id=template.LOCAL_ACCOUNT,
            instance_arn=INSTANCE,
            contact_id=contact_id,
            initial_contact_id=None,
            previous_contact_id=None,
            initiation_method="INBOUND",
            system_number=number,
            customer_number="+32470123456",
            initiated=initiated,
            connected_to_system=connected,
            disconnected=ended,
            disconnect_reason="CUSTOMER_DISCONNECT",
            attributes={"activationId": activation} if activation else {},
            queue=queue,
            agent=agent,
        )
    )
    # Versions of one contact never tie: the newer one is updated an hour later, whatever its content.
    made["LastUpdateTimestamp"] = (initiated + timedelta(hours=2 + version)).strftime("%Y-%m-%dT%H:%M:%SZ")
    return made


def _expected_owner(record: dict[str, Any], windows: list[Window]) -> str | None:
    attribute = record["Attributes"].get("activationId")
    at = datetime.fromisoformat(record["InitiationTimestamp"].replace("Z", "+00:00"))
    named = {window.activation_id: window for window in windows}.get(attribute)
    if named is not None:  # billed only when it agrees with the dialled number and the live window
        agrees = (
            named.number == record["SystemEndpoint"]["Address"]
            and named.opened - CLOCK_SKEW <= at
            and (named.closed is None or at < named.closed + CLOCK_SKEW)
        )
        return named.activation_id if agrees else None
    for window in windows:
        if (
            window.number == record["SystemEndpoint"]["Address"]
            and window.opened <= at
            and (window.closed is None or at < window.closed)
        ):
            return window.activation_id
    return None


def _put(window: Window) -> None:
    item = {
        "id": window.activation_id,
        "authority_id": "44021",
        "number": window.number,
        "number_kind": "toll_free",
        "status": "live" if window.closed is None else "closed",
        "requested_at": iso(window.opened),
        "opened_at": iso(window.opened),
        "closed_at": iso(window.closed) if window.closed else None,
        "operator_timeline": [{"at": iso(window.opened), "operators": 1}],
    }
    boto3.client("dynamodb").put_item(TableName=template.physical_table_name("ActivationsTable"), Item=to_item(item))


def _usage_of(record: dict[str, Any]) -> Counter[str]:
    return Counter(read_contact_record(json.dumps(record)).usage.as_dict())


def metering_attributes_once(store: UsageStore) -> Callable[..., None]:
    @given(metering_cases())
    def attributed_once_whatever_the_order(case: tuple[list[Window], list[dict[str, Any]], list[int]]) -> None:
        """A record is attributed iff it carries an activationId that agrees with its number and live window
        (set aside if it disagrees), or carries none or an unknown one and falls inside a live window of its
        number; however often and in whatever order its versions arrive, the totals are those of its newest
        version, counted once."""
        TALLY.examples["metering"] += 1
        run = f"{next(RUNS):06d}"
        windows = [
            replace(w, activation_id=w.activation_id.replace(RUN, run), number=w.number.replace(RUN, run))
            for w in case[0]
        ]
        records = [json.loads(json.dumps(record).replace(RUN, run)) for record in case[1]]
        order = case[2]
        for window in windows:
            _put(window)
        for index in order:
            meter_contact_record(read_contact_record(json.dumps(records[index])), store, now=LATER)
        newest: dict[str, dict[str, Any]] = {}
        for record in records:
            kept = newest.get(record["ContactId"])
            if kept is None or record["LastUpdateTimestamp"] > kept["LastUpdateTimestamp"]:
                newest[record["ContactId"]] = record
        expected: dict[str, Counter[str]] = {}
        unattributed = set()
        for contact_id, record in newest.items():
            owner = _expected_owner(record, windows)
            if owner is None:
                unattributed.add(contact_id)
            else:
                expected.setdefault(owner, Counter()).update(_usage_of(record))
        stored = {contact_id: store.counted_contact(contact_id) for contact_id in newest}
        assert {c for c, item in stored.items() if item and not item.get("activation_id")} == unattributed
        got: dict[str, Counter[str]] = {}
        months = {month_of(datetime.fromisoformat(r["InitiationTimestamp"].replace("Z", "+00:00"))) for r in records}
        ids = {window.activation_id for window in windows}
        for month in months:
            for row in store.usage_for_month(month):
                if row["activation_id"] in ids:
                    got.setdefault(row["activation_id"], Counter()).update(
                        {name: int(row.get(name) or 0) for name in COUNTERS}
                    )
        assert {k: +v for k, v in got.items() if +v} == {k: +v for k, v in expected.items() if +v}

    return attributed_once_whatever_the_order  # type: ignore[no-any-return]


# ---------------------------------------------------------------------- the figure
def _run(name: str, prop: Callable[[], None], errors: list[BaseException]) -> None:
    try:
        prop()
    except Exception as error:  # noqa: BLE001 - every property runs; the first failure is raised below
        TALLY.failed.append(name)
        errors.append(error)


def test_money_months_routing_and_metering_hold_for_random_inputs(aws: None) -> None:
    errors: list[BaseException] = []
    _run("money", sized(150, 2000)(money_adds_up_to_the_cent), errors)
    _run("months", sized(300, 5000)(months_split_exactly), errors)
    _run("routing", sized(500, 10000)(routing_decides_as_promised), errors)
    _run("metering", sized(15, 60)(metering_attributes_once(UsageStore())), errors)  # moto slows as tables fill
    total = sum(TALLY.examples.values())
    figures.record(
        "2",
        f"4 properties, {total:,} examples ("
        + ", ".join(f"{name} {count:,}" for name, count in TALLY.examples.items())
        + f"), {len(TALLY.failed)} counterexamples"
        + (f" ({', '.join(TALLY.failed)})" if TALLY.failed else ""),
        ok=not TALLY.failed,
    )
    if errors:
        raise errors[0]
