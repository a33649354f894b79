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
# ASCII digits only, and matched in full: ``$`` would let a trailing newline
# through and ``\d`` alone any Unicode digit.
_RFC3339 = re.compile(
    r"(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?"
    r"(Z|[+-]\d{2}:\d{2})",
    re.ASCII,
)


def now() -> datetime:
    """The current instant, UTC, truncated to microseconds."""
    return datetime.now(UTC)


# How far ahead of this server's clock a read's own time may be. An asset
# follows its latest read, so one read stamped years ahead by a reader with a
# wrong clock would pin the asset there for good; a few minutes of drift
# between a reader and this server are normal.
MAX_AHEAD = timedelta(minutes=5)


def too_far_ahead(value: datetime) -> bool:
    """True when ``value`` lies more than ``MAX_AHEAD`` after now."""
    return value > now() + MAX_AHEAD


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


def parse_rfc3339(text: str, clamp: bool = False) -> datetime | None:
    """The instant ``text`` denotes (DATE-2/3/4), or None if it is not valid.

    Digits past microseconds are dropped, not rounded (DATE-4). A valid text
    whose offset carries it outside years 1-9999 in UTC (``0001-01-01T00:00:00
    +01:00``) cannot be stored: None, or with ``clamp`` the first or last
    representable instant, which bounds a filter exactly as the text does.
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
        if not clamp:
            return None
        edge = datetime.min if local.year == 1 else datetime.max
        return edge.replace(tzinfo=UTC)


def truncate_ms(value: datetime) -> datetime:
    return value.replace(microsecond=value.microsecond - value.microsecond % 1000)
