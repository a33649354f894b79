"""Request-body and identifier rules shared by every write operation.

CONTRACT §8 (VAL), §14 (ID), §15 (DATE), §16 (EK) and §17 (PATCH) fix not only
what is rejected but with which code, message, params and in which order. A
schema library reports its own wording and ordering, so the stages are spelled
out here as small functions each operation calls in its contract order:

1. ``check_types``      wrong JSON type of a known key → ``bad_request``
2. ``unknown_keys``     undeclared keys → ``unknown_field`` (sorted)
3. ``null_violations``  explicit ``null`` on a non-nullable key (VAL-7)
4. ``decode_timestamps``first bad RFC 3339 value, alone (DATE-2/5)
5. operation stages (EK-5, paired references, read-only comparison…)
6. field rules          lengths, patterns, ranges: all reported together

Every function raises ``ApiError``; nothing here touches the database.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from trakrf_server import timeutil
from trakrf_server.errors import ApiError, FieldError, bad_request, validation

INT32_MAX = 2147483647
INT64_MIN = -(2**63)
INT64_MAX = 2**63 - 1

EK_PATTERN = "^[A-Za-z0-9-]+$"
_EK = re.compile(r"[A-Za-z0-9-]+")
# VAL-9: C0 controls other than TAB, LF, CR, and DEL.
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")

TAG_TYPES = ("rfid", "ble", "barcode")
SENTINELS = (datetime(1, 1, 1, tzinfo=UTC), timeutil.EPOCH)
# DATE-5's advice after a sentinel, which speaks of JSON bodies.
SENTINEL_ADVICE = "use JSON null to leave the field unset"

# JSON types a known key must have (VAL-2). Timestamps and metadata are
# absent on purpose: their wrong types are validation errors (DATE-2, PATCH-3).
STRING = "string"
INTEGER = "integer"
BOOLEAN = "boolean"
ARRAY = "array"


def wrong_type(key: str) -> ApiError:
    return bad_request(f'Body field "{key}" could not be decoded as the expected type')


def has_type(value: Any, kind: str) -> bool:
    """Whether a non-null JSON value has the expected type (VAL-3)."""
    if kind == STRING:
        return isinstance(value, str)
    if kind == BOOLEAN:
        return isinstance(value, bool)
    if kind == ARRAY:
        return isinstance(value, list)
    if kind == INTEGER:
        # Only JSON integers: Python's json gives 1.0 and 1e3 as float, and a
        # bool is an int subclass that must not pass.
        return (
            isinstance(value, int)
            and not isinstance(value, bool)
            and INT64_MIN <= value <= INT64_MAX
        )
    raise ValueError(kind)


def check_types(body: dict[str, Any], types: dict[str, str]) -> None:
    """Stage 1: the first known key (body order) with a wrong JSON type."""
    for key, value in body.items():
        kind = types.get(key)
        if kind is not None and value is not None and not has_type(value, kind):
            raise wrong_type(key)


def unknown_keys(body: dict[str, Any], known: Iterable[str]) -> list[FieldError]:
    """VAL-8: one ``unknown_field`` per undeclared key, sorted by key."""
    allowed = set(known)
    return [
        FieldError(key, "unknown_field", f'unknown field "{key}" in request body')
        for key in sorted(body)
        if key not in allowed
    ]


def raise_if(errors: list[FieldError]) -> None:
    if errors:
        raise validation(errors)


def null_violations(
    body: dict[str, Any], fields: Iterable[str], message: str
) -> list[FieldError]:
    """VAL-7: explicit nulls on the listed keys, in the listed order."""
    return [
        FieldError(f, "invalid_value", f"{f} {message}")
        for f in fields
        if f in body and body[f] is None
    ]


# --- timestamps ----------------------------------------------------------------


def timestamp_error(field: str, value: Any) -> FieldError | None:
    """DATE-2 and DATE-5 for one inbound value (not None)."""
    parsed = timeutil.parse_rfc3339(value) if isinstance(value, str) else None
    if parsed is None:
        return FieldError(
            field, "invalid_value", f"{field} must be an RFC 3339 timestamp"
        )
    if parsed in SENTINELS:
        return FieldError(
            field,
            "invalid_value",
            f"{field} must not be a default-value sentinel ({value}); "
            + SENTINEL_ADVICE,
        )
    return None


def decode_timestamps(body: dict[str, Any], fields: Iterable[str]) -> dict[str, Any]:
    """Stage 4: the instants of the timestamp keys present (None stays None).

    Decoding stops at the first bad value in body order (DATE-2: one entry).
    """
    wanted = set(fields)
    out: dict[str, Any] = {}
    for key, value in body.items():
        if key not in wanted:
            continue
        if value is None:
            out[key] = None
            continue
        problem = timestamp_error(key, value)
        if problem is not None:
            raise validation([problem])
        out[key] = timeutil.parse_rfc3339(value)
    return out


# --- field rules ---------------------------------------------------------------


def text_errors(
    field: str, value: str, max_length: int, min_length: int = 1
) -> list[FieldError]:
    """Lengths and VAL-9's control characters for a free-text value."""
    errors: list[FieldError] = []
    if len(value) < min_length:
        errors.append(
            FieldError(
                field,
                "too_short",
                f"{field} must be at least {min_length} character(s)",
                {"min_length": min_length},
            )
        )
    elif len(value) > max_length:
        errors.append(
            FieldError(
                field,
                "too_long",
                f"{field} must be at most {max_length} characters",
                {"max_length": max_length},
            )
        )
    if has_control(value):
        errors.append(FieldError(field, "invalid_value", control_message(field)))
    return errors


