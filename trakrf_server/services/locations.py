"""Locations: a tree of places (CONTRACT §19).

Lists, create, read, merge-patch with re-parenting (LOC-6/7), rename, soft
delete with its guards (LOC-8) and the three tree reads (LOC-9). Functions that
write run on the writer thread (``db.write``).
"""

from __future__ import annotations

from typing import Any

import peewee

from trakrf_server import jsonbody, timeutil
from trakrf_server.db import code_point_order, locking
from trakrf_server.errors import conflict, not_found
from trakrf_server.models import Asset, Location, Tag
from trakrf_server.services import listing, naturalkeys, tags, validation, validity
from trakrf_server.services.accounts import lock_org
from trakrf_server.services.assets import changed_fields, resolve_location
from trakrf_server.services.listing import EXTERNAL_KEY, ID, ListQuery, ListSpec
from trakrf_server.services.views import (
    get_location_view,
    location_select,
    location_views,
)

NOT_FOUND = "Location not found"
CYCLE = "Request violates a domain invariant"
HAS_CHILDREN = (
    "location has descendant locations; reassign or remove them before deleting "
    "(cascade is not supported)"
)
HAS_ASSETS = (
    "location has assets placed at it; move or remove them before deleting "
    "(cascade is not supported)"
)

LIST_SPEC = ListSpec(
    filters={
        "external_key": EXTERNAL_KEY,
        "parent_id": ID,
        "parent_external_key": EXTERNAL_KEY,
    },
    sort_fields=("external_key", "name", "created_at"),
    default_sort=(("external_key", False),),
    exclusive=(("parent_id", "parent_external_key"),),
    booleans=("is_active", "include_deleted"),
    search=True,
)
# LOC-9: limit and offset only; an empty sort= is tolerated (PAGE-13).
TREE_SPEC = ListSpec(sortable=False)

SORT_COLUMNS = {
    "external_key": Location.external_key,
    "name": Location.name,
    "created_at": Location.created_at,
}


def list_locations(org_id: int, query: ListQuery) -> tuple[list[dict[str, Any]], int]:
    """PAGE-15 + LOC-10: one page of views and the total match count."""
    now = timeutil.now()
    where = (Location.org == org_id) & validity.effective(Location, now)
    if not query.flag("include_deleted", False):
        where &= Location.deleted_at.is_null()
    if "external_key" in query.filters:
        where &= Location.external_key.in_(query.filters["external_key"])
    if "parent_id" in query.filters:
        where &= Location.parent.in_(query.filters["parent_id"])
    if "parent_external_key" in query.filters:
        # The parent may be soft-deleted or not effective (LOC-10).
        Named = Location.alias("named")
        parents = Named.select(Named.id).where(
            (Named.org == org_id)
            & Named.external_key.in_(query.filters["parent_external_key"])
        )
        where &= Location.parent.in_(parents)
    if (active := query.flag("is_active")) is not None:
        where &= Location.is_active == active
    if query.q:
        where &= listing.text_search(
            query.q,
            [Location.name, Location.external_key, Location.description],
            Tag.location,
        )

    total = Location.select(peewee.fn.COUNT(Location.id)).where(where).scalar()
    page = (
        location_select()
        .where(where)
        .order_by(*listing.order_by(query, SORT_COLUMNS, Location.id))
        .limit(query.limit)
        .offset(query.offset)
    )
    return location_views(page), total


def get_location(org_id: int, location_id: int) -> dict[str, Any]:
    """LOC-2: any live location of the org, whatever its validity window."""
    view = get_location_view(org_id, location_id)
    if view is None:
        raise not_found(NOT_FOUND)
    return view


def _live(org_id: int, location_id: int, lock: bool = False) -> Location:
    query = Location.select().where(
        (Location.id == location_id)
        & (Location.org == org_id)
        & Location.deleted_at.is_null()
    )
    if lock:
        query = locking(query, "NO KEY UPDATE")
    row = query.first()
    if row is None:
        raise not_found(NOT_FOUND)
    return row


def create_location(org_id: int, body: dict[str, Any]) -> dict[str, Any]:
    """LOC-3: body stages → resolve parent → key and tags (409) → insert."""
    draft = validation.parse_create(body, "location")
    parent_id = None
    if draft.reference is not None:
        parent_id = resolve_location(org_id, *draft.reference)

    if draft.external_key is not None:
        naturalkeys.ensure_free(Location, org_id, draft.external_key, "location")
    if tags.taken(org_id, draft.tags):
        raise conflict("one or more tags already exist")

    now = timeutil.now()

    def insert(key: str) -> Location:
        return Location.create(
            org=org_id,
            external_key=key,
            name=draft.name,
            description=draft.description,
            parent=parent_id,
            is_active=draft.is_active,
            valid_from=draft.valid_from or now,
            valid_to=draft.valid_to,
            created_at=now,
            updated_at=now,
        )

    location = naturalkeys.create_keyed(
        Location, org_id, draft.external_key, "LOC", "location", insert
    )
    tags.insert(org_id, "location", location.id, draft.tags, now)
    return get_location(org_id, location.id)


def _live_key(org_id: int, key: str) -> int | None:
    return (
        Location.select(Location.id)
        .where(
            (Location.org == org_id)
            & (Location.external_key == key)
            & Location.deleted_at.is_null()
        )
        .scalar()
    )


def _parent_of(location_id: int) -> int | None:
    return Location.select(Location.parent).where(Location.id == location_id).scalar()


def would_cycle(location_id: int, new_parent_id: int) -> bool:
    """LOC-7 / DEC-16: the new parent is the location or one of its descendants."""
    seen: set[int] = set()
    current: int | None = new_parent_id
    while current is not None and current not in seen:
        if current == location_id:
            return True
        seen.add(current)
        current = _parent_of(current)
    return False


