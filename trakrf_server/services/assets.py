"""Assets: list, create, read, merge-patch, rename, soft delete (CONTRACT §18).

``Asset.location`` is where the asset is now (ASSET-3): set to the creation
placement here and moved only by scan events; ``Asset.initial_location`` keeps
the creation placement. Functions that write run on the writer thread
(``db.write``) so each read-check-write is one transaction.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from trakrf_server import jsonbody, timeutil
from trakrf_server.db import locking
from trakrf_server.errors import conflict, not_found
from trakrf_server.models import Asset, Location, Tag
from trakrf_server.services import (
    listing,
    naturalkeys,
    tags,
    totals,
    validation,
    validity,
)
from trakrf_server.services.listing import EXTERNAL_KEY, ID, ListQuery, ListSpec
from trakrf_server.services.views import (
    asset_page_select,
    asset_page_views,
    get_asset_view,
)

NOT_FOUND = "Asset not found"
KEY_PREFIX = "ASSET"
TAGS_TAKEN = "one or more tags already exist"

LIST_SPEC = ListSpec(
    filters={
        "external_key": EXTERNAL_KEY,
        "location_id": ID,
        "location_external_key": EXTERNAL_KEY,
    },
    sort_fields=("external_key", "name", "created_at", "updated_at"),
    default_sort=(("external_key", False),),
    exclusive=(("location_id", "location_external_key"),),
    booleans=("is_active", "include_deleted"),
    search=True,
)

SORT_COLUMNS = {
    "external_key": Asset.external_key,
    "name": Asset.name,
    "created_at": Asset.created_at,
    "updated_at": Asset.updated_at,
}


def list_assets(org_id: int, query: ListQuery) -> tuple[list[dict[str, Any]], int]:
    """PAGE-15 + ASSET-10: one page of views and the total match count.

    Three statements whatever the page size: count, page, the page's tags.
    """
    now = timeutil.now()
    # Everything but the validity window, which effective_total applies itself.
    where = Asset.org == org_id
    if not query.flag("include_deleted", False):
        where &= Asset.deleted_at.is_null()
    if "external_key" in query.filters:
        where &= Asset.external_key.in_(query.filters["external_key"])
    if "location_id" in query.filters:
        where &= Asset.location.in_(query.filters["location_id"])
    if "location_external_key" in query.filters:
        # The key the view shows, whether or not that location is still live.
        named = Location.select(Location.id).where(
            (Location.org == org_id)
            & Location.external_key.in_(query.filters["location_external_key"])
        )
        where &= Asset.location.in_(named)
    if (active := query.flag("is_active")) is not None:
        where &= Asset.is_active == active
    if query.q:
        where &= listing.text_search(
            query.q, [Asset.name, Asset.external_key, Asset.description], Tag.asset
        )

    total = totals.effective_total(Asset, where, now)
    page = (
        asset_page_select()
        .where(where & validity.effective(Asset, now))
        .order_by(*listing.order_by(query, SORT_COLUMNS, Asset.id))
        .limit(query.limit)
        .offset(query.offset)
    )
    return asset_page_views(page), total


def get_asset(org_id: int, asset_id: int) -> dict[str, Any]:
    """ASSET-8: any live asset of the org, whatever its validity window."""
    view = get_asset_view(org_id, asset_id)
    if view is None:
        raise not_found(NOT_FOUND)
    return view


def _live(org_id: int, asset_id: int) -> Asset:
    row = Asset.get_or_none(
        (Asset.id == asset_id) & (Asset.org == org_id) & Asset.deleted_at.is_null()
    )
    if row is None:
        raise not_found(NOT_FOUND)
    return row


def resolve_location(org_id: int, form: str, value: Any) -> int:
    """ASSET-5 / LOC-4: a live location of the org by id or key (any window).

    The row stays share-locked until the transaction ends: a delete of it in
    another process (``locations.delete_location``) waits, then sees what was
    placed there, instead of both passing their checks.
    """
    column = Location.id if form.endswith("_id") else Location.external_key
    query = Location.select(Location.id).where(
        (column == value) & (Location.org == org_id) & Location.deleted_at.is_null()
    )
    found = locking(query, "SHARE").scalar()
    if found is None:
        raise validation.not_found_reference(form, value)
    return found


def create_asset(org_id: int, body: dict[str, Any]) -> dict[str, Any]:
    """ASSET-4: body stages → resolve location → key and tags (409) → insert."""
    draft = validation.parse_create(body, "asset")
    location_id = None
    if draft.reference is not None:
        location_id = resolve_location(org_id, *draft.reference)
    asset_id = create_from_draft(org_id, draft, location_id, timeutil.now())
    return get_asset(org_id, asset_id)


def create_from_draft(
    org_id: int,
    draft: validation.Draft,
    location_id: int | None,
    now: datetime,
    reserved: Iterable[str] = (),
) -> int:
    """The one way an asset comes into being (``POST /assets``, CSV import).

    Mints the key when the draft has none (EK-4; ``reserved`` keys are never
    minted) or checks it is free (EK-3), refuses taken or repeated tags
    (ASSET-6), then inserts the asset placed at ``location_id`` (ASSET-3: both
    the current and the initial location) and its tags. Returns the new id.
    """
    if draft.external_key is not None:
        naturalkeys.ensure_free(Asset, org_id, draft.external_key, "asset")
    if tags.taken(org_id, draft.tags):
        raise conflict(TAGS_TAKEN)

    def insert(key: str) -> Asset:
        return Asset.create(
            org=org_id,
            external_key=key,
            name=draft.name,
            description=draft.description,
            metadata=draft.metadata,
            is_active=draft.is_active,
            valid_from=draft.valid_from or now,
            valid_to=draft.valid_to,
            created_at=now,
            updated_at=now,
            initial_location=location_id,
            location=location_id,
        )

    asset = naturalkeys.create_keyed(
        Asset, org_id, draft.external_key, KEY_PREFIX, "asset", insert, reserved
    )
    tags.insert(org_id, "asset", asset.id, draft.tags, now, clash=TAGS_TAKEN)
    return asset.id


def changed_fields(row: Any, changes: dict[str, Any]) -> dict[str, Any]:
    """PATCH-7: the sent writable values that differ from the row's."""
    different: dict[str, Any] = {}
    for key, value in changes.items():
        current = getattr(row, key)
        if key in ("valid_from", "valid_to"):
            same = (value is None and current is None) or (
                value is not None
                and current is not None
                and timeutil.truncate_ms(value) == timeutil.truncate_ms(current)
            )
        else:
            same = validation.same_json(value, current)
        if not same:
            different[key] = value
    return different


