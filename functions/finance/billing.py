"""What finance gets, free of HTTP and Lambda: the month's export (one priced line per activation and month,
adjustment lines for late contact records, totals per authority), tariff versions, and month close, which
freezes a month's export in S3. Every function takes the caller and checks what that caller may do."""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from crisisline import errors
from crisisline.clock import iso, parse_iso
from crisisline.models import Caller, Role
from crisisline.months import FIRST_MONTH, month_bounds, month_of, parse_month, split_by_month
from crisisline.observability import count_failure
from crisisline.tariffs import CLOCK_SLACK, Tariff, TariffIn, TariffSchedule, effective_instant
from crisisline.usage import is_adjustment, usage_month
from finance import spreadsheet
from finance.billing_store import BillingStore, Format
from finance.pricing import (
    COLUMNS,
    COUNTS,
    EXTRA_COLUMNS,
    MONEY,
    Line,
    PeriodUsage,
    overlaps,
    price_adjustment,
    price_month,
    void_reason,
)

FILE_FORMATS: tuple[Format, ...] = ("csv", "xlsx", "json")  # the files month close freezes


def _require(caller: Caller, *roles: Role) -> None:
    if caller.role not in roles:
        raise errors.Forbidden(f"The {caller.role} role may not do this.", allowed_roles=list(roles))


def _invalid(field: str, problem: str) -> errors.InvalidRequest:
    return errors.InvalidRequest(f"Invalid field(s): {field}. {problem}", fields=[{"field": field, "problem": problem}])


def checked_month(month: str, now: datetime) -> str:
    """`month` if it is a month (YYYY-MM) from FIRST_MONTH up to the current one; 422 otherwise."""
    try:
        parse_month(month)
    except ValueError as error:
        raise _invalid("month", str(error)) from error
    current = month_of(now)
    allowed = (
        f"an export covers a month from {FIRST_MONTH} up to the current month, {current} (provisional until it is over)"
    )
    if month > current:  # YYYY-MM texts sort as the months do
        raise _invalid("month", f"{month} has not begun yet; {allowed}")
    if month < FIRST_MONTH:
        raise _invalid("month", f"{month} is before anything was billed; {allowed}")
    return month


# ---------------------------------------------------------------------- the export
@dataclass(frozen=True)
class Export:
    month: str
    lines: list[Line]
    provisional: bool
    generated_at: str
    frozen: bool = False

    def totals(self) -> list[dict[str, Any]]:
        """Per authority: number of lines and the sums of every count and amount."""
        found: dict[str, list[Line]] = {}
        for line in self.lines:
            found.setdefault(line.authority_id, []).append(line)
        return [
            {"authority_id": key, "authority_name": found[key][0].authority_name, **_sums(found[key])}
            for key in sorted(found)
        ]

    def grand_total(self) -> dict[str, Any]:
        """Every line's counts and amounts summed: the month's total, equal to the sum of the authorities'."""
        return _sums(self.lines)

    def document(self) -> dict[str, Any]:
        """The export as JSON-ready data: amounts as decimal text, never float."""
        totals = self.totals()
        return {
            "month": self.month,
            "currency": "EUR",
            "provisional": self.provisional,
            "frozen": self.frozen,
            "generated_at": self.generated_at,
            "columns": [*COLUMNS, *EXTRA_COLUMNS],
            "lines": [_shown(asdict(line)) for line in self.lines],
            "totals": [_shown(total) for total in totals],
            "grand_total": _shown(self.grand_total()),
            "total_eur": str(sum((t["total_eur"] for t in totals), Decimal("0.00"))),
        }


def _sums(lines: list[Line]) -> dict[str, Any]:
    return {
        "lines": len(lines),
        "voided_lines": sum(line.billing != "billed" for line in lines),
        **{name: sum(getattr(line, name) for line in lines) for name in COUNTS},
        **{name: sum((getattr(line, name) for line in lines), Decimal("0.00")) for name in MONEY},
    }


def _shown(values: Mapping[str, Any]) -> dict[str, Any]:
    return {key: str(value) if isinstance(value, Decimal) else value for key, value in values.items()}


def _schedule(store: BillingStore) -> TariffSchedule:
    return TariffSchedule([Tariff.from_document(version) for version in store.tariff_versions()])


