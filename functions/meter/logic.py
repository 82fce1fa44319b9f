"""Metering one contact record: attribute it to an activation, and count it exactly once however often and in
whatever order its versions arrive.

- Attribution: the flow's `activationId` contact attribute, checked to exist inside the booking transaction
  (a ConditionCheck, no extra call); else, or when that activation does not exist, the live window of the
  dialled number at the InitiationTimestamp. No match: the contact is kept as unattributed, never dropped.
- Idempotence: the contact item holds the newest counted version (LastUpdateTimestamp) and its counters. A
  version is booked as the difference to the stored one, in one transaction conditioned on the stored version.
  The same or an older version changes nothing.
- Frozen months: a delta for a month that month close froze is booked in the first open month after it as
  an adjustment (`OPEN#adjusts#FROZEN`), never into the frozen month.

AWS calls: a new contact, or a repeated one, costs one transaction; a newer version costs two (the refused
transaction returns the stored version). Attribution by number adds one Query; a frozen month adds a read per
frozen month."""

from __future__ import annotations

import random
import time
from dataclasses import dataclass
from typing import Any

from crisisline.clock import iso, parse_iso, utc_now
from crisisline.months import day_of
from meter.records import ContactRecord, Usage
from meter.usage_store import Booking, Refused, UsageStore, adjustment_period, usage_month

ATTEMPTS = 5  # races lost in a row before the record is reported as a batch item failure


class StillContended(RuntimeError):
    """The contact's booking kept losing races; Lambda retries the record later."""


@dataclass(frozen=True)
class Outcome:
    """What metering did with one record."""

    contact_id: str
    result: str  # counted | updated | unchanged
    activation_id: str | None
    period: str | None
    delta: dict[tuple[str, str], Usage]


def meter_contact_record(record: ContactRecord, store: UsageStore, attempts: int = ATTEMPTS) -> Outcome:
    """Count `record` into its activation's usage, once; see the module's description."""
    counted: dict[str, Any] | None = None
    known = False  # whether `counted` is the stored version (else the contact is assumed new)
    activation_id, verify = record.activation_attribute, record.activation_attribute is not None
    if activation_id is None:
        activation_id = _by_number(record, store)
    frozen: dict[str, str] = {}  # frozen month -> first open month after it
    for attempt in range(attempts):
        if known and counted is not None and counted["last_update"] >= record.last_update:
            return Outcome(record.contact_id, "unchanged", counted.get("activation_id"), counted.get("period"), {})
        period = _period(record.month, frozen) if activation_id else None
        deltas = _deltas(counted, activation_id, period, record.usage, frozen)
        days = _day_seconds(counted, activation_id, period, record, frozen)
        booking = Booking(contact=_contact_item(record, activation_id, period, verify),
                          replaces=counted["last_update"] if counted else None, deltas=deltas,
                          verify_activation=activation_id if verify else None, day_seconds=days)
        try:
            store.book(booking)
        except Refused as refused:
            if refused.contact_changed:
                counted = refused.counted if refused.counted is not None else \
                    store.counted_contact(record.contact_id)
                known = True
            for booked_in in refused.frozen:
                # Usage months booked in a month found frozen move on to the first open month after them.
                for month in {booked_in} | {m for m, open_month in frozen.items() if open_month == booked_in}:
                    frozen[month] = store.first_open_month_after(month)
            if refused.unknown_activation:
                activation_id, verify = _by_number(record, store), False
            if refused.conflict:
                time.sleep(random.uniform(0.005, 0.02) * (attempt + 1))
            continue
        return Outcome(record.contact_id, "updated" if counted else "counted", activation_id, period, deltas)
    raise StillContended(f"contact {record.contact_id} was not booked after {attempts} attempts")


def _by_number(record: ContactRecord, store: UsageStore) -> str | None:
    if record.system_number is None:
        return None
    return store.activation_on_number(record.system_number, record.initiated)


def _period(month: str, frozen: dict[str, str]) -> str:
    """Where usage of `month` is booked now: the month itself, or an adjustment in the first open month."""
    return adjustment_period(frozen[month], month) if month in frozen else month


def _deltas(counted: dict[str, Any] | None, activation_id: str | None, period: str | None, usage: Usage,
            frozen: dict[str, str]) -> dict[tuple[str, str], Usage]:
    """Counters to ADD per (activation, period): take back what the stored version counted, add this one's."""
    deltas: dict[tuple[str, str], Usage] = {}
    if counted and counted.get("activation_id") and counted.get("period"):
        old_month = usage_month(counted["period"])
        key = (counted["activation_id"], _period(old_month, frozen))
        deltas[key] = deltas.get(key, Usage()) - Usage.from_item(counted)
    if activation_id and period:
        key = (activation_id, period)
        deltas[key] = deltas.get(key, Usage()) + usage
    return {key: delta for key, delta in deltas.items() if not delta.is_zero}


def _day_seconds(counted: dict[str, Any] | None, activation_id: str | None, period: str | None,
                 record: ContactRecord, frozen: dict[str, str]) -> dict[tuple[str, str], dict[str, int]]:
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
    return {key: {day: n for day, n in per_day.items() if n} for key, per_day in days.items()
            if any(per_day.values())}


def _contact_item(record: ContactRecord, activation_id: str | None, period: str | None,
                  verified: bool) -> dict[str, Any]:
    item: dict[str, Any] = {
        "contact_id": record.contact_id, "last_update": record.last_update, "initiated_at": iso(record.initiated),
        "initiation_method": record.initiation_method, "system_number": record.system_number,
        "record": record.stored, "metered_at": iso(utc_now()), **record.usage.as_dict(),
    }
    if activation_id and period:
        item.update(activation_id=activation_id, period=period,
                    attributed_by="attribute" if verified else "number")
    else:
        item["unattributed_month"] = record.month
    return item