def has_control(value: str) -> bool:
    """VAL-9: a C0 control other than TAB, LF, CR, or DEL."""
    return _CONTROL.search(value) is not None


def control_message(field: str) -> str:
    return f"{field} must not contain control characters (NUL, etc.)"


def pattern_message(field: str) -> str:
    return (
        f"{field} must match ^[A-Za-z0-9-]+$ (alphanumerics and hyphens only — "
        "underscore, period, whitespace, slash, and colon are reserved)"
    )


def external_key_errors(field: str, value: str) -> list[FieldError]:
    """EK-1/EK-5: length first, then the pattern; one entry at most."""
    if value == "":
        return [
            FieldError(
                field,
                "too_short",
                f"{field} must be at least 1 character(s)",
                {"min_length": 1},
            )
        ]
    if len(value) > 255:
        return [
            FieldError(
                field,
                "too_long",
                f"{field} must be at most 255 characters",
                {"max_length": 255},
            )
        ]
    if not _EK.fullmatch(value):
        return [
            FieldError(
                field, "invalid_value", pattern_message(field), {"pattern": EK_PATTERN}
            )
        ]
    return []


def is_external_key(value: str) -> bool:
    return 1 <= len(value) <= 255 and _EK.fullmatch(value) is not None


def body_id_errors(field: str, value: int) -> list[FieldError]:
    """ID-5 range rules for an id in a body (messages use ``>=``/``<=``)."""
    if value < 1:
        return [FieldError(field, "too_small", f"{field} must be >= 1", {"min": 1})]
    if value > INT32_MAX:
        return [
            FieldError(
                field,
                "too_large",
                f"{field} must be <= {INT32_MAX}",
                {"max": INT32_MAX},
            )
        ]
    return []


def metadata_errors(value: Any) -> list[FieldError]:
    if isinstance(value, dict):
        return []
    return [FieldError("metadata", "invalid_value", "metadata must be a JSON object")]


def tag_type_errors(value: str) -> list[FieldError]:
    if value in TAG_TYPES:
        return []
    return [
        FieldError(
            "tag_type",
            "invalid_value",
            "tag_type must be one of: rfid, ble, barcode",
            {"allowed_values": list(TAG_TYPES)},
        )
    ]


