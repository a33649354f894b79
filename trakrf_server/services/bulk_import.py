"""Bulk asset import from CSV (INT-101); the column layout is in
docs/bulk-import.md.

Usage::

    job = await db.write(create_job, org_id, user_id, filename, csv_text)
    await db.write(run_job, job_id)      # later, in the background
    view = await db.read(job_view, org_id, job_id)

A job is all-or-nothing: every row is checked first, and assets and tags are
inserted only when no row has an error. The rules are those of ``POST
/assets``: each cell is checked with the ASSET-4/TAG field rules of
``services.validation``, references, keys and tags with the same functions as
``services.assets``, and every asset is created by
``assets.create_from_draft`` (an empty ``external_key`` is minted, EK-4).
Unlike the API, every problem of every row is reported, one entry each.

The job row (with the uploaded text) lives in the database, so its state
survives a restart; a job a crash interrupted is marked failed at the next
start (``fail_interrupted``).
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from trakrf_server import timeutil
from trakrf_server.errors import ApiError, FieldError, bad_request, not_found
from trakrf_server.models import Asset, ImportJob
from trakrf_server.services import assets, naturalkeys, tags, validation
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
JOB_NOT_FOUND = "Job not found or does not belong to your org"
INTERRUPTED = "the server stopped while this job was running; upload the file again"


@dataclass
class Row:
    """One data row as an asset draft; ``line`` is its line number in the file."""

    line: int
    draft: validation.Draft


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
        # Spaces around a column name (`name, tags`) are layout, not part of
        # the name: the rows are keyed by the same stripped names the header
        # checks use, so no column's cells are dropped unnoticed.
        header = [h.strip() for h in (reader.fieldnames or [])]
        reader.fieldnames = header
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
        created = _create(job.org_id, rows, locations, stamp)
        done.update(
            {
                ImportJob.status: "completed",
                ImportJob.failed_rows: 0,
                ImportJob.successful_rows: len(rows),
                ImportJob.tags_created: created,
            }
        )
    ImportJob.update(done).where(ImportJob.id == job_id).execute()


def _row_error(line: int, problem: FieldError) -> dict[str, Any]:
    """A field rule's problem as an entry of ``errors``, named by its column.

    Tag rules name ``value``/``tag_type``; in the file both are the ``tags``
    column, so their messages say "tag value". The API's messages speak of
    JSON where a file has cells: a pattern failure quotes the pattern without
    the note on reserved characters, and a sentinel timestamp is left out by
    an empty cell, not by JSON null.
    """
    column = problem.field
    message = problem.message
    if problem.field in validation.TAG_KEYS:
        column, message = "tags", f"tag {message}"
    if problem.params and "pattern" in problem.params:
        message = f"{column} must match {validation.EK_PATTERN}"
    message = message.replace(validation.SENTINEL_ADVICE, "leave the cell empty")
    if not column:
        # A problem of the row as a whole names no column (INT-101 "field"?).
        return {"row": line, "error": message}
    return {"row": line, "field": column, "error": message}


def _check_row(raw: dict[str, str], line: int, errors: list[dict]) -> Row:
    """The draft of one row; every stateless problem is appended to ``errors``."""
    problems: list[FieldError] = []

    def cell(column: str) -> str:
        return (raw.get(column) or "").strip()

    if None in raw:
        problems.append(
            FieldError("", "invalid_value", "row has more cells than the header")
        )

    # EK-4: an empty key is minted when the asset is created.
    key = cell("external_key") or None
    if key is not None:
        problems += validation.external_key_errors("external_key", key)

    name = cell("name")
    if not name:
        problems.append(FieldError("name", "required", "name is required"))
    else:
        problems += validation.text_errors("name", name, 255)

    description = cell("description") or None
    if description is not None:
        problems += validation.text_errors("description", description, 1024)

    location_key = cell("location_external_key") or None
    if location_key is not None:
        problems += validation.external_key_errors(
            "location_external_key", location_key
        )

    active = cell("is_active").lower()
    if active not in ("", "true", "false"):
        problems.append(
            FieldError("is_active", "invalid_value", "is_active must be true or false")
        )

    # DATE-2/5, as for the body fields of POST /assets.
    stamps: dict[str, datetime | None] = {}
    for column in ("valid_from", "valid_to"):
        text = cell(column)
        problem = validation.timestamp_error(column, text) if text else None
        if problem is not None:
            problems.append(problem)
        stamps[column] = timeutil.parse_rfc3339(text) if text else None

    pairs: list[tuple[str, str]] = []
    for entry in cell("tags").split(";"):
        entry = entry.strip()
        if not entry:
            continue
        kind, sep, value = entry.partition(":")
        if not sep or kind not in validation.TAG_TYPES:
            kind, value = "rfid", entry
        tag_problems = validation.tag_request_errors({"tag_type": kind, "value": value})
        problems += tag_problems
        if not tag_problems:
            pairs.append((kind, value))

    errors.extend(_row_error(line, p) for p in problems)
    draft = validation.Draft(
        name=name,
        external_key=key,
        description=description,
        is_active=active != "false",
        valid_from=stamps["valid_from"],
        valid_to=stamps["valid_to"],
        reference=("location_external_key", location_key) if location_key else None,
        tags=pairs,
    )
    return Row(line, draft)


def _resolve(org_id: int, rows: list[Row], errors: list[dict]) -> dict[str, int]:
    """The checks that need the database or other rows (ASSET-5, EK-3,
    ASSET-6), every one reported; returns location key → id."""
    locations: dict[str, int] = {}
    seen_keys: set[str] = set()
    seen_tags: set[tuple[str, str]] = set()
    for row in rows:
        draft = row.draft

        def fail(column: str, message: str, line: int = row.line) -> None:
            errors.append({"row": line, "field": column, "error": message})

        key = draft.external_key
        if key is not None and validation.is_external_key(key):
            if key in seen_keys:
                fail("external_key", f"external_key {key} repeats an earlier row")
            else:
                _collect(
                    fail,
                    "external_key",
                    naturalkeys.ensure_free,
                    Asset,
                    org_id,
                    key,
                    "asset",
                )
            seen_keys.add(key)

        if draft.reference is not None:
            form, location_key = draft.reference
            if location_key not in locations and validation.is_external_key(
                location_key
            ):
                found = _collect(
                    fail, form, assets.resolve_location, org_id, form, location_key
                )
                if found is not None:
                    locations[location_key] = found

        for pair in draft.tags:
            # ASSET-6, one entry per tag: live in the org or earlier in the file.
            if pair in seen_tags or tags.taken(org_id, [pair]):
                fail("tags", f"tag {pair[0]}:{pair[1]} already exists")
            seen_tags.add(pair)
    return locations


def _collect(fail, column: str, check, *args) -> Any:
    """``check(*args)``; an ``ApiError`` it raises becomes one row entry."""
    try:
        return check(*args)
    except ApiError as exc:
        fail(column, exc.fields[0].message if exc.fields else exc.detail)
        return None


def _create(
    org_id: int, rows: list[Row], locations: dict[str, int], stamp: datetime
) -> int:
    """Create every asset (placed at its location) and its tags; the tag count."""
    explicit = [r.draft.external_key for r in rows if r.draft.external_key]
    created = 0
    for row in rows:
        draft = row.draft
        location = locations[draft.reference[1]] if draft.reference else None
        assets.create_from_draft(org_id, draft, location, stamp, reserved=explicit)
        created += len(draft.tags)
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
