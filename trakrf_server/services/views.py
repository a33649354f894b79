"""The JSON shapes of assets, locations and tags (CONTRACT ASSET-1, LOC-1, TAG-1).

``asset_view``/``location_view``/``tag_view`` turn rows into the exact dicts
the API emits. ``asset_select``/``location_select`` build queries that carry
the referenced location's key in the same row, and ``asset_views``/
``location_views`` add the live tags of a whole page with one query, so a
list costs the same number of statements whatever its size.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

import peewee

from trakrf_server.models import Asset, Location, Tag
from trakrf_server.timeutil import format_micros, format_ts


def _tag_shape(tag_id: int, tag_type: str, value: str) -> dict[str, Any]:
    return {"id": tag_id, "tag_type": tag_type, "value": value}


def tag_view(tag: Tag) -> dict[str, Any]:
    """TAG-1: exactly id, tag_type, value."""
    return _tag_shape(tag.id, tag.tag_type, tag.value)


def _asset_shape(
    asset_id: int,
    external_key: str,
    name: str,
    description: str | None,
    location_id: int | None,
    location_external_key: str | None,
    metadata: Any,
    is_active: Any,
    stamps: tuple[str | None, ...],
    tags: list[dict[str, Any]],
) -> dict[str, Any]:
    """ASSET-1's keys in order; ``stamps`` are the formatted valid_from,
    valid_to, created_at, updated_at and deleted_at."""
    valid_from, valid_to, created_at, updated_at, deleted_at = stamps
    return {
        "id": asset_id,
        "external_key": external_key,
        "name": name,
        "description": description,
        "location_id": location_id,
        "location_external_key": location_external_key if location_id else None,
        "metadata": metadata if isinstance(metadata, dict) else {},
        "is_active": bool(is_active),
        "valid_from": valid_from,
        "valid_to": valid_to,
        "created_at": created_at,
        "updated_at": updated_at,
        "deleted_at": deleted_at,
        "tags": tags,
    }


def asset_view(
    asset: Asset, location_external_key: str | None, tags: list[dict[str, Any]]
) -> dict[str, Any]:
    """ASSET-1. ``location_external_key`` is the key of ``asset.location``."""
    stamps = (
        asset.valid_from,
        asset.valid_to,
        asset.created_at,
        asset.updated_at,
        asset.deleted_at,
    )
    return _asset_shape(
        asset.id,
        asset.external_key,
        asset.name,
        asset.description,
        asset.location_id,
        location_external_key,
        asset.metadata,
        asset.is_active,
        tuple(format_ts(t) for t in stamps),
        tags,
    )


def location_view(
    location: Location, parent_external_key: str | None, tags: list[dict[str, Any]]
) -> dict[str, Any]:
    """LOC-1. ``parent_external_key`` is the key of ``location.parent``."""
    parent_id = location.parent_id
    return {
        "id": location.id,
        "external_key": location.external_key,
        "name": location.name,
        "description": location.description,
        "parent_id": parent_id,
        "parent_external_key": parent_external_key if parent_id else None,
        "is_active": bool(location.is_active),
        "valid_from": format_ts(location.valid_from),
        "valid_to": format_ts(location.valid_to),
        "created_at": format_ts(location.created_at),
        "updated_at": format_ts(location.updated_at),
        "deleted_at": format_ts(location.deleted_at),
        "tags": tags,
    }


# --- queries that carry the referenced key ------------------------------------------

Placement = Location.alias("placement")
Parent = Location.alias("parent_location")


def asset_select(*extra: Any) -> peewee.ModelSelect:
    """Assets with their current location's key as ``location_key``.

    The key is shown even when that location is soft-deleted (ASSET-3).
    """
    return (
        Asset.select(Asset, Placement.external_key.alias("location_key"), *extra)
        .join(
            Placement,
            peewee.JOIN.LEFT_OUTER,
            on=(Asset.location == Placement.id),
        )
        .objects()
    )


def location_select(*extra: Any) -> peewee.ModelSelect:
    """Locations with their parent's key as ``parent_key`` (LOC-2)."""
    return (
        Location.select(Location, Parent.external_key.alias("parent_key"), *extra)
        .join(Parent, peewee.JOIN.LEFT_OUTER, on=(Location.parent == Parent.id))
        .objects()
    )


# (owner column, number of ids, database class) -> statement text
_TAG_SQL: dict[tuple[str, int, type], str] = {}