def ambiguous(first: str, second: str, message: str) -> ApiError:
    return validation(
        [
            FieldError(first, "ambiguous_fields", message),
            FieldError(second, "ambiguous_fields", message),
        ]
    )


# --- tag requests (TAG-2/3/5, ASSET-4 `tags`) -------------------------------------

TAG_KEYS = ("tag_type", "value")
TAG_TYPES_OF_KEYS = {"tag_type": STRING, "value": STRING}


def check_tag_item_types(items: list[Any]) -> None:
    """Stage 1 for ``tags[]``: every item an object, inner keys typed."""
    for item in items:
        if not isinstance(item, dict):
            raise wrong_type("tags")
        check_types(item, TAG_TYPES_OF_KEYS)


def tag_item_unknown_keys(items: list[dict[str, Any]]) -> list[FieldError]:
    errors: list[FieldError] = []
    for item in items:
        errors.extend(unknown_keys(item, TAG_KEYS))
    return errors


def tag_request_errors(item: dict[str, Any]) -> list[FieldError]:
    """TAG-2/3 for one tag request (types already checked)."""
    errors: list[FieldError] = []
    tag_type = item.get("tag_type")
    if tag_type is not None:
        errors.extend(tag_type_errors(tag_type))
    value = item.get("value")
    if value is None:
        errors.append(FieldError("value", "required", "value is required"))
    else:
        errors.extend(text_errors("value", value, 255))
    return errors


def tag_request(item: dict[str, Any]) -> tuple[str, str]:
    """The ``(tag_type, value)`` of a valid tag request; absent type → rfid."""
    return item.get("tag_type") or "rfid", item["value"]


# --- path ids (ID-3) -------------------------------------------------------------

_INTEGER = re.compile(r"([+-]?)0*([0-9]+)")
# More significant digits than any int64 has (19); such a value is outside
# every range checked here, and int() refuses strings over 4300 digits.
_INT64_DIGITS = 19
_OUT_OF_RANGE = 2**64


def parse_integer(text: str) -> int | None:
    """``text`` as a base-10 integer with an optional sign, or None.

    A value with more digits than an int64 comes back as ±2**64, which fails
    every range check as the exact value would, at any length.
    """
    match = _INTEGER.fullmatch(text)
    if match is None:
        return None
    sign, digits = match.groups()
    value = int(digits) if len(digits) <= _INT64_DIGITS else _OUT_OF_RANGE
    return -value if sign == "-" else value


def path_id(name: str, text: str) -> int:
    """A path parameter as an id, or ID-3's validation error."""
    value = parse_integer(text)
    if value is None or not INT64_MIN <= value <= INT64_MAX:
        raise validation(
            [FieldError(name, "invalid_value", f"{name} must be an integer")]
        )
    if value < 1:
        raise validation(
            [FieldError(name, "too_small", f"{name} must be ≥ 1", {"min": 1})]
        )
    if value > INT32_MAX:
        raise validation(
            [
                FieldError(
                    name,
                    "too_large",
                    f"{name} must be ≤ {INT32_MAX}",
                    {"max": INT32_MAX},
                )
            ]
        )
    return value


# --- read-only comparison (PATCH-4/5) ----------------------------------------------


def same_number(sent: Any, current: int | None) -> bool:
    """An id matches only as a JSON integer: ``3.0`` and ``true`` are other
    types (VAL-3), so they differ from 3 as a string would (PATCH-5)."""
    if sent is None or current is None:
        return sent is None and current is None
    return isinstance(sent, int) and not isinstance(sent, bool) and sent == current


def same_string(sent: Any, current: str | None) -> bool:
    if sent is None or current is None:
        return sent is None and current is None
    return isinstance(sent, str) and sent == current


def same_instant(sent: Any, current: datetime | None) -> bool:
    """Timestamps match at millisecond precision, any RFC 3339 spelling."""
    if sent is None or current is None:
        return sent is None and current is None
    if not isinstance(sent, str):
        return False
    parsed = timeutil.parse_rfc3339(sent)
    if parsed is None:
        return False
    return timeutil.truncate_ms(parsed) == timeutil.truncate_ms(current)


