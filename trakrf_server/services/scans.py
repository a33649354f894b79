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

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from trakrf_server import timeutil
from trakrf_server.models import Asset, ScanEvent
from trakrf_server.timeutil import to_micros

# Rows per INSERT statement (6 parameters each; far below both databases' limits).
INSERT_CHUNK = 1000
# Assets whose stored latest is read per statement (bounded IN lists).
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

    # Plain multi-row INSERTs: building them through the query builder costs
    # more than the database's own work. Values are converted as the fields'
    # db_value would. RETURNING gives each new event's id, from which each
    # asset's latest event in the batch follows without reading the events.
    recorded = to_micros(stamp)
    latest: dict[int, tuple[int, int, int | None]] = {}
    for start in range(0, len(observations), INSERT_CHUNK):
        chunk = observations[start : start + INSERT_CHUNK]
        values = []
        for o in chunk:
            values += (org_id, o.asset_id, o.location_id, to_micros(o.observed_at))
            values += (recorded, source)
        for event_id, asset_id, location_id, observed in _insert(len(chunk), values):
            candidate = (observed, event_id, location_id)
            if asset_id not in latest or candidate > latest[asset_id]:
                latest[asset_id] = candidate

    advance_current(latest)
    return len(observations)


def already_recorded(
    observations: Sequence[Observation],
) -> set[tuple[int, int | None, datetime]]:
    """Which of these (asset, location, instant) triples are recorded events.

    Ingest paths drop those, so a read sent or imported twice is one event.
    """
    if not observations:
        return set()
    first = min(o.observed_at for o in observations)
    last = max(o.observed_at for o in observations)
    assets = sorted({o.asset_id for o in observations})
    found: set[tuple[int, int | None, datetime]] = set()
    for start in range(0, len(assets), REFRESH_CHUNK):
        rows = (
            ScanEvent.select(ScanEvent.asset, ScanEvent.location, ScanEvent.observed_at)
            .where(
                ScanEvent.asset.in_(assets[start : start + REFRESH_CHUNK])
                & (ScanEvent.observed_at >= first)
                & (ScanEvent.observed_at <= last)
            )
            .tuples()
        )
        found.update(
            (a, loc, timeutil.from_micros(t) if isinstance(t, int) else t)
            for a, loc, t in rows
        )
    return found


_COLUMNS = ("org_id", "asset_id", "location_id", "observed_at", "recorded_at", "source")


def _insert(count: int, values: list) -> list[tuple[int, int, int | None, int]]:
    """Insert ``count`` events; (id, asset_id, location_id, observed_at) of each."""
    db = ScanEvent._meta.database
    row = "(" + ", ".join([db.param] * len(_COLUMNS)) + ")"
    sql = (
        f'INSERT INTO "{ScanEvent._meta.table_name}" ({", ".join(_COLUMNS)}) '
        f"VALUES {', '.join([row] * count)} "
        "RETURNING id, asset_id, location_id, observed_at"
    )
    return db.execute_sql(sql, values).fetchall()


def advance_current(latest: dict[int, tuple[int, int, int | None]]) -> None:
    """Point assets at new events that are later than their current latest.

    ``latest`` maps asset id to (observed_at in microseconds, event id,
    location id) of its latest new event. The asset's stored latest
    (``last_seen_at``, ``last_event_id``) is kept by this module alone, so
    comparing with it decides ASSET-3's (observed_at, id) order exactly; a
    backfilled read older than the stored latest leaves the asset alone and
    costs no write.
    """
    db = Asset._meta.database
    table = Asset._meta.table_name
    update = (
        f'UPDATE "{table}" SET location_id = {db.param}, '
        f"last_seen_at = {db.param}, last_event_id = {db.param} "
        f"WHERE id = {db.param}"
    )
    ids = sorted(latest)
    for start in range(0, len(ids), REFRESH_CHUNK):
        chunk = ids[start : start + REFRESH_CHUNK]
        stored = (
            Asset.select(Asset.id, Asset.last_seen_at, Asset.last_event_id)
            .where(Asset.id.in_(chunk))
            .tuples()
        )
        current = {
            asset_id: (to_micros(seen), event_id)
            for asset_id, seen, event_id in stored
            if seen is not None and event_id is not None
        }
        changes = []
        for asset_id in chunk:
            observed, event_id, location_id = latest[asset_id]
            known = current.get(asset_id)
            if known is None or (observed, event_id) > known:
                changes.append((location_id, observed, event_id, asset_id))
        if changes:
            db.cursor().executemany(update, changes)
