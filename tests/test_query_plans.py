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
from tests.factories import Factory
from trakrf_server.services import lookup

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
