"""Tags: polymorphic identifiers attached to one asset or location (CONTRACT §20).

A tag belongs to exactly one owner through ``Tag.asset`` or ``Tag.location``.
``(tag_type, value)`` is unique among the org's live tags (TAG-4); detaching
or deleting the owner soft-deletes the tag, which frees its natural key
(DEC-13). Every function here runs on the writer thread (``db.write``) unless
it only reads.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import peewee

from trakrf_server import jsonbody, timeutil
from trakrf_server.db import database
from trakrf_server.errors import conflict, not_found
from trakrf_server.models import Asset, Location, Tag
from trakrf_server.services import validation
from trakrf_server.services.views import tag_view

# owner kind -> (model, Tag column, 404 detail of the owner, 404 detail of a tag)
OWNERS: dict[str, tuple[Any, peewee.Field, str, str]] = {
    "asset": (Asset, Tag.asset, "Asset not found", "Tag not found on this asset"),
    "location": (
        Location,
        Tag.location,
        "Location not found",
        "Tag not found on this location",
    ),
}


def lookup_value(value: str) -> str:
    """The value readers match on: leading zeros of padded EPCs ignored."""
    return value.lstrip("0")


# Values per lookup in ``taken``: well below SQLite's limit on bound variables.
TAKEN_CHUNK = 500


def taken(org_id: int, pairs: list[tuple[str, str]]) -> bool:
    """Whether any ``(tag_type, value)`` is live in the org or repeats in pairs.

    One ``value IN (…)`` per tag type and chunk, so the statement stays the
    same size however many tags a request lists (an OR per pair nested one
    level deeper each time and overflowed the SQL builder's recursion).
    """
    if len(set(pairs)) != len(pairs):
        return True
    values: dict[str, list[str]] = {}
    for tag_type, value in pairs:
        values.setdefault(tag_type, []).append(value)
    for tag_type, of_type in values.items():
        for start in range(0, len(of_type), TAKEN_CHUNK):
            chunk = of_type[start : start + TAKEN_CHUNK]
            if (
                Tag.select(Tag.id)
                .where(
                    (Tag.org == org_id)
                    & Tag.deleted_at.is_null()
                    & (Tag.tag_type == tag_type)
                    & Tag.value.in_(chunk)
                )
                .exists()
            ):
                return True
    return False


def insert(
    org_id: int,
    kind: str,
    owner_id: int,
    pairs: list[tuple[str, str]],
    at: datetime,
    clash: str = "one or more tags already exist",
) -> list[Tag]:
    """Attach tags in the given order; attach order is (created_at, id).

    Callers check ``taken`` first; a tag another process attached since then
    is refused by the unique index and answered 409 with ``clash``.
    """
    column = OWNERS[kind][1]
    rows = []
    try:
        with database.atomic():
            for tag_type, value in pairs:
                fields = {
                    "org": org_id,
                    "tag_type": tag_type,
                    "value": value,
                    "lookup_value": lookup_value(value),
                    "created_at": at,
                    column.name: owner_id,
                }
                rows.append(Tag.create(**fields))
    except peewee.IntegrityError:
        raise conflict(clash) from None
    return rows


def release(kind: str, owner_id: int, at: datetime) -> None:
    """Detach every live tag of an owner being deleted (DEC-13)."""
    column = OWNERS[kind][1]
    Tag.update(deleted_at=at).where(
        (column == owner_id) & Tag.deleted_at.is_null()
    ).execute()


def _live_owner(org_id: int, kind: str, owner_id: int) -> None:
    model, _, missing, _ = OWNERS[kind]
    found = (
        model.select(model.id)
        .where(
            (model.id == owner_id) & (model.org == org_id) & model.deleted_at.is_null()
        )
        .exists()
    )
    if not found:
        raise not_found(missing)


def attach(org_id: int, kind: str, owner_id: int, raw: bytes) -> dict[str, Any]:
    """TAG-5: owner (404) → body → natural key (409) → insert."""
    _live_owner(org_id, kind, owner_id)

    tag_type, value = validation.parse_tag(jsonbody.decode_object(raw))
    if taken(org_id, [(tag_type, value)]):
        raise conflict(f"tag {tag_type}:{value} already exists")

    (tag,) = insert(
        org_id,
        kind,
        owner_id,
        [(tag_type, value)],
        timeutil.now(),
        clash=f"tag {tag_type}:{value} already exists",
    )
    return tag_view(tag)


def detach(org_id: int, kind: str, owner_id: int, tag_id_text: str) -> None:
    """TAG-6: owner (404) → tag_id (ID-3) → live tag of that owner (404)."""
    _live_owner(org_id, kind, owner_id)
    tag_id = validation.path_id("tag_id", tag_id_text)

    _, column, _, missing = OWNERS[kind]
    released = (
        Tag.update(deleted_at=timeutil.now())
        .where(
            (Tag.id == tag_id)
            & (Tag.org == org_id)
            & (column == owner_id)
            & Tag.deleted_at.is_null()
        )
        .execute()
    )
    if released == 0:
        raise not_found(missing)
