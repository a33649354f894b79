"""Database binding, migrations and the single-writer rule."""

import asyncio
import sqlite3

import peewee
import pytest

from tests.conftest import TEST_DATABASE
from trakrf_server.auth.tokens import load_or_create_secret
from trakrf_server.config import ConfigError, load_config
from trakrf_server.db import Database, database
from trakrf_server.migrate import apply_migrations
from trakrf_server.models import Migration, Organization
from trakrf_server.services import accounts


@pytest.mark.skipif(TEST_DATABASE == "postgres", reason="about the SQLite file")
def test_sqlite_pragmas_and_migrations_recorded(ctx, config):
    path = config.data_path / "trakrf.db"
    assert path.exists()
    assert ctx.db.db.execute_sql("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert ctx.db.db.execute_sql("PRAGMA foreign_keys").fetchone()[0] == 1
    # checkpoints every 10000 WAL pages, not SQLite's 1000 (see db.py)
    assert ctx.db.db.execute_sql("PRAGMA wal_autocheckpoint").fetchone()[0] == 10000
    names = [m.name for m in Migration.select()]
    assert "0001_initial" in names
    # a second run applies nothing
    assert apply_migrations(ctx.db.db) == []


def test_secret_file_is_private(ctx, config):
    secret_file = config.data_path / "secret.key"
    assert secret_file.exists()
    assert oct(secret_file.stat().st_mode & 0o777) == "0o600"
    # the folder it creates, with the database and its password hashes, too
    assert oct(config.data_path.stat().st_mode & 0o777) == "0o700"
    assert secret_file.read_text().strip() == ctx.secret


@pytest.mark.parametrize("content", ["", "  \n"])
def test_an_empty_secret_file_is_refused_not_used(tmp_path, content):
    # HMAC refuses an empty key: the server started, then every signup and
    # login was a 500. Generating a new secret over it would silently void
    # every key minted with the lost one, so the file is left alone.
    (tmp_path / "secret.key").write_text(content)
    with pytest.raises(ConfigError, match="signing secret .* is empty"):
        load_or_create_secret("", tmp_path)
    assert (tmp_path / "secret.key").read_text() == content
    assert load_or_create_secret("configured", tmp_path) == "configured"


def test_an_unreadable_secret_file_is_a_config_error(tmp_path):
    (tmp_path / "secret.key").mkdir()
    with pytest.raises(ConfigError, match="cannot read the signing secret"):
        load_or_create_secret("", tmp_path)


@pytest.mark.gen_test
async def test_concurrent_writes_never_lock_or_lose(ctx):
    # One writer at a time: 200 concurrent creates all land, none sees
    # "database is locked".
    async def create(i):
        return await ctx.db.write(accounts.create_org, f"Concurrent {i}")

    created = await asyncio.gather(*(create(i) for i in range(200)))
    assert len({org.id for org in created}) == 200
    count = await ctx.db.read(lambda: Organization.select().count())
    assert count == 200


@pytest.mark.gen_test
async def test_failed_write_rolls_back_whole_transaction(ctx):
    def half_then_fail():
        accounts.create_org("Kept Only If Committed")
        raise RuntimeError("boom")

    with pytest.raises(RuntimeError):
        await ctx.db.write(half_then_fail)
    exists = await ctx.db.read(
        lambda: (
            Organization.select()
            .where(Organization.name == "Kept Only If Committed")
            .exists()
        )
    )
    assert not exists


def test_committed_data_survives_reopen(tmp_path):
    config = load_config(None, {"server.data_dir": str(tmp_path)}, env={})
    first = Database(config)
    first.open()
    first.run_sync_write(accounts.create_org, "Durable")
    first.close()
    # Read with the plain sqlite3 module: the row is on disk, not in a cache.
    raw = sqlite3.connect(tmp_path / "trakrf.db")
    assert raw.execute("select name from organization").fetchall() == [("Durable",)]
    raw.close()


def test_postgresql_binding_runs_migrations(postgres_url, tmp_path):
    config = load_config(
        None, {"server.data_dir": str(tmp_path), "database.url": postgres_url}, env={}
    )
    db = Database(config)
    db.open()
    try:
        assert isinstance(database.obj, peewee.PostgresqlDatabase)
        org = db.run_sync_write(accounts.create_org, "On Postgres")
        assert db.run_sync_write(lambda: Organization.get_by_id(org.id).identifier) == (
            "on-postgres"
        )
        with pytest.raises(Exception) as caught:
            db.run_sync_write(accounts.create_org, "On Postgres")
        assert "identifier already taken" in str(caught.value)
    finally:
        db.close()
