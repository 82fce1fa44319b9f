"""Metering one contact record: check it, attribute it to an activation, and count it exactly once however
often and in whatever order its versions arrive.

- Attribution: the flow's `activationId` contact attribute, checked inside the booking transaction (a
  ConditionCheck, no extra call) to name an activation on the dialled number (SystemEndpoint) whose live window
  holds the call; else, or when that activation does not exist, the live window of the dialled number at the
  InitiationTimestamp. No match: the contact is kept as unattributed (`no_activation`), never dropped.
- The crisis center's own calls: a contact whose `purpose` attribute says it served the crisis center (a call
  to the activation by phone line) is attributed to no activation and kept as such (`purpose`, `own_month` and
  its counters), billed to nobody and not listed as unattributed; once, as any contact.
- Checks: a record that cannot be billed as it is, is set aside for review (listed with the unattributed ones,
  with a `reason`), never billed and never dropped:
  - `attribute_number_mismatch`: the named activation is on another number;
  - `outside_live_window`: InitiationTimestamp before the activation opened or after it closed, with
    `CLOCK_SKEW` either side (Connect's clock and ours; a call begun before close is billed whole). A callback
    (InitiationMethod CALLBACK), which Connect places later, may begin or connect up to `CALLBACK_GRACE`
    after close; one whose SystemEndpoint is no telephone number (an agent's softphone) is checked against
    the contact that asked for it (InitialContactId), which must be counted to the same activation
    (`callback_origin_unknown` otherwise);
  - `implausible_duration`: a call, queue or agent duration below zero or over `MAX_SECONDS` (a day), or a
    call that connected before it began;
  - `in_the_future`: any of its instants later than now + `CLOCK_SKEW`; `implausible_instant`: before
    Connect's record format existed;
  - `moved_by_update`: a newer version of a contact naming another number, or another activation than the
    one it was counted to. It may correct the durations, never move the call;
  - `unstorable`: the store refused it for good (not for load or a timeout).
  A version set aside while an earlier one is billed is kept beside it (`version_of`): the billed one stays.
- Idempotence: the contact item holds the newest counted version (LastUpdateTimestamp) and its counters. A
  version is booked as the difference to the stored one, in one transaction conditioned on the stored version.
  The same or an older version changes nothing.
- Frozen months: a delta for a month that month close froze is booked in the first open month after it as
  an adjustment (`OPEN#adjusts#FROZEN`), never into the frozen month.

AWS calls: a new contact, or a repeated one, costs one transaction; a newer version, or a record that
disagrees with its activation, costs two. Attribution by number adds one Query; a frozen month adds a read per
frozen month."""

from __future__ import annotations

import json
import random
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from crisisline.clock import iso, parse_iso, utc_now
from crisisline.months import day_of, month_of
from crisisline.usage import UsageCounters, adjustment_period, usage_month
from ingest.contact_records import ContactRecord
from ingest.usage_store import (
    NO_ACTIVATION,
    AttributeCheck,
    Booking,
    Refused,
    UsageStore,
)

ATTEMPTS = 5  # races lost in a row before the record is reported as a batch item failure
CLOCK_SKEW = timedelta(minutes=5)  # Connect's clock and ours; a record is written as its call ends
CALLBACK_GRACE = timedelta(hours=12)
MAX_SECONDS = 86_400
EARLIEST = datetime.fromisoformat("2017-03-10T00:00:00+00:00")  # contact record format 2017-03-10
STORED_RECORD_CHARS = 100_000  # a set-aside record's JSON is cut here, well inside DynamoDB's 400 KB item

MISMATCH, OUTSIDE, IMPLAUSIBLE, FUTURE, MOVED = (
    "attribute_number_mismatch",
    "outside_live_window",
    "implausible_duration",
    "in_the_future",
    "moved_by_update",
)
BAD_INSTANT, NO_ORIGIN, UNSTORABLE = "implausible_instant", "callback_origin_unknown", "unstorable"


class StillContended(RuntimeError):
    """The contact's booking kept losing races; Lambda retries the record later."""


@dataclass(frozen=True)
class Outcome:
    """What metering did with one record."""

    contact_id: str
    result: str  # counted | updated | unchanged | set_aside
    activation_id: str | None
    period: str | None
    delta: dict[tuple[str, str], UsageCounters]
    reason: str | None = None  # why it was set aside
    purpose: str | None = None  # the crisis center's own call (no activation): what it served


