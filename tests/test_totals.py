"""List totals answered from memory stay exact (PAGE-3, PAGE-15).

services/totals.py remembers a count per reader connection until a write
commits or time reaches a matching row's validity boundary. One reader thread
here, so consecutive reads share that memory.
"""

from __future__ import annotations

import sqlite3
from datetime import timedelta

import pytest

from tests.conftest import TEST_DATABASE
from tests.factories import Factory
from trakrf_server import timeutil
from trakrf_server.models import Asset
from trakrf_server.services import totals

pytestmark = pytest.mark.skipif(
    TEST_DATABASE == "postgres", reason="remembering totals is SQLite-only"
)


@pytest.fixture
def overrides():
    return {"database.read_threads": 1}


@pytest.fixture
def counted(monkeypatch):
    """How many times the database was actually asked for a count."""
    calls = []
    real = totals.count_effective

    def spy(*args):
        calls.append(args)
        return real(*args)

    monkeypatch.setattr(totals, "count_effective", spy)
    return calls


def _total(ctx, org_id, at):
    return ctx.db.read(totals.effective_total, Asset, Asset.org == org_id, at)


@pytest.mark.gen_test
async def test_total_is_remembered_until_a_write_commits(seed, ctx, counted):
    # PAGE-3: total_count counts every matching row, at every moment
    f = Factory(seed)
    org = seed.tenant().org_id
    f.asset(org, "A-1")
    f.asset(org, "A-2")
    now = timeutil.now()

    assert await _total(ctx, org, now) == 2
    assert await _total(ctx, org, now) == 2
    assert len(counted) == 1

    f.asset(org, "A-3")
    assert await _total(ctx, org, now) == 3
    assert len(counted) == 2


@pytest.mark.gen_test
async def test_total_follows_validity_boundaries_without_writes(seed, ctx, counted):
    # PAGE-15: an asset enters the total at valid_from and leaves it at
    # valid_to, though nothing was written in between.
    f = Factory(seed)
    org = seed.tenant().org_id
    t0 = timeutil.now()
    f.asset(org, "ALWAYS", valid_from=t0 - timedelta(days=1))
    f.asset(org, "LATER", valid_from=t0 + timedelta(hours=1))
    f.asset(org, "ENDING", valid_to=t0 + timedelta(hours=2))

    assert await _total(ctx, org, t0) == 2
    assert await _total(ctx, org, t0 + timedelta(minutes=59)) == 2
    assert len(counted) == 1
    assert await _total(ctx, org, t0 + timedelta(hours=1)) == 3
    assert await _total(ctx, org, t0 + timedelta(hours=2)) == 2
    # an earlier instant than the one counted is recounted, not assumed
    assert await _total(ctx, org, t0) == 2
    assert len(counted) == 4


@pytest.mark.gen_test
async def test_write_by_another_connection_is_seen(api, seed, ctx, config):
    # PAGE-3 over HTTP: a write by another process (here a plain sqlite3
    # connection to the same file) changes the next page's total.
    f = Factory(seed)
    org = seed.tenant().org_id
    key = seed.key(org)
    gone = f.asset(org, "GONE")
    f.asset(org, "STAYS")

    r = await api.get("/api/v1/assets", token=key)
    assert r.json()["total_count"] == 2
    r = await api.get("/api/v1/assets", token=key)
    assert r.json()["total_count"] == 2

    other = sqlite3.connect(config.data_path / "trakrf.db")
    with other:
        other.execute(
            "UPDATE asset SET deleted_at = ? WHERE id = ?",
            (timeutil.to_micros(timeutil.now()), gone),
        )
    other.close()

    r = await api.get("/api/v1/assets", token=key)
    assert r.json()["total_count"] == 1
    assert [a["external_key"] for a in r.json()["data"]] == ["STAYS"]


def test_totals_inside_a_transaction_are_not_remembered(seed, counted):
    # A connection does not see its own commits in data_version, so the
    # writer always counts.
    f = Factory(seed)
    org = seed.tenant().org_id
    f.asset(org, "W-1")

    def within_one_transaction():
        now = timeutil.now()
        first = totals.effective_total(Asset, Asset.org == org, now)
        Asset.create(
            org=org,
            external_key="W-2",
            name="W-2",
            metadata={},
            valid_from=now - timedelta(days=1),
            created_at=now,
            updated_at=now,
        )
        return first, totals.effective_total(Asset, Asset.org == org, now)

    assert seed.write(within_one_transaction) == (1, 2)
    assert len(counted) == 2