def same_json(a: Any, b: Any) -> bool:
    """Equality of JSON values that tells ``true`` from ``1`` and ``1`` from ``1.0``."""
    return canonical(a) == canonical(b)


def canonical(value: Any) -> str:
    return json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(",", ":"))


def same_tags(sent: Any, current: list[dict[str, Any]]) -> bool:
    """``tags`` match: same {id, tag_type, value} objects in GET order."""
    if not isinstance(sent, list) or len(sent) != len(current):
        return False
    for item, tag in zip(sent, current, strict=True):
        if not isinstance(item, dict) or set(item) != {"id", "tag_type", "value"}:
            return False
        if not same_number(item["id"], tag["id"]):
            return False
        if not same_string(item["tag_type"], tag["tag_type"]):
            return False
        if not same_string(item["value"], tag["value"]):
            return False
    return True


def read_only_errors(
    body: dict[str, Any], view: dict[str, Any], messages: dict[str, str]
) -> list[FieldError]:
    """PATCH-4/5/6: every read-only key whose value differs, in contract order."""
    errors: list[FieldError] = []
    for key, message in messages.items():
        if key not in body:
            continue
        sent = body[key]
        if key in ("id", "location_id"):
            same = same_number(sent, view[key])
        elif key in ("external_key", "location_external_key"):
            same = same_string(sent, view[key])
        elif key == "tags":
            same = same_tags(sent, view["tags"])
        else:
            current = view[key]
            same = same_instant(
                sent, None if current is None else timeutil.parse_rfc3339(current)
            )
        if not same:
            errors.append(FieldError(key, "read_only", message))
    return errors


def read_only_messages(resource: str) -> dict[str, str]:
    """PATCH-4's messages (``{asset_id}`` etc. are literal), in PATCH-6 order."""
    plural = f"{resource}s"
    param = f"{{{resource}_id}}"
    messages = {
        "id": "id is server-assigned and immutable; submit the resource's current id "
        "or omit the field",
        "created_at": "created_at is server-managed and immutable; submit the "
        "resource's current created_at or omit the field",
        "updated_at": "updated_at is server-managed; PATCH advances it implicitly. "
        "Submit the resource's current updated_at or omit the field",
        "deleted_at": f"deleted_at is server-managed; use DELETE /api/v1/{plural}/"
        f"{param} to soft-delete. Submit the resource's current deleted_at or "
        "omit the field",
        "tags": f"tags are managed via POST /api/v1/{plural}/{param}/tags and "
        f"DELETE /api/v1/{plural}/{param}/tags/{{tag_id}}",
        "external_key": "external_key is immutable via PATCH; use POST "
        f"/api/v1/{plural}/{param}/rename to change it",
    }
    if resource == "asset":
        moved = (
            "asset location is derived from scan events and not directly settable; "
            "record a scan event to update asset location"
        )
        messages["location_id"] = moved
        messages["location_external_key"] = moved
    return messages


# --- whole bodies: the stage orders of ASSET-4, LOC-3, PATCH-9, EK-7, TAG-5 -------

# Each resource's reference pair: (id form, key form).
PAIRS = {
    "asset": ("location_id", "location_external_key"),
    "location": ("parent_id", "parent_external_key"),
}


@dataclass
class Draft:
    """A create body that passed every stateless stage."""

    name: str
    external_key: str | None  # None = mint one (EK-4)
    description: str | None = None
    metadata: dict[str, Any] = field(default_factory=dict)
    is_active: bool = True
    valid_from: datetime | None = None  # None = the creation instant
    valid_to: datetime | None = None
    # the reference pair: ("location_id", 5), ("parent_external_key", "WH"), or None
    reference: tuple[str, Any] | None = None
    tags: list[tuple[str, str]] = field(default_factory=list)