def build_export(month: str, store: BillingStore, now: datetime, freezing: bool = False) -> Export:
    """Price every activation live during `month`, and every adjustment booked in it, from the usage aggregates
    (never single contact records). While freezing, the usage is read strongly consistent, per activation."""
    month_start, month_end = month_bounds(month)
    activations = {
        item["id"]: item
        for item in store.activations_overlapping(iso(month_start), iso(month_end))
        if overlaps(item, month, now)
    }
    rows = store.usage_for_month(month)
    missing = sorted({row["activation_id"] for row in rows} - activations.keys())
    known = {**activations, **{item["id"]: item for item in store.activations(missing)}} if missing else activations
    if freezing:
        rows = store.usage_consistent(sorted(known), month)
    schedule = _schedule(store)
    own = {row["activation_id"]: row for row in rows if row["period"] == month}
    answered = _answered_calls(
        [activation for activation in known.values() if void_reason(activation, 0, schedule)], month, rows, store
    )
    lines = []
    for activation_id, activation in known.items():
        if activation_id in activations or activation_id in own:
            usage = PeriodUsage.of(own.get(activation_id))
            lines.append(
                price_month(
                    activation,
                    month,
                    usage,
                    schedule,
                    now,
                    answered_elsewhere=answered.get(activation_id, 0) - usage.answered_calls,
                )
            )
    for row in rows:
        if is_adjustment(row["period"]):
            activation = known.get(row["activation_id"]) or {"id": row["activation_id"]}
            usage = PeriodUsage.of(row)
            lines.append(
                price_adjustment(
                    activation,
                    month,
                    usage_month(row["period"]),
                    usage,
                    schedule,
                    now,
                    answered_elsewhere=answered.get(activation["id"], 0) - usage.answered_calls,
                )
            )
    lines.sort(
        key=lambda line: (
            line.authority_id,
            line.line != "activation",
            line.opened_at,
            line.activation_id,
            line.adjusts_month or "",
        )
    )
    live = any(activation.get("status") == "live" for activation in activations.values())
    over = month_end <= now
    return Export(
        month=month,
        lines=lines,
        generated_at=iso(now),
        frozen=freezing,
        provisional=not freezing and (not over or live),
    )


def _answered_calls(
    short: list[Mapping[str, Any]], month: str, rows: list[dict[str, Any]], store: BillingStore
) -> dict[str, int]:
    """Answered calls of each activation that closed within its grace period, over every month it was live in:
    this month's usage, and the other months' (one read each, only for such a line across a month's end or
    adjusted late; the usual export makes no extra call)."""
    found: dict[str, int] = {}
    for activation in short:
        activation_id = activation["id"]
        opened, closed = parse_iso(activation["opened_at"]), parse_iso(activation["closed_at"])
        months = {month_of(opened), *(piece for piece, _, _ in split_by_month(opened, closed))}
        booked = [row for row in rows if row["activation_id"] == activation_id]
        for other in sorted(months - {month}):
            booked.extend(store.usage_consistent([activation_id], other))
        found[activation_id] = sum(PeriodUsage.of(row).answered_calls for row in booked)
    return found


def rendered(export: Export, export_format: Format) -> bytes:
    """The export as a file in `export_format`: CSV, XLSX, or the JSON document as UTF-8."""
    if export_format == "csv":
        return spreadsheet.to_csv(export.month, export.lines, export.totals(), export.grand_total(), export.provisional)
    if export_format == "xlsx":
        return spreadsheet.to_xlsx(
            export.month, export.lines, export.totals(), export.grand_total(), export.provisional
        )
    return json.dumps(export.document(), ensure_ascii=False).encode()


def get_export(
    caller: Caller, month: str, export_format: Format, store: BillingStore, now: datetime
) -> tuple[Format, bytes | dict[str, Any]]:
    """(format, body) of a month's export: the frozen copy once the month is closed, else computed now. The
    body is the JSON document (a dict) for `json`, else the file's bytes; how it travels is the caller's."""
    _require(caller, "finance", "admin")
    checked_month(month, now)
    record = store.month_record(month)
    if record and record.get("csv_sha256"):
        return _frozen(record, export_format, store)
    export = build_export(month, store, now)
    if export_format == "json":
        return "json", export.document()
    return export_format, rendered(export, export_format)