def meter_contact_record(
    record: ContactRecord, store: UsageStore, attempts: int = ATTEMPTS, now: datetime | None = None
) -> Outcome:
    """Count `record` into its activation's usage, once, or set it aside; see the module's description."""
    counted: dict[str, Any] | None = None
    known = False  # whether `counted` is the stored version (else the contact is assumed new)
    reason = implausibility(record, now or utc_now())
    activation_id = record.activation_attribute if reason is None and not record.is_own_call else None
    verify = activation_id is not None
    if reason is None and activation_id is None and not record.is_own_call:
        activation_id = _by_number(record, store)
    frozen: dict[str, str] = {}  # frozen month -> first open month after it
    for attempt in range(attempts):
        if known and counted is not None:
            if counted["last_update"] >= record.last_update:
                return Outcome(
                    record.contact_id,
                    "unchanged",
                    counted.get("activation_id"),
                    counted.get("period"),
                    {},
                    counted.get("reason"),
                )
            if _moves(record, activation_id, counted):
                reason = MOVED
            if reason is not None and counted.get("activation_id"):
                # The billed version stays; this one is kept beside it for review.
                store.set_aside(_set_aside_item(record, reason, beside=True))
                return Outcome(record.contact_id, "set_aside", None, None, {}, reason)
        if reason is not None:
            activation_id, verify = None, False
        period = _period(record.month, frozen) if activation_id else None
        deltas = _deltas(counted, activation_id, period, record.usage, frozen)
        days = _day_seconds(counted, activation_id, period, record, frozen)
        contact = (
            _contact_item(record, activation_id, period, verify)
            if reason is None
            else _set_aside_item(record, reason, beside=False)
        )
        booking = Booking(
            contact=contact,
            replaces=counted["last_update"] if counted else None,
            deltas=deltas,
            verify_activation=_attribute_check(record, activation_id) if verify else None,
            day_seconds=days,
        )
        try:
            store.book(booking)
        except Refused as refused:
            if refused.contact_changed:
                counted = refused.counted if refused.counted is not None else store.counted_contact(record.contact_id)
                known = True
            for booked_in in refused.frozen:
                # Usage months booked in a month found frozen move on to the first open month after them.
                for month in {booked_in} | {m for m, open_month in frozen.items() if open_month == booked_in}:
                    frozen[month] = store.first_open_month_after(month)
            if refused.unknown_activation:
                activation_id, verify = _by_number(record, store), False
            elif refused.disagreeing is not None:
                reason = (
                    MISMATCH
                    if record.system_number is not None and refused.disagreeing.get("number") != record.system_number
                    else OUTSIDE
                )
            elif refused.origin_unknown:
                reason = NO_ORIGIN
            if refused.conflict:
                time.sleep(random.uniform(0.005, 0.02) * (attempt + 1))
            continue
        if reason is not None:
            return Outcome(record.contact_id, "set_aside", None, None, deltas, reason)
        return Outcome(
            record.contact_id,
            "updated" if counted else "counted",
            activation_id,
            period,
            deltas,
            purpose=record.purpose if activation_id is None else None,
        )
    raise StillContended(f"contact {record.contact_id} was not booked after {attempts} attempts")


def set_aside_unmeterable(record: ContactRecord, store: UsageStore, problem: str) -> Outcome:
    """Keep a record the store refused for good (not for load or a timeout) beside its contact, for review."""
    store.set_aside({**_set_aside_item(record, UNSTORABLE, beside=True, counters=False), "problem": problem})
    return Outcome(record.contact_id, "set_aside", None, None, {}, UNSTORABLE)


def set_aside_unreadable(key: str, arrived: datetime, problem: str, store: UsageStore) -> None:
    """Keep a stream record that is no readable contact record (not JSON, no ContactId, unreadable fields) for
    review under `key` (its Kinesis event id). Its data is not kept: it may hold the caller's number, which
    cannot be told apart in what does not parse; the stream keeps it a week for replay."""
    store.set_aside(
        {
            "contact_id": f"unreadable#{key}",
            "unattributed_month": month_of(arrived),
            "reason": "unreadable",
            "problem": problem,
            "arrived_at": iso(arrived),
            "metered_at": iso(utc_now()),
        }
    )


def implausibility(record: ContactRecord, now: datetime) -> str | None:
    """Why the record cannot be billed whatever it names (a reason of the module's list), or None."""
    durations = [record.usage.call_seconds, record.usage.queue_seconds, record.agent_seconds]
    if any(seconds < 0 or seconds > MAX_SECONDS for seconds in durations) or (
        record.connected is not None and record.connected < record.initiated - CLOCK_SKEW
    ):
        return IMPLAUSIBLE
    instants = [record.initiated, parse_iso(record.last_update), record.connected, record.disconnected]
    if any(at is not None and at > now + CLOCK_SKEW for at in instants):
        return FUTURE
    if any(at is not None and at < EARLIEST for at in instants):
        return BAD_INSTANT
    return None


def _moves(record: ContactRecord, activation_id: str | None, counted: dict[str, Any]) -> bool:
    """Whether a newer version names another number, or would go to another activation than the one it was
    counted to (`activation_id`: its attribute, or its number's when the attribute names no activation)."""
    if record.system_number != counted.get("system_number"):
        return True
    billed_to = counted.get("activation_id")
    return bool(activation_id and billed_to and activation_id != billed_to)


def _attribute_check(record: ContactRecord, activation_id: str | None) -> AttributeCheck:
    assert activation_id is not None
    closed_after = record.initiated - CLOCK_SKEW
    if record.is_callback:
        placed = max(record.initiated, record.connected or record.initiated)
        closed_after = placed - CALLBACK_GRACE
    origin = None
    if record.is_callback and record.system_number is None:
        origin = (
            record.initial_contact_id
            if record.initial_contact_id not in (None, record.contact_id)
            else f"{record.contact_id}#no-origin"
        )  # a key no contact has: the check fails
    return AttributeCheck(
        activation_id,
        record.system_number,
        opened_by=iso(record.initiated + CLOCK_SKEW),
        closed_after=iso(closed_after),
        origin=origin,
    )


