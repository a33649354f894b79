"""UTC instants: storage as integer microseconds, RFC 3339 in and out.

Every timestamp the public API emits has exactly three fractional digits,
truncated, and a ``Z`` (CONTRACT DATE-1); inbound values follow DATE-2.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta, timezone

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_NAIVE_EPOCH = datetime(1970, 1, 1)

# DATE-2: upper-case T and Z, 1-9 fractional digits, Z or +-HH:MM offset.
# ASCII digits only (``\d`` would take any Unicode digit) and the whole text
# (``$`` would also match before a trailing newline).
_RFC3339 = re.compile(
    r"([0-9]{4})-([0-9]{2})-([0-9]{2})T([0-9]{2}):([0-9]{2}):([0-9]{2})"
    r"(?:\.([0-9]{1,9}))?(Z|[+-][0-9]{2}:[0-9]{2})"
)


def now() -> datetime:
    """The current instant, UTC, truncated to microseconds."""
    return datetime.now(UTC)


def to_micros(value: datetime) -> int:
    delta = value - EPOCH
    return (delta.days * 86400 + delta.seconds) * 1_000_000 + delta.microseconds


def from_micros(value: int) -> datetime:
    return EPOCH + timedelta(microseconds=value)


def format_ts(value: datetime | None) -> str | None:
    """``YYYY-MM-DDTHH:MM:SS.mmmZ`` (truncated to milliseconds), or None."""
    if value is None:
        return None
    value = value.astimezone(UTC)
    return (
        f"{value.year:04d}-{value.month:02d}-{value.day:02d}T"
        f"{value.hour:02d}:{value.minute:02d}:{value.second:02d}."
        f"{value.microsecond // 1000:03d}Z"
    )


def format_micros(value: int | None) -> str | None:
    """``format_ts`` of a stored value (microseconds since the epoch), without
    an aware datetime and its conversion: list pages format several per row."""
    if value is None:
        return None
    seconds, micros = divmod(value, 1_000_000)
    whole = (_NAIVE_EPOCH + timedelta(seconds=seconds)).isoformat()
    return f"{whole}.{micros // 1000:03d}Z"


def parse_rfc3339(text: str) -> datetime | None:
    """The instant ``text`` denotes (DATE-2/3/4), or None if it is not valid.

    Digits past microseconds are dropped, not rounded (DATE-4).
    """
    match = _RFC3339.fullmatch(text)
    if match is None:
        return None
    year, month, day, hour, minute, second, frac, offset = match.groups()
    micros = int((frac or "0").ljust(9, "0")[:6])
    if int(hour) > 23 or int(minute) > 59 or int(second) > 59:
        return None
    try:
        local = datetime(
            int(year), int(month), int(day), int(hour), int(minute), int(second), micros
        )
    except ValueError:
        return None
    if offset == "Z":
        shift = timedelta(0)
    else:
        hours, minutes = int(offset[1:3]), int(offset[4:6])
        if hours > 23 or minutes > 59:
            return None
        shift = timedelta(hours=hours, minutes=minutes)
        if offset[0] == "-":
            shift = -shift
    try:
        return local.replace(tzinfo=timezone(shift)).astimezone(UTC)
    except (OverflowError, ValueError):
        # e.g. 0001-01-01T00:00:00+01:00 falls before year 1 in UTC
        return None


def truncate_ms(value: datetime) -> datetime:
    return value.replace(microsecond=value.microsecond - value.microsecond % 1000)