def _create_types(kind: str) -> dict[str, str]:
    id_form, key_form = PAIRS[kind]
    return {
        "name": STRING,
        "external_key": STRING,
        "description": STRING,
        id_form: INTEGER,
        key_form: STRING,
        "is_active": BOOLEAN,
        "tags": ARRAY,
    }


def _create_keys(kind: str) -> tuple[str, ...]:
    id_form, key_form = PAIRS[kind]
    keys = ("name", "external_key", "description", id_form, key_form)
    if kind == "asset":
        keys += ("metadata",)
    return keys + ("is_active", "valid_from", "valid_to", "tags")


def _reference_errors(id_form: str, key_form: str, body: dict[str, Any]) -> list:
    errors: list[FieldError] = []
    if body.get(id_form) is not None:
        errors += body_id_errors(id_form, body[id_form])
    if body.get(key_form) is not None:
        errors += external_key_errors(key_form, body[key_form])
    return errors


def parse_create(body: dict[str, Any], kind: str) -> Draft:
    """ASSET-4 / LOC-3 stages up to (not including) reference resolution."""
    id_form, key_form = PAIRS[kind]
    check_types(body, _create_types(kind))
    items = body.get("tags") or []
    check_tag_item_types(items)

    raise_if(unknown_keys(body, _create_keys(kind)) + tag_item_unknown_keys(items))

    defaults = ("metadata", "is_active", "valid_from")
    raise_if(
        null_violations(
            body, ("name", "external_key"), "cannot be null; provide a string value"
        )
        + null_violations(
            body,
            [f for f in defaults if kind == "asset" or f != "metadata"],
            "cannot be null; omit the field to use the server default, "
            "or provide a value",
        )
    )

    stamps = decode_timestamps(body, ("valid_from", "valid_to"))

    # EK-5: an explicit key is judged alone, before the other fields.
    if "external_key" in body:
        raise_if(external_key_errors("external_key", body["external_key"]))

    if id_form in body and key_form in body:
        raise ambiguous(
            id_form,
            key_form,
            f"{id_form} and {key_form} are mutually exclusive; supply exactly one",
        )

    errors: list[FieldError] = []
    if "name" not in body:
        errors.append(FieldError("name", "required", "name is required"))
    else:
        errors += text_errors("name", body["name"], 255)
    if body.get("description") is not None:
        errors += text_errors("description", body["description"], 1024)
    errors += _reference_errors(id_form, key_form, body)
    if "metadata" in body:
        errors += metadata_errors(body["metadata"])
    for item in items:
        errors += tag_request_errors(item)
    raise_if(errors)

    reference = None
    for form in (id_form, key_form):
        if body.get(form) is not None:
            reference = (form, body[form])
    return Draft(
        name=body["name"],
        external_key=body.get("external_key"),
        description=body.get("description"),
        metadata=body.get("metadata", {}),
        is_active=body.get("is_active", True),
        valid_from=stamps.get("valid_from"),
        valid_to=stamps.get("valid_to"),
        reference=reference,
        tags=[tag_request(item) for item in items],
    )


def not_found_reference(form: str, value: Any) -> ApiError:
    """ASSET-5 / LOC-4 ``fk_not_found`` on the key that was sent."""
    shown = f'"{value}"' if isinstance(value, str) else str(value)
    return validation([FieldError(form, "fk_not_found", f"{form} {shown} not found")])


# PATCH ---------------------------------------------------------------------------

WRITABLE = {
    "asset": ("name", "description", "is_active", "valid_from", "valid_to", "metadata"),
    "location": (
        "name",
        "description",
        "is_active",
        "valid_from",
        "valid_to",
        "parent_id",
        "parent_external_key",
    ),
}
PATCH_NOT_NULL = {
    "asset": ("name", "valid_from", "is_active", "metadata"),
    "location": ("name", "valid_from", "is_active"),
}
# A sentinel for "make it a root" in a location patch.
ROOT = "root"


