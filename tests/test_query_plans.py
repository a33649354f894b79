"""Hot queries use the index meant for them on SQLite, without statistics.

A server never runs ANALYZE, so SQLite plans from its fixed heuristics; an
``ORDER BY id`` can make it walk a whole per-org index in id order rather
than probe a matching one. These tests read the plan SQLite picks for the
exact SQL a service issues (captured from peewee's query log), so a change
that brings such a plan back fails here instead of in a benchmark.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import pytest

from tests.conftest import TEST_DATABASE
from tests.factories import Factory, ts
from trakrf_server import timeutil
from trakrf_server.models import Asset, Location, Tag
from trakrf_server.services import lookup, scans

pytestmark = pytest.mark.skipif(
    TEST_DATABASE == "postgres", reason="about SQLite query plans"
)


class _Captured(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.queries: list[tuple[str, Any]] = []

    def emit(self, record: logging.LogRecord) -> None:
        if isinstance(record.msg, tuple):
            self.queries.append(record.msg)


@contextmanager
def captured_sql() -> Iterator[_Captured]:
    logger = logging.getLogger("peewee")
    handler = _Captured()
    level = logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.DEBUG)
    try:
        yield handler
    finally:
        logger.removeHandler(handler)
        logger.setLevel(level)


def plans(seed, fn: Callable[[], Any]) -> tuple[Any, list[str]]:
    """``fn()``'s result and the query plan of every statement it ran."""

    def run() -> tuple[Any, list[str]]:
        with captured_sql() as log:
            result = fn()
        db = seed.ctx.db.db
        shown = []
        for sql, params in log.queries:
            rows = db.execute_sql(f"EXPLAIN QUERY PLAN {sql}", params).fetchall()
            shown.append(" | ".join(row[-1] for row in rows))
        return result, shown

    return seed.write(run)


def test_tag_targets_probe_the_lookup_index(seed):
    # INT-100 matching for ingest: one index probe per value, never a walk
    # over the org's tags.
    f = Factory(seed)
    org = seed.tenant().org_id
    assets = [f.asset(org, f"A-{i}") for i in range(3)]
    for i, asset in enumerate(assets):
        f.tag(org, f"E2{i:04d}", asset=asset)

    result, shown = plans(
        seed, lambda: lookup.tag_targets(org, "rfid", ["E20001", "0E20002"])
    )

    assert result == [("E20001", assets[1], None), ("E20002", assets[2], None)]
    assert len(shown) == 1
    assert "tag_org_id_tag_type_lookup_value" in shown[0], shown


def test_tag_targets_list_oldest_tag_first(seed):
    # INT-100: padded variants of one value match alike; the oldest tag comes
    # first, so callers that keep the first match keep the oldest.
    f = Factory(seed)
    org = seed.tenant().org_id
    first = f.asset(org, "FIRST")
    second = f.asset(org, "SECOND")
    f.tag(org, "00E7", asset=second)
    f.tag(org, "0E7", asset=first)

    def run():
        return lookup.tag_targets(org, "rfid", ["E7"])

    assert seed.write(run) == [("E7", second, None), ("E7", first, None)]


def test_tag_targets_match_only_live_tags_of_live_parents(seed):
    # INT-100: a deleted tag, a tag of a deleted asset or location and a tag
    # of another org never match; a location's tag names the location.
    f = Factory(seed)
    org = seed.tenant().org_id
    other = seed.tenant().org_id
    kept = f.asset(org, "KEPT")
    gone = f.asset(org, "GONE")
    dock = f.location(org, "DOCK")
    yard = f.location(org, "YARD")
    f.tag(org, "E1", asset=kept)
    f.soft_delete(Tag, f.tag(org, "E2", asset=kept))
    f.tag(org, "E3", asset=gone)
    f.tag(org, "E4", location=dock)
    f.tag(org, "E5", location=yard)

    def delete_parents_only():  # their tags stay live
        now = timeutil.now()
        Asset.update(deleted_at=now).where(Asset.id == gone).execute()
        Location.update(deleted_at=now).where(Location.id == yard).execute()

    seed.write(delete_parents_only)
    f.tag(other, "E6", asset=f.asset(other, "THEIRS"))

    def run():
        values = ["E1", "E2", "E3", "E4", "E5", "E6", "E7"]
        return lookup.tag_targets(org, "rfid", values)

    assert seed.write(run) == [("E1", kept, None), ("E4", None, dock)]
    assert seed.write(lambda: lookup.tag_targets(org, "ble", ["E1"])) == []


def test_duplicate_check_probes_the_event_index(seed):
    # Ingest's check for events already recorded: one probe of
    # scan_event(asset, observed_at, id) per asset, never a scan.
    f = Factory(seed)
    org = seed.tenant().org_id
    dock = f.location(org, "DOCK")
    one, two = f.asset(org, "ONE"), f.asset(org, "TWO")
    f.scan(org, one, dock, "2026-01-01T12:00:00Z")
    observations = [
        scans.Observation(one, dock, ts("2026-01-01T12:00:00Z")),
        scans.Observation(two, dock, ts("2026-01-01T12:00:00Z")),
        scans.Observation(one, None, ts("2026-01-01T12:00:00Z")),
    ]

    result, shown = plans(seed, lambda: scans.already_recorded(observations))

    assert result == {(one, dock, timeutil.to_micros(ts("2026-01-01T12:00:00Z")))}
    assert len(shown) == 1
    assert "scan_event_asset_id_observed_at_id" in shown[0], shown
