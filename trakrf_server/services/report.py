"""The asset-locations report (REPORT-1…6): where every scanned asset is now.

Run on a reader thread. Reads each asset's denormalized latest event
(``Asset.location``, ``Asset.last_seen_at``; kept by ``services.scans``), so
the report costs one indexed pass over assets and never scans the event table.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import peewee

from trakrf_server import timeutil
from trakrf_server.db import code_point_order
from trakrf_server.models import Asset, Location, Tag
from trakrf_server.services import listing, totals, validity
from trakrf_server.services.listing import EXTERNAL_KEY, ID, ListQuery, ListSpec
from trakrf_server.timeutil import format_ts

# PAGE-5 / PAGE-12. No ``exclusive`` pair: PAGE-11 lets the report take both
# location forms, and both must match (REPORT-4).
LIST_SPEC = ListSpec(
    filters={"location_id": ID, "location_external_key": EXTERNAL_KEY},
    sort_fields=("asset_last_seen", "asset_external_key", "location_external_key"),
    default_sort=(("asset_last_seen", True),),
    booleans=("include_deleted",),
    search=True,
)


def asset_locations(
    org_id: int, query: ListQuery, at: datetime | None = None
) -> tuple[list[dict[str, Any]], int]:
    """One page of report rows and the number of matching rows."""
    at = at or timeutil.now()

    # REPORT-3: the row shows its location only while that location is live
    # and currently effective; otherwise both location keys are null.
    location_key = validity.key_while_effective(Location, at)
    placed = location_key.is_null(False)

    # The asset's own conditions but its validity window, which
    # totals.effective_total applies itself.
    scanned = (Asset.org == org_id) & Asset.last_seen_at.is_null(False)
    if not query.flag("include_deleted", False):
        scanned &= Asset.deleted_at.is_null()
    if query.q:
        # PAGE-10 on the report: asset name, asset key, live tag values.
        scanned &= listing.text_search(
            query.q, [Asset.name, Asset.external_key], Tag.asset
        )
    where = scanned & validity.effective(Asset, at)
    # REPORT-4: each form is any-of; both forms sent must both match.
    by_location = False
    if "location_id" in query.filters:
        where &= placed & Asset.location.in_(query.filters["location_id"])
        by_location = True
    if "location_external_key" in query.filters:
        keys = query.filters["location_external_key"]
        where &= placed & Location.external_key.in_(keys)
        by_location = True

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
    if by_location:
        # The location's own validity window decides these rows too.
        total = rows.count()
    else:
        total = totals.effective_total(Asset, scanned, at)

    columns = {
        "asset_last_seen": Asset.last_seen_at,
        "asset_external_key": Asset.external_key,
        "location_external_key": code_point_order(location_key),
    }
    order = listing.order_by(
        query, columns, Asset.id, nullable=("location_external_key",)
    )
    page = rows.order_by(*order).limit(query.limit).offset(query.offset).dicts()
    return [_row(r) for r in page], total


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
