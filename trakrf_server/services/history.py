"""Asset history: one row per scan event of an asset (HIST-1…7).

Run on a reader thread. ``require_asset`` first (its 404 precedes the query
string, ORDER-1 steps 10–11), then ``listing.parse(LIST_SPEC, …)`` and
``asset_history``.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import peewee

from trakrf_server import timeutil
from trakrf_server.errors import not_found
from trakrf_server.models import Asset, Location, ScanEvent
from trakrf_server.services.listing import ListQuery, ListSpec
from trakrf_server.services.validity import key_while_effective
from trakrf_server.timeutil import format_ts, to_micros

# PAGE-5 / PAGE-12 / HIST-3
LIST_SPEC = ListSpec(
    sort_fields=("event_observed_at",),
    default_sort=(("event_observed_at", True),),
    instants=("from", "to"),
)


def require_asset(org_id: int, asset_id: int) -> None:
    """HIST-1: a live asset of the org, whatever its validity window."""
    live = Asset.select().where(
        (Asset.id == asset_id) & (Asset.org == org_id) & Asset.deleted_at.is_null()
    )
    if not live.exists():
        raise not_found("Asset not found")


def asset_history(
    org_id: int, asset_id: int, query: ListQuery
) -> tuple[list[dict[str, Any]], int]:
    """One page of rows and the number of events in the window (HIST-7).

    Ties on the observed time fall back to recording order (the event id) in
    the sort's direction (HIST-4), not to the ascending id of other lists.

    ``duration_seconds`` runs to the next later event of the asset *inside the
    window* and is null on the window's latest event (HIST-5, DEC-4). The window
    function is evaluated over every filtered row before ORDER BY/LIMIT pick the
    page, so the value does not depend on sort direction or page.
    """
    where = (ScanEvent.asset == asset_id) & (ScanEvent.org == org_id)
    if (start := query.instants.get("from")) is not None:
        where &= ScanEvent.observed_at >= start
    if (end := query.instants.get("to")) is not None:
        where &= ScanEvent.observed_at <= end
    oldest_first = not query.sort[0][1]

    order = [ScanEvent.observed_at, ScanEvent.id]
    following = (
        peewee.fn.LEAD(ScanEvent.observed_at).over(order_by=order).alias("next_at")
    )
    direction = (lambda f: f.asc()) if oldest_first else (lambda f: f.desc())
    # HIST-6: the key only while that location is live and effective.
    location_key = key_while_effective(Location, timeutil.now())
    page = (
        ScanEvent.select(
            ScanEvent.id,
            ScanEvent.observed_at,
            ScanEvent.location,
            following,
            location_key.alias("location_key"),
        )
        .join(Location, peewee.JOIN.LEFT_OUTER, on=ScanEvent.location == Location.id)
        .where(where)
        .order_by(*[direction(f) for f in order])
        .limit(query.limit)
        .offset(query.offset)
        .dicts()
    )
    total = ScanEvent.select().where(where).count()

    return [_row(r) for r in page], total


def _row(r: dict[str, Any]) -> dict[str, Any]:
    observed = _instant(r["observed_at"])
    following = _instant(r["next_at"])
    duration = None
    if following is not None:
        # Whole seconds, rounded half up (HIST-5).
        micros = to_micros(following) - to_micros(observed)
        duration = (micros + 500_000) // 1_000_000
    return {
        "event_observed_at": format_ts(observed),
        "location_id": r["location"],
        "location_external_key": r["location_key"],
        "duration_seconds": duration,
    }


def _instant(value: Any) -> datetime | None:
    """Columns read through aliases or window functions arrive as raw integers."""
    if value is None or isinstance(value, datetime):
        return value
    return timeutil.from_micros(int(value))
