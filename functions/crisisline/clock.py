"""Instants are timezone-aware UTC everywhere inside the domain; they become text only at the edges."""

from __future__ import annotations

from datetime import UTC, datetime


def utc_now() -> datetime:
    """The current instant in UTC."""
    return datetime.now(UTC)


def iso(instant: datetime) -> str:
    """An instant as ISO 8601 UTC text with millisecond precision and a `Z` suffix."""
    return instant.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def parse_iso(text: str) -> datetime:
    """ISO 8601 text (with `Z` or an offset) as a UTC instant."""
    instant = datetime.fromisoformat(text.replace("Z", "+00:00"))
    if instant.tzinfo is None:
        raise ValueError(f"instant without a time zone: {text!r}")
    return instant.astimezone(UTC)
