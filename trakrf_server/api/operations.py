"""What the public API reference says about each operation (CONTRACT SURF-1).

One entry per (path template, method). The route table decides which of them
exist: ``trakrf_server/openapi.py`` publishes an entry only when ``routes()``
sends that path to a handler whose ``methods`` include the method, and takes
the required scope from the handler's ``scopes``. Internal endpoints have no
entry and so never appear.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel

from trakrf_server.api import schemas as s
from trakrf_server.api.schemas import EXTERNAL_KEY_PATTERN, FREE_TEXT_PATTERN, ID_MAX

V1 = "/api/v1"


@dataclass(frozen=True)
class Param:
    """One path or query parameter."""

    name: str
    place: str  # "path" or "query"
    schema: dict[str, Any]
    description: str = ""
    # Repeatable query filters are form-exploded arrays (PAGE-6); sort is one
    # comma-separated string (PAGE-12).
    style: str | None = None
    explode: bool | None = None

    @property
    def required(self) -> bool:
        return self.place == "path"


@dataclass(frozen=True)
class Operation:
    operation_id: str
    summary: str
    tag: str
    description: str
    success: int
    response: type[BaseModel] | None = None
    body: type[BaseModel] | None = None
    body_media_type: str = "application/json"
    body_description: str = ""
    parameters: tuple[Param, ...] = ()
    # Error statuses beyond those every operation can answer (conflicts, body
    # content types).
    errors: tuple[int, ...] = ()
    # 201s carry the new resource's URL (ASSET-7, TAG-5).
    location_header: bool = False


# --- parameter building blocks ---------------------------------------------------


def path_id(name: str) -> Param:
    # ID-3
    return Param(
        name,
        "path",
        {"type": "integer", "format": "int64", "minimum": 1, "maximum": ID_MAX},
        f"Numeric id of the {name.removesuffix('_id')}.",
    )


LIMIT = Param(
    "limit",
    "query",
    {"type": "integer", "minimum": 1, "maximum": 200, "default": 50},
    "Page size, 1 to 200 (PAGE-1).",
)
OFFSET = Param(
    "offset",
    "query",
    {"type": "integer", "minimum": 0, "maximum": ID_MAX, "default": 0},
    "Rows to skip (PAGE-2).",
)


def id_filter(name: str, description: str) -> Param:
    # PAGE-9
    item = {"type": "integer", "format": "int64", "minimum": 1, "maximum": ID_MAX}
    return Param(
        name,
        "query",
        {"type": "array", "items": item, "default": []},
        description + " Repeat for any of several.",
        style="form",
        explode=True,
    )


def key_filter(name: str, description: str) -> Param:
    # PAGE-8
    item = {"type": "string", "pattern": EXTERNAL_KEY_PATTERN}
    return Param(
        name,
        "query",
        {"type": "array", "items": item, "default": []},
        description + " Repeat for any of several.",
        style="form",
        explode=True,
    )


def flag(name: str, description: str, default: bool | None = None) -> Param:
    # PAGE-7
    schema: dict[str, Any] = {"type": "boolean"}
    if default is not None:
        schema["default"] = default
    return Param(name, "query", schema, description)


def sort(fields: tuple[str, ...], default: str) -> Param:
    # PAGE-12: the pattern spells the allow-list, each field with or without "-".
    names = "|".join(f"{f}|-{f}" for f in fields)
    pattern = f"^(|(?:{names})(?:,(?:{names}))*)$"
    return Param(
        "sort",
        "query",
        {"type": "string", "pattern": pattern, "default": ""},
        f"Comma-separated fields, '-' for descending. Default: {default}.",
        style="form",
        explode=False,
    )


def timestamp(name: str, description: str) -> Param:
    return Param(name, "query", {"type": "string", "format": "date-time"}, description)


Q = Param(
    "q",
    "query",
    {"type": "string", "pattern": FREE_TEXT_PATTERN},
    "Case-insensitive substring search (PAGE-10).",
)
INCLUDE_DELETED = flag(
    "include_deleted", "Also list soft-deleted rows (PAGE-15).", default=False
)
IS_ACTIVE = flag("is_active", "Only rows with this is_active flag.")

ASSET_ID = path_id("asset_id")
LOCATION_ID = path_id("location_id")
TAG_ID = path_id("tag_id")

TREE_ORDER = (
    "Soft-deleted locations are left out; validity windows are not applied (LOC-9)."
)

# --- the operations ------------------------------------------------------------------

OPERATIONS: dict[tuple[str, str], Operation] = {
    (f"{V1}/orgs/me", "GET"): Operation(
        "getCurrentOrg",
        "Organization of the calling API key",
        "orgs",
        "Answers with the organization the API key belongs to, the key's scopes "
        "and its id. Needs an API key; web-app sessions are refused (ORG-1…5).",
        200,
        s.GetCurrentOrgResponse,
    ),
    # assets (§18)
    (f"{V1}/assets", "GET"): Operation(
        "listAssets",
        "List assets",
        "assets",
        "Currently effective assets, filtered, sorted and paged (ASSET-10, PAGE-15). "
        "All filters combine with AND.",
        200,
        s.ListAssetsResponse,
        parameters=(
            LIMIT,
            OFFSET,
            id_filter(
                "location_id",
                "Assets currently at this location; not together with "
                "location_external_key.",
            ),
            key_filter(
                "location_external_key",
                "Assets currently at the location with this key; not together "
                "with location_id.",
            ),
            key_filter("external_key", "Assets with this external key."),
            IS_ACTIVE,
            INCLUDE_DELETED,
            Q,
            sort(("external_key", "name", "created_at", "updated_at"), "external_key"),
        ),
    ),
    (f"{V1}/assets", "POST"): Operation(
        "createAsset",
        "Create an asset",
        "assets",
        "Creates an asset and its tags in one step (ASSET-4…7).",
        201,
        s.CreateAssetResponse,
        body=s.CreateAssetWithTagsRequest,
        body_description="The asset, optionally with tags.",
        errors=(409, 415),
        location_header=True,
    ),
    (f"{V1}/assets/{{asset_id}}", "GET"): Operation(
        "getAsset",
        "Get an asset",
        "assets",
        "Any live asset of the organization, whatever its validity window (ASSET-8).",
        200,
        s.GetAssetResponse,
        parameters=(ASSET_ID,),
    ),
    (f"{V1}/assets/{{asset_id}}", "PATCH"): Operation(
        "updateAsset",
        "Update an asset",
        "assets",
        "JSON Merge Patch (RFC 7396). Read-only keys are accepted when they match "
        "the current state, so a GET's data can be sent back (PATCH-1…10).",
        200,
        s.UpdateAssetResponse,
        body=s.UpdateAssetRequest,
        body_media_type="application/merge-patch+json",
        body_description="The fields to change.",
        parameters=(ASSET_ID,),
        errors=(409, 415),
    ),
    (f"{V1}/assets/{{asset_id}}", "DELETE"): Operation(
        "deleteAsset",
        "Delete an asset",
        "assets",
        "Soft-deletes the asset, frees its external key and releases its tags; "
        "its scan events are kept (ASSET-9).",
        204,
        parameters=(ASSET_ID,),
    ),
    (f"{V1}/assets/{{asset_id}}/rename", "POST"): Operation(
        "renameAsset",
        "Change an asset's external key",
        "assets",
        "The only way to change external_key (EK-7).",
        200,
        s.RenameAssetResponse,
        body=s.RenameAssetRequest,
        body_description="The new external key.",
        parameters=(ASSET_ID,),
        errors=(409, 415),
    ),
    (f"{V1}/assets/{{asset_id}}/tags", "POST"): Operation(
        "addAssetTag",
        "Attach a tag to an asset",
        "assets",
        "A tag's (tag_type, value) is attached to one thing at a time (TAG-4/5).",
        201,
        s.AddAssetTagResponse,
        body=s.TagRequest,
        body_description="The tag to attach.",
        parameters=(ASSET_ID,),
        errors=(409, 415),
        location_header=True,
    ),
    (f"{V1}/assets/{{asset_id}}/tags/{{tag_id}}", "DELETE"): Operation(
        "removeAssetTag",
        "Detach a tag from an asset",
        "assets",
        "Detaches one of the asset's live tags (TAG-6).",
        204,
        parameters=(ASSET_ID, TAG_ID),
    ),
    (f"{V1}/assets/{{asset_id}}/history", "GET"): Operation(
        "getAssetHistory",
        "Where an asset has been",
        "assets",
        "The asset's scan events, newest first by default, with how long it stayed "
        "at each location (HIST-1…7).",
        200,
        s.AssetHistoryResponse,
        parameters=(
            ASSET_ID,
            LIMIT,
            OFFSET,
            timestamp("from", "Only events observed at or after this instant."),
            timestamp("to", "Only events observed at or before this instant."),
            sort(("event_observed_at",), "-event_observed_at"),
        ),
    ),
    # locations (§19)
    (f"{V1}/locations", "GET"): Operation(
        "listLocations",
        "List locations",
        "locations",
        "Currently effective locations, filtered, sorted and paged (LOC-10, "
        "PAGE-15). All filters combine with AND.",
        200,
        s.ListLocationsResponse,
        parameters=(
            LIMIT,
            OFFSET,
            id_filter(
                "parent_id",
                "Children of this location; not together with parent_external_key.",
            ),
            key_filter(
                "parent_external_key",
                "Children of the location with this key; not together with parent_id.",
            ),
            key_filter("external_key", "Locations with this external key."),
            IS_ACTIVE,
            INCLUDE_DELETED,
            Q,
            sort(("external_key", "name", "created_at"), "external_key"),
        ),
    ),
    (f"{V1}/locations", "POST"): Operation(
        "createLocation",
        "Create a location",
        "locations",
        "Creates a location and its tags in one step (LOC-3/4).",
        201,
        s.CreateLocationResponse,
        body=s.CreateLocationWithTagsRequest,
        body_description="The location, optionally with tags.",
        errors=(409, 415),
        location_header=True,
    ),
    (f"{V1}/locations/{{location_id}}", "GET"): Operation(
        "getLocation",
        "Get a location",
        "locations",
        "Any live location of the organization, whatever its validity window (LOC-2).",
        200,
        s.GetLocationResponse,
        parameters=(LOCATION_ID,),
    ),
    (f"{V1}/locations/{{location_id}}", "PATCH"): Operation(
        "updateLocation",
        "Update a location",
        "locations",
        "JSON Merge Patch (RFC 7396); may move the location under another parent "
        "or make it a root (PATCH-1…10, LOC-6/7).",
        200,
        s.UpdateLocationResponse,
        body=s.UpdateLocationRequest,
        body_media_type="application/merge-patch+json",
        body_description="The fields to change.",
        parameters=(LOCATION_ID,),
        errors=(409, 415),
    ),
    (f"{V1}/locations/{{location_id}}", "DELETE"): Operation(
        "deleteLocation",
        "Delete a location",
        "locations",
        "Soft-deletes a location that has no live children and no assets at it "
        "(LOC-8).",
        204,
        parameters=(LOCATION_ID,),
        errors=(409,),
    ),
    (f"{V1}/locations/{{location_id}}/rename", "POST"): Operation(
        "renameLocation",
        "Change a location's external key",
        "locations",
        "The only way to change external_key; descendants keep pointing at it (EK-7).",
        200,
        s.RenameLocationResponse,
        body=s.RenameLocationRequest,
        body_description="The new external key.",
        parameters=(LOCATION_ID,),
        errors=(409, 415),
    ),
    (f"{V1}/locations/{{location_id}}/tags", "POST"): Operation(
        "addLocationTag",
        "Attach a tag to a location",
        "locations",
        "A tag's (tag_type, value) is attached to one thing at a time (TAG-4/5).",
        201,
        s.AddLocationTagResponse,
        body=s.TagRequest,
        body_description="The tag to attach.",
        parameters=(LOCATION_ID,),
        errors=(409, 415),
        location_header=True,
    ),
    (f"{V1}/locations/{{location_id}}/tags/{{tag_id}}", "DELETE"): Operation(
        "removeLocationTag",
        "Detach a tag from a location",
        "locations",
        "Detaches one of the location's live tags (TAG-6).",
        204,
        parameters=(LOCATION_ID, TAG_ID),
    ),
    (f"{V1}/locations/{{location_id}}/ancestors", "GET"): Operation(
        "listLocationAncestors",
        "Parents of a location up to the root",
        "locations",
        "The parent chain, root first. " + TREE_ORDER,
        200,
        s.ListLocationAncestorsResponse,
        parameters=(LOCATION_ID, LIMIT, OFFSET),
    ),
    (f"{V1}/locations/{{location_id}}/children", "GET"): Operation(
        "listLocationChildren",
        "Direct children of a location",
        "locations",
        "Ordered by name, then id. " + TREE_ORDER,
        200,
        s.ListLocationChildrenResponse,
        parameters=(LOCATION_ID, LIMIT, OFFSET),
    ),
    (f"{V1}/locations/{{location_id}}/descendants", "GET"): Operation(
        "listLocationDescendants",
        "Everything below a location",
        "locations",
        "Depth-first, siblings by lower-cased external key. " + TREE_ORDER,
        200,
        s.ListLocationDescendantsResponse,
        parameters=(LOCATION_ID, LIMIT, OFFSET),
    ),
    # report (§22)
    (f"{V1}/reports/asset-locations", "GET"): Operation(
        "getAssetLocations",
        "Where each asset was last seen",
        "reports",
        "One row per scanned, currently effective asset with its latest location "
        "(REPORT-1…6).",
        200,
        s.AssetLocationsResponse,
        parameters=(
            LIMIT,
            OFFSET,
            id_filter("location_id", "Assets last seen at this location."),
            key_filter(
                "location_external_key",
                "Assets last seen at the location with this key.",
            ),
            Q,
            INCLUDE_DELETED,
            sort(
                ("asset_last_seen", "asset_external_key", "location_external_key"),
                "-asset_last_seen",
            ),
        ),
    ),
}

TAGS = {
    "assets": "Assets: create, read, update, delete, rename, tags and history.",
    "locations": "Locations: the same, plus the location tree.",
    "orgs": "The organization behind the calling API key.",
    "reports": "Reports across assets.",
}
