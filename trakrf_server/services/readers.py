"""Fixed readers: registration, antenna placement, pushed reads (SCAN-3).

This is the server's own extension, outside the public spec. A reader pushes
batches of raw tag reads; each read is resolved tag → asset and
antenna → location and becomes a scan event through ``services.scans``.

``ingest`` runs on the writer so the idempotency check, the events, the
unknown-tag counters and the stored result commit together: a retried batch
(same ``batch_id`` for the same reader) records nothing twice and is answered
with the first result.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import peewee

from trakrf_server import timeutil
from trakrf_server.db import locking
from trakrf_server.errors import FieldError, not_found, validation
from trakrf_server.models import (
    IngestBatch,
    Location,
    Reader,
    ReaderAntenna,
    Tag,
    UnknownTag,
)
from trakrf_server.services import scans
from trakrf_server.services.lookup import tag_targets
from trakrf_server.services.tags import lookup_value
from trakrf_server.timeutil import format_ts, to_micros

READER_NOT_FOUND = "Reader not found"
SOURCE = "reader"


@dataclass(frozen=True)
class Read:
    """One validated read from a pushed batch."""

    tag_type: str
    value: str
    antenna: int
    seen_at: datetime
    rssi: float | None = None


# --- readers and antennas ----------------------------------------------------------


def _reader(org_id: int, reader_id: int) -> Reader:
    reader = Reader.get_or_none(
        (Reader.id == reader_id) & (Reader.org == org_id) & Reader.deleted_at.is_null()
    )
    if reader is None:
        raise not_found(READER_NOT_FOUND)
    return reader


def reader_view(reader: Reader) -> dict[str, Any]:
    antennas = (
        ReaderAntenna.select(ReaderAntenna, Location)
        .join(Location)
        .where(ReaderAntenna.reader == reader.id)
        .order_by(ReaderAntenna.antenna)
    )
    return {
        "id": reader.id,
        "name": reader.name,
        "description": reader.description,
        "created_at": format_ts(reader.created_at),
        "updated_at": format_ts(reader.updated_at),
        "last_seen_at": format_ts(reader.last_seen_at),
        "antennas": [
            {
                "antenna": a.antenna,
                "location_id": a.location_id,
                "location_external_key": a.location.external_key,
                "location_deleted": a.location.deleted_at is not None,
            }
            for a in antennas
        ],
    }


def register_reader(org_id: int, name: str, description: str | None) -> dict:
    stamp = timeutil.now()
    reader = Reader.create(
        org=org_id,
        name=name,
        description=description,
        created_at=stamp,
        updated_at=stamp,
    )
    return reader_view(reader)


def get_reader(org_id: int, reader_id: int) -> dict[str, Any]:
    return reader_view(_reader(org_id, reader_id))


def list_readers(org_id: int, limit: int, offset: int) -> tuple[list[dict], int]:
    query = Reader.select().where((Reader.org == org_id) & Reader.deleted_at.is_null())
    page = query.order_by(Reader.id).limit(limit).offset(offset)
    return [reader_view(r) for r in page], query.count()


def retire_reader(org_id: int, reader_id: int) -> None:
    """Soft-delete: its events stay; pushes with its id then answer 404."""
    reader = _reader(org_id, reader_id)
    Reader.update(deleted_at=timeutil.now()).where(Reader.id == reader.id).execute()


def map_antenna(
    org_id: int,
    reader_id: int,
    antenna: int,
    location_id: int | None,
    location_key: str | None,
) -> dict[str, Any]:
    """Place ``antenna`` at a live location of the org; later reads land there."""
    reader = _reader(org_id, reader_id)
    location = _live_location(org_id, location_id, location_key)
    stamp = timeutil.now()
    (
        ReaderAntenna.insert(
            reader=reader.id, antenna=antenna, location=location.id, updated_at=stamp
        )
        .on_conflict(
            conflict_target=[ReaderAntenna.reader, ReaderAntenna.antenna],
            update={
                ReaderAntenna.location: location.id,
                ReaderAntenna.updated_at: stamp,
            },
        )
        .execute()
    )
    Reader.update(updated_at=stamp).where(Reader.id == reader.id).execute()
    return reader_view(Reader.get_by_id(reader.id))


def unmap_antenna(org_id: int, reader_id: int, antenna: int) -> None:
    reader = _reader(org_id, reader_id)
    deleted = (
        ReaderAntenna.delete()
        .where((ReaderAntenna.reader == reader.id) & (ReaderAntenna.antenna == antenna))
        .execute()
    )
    if not deleted:
        raise not_found("Antenna not mapped")


def _live_location(
    org_id: int, location_id: int | None, location_key: str | None
) -> Location:
    where = (Location.org == org_id) & Location.deleted_at.is_null()
    if location_id is not None:
        where &= Location.id == location_id
        field, message = "location_id", f"location_id {location_id} not found"
    else:
        where &= Location.external_key == location_key
        field = "location_external_key"
        message = f'location_external_key "{location_key}" not found'
    # Share-locked like every placement (locations.delete_location).
    location = locking(Location.select().where(where), "SHARE").first()
    if location is None:
        raise validation([FieldError(field, "fk_not_found", message)])
    return location


# --- unknown tags -----------------------------------------------------------------


def unknown_tags(org_id: int, limit: int, offset: int) -> tuple[list[dict], int]:
    """Tags readers saw that match no live tag yet, most recently seen first.

    A tag disappears from the list as soon as it is registered (attached to an
    asset or location), so the list is what still needs registering.
    """
    registered = Tag.select(Tag.id).where(
        (Tag.org == UnknownTag.org)
        & (Tag.tag_type == UnknownTag.tag_type)
        & (Tag.lookup_value == UnknownTag.lookup_value)
        & Tag.deleted_at.is_null()
    )
    query = UnknownTag.select().where(
        (UnknownTag.org == org_id) & ~peewee.fn.EXISTS(registered)
    )
    page = (
        query.order_by(UnknownTag.last_seen_at.desc(), UnknownTag.id)
        .limit(limit)
        .offset(offset)
    )
    rows = [
        {
            "tag_type": u.tag_type,
            "value": u.value,
            "read_count": u.read_count,
            "first_seen_at": format_ts(u.first_seen_at),
            "last_seen_at": format_ts(u.last_seen_at),
            "last_reader_id": u.last_reader_id,
            "last_antenna": u.last_antenna,
        }
        for u in page
    ]
    return rows, query.count()


def _count_unknown(
    org_id: int, reader_id: int | None, seen: dict[tuple[str, str], dict]
) -> None:
    """Add this batch's unknown reads to the per-tag counters.

    One upsert per tag: processes sharing the database may count the same tag
    at once, and the unique (org, tag_type, lookup_value) index lets the
    second add to the first's row instead of failing. The SET expressions
    compare with the stored row as it was before this statement.
    """
    new = peewee.EXCLUDED
    later = new.last_seen_at >= UnknownTag.last_seen_at
    earlier = new.first_seen_at < UnknownTag.first_seen_at

    def pick(condition, incoming, stored):
        return peewee.Case(None, [(condition, incoming)], stored)

    merge = {
        UnknownTag.read_count: UnknownTag.read_count + new.read_count,
        UnknownTag.first_seen_at: pick(
            earlier, new.first_seen_at, UnknownTag.first_seen_at
        ),
        UnknownTag.last_seen_at: pick(later, new.last_seen_at, UnknownTag.last_seen_at),
        UnknownTag.last_reader: pick(later, new.last_reader_id, UnknownTag.last_reader),
        UnknownTag.last_antenna: pick(later, new.last_antenna, UnknownTag.last_antenna),
    }
    for (tag_type, key), info in seen.items():
        UnknownTag.insert(
            org=org_id,
            tag_type=tag_type,
            value=info["value"],
            lookup_value=key,
            read_count=info["reads"],
            first_seen_at=info["first"],
            last_seen_at=info["last"],
            last_reader=reader_id,
            last_antenna=info["antenna"],
        ).on_conflict(
            conflict_target=[
                UnknownTag.org,
                UnknownTag.tag_type,
                UnknownTag.lookup_value,
            ],
            update=merge,
        ).execute()


# --- ingest -----------------------------------------------------------------------


def ingest(
    org_id: int, reader_id: int, batch_id: str, reads: Sequence[Read]
) -> dict[str, Any]:
    """Record a pushed batch once; return (or replay) its result.

    Each read becomes a scan event unless its tag is unknown (counted, listed
    in the result and in ``unknown_tags``), its tag belongs to a location
    (ignored, counted), its antenna has no live location (counted per
    antenna), or it repeats an event already recorded — same asset, location
    and instant — in this batch or earlier (``duplicates``).
    """
    reader = _reader(org_id, reader_id)
    stamp = timeutil.now()
    if not _claim(reader.id, batch_id, stamp):
        return _recorded(reader.id, batch_id).result

    placements = _placements(reader.id)
    tags = _asset_tags(org_id, reads)

    observations: list[scans.Observation] = []
    keys: set[tuple[int, int, datetime]] = set()
    duplicates = location_tags = 0
    unknown: dict[tuple[str, str], dict[str, Any]] = {}
    unmapped: dict[int, int] = {}
    for read in reads:
        key = (read.tag_type, lookup_value(read.value))
        target = tags.get(key)
        if target is None:
            _note(unknown, key, read)
            continue
        if target == "location":
            location_tags += 1
            continue
        location_id = placements.get(read.antenna)
        if location_id is None:
            unmapped[read.antenna] = unmapped.get(read.antenna, 0) + 1
            continue
        event = (target, location_id, read.seen_at)
        if event in keys:
            duplicates += 1
            continue
        keys.add(event)
        observations.append(scans.Observation(*event))

    already = scans.already_recorded(observations)
    fresh = [
        o
        for o in observations
        if (o.asset_id, o.location_id, to_micros(o.observed_at)) not in already
    ]
    duplicates += len(observations) - len(fresh)

    recorded = scans.record_events(org_id, fresh, SOURCE, recorded_at=stamp)
    _count_unknown(org_id, reader.id, unknown)
    Reader.update(last_seen_at=stamp).where(Reader.id == reader.id).execute()

    result = {
        "batch_id": batch_id,
        "received": len(reads),
        "recorded": recorded,
        "duplicates": duplicates,
        "unknown_tags": [
            {"tag_type": t, "value": info["value"], "reads": info["reads"]}
            for (t, _), info in unknown.items()
        ],
        "unmapped_antennas": [
            {"antenna": a, "reads": n} for a, n in sorted(unmapped.items())
        ],
        "location_tag_reads": location_tags,
    }
    IngestBatch.update(result=result).where(
        (IngestBatch.reader == reader.id) & (IngestBatch.batch_id == batch_id)
    ).execute()
    return result


def _claim(reader_id: int, batch_id: str, stamp: datetime) -> bool:
    """Reserve ``batch_id`` for the reader before anything of it is recorded;
    False when it was recorded before.

    The unique (reader, batch_id) index decides: when another process is
    ingesting the same batch, this insert waits for that transaction and,
    once it has committed, inserts nothing, so the copy is answered with the
    first result rather than failing on the index at the end.
    """
    claimed = (
        IngestBatch.insert(
            reader=reader_id, batch_id=batch_id, received_at=stamp, result={}
        )
        .on_conflict_ignore()
        .as_rowcount()
        .execute()
    )
    return claimed > 0


def _recorded(reader_id: int, batch_id: str) -> IngestBatch:
    return IngestBatch.get(
        (IngestBatch.reader == reader_id) & (IngestBatch.batch_id == batch_id)
    )


def _placements(reader_id: int) -> dict[int, int]:
    """antenna → live location id, each location share-locked until the
    transaction ends so a delete in another process cannot pass its
    assets-placed-here check while this batch moves assets there."""
    rows = (
        ReaderAntenna.select(ReaderAntenna.antenna, ReaderAntenna.location)
        .join(Location)
        .where((ReaderAntenna.reader == reader_id) & Location.deleted_at.is_null())
    )
    return dict(locking(rows, "SHARE", of=Location).tuples())


def _asset_tags(org_id: int, reads: Sequence[Read]) -> dict[tuple[str, str], int | str]:
    """(tag_type, lookup value) → live asset id, or "location" for location tags."""
    by_type: dict[str, set[str]] = {}
    for read in reads:
        by_type.setdefault(read.tag_type, set()).add(read.value)
    found: dict[tuple[str, str], int | str] = {}
    for tag_type, values in by_type.items():
        for key, asset_id, _ in tag_targets(org_id, tag_type, sorted(values)):
            target = asset_id if asset_id is not None else "location"
            found.setdefault((tag_type, key), target)
    return found


def _note(unknown: dict, key: tuple[str, str], read: Read) -> None:
    info = unknown.get(key)
    if info is None:
        unknown[key] = {
            "value": read.value,
            "reads": 1,
            "first": read.seen_at,
            "last": read.seen_at,
            "antenna": read.antenna,
        }
        return
    info["reads"] += 1
    info["first"] = min(info["first"], read.seen_at)
    if read.seen_at >= info["last"]:
        info["last"] = read.seen_at
        info["antenna"] = read.antenna
