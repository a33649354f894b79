"""Request and response shapes of the public API, as pydantic models.

These models are what ``/api/openapi.json`` documents (``trakrf_server/openapi.py``
turns them into OpenAPI 3.0 schemas), so their names are the component names
client generators see and must stay as the reference spec spells them. The
constraints follow the contract: CONTRACT §14 (ids), §16 (external keys), §8
VAL-9 (free text), §17 (PATCH), §18–22 (views and bodies).

Request validation itself lives in the services, because the contract fixes
error codes and messages no generic validator produces; tests use these models
to check that responses have exactly the documented shape (OPENAPI-3).
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Annotated, Any, Generic, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field, RootModel

ID_MAX = 2147483647
EXTERNAL_KEY_PATTERN = r"^[A-Za-z0-9-]+$"
# VAL-9: C0 controls other than TAB, LF, CR, and DEL are refused in free text.
FREE_TEXT_PATTERN = r"^[^\x00-\x08\x0B\x0C\x0E-\x1F\x7F]*$"

# --- field types ---------------------------------------------------------------

# ID-1: ids fit int32 but are declared int64 on the wire.
ServerId = Annotated[
    int, Field(json_schema_extra={"format": "int64", "readOnly": True})
]
RefId = Annotated[int, Field(json_schema_extra={"format": "int64"})]
BodyId = Annotated[int, Field(ge=1, le=ID_MAX, json_schema_extra={"format": "int64"})]
Count = Annotated[int, Field(json_schema_extra={"format": "int32"})]
# DATE-1: emitted as YYYY-MM-DDTHH:MM:SS.mmmZ.
Timestamp = datetime
ServerTimestamp = Annotated[datetime, Field(json_schema_extra={"readOnly": True})]
ExternalKey = Annotated[
    str, Field(min_length=1, max_length=255, pattern=EXTERNAL_KEY_PATTERN)
]
Name = Annotated[str, Field(min_length=1, max_length=255, pattern=FREE_TEXT_PATTERN)]
Description = Annotated[
    str, Field(min_length=1, max_length=1024, pattern=FREE_TEXT_PATTERN)
]
TagValue = Annotated[
    str,
    Field(
        min_length=1,
        max_length=255,
        pattern=FREE_TEXT_PATTERN,
        examples=["E28068940000501E9A3B1C2D"],
    ),
]
Metadata = dict[str, Any]


class _Strict(BaseModel):
    """A request body that refuses undeclared keys (VAL-8)."""

    model_config = ConfigDict(extra="forbid")


# --- tags (TAG-1…3) ------------------------------------------------------------


class RfidTag(BaseModel):
    """An RFID tag attached to an asset or a location."""

    id: ServerId
    tag_type: Literal["rfid"]
    value: TagValue


class BleTag(BaseModel):
    """A Bluetooth Low Energy beacon attached to an asset or a location."""

    id: ServerId
    tag_type: Literal["ble"]
    value: TagValue


class BarcodeTag(BaseModel):
    """A barcode attached to an asset or a location."""

    id: ServerId
    tag_type: Literal["barcode"]
    value: TagValue


class Tag(
    RootModel[Annotated[RfidTag | BleTag | BarcodeTag, Field(discriminator="tag_type")]]
):
    """One tag; ``tag_type`` tells the variant (TAG-1)."""


class RfidTagRequest(_Strict):
    tag_type: Literal["rfid"]
    value: TagValue


class BleTagRequest(_Strict):
    tag_type: Literal["ble"]
    value: TagValue


class BarcodeTagRequest(_Strict):
    tag_type: Literal["barcode"]
    value: TagValue


class TagRequest(
    RootModel[
        Annotated[
            RfidTagRequest | BleTagRequest | BarcodeTagRequest,
            Field(discriminator="tag_type"),
        ]
    ]
):
    """A tag to attach: ``tag_type`` (rfid, ble or barcode) and ``value`` (TAG-2/3)."""


# --- views ---------------------------------------------------------------------


class AssetView(BaseModel):
    """An asset; every key is always present (ASSET-1)."""

    id: ServerId
    external_key: str
    name: str
    description: str | None
    location_id: RefId | None = Field(
        description="Current location, derived from scan events (ASSET-3)."
    )
    location_external_key: str | None
    metadata: Metadata
    is_active: bool
    valid_from: Timestamp
    valid_to: Timestamp | None
    created_at: ServerTimestamp
    updated_at: ServerTimestamp
    deleted_at: ServerTimestamp | None
    tags: list[Tag]


class LocationView(BaseModel):
    """A location; every key is always present (LOC-1)."""

    id: ServerId
    external_key: str
    name: str
    description: str | None
    parent_id: RefId | None
    parent_external_key: str | None
    is_active: bool
    valid_from: Timestamp
    valid_to: Timestamp | None
    created_at: ServerTimestamp
    updated_at: ServerTimestamp
    deleted_at: ServerTimestamp | None
    tags: list[Tag]


class OrgView(BaseModel):
    """The organization an API key belongs to (ORG-1/2)."""

    id: ServerId
    name: str
    scopes: list[str]
    api_key_id: str


class AssetHistoryItem(BaseModel):
    """One scan event of an asset (HIST-2)."""

    event_observed_at: Timestamp
    location_id: RefId | None
    location_external_key: str | None
    duration_seconds: Count | None = Field(
        description="Seconds until the asset was next seen in the window (HIST-5)."
    )


class AssetLocationItem(BaseModel):
    """Where one asset was last seen (REPORT-2)."""

    asset_id: RefId
    asset_external_key: str
    location_id: RefId | None
    location_external_key: str | None
    asset_last_seen: Timestamp
    asset_deleted_at: ServerTimestamp | None


# --- request bodies --------------------------------------------------------------
# Optional keys default to None only so they may be left out; whether null is
# accepted is what the annotation says (VAL-7), and the None defaults are not
# published.


class CreateAssetWithTagsRequest(_Strict):
    """Body of ``POST /assets`` (ASSET-4)."""

    model_config = ConfigDict(
        json_schema_extra={
            "not": {"required": ["location_id", "location_external_key"]},
            # One consistent body for "Try it out" (the pair is exclusive).
            "example": {
                "name": "Pallet jack 12",
                "external_key": "PJ-12",
                "location_external_key": "WH-A",
                "metadata": {"serial": "PJ88213"},
                "tags": [{"tag_type": "rfid", "value": "E28068940000501E9A3B1C2D"}],
            },
        }
    )

    name: Name = Field(examples=["Pallet jack 12"])
    external_key: ExternalKey = Field(
        default=None,
        description="Omit to have ASSET-NNNN assigned (EK-4).",
        examples=["PJ-12"],
    )
    description: Description | None = Field(default=None, examples=["Blue, 2.5 t"])
    location_id: BodyId | None = None
    location_external_key: ExternalKey | None = Field(default=None, examples=["WH-A"])
    metadata: Metadata = Field(default=None, examples=[{"serial": "PJ88213"}])
    is_active: bool = True
    valid_from: Timestamp = Field(default=None, description="Defaults to now.")
    valid_to: Timestamp | None = None
    tags: list[TagRequest] | None = None


class CreateLocationWithTagsRequest(_Strict):
    """Body of ``POST /locations`` (LOC-3)."""

    model_config = ConfigDict(
        json_schema_extra={
            "not": {"required": ["parent_id", "parent_external_key"]},
            "example": {
                "name": "Warehouse A",
                "external_key": "WH-A",
                "tags": [{"tag_type": "barcode", "value": "LOC-WH-A"}],
            },
        }
    )

    name: Name = Field(examples=["Warehouse A"])
    external_key: ExternalKey = Field(
        default=None,
        description="Omit to have LOC-NNNN assigned (EK-4).",
        examples=["WH-A"],
    )
    description: Description | None = Field(default=None, examples=["Ground floor"])
    parent_id: BodyId | None = None
    parent_external_key: ExternalKey | None = Field(default=None, examples=["SITE-1"])
    is_active: bool = True
    valid_from: Timestamp = Field(default=None, description="Defaults to now.")
    valid_to: Timestamp | None = None
    tags: list[TagRequest] | None = None


class UpdateAssetRequest(BaseModel):
    """JSON Merge Patch of an asset (PATCH-1/3).

    Undeclared keys are refused too (OPENAPI-5), except the view's read-only
    keys, which are accepted when they match the current state (PATCH-4); the
    schema therefore does not close the object.
    """

    model_config = ConfigDict(
        json_schema_extra={"example": {"name": "Pallet jack 12 (blue)"}}
    )

    name: Name = None
    description: Description | None = None
    metadata: Metadata = None
    is_active: bool = None
    valid_from: Timestamp = None
    valid_to: Timestamp | None = None


class UpdateLocationRequest(BaseModel):
    """JSON Merge Patch of a location (PATCH-1/3, LOC-6); see UpdateAssetRequest."""

    model_config = ConfigDict(
        json_schema_extra={"example": {"parent_external_key": "SITE-1"}}
    )

    name: Name = None
    description: Description | None = None
    parent_id: BodyId | None = None
    parent_external_key: ExternalKey | None = None
    is_active: bool = None
    valid_from: Timestamp = None
    valid_to: Timestamp | None = None


class RenameAssetRequest(_Strict):
    """Body of ``POST /assets/{asset_id}/rename`` (EK-7)."""

    external_key: ExternalKey = Field(examples=["PJ-12B"])


class RenameLocationRequest(_Strict):
    """Body of ``POST /locations/{location_id}/rename`` (EK-7)."""

    external_key: ExternalKey = Field(examples=["WH-B"])


# --- envelopes (SURF-3) ----------------------------------------------------------

Item = TypeVar("Item")


class ListEnvelope(BaseModel, Generic[Item]):
    data: list[Item]
    limit: Count
    offset: Count
    total_count: Count


class ListAssetsResponse(ListEnvelope[AssetView]):
    pass


class ListLocationsResponse(ListEnvelope[LocationView]):
    pass


class ListLocationAncestorsResponse(ListEnvelope[LocationView]):
    pass


class ListLocationChildrenResponse(ListEnvelope[LocationView]):
    pass


class ListLocationDescendantsResponse(ListEnvelope[LocationView]):
    pass


class AssetHistoryResponse(ListEnvelope[AssetHistoryItem]):
    pass


class AssetLocationsResponse(ListEnvelope[AssetLocationItem]):
    pass


class GetAssetResponse(BaseModel):
    data: AssetView


class CreateAssetResponse(BaseModel):
    data: AssetView


class UpdateAssetResponse(BaseModel):
    data: AssetView


class RenameAssetResponse(BaseModel):
    data: AssetView
    descendant_count_affected: Count = Field(description="Always 0 for assets.")


class AddAssetTagResponse(BaseModel):
    data: Tag


class GetLocationResponse(BaseModel):
    data: LocationView


class CreateLocationResponse(BaseModel):
    data: LocationView


class UpdateLocationResponse(BaseModel):
    data: LocationView


class RenameLocationResponse(BaseModel):
    data: LocationView
    descendant_count_affected: Count = Field(
        description="Live descendants at all depths (EK-7)."
    )


class AddLocationTagResponse(BaseModel):
    data: Tag


class GetCurrentOrgResponse(BaseModel):
    data: OrgView


# --- errors (§7) -------------------------------------------------------------------


class ErrorType(StrEnum):
    """The error types (ERR-2); clients should accept new ones."""

    validation_error = "validation_error"
    bad_request = "bad_request"
    unauthorized = "unauthorized"
    forbidden = "forbidden"
    not_found = "not_found"
    conflict = "conflict"
    rate_limited = "rate_limited"
    internal_error = "internal_error"
    method_not_allowed = "method_not_allowed"
    unsupported_media_type = "unsupported_media_type"
    missing_org_context = "missing_org_context"


class FieldErrorCode(StrEnum):
    """The field error codes (VAL-5); clients should accept new ones."""

    required = "required"
    invalid_value = "invalid_value"
    unknown_field = "unknown_field"
    too_short = "too_short"
    too_long = "too_long"
    too_small = "too_small"
    too_large = "too_large"
    fk_not_found = "fk_not_found"
    ambiguous_fields = "ambiguous_fields"
    read_only = "read_only"


class FieldError(BaseModel):
    """One problem with one field or parameter (VAL-4)."""

    field: str
    code: FieldErrorCode
    message: str
    params: dict[str, Any] = None


class ErrorBody(BaseModel):
    type: ErrorType
    title: str
    status: Count
    detail: str
    instance: str = Field(description="The request path without query string.")
    request_id: str = Field(description="Equals the X-Request-ID response header.")
    fields: list[FieldError] = Field(
        default=None, description="Present only on validation_error (ERR-1)."
    )


class ErrorResponse(BaseModel):
    """The error envelope every failure answers with (ERR-1)."""

    error: ErrorBody


# Enums clients must treat as open (ERR-7).
EXTENSIBLE_ENUMS = ("ErrorType", "FieldErrorCode")
