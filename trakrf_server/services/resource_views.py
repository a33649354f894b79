"""AssetView, LocationView and Tag as the public API shows them (ASSET-1,
LOC-1, TAG-1), for the internal endpoints that embed them (tag lookup).

Run on a reader thread: each view loads the row's live tags and the key of the
location it names.

TODO: replace with the shared views module of the asset and location
endpoints once it is on main, so both surfaces serialize in one place.
"""

from __future__ import annotations

from typing import Any

from trakrf_server.models import Asset, Location, Tag
from trakrf_server.timeutil import format_ts


def tag_view(tag: Tag) -> dict[str, Any]:
    return {"id": tag.id, "tag_type": tag.tag_type, "value": tag.value}


def _live_tags(where) -> list[dict[str, Any]]:
    rows = Tag.select().where(where & Tag.deleted_at.is_null()).order_by(Tag.id)
    return [tag_view(t) for t in rows]


def _location_key(location_id: int | None) -> str | None:
    if location_id is None:
        return None
    return (
        Location.select(Location.external_key)
        .where(Location.id == location_id)
        .scalar()
    )


def asset_view(asset: Asset) -> dict[str, Any]:
    """ASSET-1: every key present; location is the current one (ASSET-3)."""
    return {
        "id": asset.id,
        "external_key": asset.external_key,
        "name": asset.name,
        "description": asset.description or None,
        "location_id": asset.location_id,
        "location_external_key": _location_key(asset.location_id),
        "metadata": asset.metadata if isinstance(asset.metadata, dict) else {},
        "is_active": asset.is_active,
        "valid_from": format_ts(asset.valid_from),
        "valid_to": format_ts(asset.valid_to),
        "created_at": format_ts(asset.created_at),
        "updated_at": format_ts(asset.updated_at),
        "deleted_at": format_ts(asset.deleted_at),
        "tags": _live_tags(Tag.asset == asset.id),
    }


def location_view(location: Location) -> dict[str, Any]:
    """LOC-1: every key present, no metadata."""
    return {
        "id": location.id,
        "external_key": location.external_key,
        "name": location.name,
        "description": location.description or None,
        "parent_id": location.parent_id,
        "parent_external_key": _location_key(location.parent_id),
        "is_active": location.is_active,
        "valid_from": format_ts(location.valid_from),
        "valid_to": format_ts(location.valid_to),
        "created_at": format_ts(location.created_at),
        "updated_at": format_ts(location.updated_at),
        "deleted_at": format_ts(location.deleted_at),
        "tags": _live_tags(Tag.location == location.id),
    }
