"""Backfilling scan events from a CSV of past reads (``run.py import-reads``).

Columns (header row required, any order):

- ``seen_at`` — RFC 3339 instant of the read (required);
- ``location_external_key`` — where it was read (required);
- ``asset_external_key`` — the asset read, or instead
- ``epc`` (with optional ``tag_type``, default ``rfid``) — a tag value, matched
  like a reader's read (leading zeros ignored).

``record_rows`` runs on the writer: one transaction per batch of rows.
Backfilled reads older than an asset's latest event never move the asset
(``services.scans``). A row that repeats a recorded event (same asset,
location and instant) or an earlier row is counted as a duplicate, not
recorded again.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from trakrf_server import timeutil
from trakrf_server.models import Asset, Location
from trakrf_server.services import naturalkeys, scans
from trakrf_server.services.lookup import tag_targets
from trakrf_server.services.tags import lookup_value
from trakrf_server.services.validation import SENTINELS

SOURCE = "import"
LOCATION_COLUMN = "location_external_key"
ASSET_COLUMNS = ("asset_external_key", "epc")


class BackfillError(Exception):
    """The file as a whole cannot be imported (header problems)."""


@dataclass
class BatchResult:
    recorded: int = 0
    # rows that repeat an event already recorded, or an earlier row
    duplicates: int = 0
    problems: list[tuple[int, str]] = field(default_factory=list)


def check_header(header: Sequence[str]) -> None:
    missing = [c for c in ("seen_at", LOCATION_COLUMN) if c not in header]
    if missing:
        raise BackfillError(f"missing column(s): {', '.join(missing)}")
    if not any(c in header for c in ASSET_COLUMNS):
        raise BackfillError("needs an asset_external_key or an epc column")


def record_rows(org_id: int, rows: Sequence[tuple[int, dict[str, str]]]) -> BatchResult:
    """Resolve ``(line, row)`` pairs and record the good ones as events."""
    result = BatchResult()
    locations = _by_key(Location, org_id, {r.get(LOCATION_COLUMN, "") for _, r in rows})
    assets = _by_key(
        Asset, org_id, {r.get("asset_external_key") or "" for _, r in rows}
    )
    tags = _tag_assets(org_id, rows)

    observations: list[scans.Observation] = []
    events: set[tuple[int, int, datetime]] = set()
    for line, row in rows:
        seen_at = timeutil.parse_rfc3339((row.get("seen_at") or "").strip())
        location = locations.get((row.get(LOCATION_COLUMN) or "").strip())
        asset = assets.get((row.get("asset_external_key") or "").strip())
        epc = (row.get("epc") or "").strip()
        if asset is None and epc:
            asset = tags.get(
                ((row.get("tag_type") or "rfid").strip(), lookup_value(epc))
            )
        if seen_at is None:
            result.problems.append((line, "seen_at is not an RFC 3339 timestamp"))
        elif seen_at in SENTINELS:
            # An exporter's "no time" placeholder, refused as a reader's read
            # would be: events are never deleted, so it would stay for good.
            result.problems.append(
                (line, "seen_at is a default-value sentinel, not a time")
            )
        elif timeutil.too_far_ahead(seen_at):
            result.problems.append((line, "seen_at is ahead of the server's clock"))
        elif location is None:
            result.problems.append((line, "location not found"))
        elif asset is None:
            result.problems.append((line, "asset or tag not found"))
        elif (asset, location, seen_at) in events:
            result.duplicates += 1
        else:
            events.add((asset, location, seen_at))
            observations.append(scans.Observation(asset, location, seen_at))
    # as for a reader's reads: one event per asset, location and instant, so
    # importing a file again (say after fixing skipped rows) adds nothing twice
    already = scans.already_recorded(observations)
    fresh = [
        o
        for o in observations
        if (o.asset_id, o.location_id, timeutil.to_micros(o.observed_at)) not in already
    ]
    result.duplicates += len(observations) - len(fresh)
    result.recorded = scans.record_events(org_id, fresh, SOURCE)
    return result


def _by_key(model, org_id: int, keys: set[str]) -> dict[str, int]:
    # Cells may carry spaces around the key, or be empty.
    return naturalkeys.live_ids(model, org_id, {k.strip() for k in keys if k.strip()})


def _tag_assets(
    org_id: int, rows: Sequence[tuple[int, dict[str, str]]]
) -> dict[tuple[str, str], int]:
    by_type: dict[str, set[str]] = {}
    for _, row in rows:
        epc = (row.get("epc") or "").strip()
        if epc:
            by_type.setdefault((row.get("tag_type") or "rfid").strip(), set()).add(epc)
    found: dict[tuple[str, str], int] = {}
    for tag_type, values in by_type.items():
        for key, asset_id, _ in tag_targets(org_id, tag_type, sorted(values)):
            if asset_id is not None:
                found.setdefault((tag_type, key), asset_id)
    return found
