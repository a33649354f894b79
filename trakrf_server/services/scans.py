"""Scan events: recording observations and keeping assets' current place.

Usage (on the writer thread, inside the caller's transaction)::

    count = record_events(org_id, [Observation(asset_id, location_id, when)],
                          source="reader")

Scan events are immutable and outlive their asset and location (SCAN-1/2):
nothing here updates or deletes one, and the tables are only ever soft-deleted.
Each asset keeps a denormalized copy of its latest event (``location``,
``last_seen_at``, ``last_event_id``; ASSET-3) so current-location reads and the
asset-locations report never scan the event table.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

import peewee

from trakrf_server import timeutil
from trakrf_server.models import Asset, ScanEvent
from trakrf_server.timeutil import to_micros

# Rows per executemany call.
INSERT_CHUNK = 1000
# Assets refreshed per UPDATE (bounded IN lists).
REFRESH_CHUNK = 500


@dataclass(frozen=True)
class Observation:
    """Asset ``asset_id`` was seen at ``location_id`` at ``observed_at``."""

    asset_id: int
    location_id: int | None
    observed_at: datetime


def record_events(
    org_id: int,
    observations: Sequence[Observation],
    source: str,
    recorded_at: datetime | None = None,
) -> int:
    """Insert one event per observation, in the given order; return the count.

    Must run inside a transaction on the writer (``db.write``): the insert and
    the refresh of the assets' current place commit together. Within one call,
    of two observations at the same instant the later one is the more recently
    recorded (ASSET-3's tie rule).
    """
    if not observations:
        return 0
    stamp = recorded_at or timeutil.now()

    # A prepared statement run with executemany: building a 1000-row INSERT
    # through the query builder costs more than the database's own work.
    # Values are converted as the fields' db_value would.
    recorded = to_micros(stamp)
    rows = [
        (org_id, o.asset_id, o.location_id, to_micros(o.observed_at), recorded, source)
        for o in observations
    ]
    columns = (
        "org_id",
        "asset_id",
        "location_id",
        "observed_at",
        "recorded_at",
        "source",
    )
    db = ScanEvent._meta.database
    marks = ", ".join([db.param] * len(columns))
    sql = (
        f'INSERT INTO "{ScanEvent._meta.table_name}" '
        f"({', '.join(columns)}) VALUES ({marks})"
    )
    cursor = db.cursor()
    for start in range(0, len(rows), INSERT_CHUNK):
        cursor.executemany(sql, rows[start : start + INSERT_CHUNK])

    refresh_current(sorted({o.asset_id for o in observations}))
    return len(rows)


def refresh_current(asset_ids: Iterable[int]) -> None:
    """Point each asset at its latest event by (observed_at, id).

    Recomputing from the events (one index probe per asset on
    ``(asset, observed_at, id)``) rather than comparing with the new rows keeps
    the rule in one place: a backfilled read older than the asset's latest
    event leaves the asset where it is.
    """
    ids = list(asset_ids)
    for start in range(0, len(ids), REFRESH_CHUNK):
        chunk = ids[start : start + REFRESH_CHUNK]
        Asset.update(
            location=_latest(ScanEvent.location),
            last_seen_at=_latest(ScanEvent.observed_at),
            last_event_id=_latest(ScanEvent.id),
        ).where(Asset.id.in_(chunk)).execute()


def _latest(column: peewee.Field) -> peewee.Select:
    """``column`` of the latest event of the asset being updated."""
    return (
        ScanEvent.select(column)
        .where(ScanEvent.asset == Asset.id)
        .order_by(ScanEvent.observed_at.desc(), ScanEvent.id.desc())
        .limit(1)
    )
