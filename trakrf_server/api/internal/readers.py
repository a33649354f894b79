"""Fixed readers (SCAN-3, this server's extension; see docs/reader-ingest.md).

Managing readers is for a manager or admin of the org in the web app
(session). Pushing reads is for the reader itself, with an API key holding
the internal scope ``scans:write``.
"""

from __future__ import annotations

from typing import Any

from trakrf_server import timeutil
from trakrf_server.api.base import ApiHandler
from trakrf_server.api.internal import fields
from trakrf_server.errors import FieldError, validation
from trakrf_server.services import listing, readers
from trakrf_server.services.validation import (
    SENTINELS,
    TAG_TYPES,
    body_id_errors,
    path_id,
)

MAX_READS = 1000
MAX_ANTENNA = 65535
READ_KEYS = {"epc", "value", "tag_type", "antenna", "rssi", "seen_at"}
BATCH_KEYS = {"batch_id", "reads"}
AHEAD_MINUTES = int(timeutil.MAX_AHEAD.total_seconds() // 60)


class _ManageHandler(ApiHandler):
    auth = "session"
    # Managers and admins (INT-10 "create / edit / delete" row).
    scopes = {m: "locations:write" for m in ("GET", "POST", "PUT", "DELETE")}


class ReadersHandler(_ManageHandler):
    """``GET/POST /api/v1/readers``"""

    methods = ("GET", "POST")
    own_query = ("GET",)

    async def get(self) -> None:
        query = listing.parse(listing.PAGE_ONLY, self.query)
        rows, total = await self.db.read(
            readers.list_readers, self.org_id, query.limit, query.offset
        )
        self.send_list(rows, query.limit, query.offset, total)

    async def post(self) -> None:
        body = self.body_object()
        problems: list[FieldError] = []
        name = fields.required(body, "name", problems)
        if name is not None:
            name = fields.text(name, "name", problems)
        description = body.get("description")
        if description is not None:
            description = fields.text(description, "description", problems, 1024)
        if problems:
            raise validation(problems)
        view = await self.db.write(
            readers.register_reader, self.org_id, name, description
        )
        self.send_data(view, status=201, location=f"/api/v1/readers/{view['id']}")


class ReaderHandler(_ManageHandler):
    """``GET/DELETE /api/v1/readers/{reader_id}``"""

    methods = ("GET", "DELETE")

    async def get(self, raw_id: str) -> None:
        reader_id = path_id("reader_id", raw_id)
        view = await self.db.read(readers.get_reader, self.org_id, reader_id)
        self.send_data(view)

    async def delete(self, raw_id: str) -> None:
        reader_id = path_id("reader_id", raw_id)
        await self.db.write(readers.retire_reader, self.org_id, reader_id)
        self.send_no_content()


class AntennaHandler(_ManageHandler):
    """``PUT/DELETE /api/v1/readers/{reader_id}/antennas/{antenna}``"""

    methods = ("PUT", "DELETE")

    def _ids(self, raw_id: str, raw_antenna: str) -> tuple[int, int]:
        reader_id = path_id("reader_id", raw_id)
        antenna = path_id("antenna", raw_antenna)
        if antenna > MAX_ANTENNA:
            raise validation(
                [
                    FieldError(
                        "antenna",
                        "too_large",
                        f"antenna must be ≤ {MAX_ANTENNA}",
                        {"max": MAX_ANTENNA},
                    )
                ]
            )
        return reader_id, antenna

    async def put(self, raw_id: str, raw_antenna: str) -> None:
        reader_id, antenna = self._ids(raw_id, raw_antenna)
        body = self.body_object()
        location_id = body.get("location_id")
        location_key = body.get("location_external_key")
        if location_id is not None and location_key is not None:
            message = (
                "location_id and location_external_key are mutually exclusive; "
                "supply exactly one"
            )
            raise validation(
                [
                    FieldError("location_id", "ambiguous_fields", message),
                    FieldError("location_external_key", "ambiguous_fields", message),
                ]
            )
        if location_id is None and location_key is None:
            raise validation(
                [FieldError("location_id", "required", "location_id is required")]
            )
        problems: list[FieldError] = []
        if location_id is not None:
            fields.integer(location_id, "location_id")
            problems += body_id_errors("location_id", location_id)
        else:
            location_key = fields.text(location_key, "location_external_key", problems)
        if problems:
            raise validation(problems)

        view = await self.db.write(
            readers.map_antenna,
            self.org_id,
            reader_id,
            antenna,
            location_id,
            location_key,
        )
        self.send_data(view)

    async def delete(self, raw_id: str, raw_antenna: str) -> None:
        reader_id, antenna = self._ids(raw_id, raw_antenna)
        await self.db.write(readers.unmap_antenna, self.org_id, reader_id, antenna)
        self.send_no_content()


class UnknownTagsHandler(_ManageHandler):
    """``GET /api/v1/unknown-tags``: tags seen by readers, not yet registered."""

    methods = ("GET",)
    own_query = ("GET",)

    async def get(self) -> None:
        query = listing.parse(listing.PAGE_ONLY, self.query)
        rows, total = await self.db.read(
            readers.unknown_tags, self.org_id, query.limit, query.offset
        )
        self.send_list(rows, query.limit, query.offset, total)


class ReaderReadsHandler(ApiHandler):
    """``POST /api/v1/readers/{reader_id}/reads``: a reader pushes a batch."""

    methods = ("POST",)
    auth = "key"
    scopes = {"POST": "scans:write"}

    async def post(self, raw_id: str) -> None:
        reader_id = path_id("reader_id", raw_id)
        batch_id, reads = parse_batch(self.body_object())
        result = await self.db.write(
            readers.ingest, self.org_id, reader_id, batch_id, reads
        )
        self.send_data(result)


# --- the pushed batch ---------------------------------------------------------------


def parse_batch(body: dict[str, Any]) -> tuple[str, list[readers.Read]]:
    """The validated batch, or the 400 listing every problem.

    Wrong JSON types are ``bad_request`` (VAL-2); unknown keys are reported
    first and alone (VAL-8); then every value rule at once. Fields inside
    ``reads`` are named ``reads[i].key``.
    """
    unknown = [
        FieldError(k, "unknown_field", f'unknown field "{k}" in request body')
        for k in sorted(body)
        if k not in BATCH_KEYS
    ]
    raw_reads = body.get("reads")
    if isinstance(raw_reads, list):
        for i, item in enumerate(raw_reads):
            if not isinstance(item, dict):
                raise fields.wrong_type("reads")
            unknown += [
                FieldError(
                    f"reads[{i}].{k}",
                    "unknown_field",
                    f'unknown field "{k}" in request body',
                )
                for k in sorted(item)
                if k not in READ_KEYS
            ]
    if unknown:
        raise validation(unknown)

    problems: list[FieldError] = []
    batch_id = fields.required(body, "batch_id", problems)
    if batch_id is not None:
        batch_id = fields.text(batch_id, "batch_id", problems, max_length=128)
    reads = _reads(body, problems)
    if problems:
        raise validation(problems)
    return batch_id, reads


def _reads(body: dict[str, Any], problems: list[FieldError]) -> list[readers.Read]:
    raw = fields.required(body, "reads", problems)
    if raw is None:
        return []
    if not isinstance(raw, list):
        raise fields.wrong_type("reads")
    if not raw:
        problems.append(
            FieldError(
                "reads",
                "too_short",
                "reads must contain at least 1 item(s)",
                {"min_length": 1},
            )
        )
    if len(raw) > MAX_READS:
        problems.append(
            FieldError(
                "reads",
                "too_long",
                f"reads must be at most {MAX_READS} items",
                {"max_length": MAX_READS},
            )
        )
        return []
    parsed = [_read(item, f"reads[{i}]", problems) for i, item in enumerate(raw)]
    return [r for r in parsed if r is not None]


def _read(item: dict[str, Any], at: str, problems: list[FieldError]):
    before = len(problems)

    # The tag: "epc" (a reader's word) or "value" (the API's word), not both.
    epc, value = item.get("epc"), item.get("value")
    if epc is not None and value is not None:
        message = "epc and value are mutually exclusive; supply exactly one"
        problems.append(FieldError(f"{at}.epc", "ambiguous_fields", message))
        problems.append(FieldError(f"{at}.value", "ambiguous_fields", message))
    elif epc is None and value is None:
        problems.append(FieldError(f"{at}.epc", "required", f"{at}.epc is required"))
    else:
        name = f"{at}.epc" if epc is not None else f"{at}.value"
        value = fields.text(epc if epc is not None else value, name, problems)

    tag_type = item.get("tag_type")
    if tag_type is None:
        tag_type = "rfid"
    elif not isinstance(tag_type, str):
        raise fields.wrong_type(f"{at}.tag_type")
    if tag_type not in TAG_TYPES:
        problems.append(
            FieldError(
                f"{at}.tag_type",
                "invalid_value",
                f"{at}.tag_type must be one of: rfid, ble, barcode",
                {"allowed_values": list(TAG_TYPES)},
            )
        )

    antenna = item.get("antenna")
    if antenna is None:
        problems.append(
            FieldError(f"{at}.antenna", "required", f"{at}.antenna is required")
        )
    else:
        antenna = fields.integer(antenna, f"{at}.antenna")
        if antenna < 1:
            problems.append(
                FieldError(
                    f"{at}.antenna",
                    "too_small",
                    f"{at}.antenna must be >= 1",
                    {"min": 1},
                )
            )
        elif antenna > MAX_ANTENNA:
            problems.append(
                FieldError(
                    f"{at}.antenna",
                    "too_large",
                    f"{at}.antenna must be <= {MAX_ANTENNA}",
                    {"max": MAX_ANTENNA},
                )
            )

    rssi = item.get("rssi")
    if rssi is not None and (
        isinstance(rssi, bool) or not isinstance(rssi, int | float)
    ):
        raise fields.wrong_type(f"{at}.rssi")

    seen_at = _instant(item.get("seen_at"), f"{at}.seen_at", problems)
    if len(problems) > before:
        return None
    return readers.Read(tag_type, value, antenna, seen_at, rssi)


def _instant(raw: Any, name: str, problems: list[FieldError]):
    """DATE-2 timestamp; default-value sentinels rejected as in DATE-5."""
    if raw is None:
        problems.append(FieldError(name, "required", f"{name} is required"))
        return None
    value = timeutil.parse_rfc3339(raw) if isinstance(raw, str) else None
    if value is None:
        problems.append(
            FieldError(name, "invalid_value", f"{name} must be an RFC 3339 timestamp")
        )
        return None
    if value in SENTINELS:
        problems.append(
            FieldError(
                name,
                "invalid_value",
                f"{name} must not be a default-value sentinel ({raw})",
            )
        )
        return None
    if timeutil.too_far_ahead(value):
        problems.append(
            FieldError(
                name,
                "invalid_value",
                f"{name} is more than {AHEAD_MINUTES} minutes ahead of the "
                "server's clock; check the reader's clock",
            )
        )
        return None
    return value