def _by_number(record: ContactRecord, store: UsageStore) -> str | None:
    if record.system_number is None:
        return None
    grace = CALLBACK_GRACE if record.is_callback else timedelta(0)
    return store.activation_on_number(record.system_number, record.initiated, grace)


def _period(month: str, frozen: dict[str, str]) -> str:
    """Where usage of `month` is booked now: the month itself, or an adjustment in the first open month."""
    return adjustment_period(frozen[month], month) if month in frozen else month


def _deltas(
    counted: dict[str, Any] | None,
    activation_id: str | None,
    period: str | None,
    usage: UsageCounters,
    frozen: dict[str, str],
) -> dict[tuple[str, str], UsageCounters]:
    """Counters to ADD per (activation, period): take back what the stored version counted, add this one's."""
    deltas: dict[tuple[str, str], UsageCounters] = {}
    if counted and counted.get("activation_id") and counted.get("period"):
        old_month = usage_month(counted["period"])
        key = (counted["activation_id"], _period(old_month, frozen))
        deltas[key] = deltas.get(key, UsageCounters()) - UsageCounters.from_item(counted)
    if activation_id and period:
        key = (activation_id, period)
        deltas[key] = deltas.get(key, UsageCounters()) + usage
    return {key: delta for key, delta in deltas.items() if not delta.is_zero}


def _day_seconds(
    counted: dict[str, Any] | None,
    activation_id: str | None,
    period: str | None,
    record: ContactRecord,
    frozen: dict[str, str],
) -> dict[tuple[str, str], dict[str, int]]:
    """Call seconds to ADD per (activation, period) and Brussels day, alongside `_deltas`, so that each day's
    calls can be priced with the tariff in force that day."""
    days: dict[tuple[str, str], dict[str, int]] = {}

    def add(key: tuple[str, str], day: str, seconds: int) -> None:
        per_day = days.setdefault(key, {})
        per_day[day] = per_day.get(day, 0) + seconds

    if counted and counted.get("activation_id") and counted.get("period") and counted.get("initiated_at"):
        key = (counted["activation_id"], _period(usage_month(counted["period"]), frozen))
        add(key, day_of(parse_iso(counted["initiated_at"])), -int(counted.get("call_seconds") or 0))
    if activation_id and period:
        add((activation_id, period), record.day, record.usage.call_seconds)
    return {key: {day: n for day, n in per_day.items() if n} for key, per_day in days.items() if any(per_day.values())}


def _contact_item(
    record: ContactRecord, activation_id: str | None, period: str | None, verified: bool
) -> dict[str, Any]:
    item: dict[str, Any] = {
        "contact_id": record.contact_id,
        "last_update": record.last_update,
        "initiated_at": iso(record.initiated),
        "initiation_method": record.initiation_method,
        "system_number": record.system_number,
        "record": record.stored,
        "metered_at": iso(utc_now()),
        **record.usage.as_dict(),
        **_figure_fields(record),
    }
    if activation_id and period:
        item.update(activation_id=activation_id, period=period, attributed_by="attribute" if verified else "number")
    elif record.is_own_call:
        item.update(purpose=record.purpose, own_month=record.month)
    else:
        item.update(unattributed_month=record.month, reason=NO_ACTIVATION)
    return item


def _figure_fields(record: ContactRecord) -> dict[str, Any]:
    """What the line's figures read of a contact (crisisline.figures), beside what it counts."""
    fields: dict[str, Any] = {"agent_seconds": record.agent_seconds, "picked_queue": record.picked_queue}
    if record.queue_name:
        fields["queue_name"] = record.queue_name
    if record.disconnect_reason:
        fields["disconnect_reason"] = record.disconnect_reason
    return fields


def _set_aside_item(record: ContactRecord, reason: str, beside: bool, counters: bool = True) -> dict[str, Any]:
    """The item of a version set aside for review: the contact's own item (no version of it is billed), or
    one `beside` it under its own key, so the billed version stays as it is."""
    stored = record.stored
    if len(stored) > STORED_RECORD_CHARS:
        stored = json.dumps({"truncated": stored[:STORED_RECORD_CHARS]})
    item: dict[str, Any] = {
        "contact_id": f"{record.contact_id}#set-aside#{record.last_update}" if beside else record.contact_id,
        "last_update": record.last_update,
        "initiated_at": iso(record.initiated),
        "initiation_method": record.initiation_method,
        "system_number": record.system_number,
        "activation_attribute": record.activation_attribute,
        "record": stored,
        "metered_at": iso(utc_now()),
        "unattributed_month": record.month,
        "reason": reason,
    }
    if beside:
        item["version_of"] = record.contact_id
    if counters and reason not in (IMPLAUSIBLE, UNSTORABLE):
        item.update(record.usage.as_dict())  # plausible values only: DynamoDB keeps 38 digits
    return item
