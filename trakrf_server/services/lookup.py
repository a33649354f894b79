"""Tag lookup: which live asset or location carries a tag (INT-100).

EPC readers pad values with leading zeros, so matching compares values with
leading ``0`` characters removed on both sides (``Tag.lookup_value``). Run on a
reader thread.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import peewee

from trakrf_server.db import in_chunks
from trakrf_server.errors import not_found
from trakrf_server.models import Asset, Location, Tag
from trakrf_server.services.tags import lookup_value
from trakrf_server.services.views import asset_views, location_views

NO_MATCH = "No entity found with this tag"
MAX_BATCH = 500


def _matching(org_id: int, tag_type: str, values: Sequence[str], *columns):
    """Live tags of the org with a live parent whose padded value matches.

    Unordered: with ``ORDER BY id`` and no planner statistics, SQLite walks the
    org's whole tag index in id order to skip a sort instead of probing
    ``(org, tag_type, lookup_value)`` once per value (100 ms instead of 2 ms
    for 500 values among 100k tags). Callers sort the few rows it returns.
    """
    keys = sorted({lookup_value(v) for v in values})
    parent_live = (Tag.asset.is_null(False) & Asset.deleted_at.is_null()) | (
        Tag.location.is_null(False) & Location.deleted_at.is_null()
    )
    return (
        Tag.select(*columns)
        .join_from(Tag, Asset, join_type=peewee.JOIN.LEFT_OUTER)
        .join_from(Tag, Location, join_type=peewee.JOIN.LEFT_OUTER)
        .where(
            (Tag.org == org_id)
            & (Tag.tag_type == tag_type)
            & Tag.deleted_at.is_null()
            & Tag.lookup_value.in_(keys)
            & parent_live
        )
    )


def live_tags(org_id: int, tag_type: str, values: Sequence[str]) -> list[Tag]:
    """Matching tags with their asset or location loaded (for views)."""
    if not values:
        return []
    tags = _matching(org_id, tag_type, values, Tag, Asset, Location)
    return sorted(tags, key=lambda tag: tag.id)


def tag_targets(
    org_id: int, tag_type: str, values: Sequence[str]
) -> list[tuple[str, int | None, int | None]]:
    """``(lookup_value, asset_id, location_id)`` of matching tags, oldest first.

    The lean form for ingest paths, which resolve hundreds of reads per call:
    the same match as ``_matching``, written as SQL, since compiling a
    500-value ``IN`` list through the query builder costs more than running it.
    """
    keys = sorted({lookup_value(v) for v in values})
    db = Tag._meta.database
    p = db.param
    rows = []
    # A backfill batch has no upper bound on its values: query them in slices.
    for chunk in in_chunks(keys):
        sql = (
            "SELECT t.id, t.lookup_value, t.asset_id, t.location_id "
            f'FROM "{Tag._meta.table_name}" AS t '
            f'LEFT OUTER JOIN "{Asset._meta.table_name}" AS a ON a.id = t.asset_id '
            f'LEFT OUTER JOIN "{Location._meta.table_name}" AS l '
            "ON l.id = t.location_id "
            f"WHERE t.org_id = {p} AND t.tag_type = {p} AND t.deleted_at IS NULL "
            f"AND t.lookup_value IN ({', '.join([p] * len(chunk))}) "
            "AND ((t.asset_id IS NOT NULL AND a.deleted_at IS NULL) "
            "OR (t.location_id IS NOT NULL AND l.deleted_at IS NULL))"
        )
        rows += db.execute_sql(sql, [org_id, tag_type, *chunk]).fetchall()
    return [row[1:] for row in sorted(rows)]


def _entity(tag: Tag) -> dict[str, Any]:
    if tag.asset_id is not None:
        return {
            "entity_type": "asset",
            "entity_id": tag.asset_id,
            "asset": asset_views([tag.asset])[0],
        }
    return {
        "entity_type": "location",
        "entity_id": tag.location_id,
        "location": location_views([tag.location])[0],
    }


def lookup_one(org_id: int, tag_type: str, value: str) -> dict[str, Any]:
    """The entity carrying the tag, or the 404."""
    tags = live_tags(org_id, tag_type, [value])
    if not tags:
        raise not_found(NO_MATCH)
    return _entity(tags[0])


def lookup_many(org_id: int, tag_type: str, values: Sequence[str]) -> dict[str, Any]:
    """``{value as sent: entity}`` for every value that matches; others left out."""
    by_key: dict[str, Tag] = {}
    for tag in live_tags(org_id, tag_type, values):
        by_key.setdefault(tag.lookup_value, tag)
    entities: dict[str, dict[str, Any]] = {}
    found: dict[str, dict[str, Any]] = {}
    for value in values:
        tag = by_key.get(lookup_value(value))
        if tag is None:
            continue
        if tag.id not in entities:
            entities[tag.id] = _entity(tag)
        found[value] = entities[tag.id]
    return found
