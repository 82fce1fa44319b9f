"""Calendar months in Europe/Brussels, the unit finance invoices by. Instants stay UTC; only the month
boundaries are Brussels midnights, so the month's length in seconds follows the summer-time changes."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

BRUSSELS = ZoneInfo("Europe/Brussels")
_MONTH = re.compile(r"(?P<year>[0-9]{4})-(?P<month>0[1-9]|1[0-2])")
# The first month anything is billed in: the packaged tariffs are in force from 1 January 2000.
FIRST_MONTH = "2000-01"


def parse_month(text: str) -> tuple[int, int]:
    """`YYYY-MM` (the whole text, nothing around it) as (year, month); ValueError with a clear message
    otherwise."""
    found = _MONTH.fullmatch(text)
    if found is None:
        raise ValueError(f"{text!r} is not a month; write YYYY-MM, e.g. 2026-11")
    return int(found["year"]), int(found["month"])


def month_of(instant: datetime) -> str:
    """The Brussels calendar month (`YYYY-MM`) an instant falls in."""
    if instant.tzinfo is None:
        raise ValueError("instant without a time zone")
    local = instant.astimezone(BRUSSELS)
    return f"{local.year:04d}-{local.month:02d}"


def day_of(instant: datetime) -> str:
    """The Brussels calendar day (`YYYY-MM-DD`) an instant falls in."""
    if instant.tzinfo is None:
        raise ValueError("instant without a time zone")
    return instant.astimezone(BRUSSELS).date().isoformat()


def day_bounds(day: str) -> tuple[datetime, datetime]:
    """The day's first instant and the next day's first instant, both Brussels midnights, in UTC (a day is
    23 or 25 hours long when summer time starts or ends)."""
    first = date.fromisoformat(day)
    start = datetime.combine(first, time(0), tzinfo=BRUSSELS)
    end = datetime.combine(first + timedelta(days=1), time(0), tzinfo=BRUSSELS)
    return start.astimezone(UTC), end.astimezone(UTC)


def next_month(month: str) -> str:
    year, number = parse_month(month)
    return f"{year + number // 12:04d}-{number % 12 + 1:02d}"


def previous_month(month: str) -> str:
    year, number = parse_month(month)
    return f"{year - (number == 1):04d}-{(number - 2) % 12 + 1:02d}"


def month_bounds(month: str) -> tuple[datetime, datetime]:
    """The month's first instant and the next month's first instant, both Brussels midnights, in UTC."""
    year, number = parse_month(month)
    start = datetime(year, number, 1, tzinfo=BRUSSELS)
    following_year, following = parse_month(next_month(month))
    end = datetime(following_year, following, 1, tzinfo=BRUSSELS)
    return start.astimezone(UTC), end.astimezone(UTC)


def split_by_month(start: datetime, end: datetime) -> Iterator[tuple[str, datetime, datetime]]:
    """Cut [start, end) at Brussels month boundaries: (month, piece start, piece end), all UTC."""
    if end < start:
        raise ValueError("an interval cannot end before it starts")
    cursor = start.astimezone(UTC)
    end = end.astimezone(UTC)
    while cursor < end:
        month = month_of(cursor)
        _, month_end = month_bounds(month)
        piece_end = min(end, month_end)
        yield month, cursor, piece_end
        cursor = piece_end


def seconds_in(month: str, start: datetime, end: datetime) -> int:
    """Whole seconds of [start, end) that fall inside `month` (Brussels)."""
    month_start, month_end = month_bounds(month)
    overlap = min(end, month_end) - max(start, month_start)
    return max(0, int(overlap // timedelta(seconds=1)))
