"""API-key records remembered between requests stay exact (AUTH-2, INT-83).

auth/keycache.py answers from memory only while nothing has committed to the
SQLite database since the record was read; PostgreSQL never remembers.
"""

from __future__ import annotations

import sqlite3
from datetime import timedelta

import pytest

from tests.conftest import TEST_DATABASE
from trakrf_server import timeutil
from trakrf_server.auth import principals


@pytest.fixture
def reads(monkeypatch):
    """The jtis whose record was actually read from the database."""
    calls = []
    real = principals.key_record

    def spy(jti):
        calls.append(jti)
        return real(jti)

    monkeypatch.setattr(principals, "key_record", spy)
    return calls


def _other_connection(config):
    return sqlite3.connect(config.data_path / "trakrf.db")


@pytest.mark.skipif(TEST_DATABASE == "postgres", reason="SQLite-only memory")
@pytest.mark.gen_test
async def test_record_is_remembered_until_something_commits(api, seed, ctx, reads):
    tenant = seed.tenant()
    key = seed.key(tenant.org_id)

    for _ in range(6):
        r = await api.get("/api/v1/orgs/me", token=key)
        assert r.status == 200
    # The first use also commits the key's last_used_at (AUTH-8, at most
    # every 5 s), after which the record is read once more.
    assert 1 <= len(reads) <= 2

    # Any other commit makes the record be read again too.
    before = len(reads)
    seed.tenant()
    r = await api.get("/api/v1/orgs/me", token=key)
    assert r.status == 200
    assert len(reads) == before + 1


@pytest.mark.gen_test
async def test_revoked_here_is_refused_on_the_very_next_request(api, seed, reads):
    # AUTH-2, INT-83: the key was just used (and remembered) when revoked.
    tenant = seed.tenant()
    r = await api.post(
        f"/api/v1/orgs/{tenant.org_id}/api-keys",
        {"name": "k", "scopes": ["assets:read"]},
        token=tenant.session,
    )
    data = r.json()["data"]
    assert (await api.get("/api/v1/orgs/me", token=data["token"])).status == 200
    assert (await api.get("/api/v1/orgs/me", token=data["token"])).status == 200

    path = f"/api/v1/orgs/{tenant.org_id}/api-keys/{data['id']}"
    assert (await api.delete(path, token=tenant.session)).status == 204

    r = await api.get("/api/v1/orgs/me", token=data["token"])
    assert r.status == 401
    assert r.error["detail"] == "API key has been revoked"


@pytest.mark.skipif(TEST_DATABASE == "postgres", reason="writes the SQLite file")
@pytest.mark.gen_test
async def test_revoked_by_another_connection_is_refused_next(api, seed, config):
    # AUTH-2 across processes: a plain sqlite3 connection to the same file
    # stands in for another server process sharing the database.
    tenant = seed.tenant()
    key = seed.key(tenant.org_id)
    assert (await api.get("/api/v1/orgs/me", token=key)).status == 200
    assert (await api.get("/api/v1/orgs/me", token=key)).status == 200

    other = _other_connection(config)
    with other:
        other.execute(
            "UPDATE api_key SET revoked_at = ? WHERE org_id = ?",
            (timeutil.to_micros(timeutil.now()), tenant.org_id),
        )
    other.close()

    r = await api.get("/api/v1/orgs/me", token=key)
    assert r.status == 401
    assert r.error["detail"] == "API key has been revoked"


@pytest.mark.skipif(TEST_DATABASE == "postgres", reason="writes the SQLite file")
@pytest.mark.gen_test
async def test_org_deleted_by_another_connection_is_seen_next(api, seed, config):
    # ORG-5: a key of a deleted org has no usable org context any more.
    tenant = seed.tenant()
    key = seed.key(tenant.org_id)
    assert (await api.get("/api/v1/orgs/me", token=key)).status == 200

    other = _other_connection(config)
    with other:
        other.execute(
            "UPDATE organization SET deleted_at = ? WHERE id = ?",
            (timeutil.to_micros(timeutil.now()), tenant.org_id),
        )
    other.close()

    r = await api.get("/api/v1/orgs/me", token=key)
    assert r.status != 200
    assert r.error["type"] == "missing_org_context"


@pytest.mark.skipif(TEST_DATABASE == "postgres", reason="SQLite-only memory")
@pytest.mark.gen_test
async def test_remembered_record_expires_on_time(api, seed, monkeypatch, reads):
    # AUTH-2: expiry follows the clock even while the record is remembered.
    tenant = seed.tenant()
    soon = timeutil.now() + timedelta(minutes=5)
    key = seed.key(tenant.org_id, expires_at=soon)
    for _ in range(3):  # past the first use's last_used_at commit (AUTH-8)
        assert (await api.get("/api/v1/orgs/me", token=key)).status == 200
    remembered = len(reads)

    later = soon + timedelta(seconds=1)
    monkeypatch.setattr(principals.timeutil, "now", lambda: later)
    r = await api.get("/api/v1/orgs/me", token=key)
    assert len(reads) == remembered
    assert r.status == 401
    assert r.error["detail"] == "API key has expired"


@pytest.mark.skipif(TEST_DATABASE != "postgres", reason="PostgreSQL rule")
@pytest.mark.gen_test
async def test_postgres_reads_the_record_on_every_request(api, seed, reads):
    # Several processes may share PostgreSQL: nothing is remembered.
    tenant = seed.tenant()
    key = seed.key(tenant.org_id)
    for _ in range(3):
        assert (await api.get("/api/v1/orgs/me", token=key)).status == 200
    assert len(reads) == 3