def update_asset(org_id: int, asset_id: int, raw: bytes) -> dict[str, Any]:
    """PATCH-9 for assets: 404 → body stages → write if anything changed."""
    row = _live(org_id, asset_id)
    view = get_asset(org_id, asset_id)

    body = jsonbody.decode_object(raw)
    patch = validation.parse_patch(body, "asset", view)

    different = changed_fields(row, patch.changes)
    if not different:
        return view
    different["updated_at"] = timeutil.now()
    Asset.update(**different).where(Asset.id == asset_id).execute()
    return get_asset(org_id, asset_id)


def delete_asset(org_id: int, asset_id: int) -> None:
    """ASSET-9: soft delete; the key and the tags are freed at once."""
    _live(org_id, asset_id)
    now = timeutil.now()
    Asset.update(deleted_at=now, updated_at=now).where(Asset.id == asset_id).execute()
    tags.release("asset", asset_id, now)


def rename_asset(org_id: int, asset_id: int, raw: bytes) -> tuple[dict[str, Any], int]:
    """EK-7: 404 → body → same key (no-op) → 409 → write. Count is always 0."""
    row = _live(org_id, asset_id)
    key = validation.parse_rename(jsonbody.decode_object(raw))
    if key != row.external_key:
        naturalkeys.rekey(Asset, org_id, asset_id, key, "asset")
    return get_asset(org_id, asset_id), 0