@dataclass
class Patch:
    """A PATCH body after every stage that needs no database.

    ``changes`` holds the writable fields that were sent, decoded.
    ``parent`` is None (untouched), ``ROOT``, or ``(form, value)`` to resolve.
    """

    changes: dict[str, Any]
    parent: Any = None


def parse_patch(
    body: dict[str, Any],
    kind: str,
    view: dict[str, Any],
    find_parent: Callable[[str], int | None] | None = None,
) -> Patch:
    """PATCH-9 stages up to (not including) reference resolution.

    ``find_parent`` looks a live location up by key; LOC-6 needs it when both
    parent forms are sent.
    """
    writable = WRITABLE[kind]
    messages = read_only_messages(kind)
    types = {"name": STRING, "description": STRING, "is_active": BOOLEAN}
    if kind == "location":
        types.update(parent_id=INTEGER, parent_external_key=STRING)
    check_types(body, types)

    raise_if(unknown_keys(body, writable + tuple(messages)))
    raise_if(
        null_violations(
            body,
            PATCH_NOT_NULL[kind],
            "cannot be null; omit the field to leave unchanged, or provide a value",
        )
    )
    stamps = decode_timestamps(body, ("valid_from", "valid_to"))
    raise_if(read_only_errors(body, view, messages))

    patch = Patch(changes={})
    if kind == "location":
        patch.parent = _parent_pair(body, find_parent)

    errors: list[FieldError] = []
    if "name" in body:
        errors += text_errors("name", body["name"], 255)
    if body.get("description") is not None:
        errors += text_errors("description", body["description"], 1024)
    if kind == "location":
        errors += _reference_errors("parent_id", "parent_external_key", body)
    if "metadata" in body:
        errors += metadata_errors(body["metadata"])
    raise_if(errors)

    for key in ("name", "description", "is_active", "metadata"):
        if key in body:
            patch.changes[key] = body[key]
    patch.changes.update(stamps)
    return patch


def _parent_pair(
    body: dict[str, Any], find_parent: Callable[[str], int | None] | None
) -> Any:
    """LOC-6: what the parent keys ask for."""
    has_id, has_key = "parent_id" in body, "parent_external_key" in body
    if not has_id and not has_key:
        return None
    if has_id and has_key:
        parent_id, key = body["parent_id"], body["parent_external_key"]
        if parent_id is None and key is None:
            return ROOT
        if parent_id is None or key is None:
            raise ambiguous(
                "parent_id",
                "parent_external_key",
                "parent_id and parent_external_key are mutually exclusive when one "
                "is null and the other is set; supply exactly one",
            )
        # Both set: they must name the same live location (a verbatim GET
        # echoes both); an unknown key is reported as such first.
        found = find_parent(key) if find_parent is not None else None
        if found is None:
            raise not_found_reference("parent_external_key", key)
        if not same_number(parent_id, found):
            raise disagreeing_parents()
        return ("parent_id", found)
    form = "parent_id" if has_id else "parent_external_key"
    return ROOT if body[form] is None else (form, body[form])


def disagreeing_parents() -> ApiError:
    return ambiguous(
        "parent_id",
        "parent_external_key",
        "parent_id and parent_external_key both supplied and disagree; supply "
        "exactly one or supply consistent values",
    )


# rename and tag bodies ------------------------------------------------------------


def parse_rename(body: dict[str, Any]) -> str:
    """EK-7: the new key, or the contract's errors."""
    check_types(body, {"external_key": STRING})
    raise_if(unknown_keys(body, ("external_key",)))
    if body.get("external_key") is None:
        raise validation(
            [FieldError("external_key", "required", "external_key is required")]
        )
    raise_if(external_key_errors("external_key", body["external_key"]))
    return body["external_key"]


def parse_tag(body: dict[str, Any]) -> tuple[str, str]:
    """TAG-5 body: ``(tag_type, value)``."""
    check_types(body, TAG_TYPES_OF_KEYS)
    raise_if(unknown_keys(body, TAG_KEYS))
    raise_if(tag_request_errors(body))
    return tag_request(body)
