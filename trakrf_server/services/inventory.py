"""Saving an inventory session from the web app (INT-90, INT-91, SCAN-1).

``save`` runs on the writer: the lookups and the insert form one transaction.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from trakrf_server import timeutil
from trakrf_server.db import locking
from trakrf_server.errors import FieldError, validation
from trakrf_server.models import Asset, Location
from trakrf_server.services import naturalkeys, scans
from trakrf_server.timeutil import format_ts

SOURCE = "inventory"


def save(org_id: int, location_key: str, asset_keys: Sequence[str]) -> dict[str, Any]:
    """One event per distinct listed asset, all at the location, all at now.

    Raises the INT-90 validation errors: the location first, then one entry
    per unknown asset key. Duplicate keys collapse (INT-91).
    """
    # Share-locked like every placement (locations.delete_location).
    query = Location.select().where(
        (Location.org == org_id)
        & (Location.external_key == location_key)
        & Location.deleted_at.is_null()
    )
    location = locking(query, "SHARE").first()
    if location is None:
        raise validation(
            [
                FieldError(
                    "location_identifier",
                    "invalid_value",
                    f'location_identifier "{location_key}" not found',
                )
            ]
        )

    distinct = list(dict.fromkeys(asset_keys))
    found = naturalkeys.live_ids(Asset, org_id, distinct)
    missing = [key for key in distinct if key not in found]
    if missing:
        raise validation(
            [
                FieldError(
                    "asset_identifiers",
                    "invalid_value",
                    f'asset_identifier "{key}" not found',
                )
                for key in missing
            ]
        )

    stamp = timeutil.now()
    observations = [scans.Observation(found[k], location.id, stamp) for k in distinct]
    count = scans.record_events(org_id, observations, SOURCE, recorded_at=stamp)
    return {
        "count": count,
        "location_id": location.id,
        "location_name": location.name,
        "timestamp": format_ts(stamp),
    }
