"""Bulk asset import from CSV (INT-101); the column layout is in
docs/bulk-import.md.

Usage::

    job = await db.write(create_job, org_id, user_id, filename, csv_text)
    await db.write(run_job, job_id)      # later, in the background
    view = await db.read(job_view, org_id, job_id)

A job is all-or-nothing: every row is checked first, and assets and tags are
inserted only when no row has an error. The job row (with the uploaded text)
lives in the database, so its state survives a restart; a job a crash
interrupted is marked failed at the next start (``fail_interrupted``).
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from trakrf_server import timeutil
from trakrf_server.errors import bad_request, not_found
from trakrf_server.models import Asset, ImportJob, Location, Tag
from trakrf_server.services.lookup import lookup_value
from trakrf_server.timeutil import format_ts

MAX_BYTES = 5 * 1024 * 1024
MAX_ROWS = 1000
COLUMNS = (
    "external_key",
    "name",
    "description",
    "location_external_key",
    "is_active",
    "valid_from",
    "valid_to",
    "tags",
)
REQUIRED_COLUMNS = ("external_key", "name")
TAG_TYPES = ("rfid", "ble", "barcode")
JOB_NOT_FOUND = "Job not found or does not belong to your org"
INTERRUPTED = "the server stopped while this job was running; upload the file again"

_EXTERNAL_KEY = re.compile(r"^[A-Za-z0-9-]+$")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


@dataclass
class Row:
    """One data row, checked; ``line`` is its line number in the file."""

    line: int
    external_key: str = ""
    name: str = ""
    description: str | None = None
    location_key: str | None = None
    is_active: bool = True
    valid_from: datetime | None = None
    valid_to: datetime | None = None
    tags: list[tuple[str, str]] = field(default_factory=list)


# --- upload ---------------------------------------------------------------------


def read_upload(raw: bytes) -> list[dict[str, str]]:
    """The data rows of an uploaded file, or ``bad_request`` naming the problem.

    Checks only what makes the file unusable as a whole: encoding, header,
    row count. Per-row rules run in the job.
    """
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise bad_request("CSV file must be UTF-8 encoded") from None
    reader = csv.DictReader(io.StringIO(text, newline=""), strict=True)
    try:
        header = [h.strip() for h in (reader.fieldnames or [])]
        rows = list(reader)
    except csv.Error as exc:
        raise bad_request(f"CSV file could not be parsed: {exc}") from None
    if not header:
        raise bad_request("CSV file is empty")
    unknown = [h for h in header if h not in COLUMNS]
    if unknown:
        raise bad_request(f"unknown CSV column(s): {', '.join(unknown)}")
    missing = [c for c in REQUIRED_COLUMNS if c not in header]
    if missing:
        raise bad_request(f"CSV file needs the column(s): {', '.join(missing)}")
    if len(set(header)) != len(header):
        raise bad_request("CSV header repeats a column")
    if not rows:
        raise bad_request("CSV file has no data rows")
    if len(rows) > MAX_ROWS:
        raise bad_request(f"CSV file has more than {MAX_ROWS} data rows")
    return rows


def create_job(org_id: int, user_id: int | None, filename: str, text: str) -> int:
    """A pending job holding the upload; returns its id. Runs on the writer."""
    rows = read_upload(text.encode("utf-8"))
    job = ImportJob.create(
        org=org_id,
        created_by=user_id,
        status="pending",
        filename=filename[:255] or None,
        payload=text,
        total_rows=len(rows),
        created_at=timeutil.now(),
    )
    return job.id


def fail_interrupted() -> int:
    """Mark jobs left pending or processing by a stopped server as failed."""
    return (
        ImportJob.update(
            status="failed",
            payload=None,
            errors=[{"row": 0, "error": INTERRUPTED}],
            completed_at=timeutil.now(),
        )
        .where(ImportJob.status.in_(["pending", "processing"]))
        .execute()
    )


def fail_job(job_id: int) -> None:
    """A job that broke unexpectedly: failed, nothing of it kept."""
    ImportJob.update(
        status="failed",
        payload=None,
        errors=[{"row": 0, "error": "the import could not be completed"}],
        completed_at=timeutil.now(),
    ).where(ImportJob.id == job_id).execute()


def mark_processing(job_id: int) -> None:
    ImportJob.update(status="processing").where(ImportJob.id == job_id).execute()


# --- the job ----------------------------------------------------------------------


def run_job(job_id: int) -> None:
    """Check every row, then create everything or nothing. Runs on the writer."""
    job = ImportJob.get_by_id(job_id)
    raw_rows = read_upload(job.payload.encode("utf-8"))
    errors: list[dict[str, Any]] = []
    rows = [_check_row(raw, n + 2, errors) for n, raw in enumerate(raw_rows)]
    locations = _resolve(job.org_id, rows, errors)

    stamp = timeutil.now()
    done = {
        ImportJob.processed_rows: len(rows),
        ImportJob.completed_at: stamp,
        ImportJob.payload: None,
    }
    if errors:
        failed = len({e["row"] for e in errors})
        done.update(
            {
                ImportJob.status: "failed",
                ImportJob.failed_rows: failed,
                ImportJob.successful_rows: 0,
                ImportJob.tags_created: 0,
                ImportJob.errors: errors,
            }
        )
    else:
        tags = _create(job.org_id, rows, locations, stamp)
        done.update(
            {
                ImportJob.status: "completed",
                ImportJob.failed_rows: 0,
                ImportJob.successful_rows: len(rows),
                ImportJob.tags_created: tags,
            }
        )
    ImportJob.update(done).where(ImportJob.id == job_id).execute()


def _check_row(raw: dict[str, str], line: int, errors: list[dict]) -> Row:
    row = Row(line)

    def fail(column: str, message: str) -> None:
        errors.append({"row": line, "field": column, "error": message})

    def cell(column: str) -> str:
        return (raw.get(column) or "").strip()

    if None in raw:
        fail("", "row has more cells than the header")

    row.external_key = cell("external_key")
    if not row.external_key:
        fail("external_key", "external_key is required")
    elif len(row.external_key) > 255:
        fail("external_key", "external_key must be at most 255 characters")
    elif not _EXTERNAL_KEY.match(row.external_key):
        fail("external_key", "external_key must match ^[A-Za-z0-9-]+$")

    row.name = cell("name")
    if not row.name:
        fail("name", "name is required")
    elif len(row.name) > 255:
        fail("name", "name must be at most 255 characters")
    elif _CONTROL.search(row.name):
        fail("name", "name must not contain control characters (NUL, etc.)")

    row.description = cell("description") or None
    if row.description and len(row.description) > 1024:
        fail("description", "description must be at most 1024 characters")

    row.location_key = cell("location_external_key") or None
    if row.location_key and not _EXTERNAL_KEY.match(row.location_key):
        fail(
            "location_external_key", "location_external_key must match ^[A-Za-z0-9-]+$"
        )

    active = cell("is_active").lower()
    if active not in ("", "true", "false"):
        fail("is_active", "is_active must be true or false")
    row.is_active = active != "false"

    for column in ("valid_from", "valid_to"):
        text = cell(column)
        if text:
            value = timeutil.parse_rfc3339(text)
            if value is None:
                fail(column, f"{column} must be an RFC 3339 timestamp")
            setattr(row, column, value)

    for entry in cell("tags").split(";"):
        entry = entry.strip()
        if not entry:
            continue
        kind, sep, value = entry.partition(":")
        if not sep or kind not in TAG_TYPES:
            kind, value = "rfid", entry
        if len(value) > 255 or _CONTROL.search(value) or not value:
            fail("tags", f"tag value {value!r} must be 1-255 characters")
            continue
        row.tags.append((kind, value))
    return row


def _resolve(org_id: int, rows: list[Row], errors: list[dict]) -> dict[str, int]:
    """Cross-row and database checks; returns location key → id."""
    keys = [r.external_key for r in rows if r.external_key]
    live = Asset.select(Asset.external_key).where(
        (Asset.org == org_id)
        & Asset.external_key.in_(keys)
        & Asset.deleted_at.is_null()
    )
    taken = {key for (key,) in live.tuples()}

    wanted = sorted({r.location_key for r in rows if r.location_key})
    locations = dict(
        Location.select(Location.external_key, Location.id)
        .where(
            (Location.org == org_id)
            & Location.external_key.in_(wanted)
            & Location.deleted_at.is_null()
        )
        .tuples()
    )

    seen_keys: set[str] = set()
    seen_tags: set[tuple[str, str]] = set()
    for row in rows:

        def fail(column: str, message: str, line: int = row.line) -> None:
            errors.append({"row": line, "field": column, "error": message})

        key = row.external_key
        if key in taken:
            fail("external_key", f"asset with external_key {key} already exists")
        elif key and key in seen_keys:
            fail("external_key", f"external_key {key} repeats an earlier row")
        seen_keys.add(key)
        if row.location_key and row.location_key not in locations:
            fail(
                "location_external_key",
                f'location_external_key "{row.location_key}" not found',
            )
        for kind, value in row.tags:
            if (kind, value) in seen_tags or _tag_taken(org_id, kind, value):
                fail("tags", f"tag {kind}:{value} already exists")
            seen_tags.add((kind, value))
    return locations


def _tag_taken(org_id: int, kind: str, value: str) -> bool:
    return (
        Tag.select()
        .where(
            (Tag.org == org_id)
            & (Tag.tag_type == kind)
            & (Tag.value == value)
            & Tag.deleted_at.is_null()
        )
        .exists()
    )


def _create(
    org_id: int, rows: list[Row], locations: dict[str, int], stamp: datetime
) -> int:
    """Insert the assets (placed at their location) and their tags."""
    created = 0
    for row in rows:
        location = locations.get(row.location_key) if row.location_key else None
        asset = Asset.create(
            org=org_id,
            external_key=row.external_key,
            name=row.name,
            description=row.description,
            metadata={},
            is_active=row.is_active,
            valid_from=row.valid_from or stamp,
            valid_to=row.valid_to,
            created_at=stamp,
            updated_at=stamp,
            initial_location=location,
            location=location,
        )
        for kind, value in row.tags:
            Tag.create(
                org=org_id,
                tag_type=kind,
                value=value,
                lookup_value=lookup_value(value),
                asset=asset.id,
                created_at=stamp,
            )
            created += 1
    return created


# --- status ---------------------------------------------------------------------


def job_view(org_id: int, job_id: int) -> dict[str, Any]:
    """INT-101's status object (not enveloped)."""
    job = ImportJob.get_or_none((ImportJob.id == job_id) & (ImportJob.org == org_id))
    if job is None:
        raise not_found(JOB_NOT_FOUND)
    view: dict[str, Any] = {
        "job_id": str(job.id),
        "status": job.status,
        "total_rows": job.total_rows,
        "processed_rows": job.processed_rows,
        "failed_rows": job.failed_rows,
        "created_at": format_ts(job.created_at),
    }
    if job.successful_rows is not None:
        view["successful_rows"] = job.successful_rows
    if job.tags_created is not None:
        view["tags_created"] = job.tags_created
    if job.completed_at is not None:
        view["completed_at"] = format_ts(job.completed_at)
    if job.errors:
        view["errors"] = job.errors
    return view