def update_location(org_id: int, location_id: int, raw: bytes) -> dict[str, Any]:
    """PATCH-9 for locations, with LOC-6 reconciliation and LOC-7 cycles."""
    row = _live(org_id, location_id)
    view = get_location(org_id, location_id)

    body = jsonbody.decode_object(raw)
    patch = validation.parse_patch(
        body, "location", view, lambda key: _live_key(org_id, key)
    )

    changes = dict(patch.changes)
    if patch.parent == validation.ROOT:
        changes["parent"] = None
    elif patch.parent is not None:
        # Moves in other processes (A under B there, B under A here) wait
        # until this one commits, so each walks the tree the other left.
        # Taken before the parent's share lock: two moves each holding one
        # parent would otherwise wait on each other's rows.
        lock_org(org_id)
        parent_id = resolve_location(org_id, *patch.parent)
        if parent_id != row.parent_id and would_cycle(location_id, parent_id):
            raise conflict(CYCLE)
        changes["parent"] = parent_id

    different = changed_fields(row, {k: v for k, v in changes.items() if k != "parent"})
    if "parent" in changes and changes["parent"] != row.parent_id:
        different["parent"] = changes["parent"]
    if not different:
        return view
    different["updated_at"] = timeutil.now()
    Location.update(**different).where(Location.id == location_id).execute()
    return get_location(org_id, location_id)


def delete_location(org_id: int, location_id: int) -> None:
    """LOC-8: 404 → live children (409) → assets placed there (409) → delete.

    The row is locked first: placements and new children in other processes
    share-lock it (``assets.resolve_location``, reader antennas, inventory
    saves), so either they wait for this delete and find the location gone,
    or it waits for them and finds what they put there.
    """
    _live(org_id, location_id, lock=True)
    child = Location.select(Location.id).where(
        (Location.parent == location_id) & Location.deleted_at.is_null()
    )
    if child.exists():
        raise conflict(HAS_CHILDREN)
    # DEC-15: the asset's current location, not where it was created.
    placed = Asset.select(Asset.id).where(
        (Asset.location == location_id) & Asset.deleted_at.is_null()
    )
    if placed.exists():
        raise conflict(HAS_ASSETS)

    now = timeutil.now()
    Location.update(deleted_at=now, updated_at=now).where(
        Location.id == location_id
    ).execute()
    tags.release("location", location_id, now)


def rename_location(
    org_id: int, location_id: int, raw: bytes
) -> tuple[dict[str, Any], int]:
    """EK-7 for locations; the count is the live descendants at all depths."""
    row = _live(org_id, location_id)
    key = validation.parse_rename(jsonbody.decode_object(raw))
    if key == row.external_key:
        return get_location(org_id, location_id), 0
    naturalkeys.rekey(Location, org_id, location_id, key, "location")
    return get_location(org_id, location_id), len(_descendant_ids(location_id))


# --- tree reads (LOC-9) -------------------------------------------------------------


def _descendant_ids(location_id: int) -> list[int]:
    """Live descendants in depth-first pre-order; siblings by lowercased key, id.

    One query per tree level, each reading only ids, parents and keys.
    """
    children: dict[int, list[tuple[str, int]]] = {}
    frontier = [location_id]
    while frontier:
        level = (
            Location.select(Location.id, Location.parent, Location.external_key)
            .where(Location.parent.in_(frontier) & Location.deleted_at.is_null())
            .tuples()
        )
        frontier = []
        for child_id, parent_id, key in level:
            children.setdefault(parent_id, []).append((key.lower(), child_id))
            frontier.append(child_id)

    ordered: list[int] = []
    stack = [location_id]
    while stack:
        current = stack.pop()
        if current != location_id:
            ordered.append(current)
        below = sorted(children.get(current, []))
        stack.extend(child_id for _, child_id in reversed(below))
    return ordered


def _ancestor_ids(location_id: int) -> list[int]:
    """The parent chain, root first, excluding the location itself."""
    chain: list[int] = []
    current = _parent_of(location_id)
    while current is not None and current not in chain:
        chain.append(current)
        current = _parent_of(current)
    return list(reversed(chain))


def _page_of(ids: list[int], query: ListQuery) -> tuple[list[dict[str, Any]], int]:
    """Views for one page of an ordered id list (live rows only)."""
    page_ids = ids[query.offset : query.offset + query.limit]
    rows = {
        row.id: row
        for row in location_select().where(
            Location.id.in_(page_ids) & Location.deleted_at.is_null()
        )
    }
    views = location_views(rows[i] for i in page_ids if i in rows)
    return views, len(ids)


def tree(
    org_id: int, location_id: int, which: str, params: dict[str, list[str]]
) -> tuple[list[dict[str, Any]], int, ListQuery]:
    """LOC-9: 404 first, then the query (ORDER-1 step 11), then the rows."""
    _live(org_id, location_id)
    query = listing.parse(TREE_SPEC, params)

    if which == "children":
        where = (Location.parent == location_id) & Location.deleted_at.is_null()
        total = Location.select(peewee.fn.COUNT(Location.id)).where(where).scalar()
        page = (
            location_select()
            .where(where)
            .order_by(code_point_order(Location.name), Location.id)
            .limit(query.limit)
            .offset(query.offset)
        )
        return location_views(page), total, query

    if which == "ancestors":
        chain = _ancestor_ids(location_id)
        live = {
            i
            for (i,) in Location.select(Location.id)
            .where(Location.id.in_(chain) & Location.deleted_at.is_null())
            .tuples()
        }
        ids = [i for i in chain if i in live]
    else:
        ids = _descendant_ids(location_id)
    views, total = _page_of(ids, query)
    return views, total, query