def _frozen(record: Mapping[str, Any], export_format: Format, store: BillingStore) -> tuple[Format, bytes | dict]:
    body = store.get_file(record[f"{export_format}_key"])
    if hashlib.sha256(body).hexdigest() != record[f"{export_format}_sha256"]:
        # Never serve a frozen export that is not byte for byte what was frozen.
        count_failure("FrozenExportChecksumMismatches")
        raise errors.StoreUnavailable(
            "The frozen export does not match its checksum; the crisis center is told.", month=record["month"]
        )
    if export_format != "json":
        return export_format, body
    document: dict[str, Any] = json.loads(body)
    month = record["month"]
    document.update(
        frozen=True,
        frozen_at=record["frozen_at"],
        sha256={kind: record[f"{kind}_sha256"] for kind in ("csv", "xlsx", "json")},
        download={
            kind: store.download_url(record[f"{kind}_key"], f"crisisline-{month}.{kind}") for kind in ("csv", "xlsx")
        },
    )
    return "json", document


# ---------------------------------------------------------------------- month close
def freeze_month(month: str, store: BillingStore, now: datetime) -> dict[str, Any]:
    """Freeze a month that is over: mark it frozen first (from then on metering books late contact records as
    adjustments in the next open month), then read its usage and write CSV, XLSX and JSON to S3 with their
    SHA-256, and record them. Freezing a frozen month changes nothing."""
    parse_month(month)
    if month >= month_of(now):
        raise ValueError(f"{month} is not over yet; only a past month is frozen")
    if month < FIRST_MONTH:
        raise ValueError(f"{month} is before {FIRST_MONTH}, the first month anything is billed in")
    record = store.month_record(month) or {}
    if record.get("csv_sha256"):
        return {"month": month, "frozen_now": False, **_files_of(record)}
    store.mark_frozen(month, iso(now))
    frozen_at = (store.month_record(month) or {}).get("frozen_at", iso(now))
    export = build_export(month, store, now, freezing=True)
    run = uuid.uuid4().hex[:12]  # a concurrent run writes its own objects; only one run's are recorded
    files: dict[str, Any] = {}
    for kind in FILE_FORMATS:
        body = rendered(export, kind)
        key = f"exports/{month}/{run}/crisisline-{month}.{kind}"
        digest = hashlib.sha256(body).hexdigest()
        store.put_file(key, body, kind, digest)
        files.update({f"{kind}_key": key, f"{kind}_sha256": digest})
    files["files_written_at"] = iso(now)
    if not store.record_files(month, files):
        # Another run recorded its files first. Ours stay, named by no record: frozen files are locked for
        # as long as invoices are kept, and month close may not delete them.
        return {"month": month, "frozen_now": False, **_files_of(store.month_record(month) or {})}
    return {"month": month, "frozen_now": True, "frozen_at": frozen_at, "lines": len(export.lines), **files}


def _files_of(record: Mapping[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in record.items() if key.endswith(("_key", "_sha256", "_at"))}


# ---------------------------------------------------------------------- tariffs
def list_tariffs(caller: Caller, store: BillingStore, now: datetime) -> dict[str, Any]:
    """Every tariff version, oldest first (the packaged defaults first), and the one in force now."""
    _require(caller, "finance", "admin")
    schedule = _schedule(store)
    return {"tariffs": [version.document() for version in schedule.versions], "in_force": schedule.at(now).document()}


def add_tariff(caller: Caller, request: TariffIn, store: BillingStore, now: datetime) -> dict[str, Any]:
    """Add a version in force from `effective_from` (now when left out). It may not start in the past: what
    was priced stays priced."""
    _require(caller, "admin")
    effective = effective_instant(request.effective_from) if request.effective_from else now
    if effective < now - CLOCK_SLACK:
        raise _invalid("effective_from", "a new tariff version takes effect now or later, never in the past")
    version = Tariff.from_document({**request.model_dump(mode="json"), "created_at": iso(now)}, effective)
    store.add_tariff_version({**version.document(), "created_by": caller.credential_id})
    return version.document()


# ---------------------------------------------------------------------- unattributed contacts
def unattributed(caller: Caller, month: str, store: BillingStore, now: datetime) -> list[dict[str, Any]]:
    """Contact records that matched no activation in `month` (admin): kept for review, never dropped."""
    _require(caller, "admin")
    checked_month(month, now)
    return store.unattributed(month)
