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
# Assets probed for recorded events per statement (a bounded IN list).
PROBE_CHUNK = 500


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
) -> set[tuple[int, int | None, int]]:
    """Which of these (asset, location, instant) triples are recorded events,
    the instant in microseconds as stored.

    Ingest paths drop those, so a read sent or imported twice is one event.
    Plain SQL, one probe of ``scan_event(asset, observed_at, id)`` per asset:
    the query builder cost more than the lookup on every pushed batch.
    """
    if not observations:
        return set()
    instants = [to_micros(o.observed_at) for o in observations]
    assets = sorted({o.asset_id for o in observations})
    db = ScanEvent._meta.database
    found: set[tuple[int, int | None, int]] = set()
    for start in range(0, len(assets), PROBE_CHUNK):
        chunk = assets[start : start + PROBE_CHUNK]
        sql = (
            "SELECT asset_id, location_id, observed_at "
            f'FROM "{ScanEvent._meta.table_name}" '
            f"WHERE asset_id IN ({', '.join([db.param] * len(chunk))}) "
            f"AND observed_at >= {db.param} AND observed_at <= {db.param}"
        )
        rows = db.execute_sql(sql, [*chunk, min(instants), max(instants)])
        found.update(rows.fetchall())
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
    comparing with it decides ASSET-3's (observed_at, id) order exactly. The
    comparison is the UPDATE's own condition, so the stored latest is never
    read separately; a backfilled read older than the stored latest leaves
    the asset alone and writes nothing.
    """
    if not latest:
        return
    db = Asset._meta.database
    p = db.param
    update = (
        f'UPDATE "{Asset._meta.table_name}" SET location_id = {p}, '
        f"last_seen_at = {p}, last_event_id = {p} "
        f"WHERE id = {p} AND (last_seen_at IS NULL OR last_event_id IS NULL "
        f"OR last_seen_at < {p} OR (last_seen_at = {p} AND last_event_id < {p}))"
    )
    # In id order: neighbouring assets share pages.
    changes = [
        (location_id, observed, event_id, asset_id, observed, observed, event_id)
        for asset_id, (observed, event_id, location_id) in sorted(latest.items())
    ]
    db.cursor().executemany(update, changes)
