"""The asset-locations report (REPORT-1…6): where every scanned asset is now.

Run on a reader thread. Reads each asset's denormalized latest event
(``Asset.location``, ``Asset.last_seen_at``; kept by ``services.scans``), so
the report costs one indexed pass over assets and never scans the event table.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import peewee

from trakrf_server import timeutil
from trakrf_server.models import Asset, Location, Tag
from trakrf_server.services.scans import effective
from trakrf_server.timeutil import format_ts

SORT_FIELDS = ("asset_last_seen", "asset_external_key", "location_external_key")
DEFAULT_SORT = [("asset_last_seen", True)]


@dataclass
class ReportQuery:
    """The validated query of one report request."""

    location_ids: list[int] = field(default_factory=list)
    location_keys: list[str] = field(default_factory=list)
    include_deleted: bool = False
    q: str | None = None
    sort: list[tuple[str, bool]] = field(default_factory=lambda: list(DEFAULT_SORT))
    limit: int = 50
    offset: int = 0


def asset_locations(
    org_id: int, query: ReportQuery, at: datetime | None = None
) -> tuple[list[dict[str, Any]], int]:
    """One page of report rows and the number of matching rows."""
    at = at or timeutil.now()

    # REPORT-3: the row shows its location only while that location is live
    # and currently effective; otherwise both location keys are null.
    placed = Location.id.is_null(False) & effective(Location, at)
    location_key = peewee.Case(None, [(placed, Location.external_key)], None)

    where = (
        (Asset.org == org_id)
        & Asset.last_seen_at.is_null(False)
        & (Asset.valid_from.is_null() | (Asset.valid_from <= at))
        & (Asset.valid_to.is_null() | (Asset.valid_to > at))
    )
    if not query.include_deleted:
        where &= Asset.deleted_at.is_null()
    if query.location_ids:
        where &= placed & Asset.location.in_(query.location_ids)
    if query.location_keys:
        where &= placed & Location.external_key.in_(query.location_keys)
    if query.q:
        where &= _matches(query.q)

    rows = (
        Asset.select(
            Asset.id,
            Asset.external_key,
            Asset.last_seen_at,
            Asset.deleted_at,
            Asset.location,
            location_key.alias("location_key"),
        )
        .join(Location, peewee.JOIN.LEFT_OUTER, on=Asset.location == Location.id)
        .where(where)
    )
    total = rows.count()

    page = rows.order_by(*_ordering(query.sort, location_key)).limit(query.limit)
    page = page.offset(query.offset).dicts()
    return [_row(r) for r in page], total


def _matches(q: str) -> peewee.Expression:
    """PAGE-10 on the report: asset name, asset key, live tag values.

    ``contains`` escapes ``%`` and ``_`` so the value is a literal (DEC-14).
    """
    tag_hit = Tag.select(Tag.id).where(
        (Tag.asset == Asset.id) & Tag.deleted_at.is_null() & Tag.value.contains(q)
    )
    return (
        Asset.name.contains(q)
        | Asset.external_key.contains(q)
        | peewee.fn.EXISTS(tag_hit)
    )


def _ordering(sort: list[tuple[str, bool]], location_key: peewee.Node) -> list:
    columns = {
        "asset_last_seen": Asset.last_seen_at,
        "asset_external_key": Asset.external_key,
        "location_external_key": location_key,
    }
    order = []
    for name, descending in sort:
        column = columns[name]
        # PAGE-14: NULL after every value ascending, before them descending.
        order.append(
            column.desc(nulls="first") if descending else column.asc(nulls="last")
        )
    order.append(Asset.id.asc())
    return order


def _row(r: dict[str, Any]) -> dict[str, Any]:
    key = r["location_key"]
    return {
        "asset_id": r["id"],
        "asset_external_key": r["external_key"],
        "location_id": r["location"] if key is not None else None,
        "location_external_key": key,
        "asset_last_seen": format_ts(r["last_seen_at"]),
        "asset_deleted_at": format_ts(r["deleted_at"]),
    }