def live_tags(column: peewee.Field, owner_ids: Iterable[int]) -> dict[int, list]:
    """The live tags of many owners in one query, each list in attach order."""
    ids = list(owner_ids)
    found: dict[int, list[dict[str, Any]]] = {i: [] for i in ids}
    if not ids:
        return found
    key = (column.name, len(ids), type(Tag._meta.database.obj))
    sql = _TAG_SQL.get(key)
    if sql is None:
        # Compiling the IN list costs more than running it: the text depends
        # only on the column and the number of ids, and the parameters are
        # the ids in order.
        sql, params = (
            Tag.select(Tag.id, Tag.tag_type, Tag.value, column)
            .where(column.in_(ids) & Tag.deleted_at.is_null())
            .order_by(Tag.created_at, Tag.id)
            .sql()
        )
        if list(params) == ids and len(_TAG_SQL) < 512:
            _TAG_SQL[key] = sql
    rows = Tag._meta.database.execute_sql(sql, ids).fetchall()
    for tag_id, tag_type, value, owner in rows:
        found[owner].append(_tag_shape(tag_id, tag_type, value))
    return found


def _keys_of(ids: Iterable[int | None]) -> dict[int, str]:
    """External keys of locations by id, live or not, in one query."""
    wanted = {i for i in ids if i is not None}
    if not wanted:
        return {}
    rows = Location.select(Location.id, Location.external_key).where(
        Location.id.in_(wanted)
    )
    return dict(rows.tuples())


def asset_views(rows: Iterable[Asset]) -> list[dict[str, Any]]:
    """Views of asset rows: one query for all their tags.

    Rows from ``asset_select`` carry their location's key; for plain rows the
    keys are read with one more query.
    """
    assets = list(rows)
    tags = live_tags(Tag.asset, (a.id for a in assets))
    if all(hasattr(a, "location_key") for a in assets):
        keys = {a.location_id: a.location_key for a in assets}
    else:
        keys = _keys_of(a.location_id for a in assets)
    return [asset_view(a, keys.get(a.location_id), tags[a.id]) for a in assets]


# The columns of a list page, read as stored: building a model instance and
# a datetime per value cost ten times what SQLite takes for a 50-row page.
ASSET_PAGE_COLUMNS = (
    Asset.id,
    Asset.external_key,
    Asset.name,
    Asset.description,
    Asset.location,
    Placement.external_key,
    Asset.metadata,
    Asset.is_active,
    Asset.valid_from,
    Asset.valid_to,
    Asset.created_at,
    Asset.updated_at,
    Asset.deleted_at,
)


def asset_page_select() -> peewee.ModelSelect:
    """Assets as plain rows for ``asset_page_views``, with their current
    location's key (shown even when that location is soft-deleted, ASSET-3)."""
    return Asset.select(*ASSET_PAGE_COLUMNS).join(
        Placement, peewee.JOIN.LEFT_OUTER, on=(Asset.location == Placement.id)
    )


def asset_page_views(query: peewee.ModelSelect) -> list[dict[str, Any]]:
    """Views of the rows of an ``asset_page_select`` query: one statement for
    the rows, one for all their tags."""
    sql, params = query.sql()
    rows = Asset._meta.database.execute_sql(sql, params).fetchall()
    tags = live_tags(Tag.asset, (row[0] for row in rows))
    views = []
    for row in rows:
        metadata = row[6]
        views.append(
            _asset_shape(
                row[0],
                row[1],
                row[2],
                row[3],
                row[4],
                row[5],
                json.loads(metadata) if metadata is not None else None,
                row[7],
                tuple(format_micros(t) for t in row[8:13]),
                tags[row[0]],
            )
        )
    return views


def location_views(rows: Iterable[Location]) -> list[dict[str, Any]]:
    """Views of location rows: one query for all tags (and parents' keys
    for rows that do not come from ``location_select``)."""
    locations = list(rows)
    tags = live_tags(Tag.location, (loc.id for loc in locations))
    if all(hasattr(loc, "parent_key") for loc in locations):
        keys = {loc.parent_id: loc.parent_key for loc in locations}
    else:
        keys = _keys_of(loc.parent_id for loc in locations)
    return [
        location_view(loc, keys.get(loc.parent_id), tags[loc.id]) for loc in locations
    ]


def get_asset_view(org_id: int, asset_id: int) -> dict[str, Any] | None:
    """The view of one live asset of the org, or None."""
    row = (
        asset_select()
        .where(
            (Asset.id == asset_id) & (Asset.org == org_id) & Asset.deleted_at.is_null()
        )
        .first()
    )
    return asset_views([row])[0] if row is not None else None


def get_location_view(org_id: int, location_id: int) -> dict[str, Any] | None:
    """The view of one live location of the org, or None."""
    row = (
        location_select()
        .where(
            (Location.id == location_id)
            & (Location.org == org_id)
            & Location.deleted_at.is_null()
        )
        .first()
    )
    return location_views([row])[0] if row is not None else None
