"""Database binding and the rules for reaching it from the event loop.

Usage::

    db = Database(config)
    db.open()                      # bind, set pragmas, apply migrations
    row = await db.read(fn, *args)   # runs fn(*args) on a reader thread
    row = await db.write(fn, *args)  # runs fn(*args) on the one writer thread,
                                     # inside a transaction

All SQL goes through peewee models bound to ``database`` (a proxy), so the same
code runs on SQLite (the default) and PostgreSQL. SQLite-specific settings stay
in this module.
"""

from __future__ import annotations

import asyncio
import logging
import sqlite3
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar
from urllib.parse import unquote, urlparse

import peewee

from trakrf_server.config import Config, ConfigError

log = logging.getLogger("trakrf.db")

T = TypeVar("T")

# Every model binds to this proxy; Database.open() points it at a real database.
database = peewee.DatabaseProxy()

# WAL lets readers run while the single writer commits; synchronous=FULL makes
# an acknowledged commit survive power loss, which an asset tracker promises.
SQLITE_PRAGMAS = {
    "journal_mode": "wal",
    "foreign_keys": 1,
    "busy_timeout": 10000,
    "synchronous": "full",
    "cache_size": -32000,
}


def make_database(config: Config) -> peewee.Database:
    """Build (but do not connect) the peewee database the configuration names."""
    url = config.database.url.strip()
    if not url:
        return _sqlite(str(config.data_path / "trakrf.db"))
    parsed = urlparse(url)
    if parsed.scheme in ("sqlite", "sqlite3"):
        return _sqlite(unquote(parsed.path))
    if parsed.scheme in ("postgres", "postgresql"):
        return peewee.PostgresqlDatabase(
            (parsed.path or "/").lstrip("/") or "postgres",
            user=unquote(parsed.username or "") or None,
            password=unquote(parsed.password or "") or None,
            host=parsed.hostname or None,
            port=parsed.port or None,
        )
    raise ValueError(f"unsupported database URL scheme: {parsed.scheme!r}")


def _sqlite(path: str) -> peewee.SqliteDatabase:
    db = peewee.SqliteDatabase(path, pragmas=SQLITE_PRAGMAS)
    # SQLite's own lower() and LIKE fold ASCII only; searches for other
    # letters need Python's (services/listing.text_search).
    db.register_function(_unicode_lower, "unicode_lower", 1, deterministic=True)
    return db


def _unicode_lower(value: Any) -> Any:
    return value.lower() if isinstance(value, str) else value


def is_sqlite() -> bool:
    return isinstance(database.obj, peewee.SqliteDatabase)


def data_version(connection: Any) -> int:
    """SQLite's ``PRAGMA data_version`` on ``connection``: it changes whenever
    another connection (of any process) commits, never for the connection's
    own commits. Values of different connections are not comparable."""
    return connection.execute("PRAGMA data_version").fetchone()[0]


class Database:
    """Owns the connection setup and the threads that run queries.

    Reads run on a small pool; writes run one at a time on a single thread, each
    inside a transaction, so SQLite never reports "database is locked" to a
    caller and read-check-write sequences in a service are never interleaved.
    """

    def __init__(self, config: Config) -> None:
        self.config = config
        self.db = make_database(config)
        self._readers = ThreadPoolExecutor(
            max_workers=max(1, config.database.read_threads),
            thread_name_prefix="trakrf-read",
        )
        self._writer = ThreadPoolExecutor(
            max_workers=1, thread_name_prefix="trakrf-write"
        )
        self._lock = threading.Lock()
        self._watch: sqlite3.Connection | None = None

    def open(self, migrate: bool = True) -> None:
        """Bind the models to this database and apply pending migrations."""
        if isinstance(self.db, peewee.SqliteDatabase):
            folder = self.config.data_path
            try:
                # The database holds password hashes: only its owner reads it.
                folder.mkdir(mode=0o700, parents=True, exist_ok=True)
            except OSError as exc:
                raise ConfigError(
                    f"cannot create the data folder {folder}: {exc.strerror or exc}"
                ) from None
        database.initialize(self.db)
        if migrate:
            from trakrf_server.migrate import apply_migrations

            with self._lock:
                apply_migrations(self.db)

    def close(self) -> None:
        self._readers.shutdown(wait=True)
        self._writer.shutdown(wait=True)
        if self._watch is not None:
            self._watch.close()
            self._watch = None
        if not self.db.is_closed():
            self.db.close()

    def _run_read(self, fn: Callable[..., T], args: tuple[Any, ...]) -> T:
        self.db.connect(reuse_if_open=True)
        return fn(*args)

    def _run_write(self, fn: Callable[..., T], args: tuple[Any, ...]) -> T:
        self.db.connect(reuse_if_open=True)
        with self.db.atomic():
            return fn(*args)

    async def read(self, fn: Callable[..., T], *args: Any) -> T:
        """Run ``fn(*args)`` on a reader thread and return its result."""
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._readers, self._run_read, fn, args)

    async def write(self, fn: Callable[..., T], *args: Any) -> T:
        """Run ``fn(*args)`` in one transaction on the writer thread.

        An exception raised by ``fn`` rolls the whole transaction back.
        """
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._writer, self._run_write, fn, args)

    def write_soon(self, fn: Callable[..., Any], *args: Any) -> None:
        """Queue a best-effort write whose outcome nobody waits for."""

        def run() -> None:
            try:
                self._run_write(fn, args)
            except Exception:  # a best-effort write must never surface anywhere
                log.exception("background write failed")

        self._writer.submit(run)

    def run_sync_write(self, fn: Callable[..., T], *args: Any) -> T:
        """For command-line use outside an event loop."""
        return self._writer.submit(self._run_write, fn, args).result()

    def commit_counter(self) -> int | None:
        """A number that changes whenever anything commits to the database,
        this process's writer included; None on PostgreSQL, which has none,
        and when SQLite cannot answer at once.

        Read on a connection of its own that never writes, so every commit
        counts. Called on the event loop: in WAL mode the pragma reads the
        shared-memory index, no table page, and never waits for the writer.
        """
        if not isinstance(self.db, peewee.SqliteDatabase):
            return None
        if self.db.database == ":memory:":
            return None
        if self._watch is None:
            # Only the event loop thread uses it; sqlite3 merely checks that
            # the creating thread is the using one.
            # A short busy timeout: the loop must never wait on a lock (e.g.
            # during WAL recovery); without an answer nothing is remembered.
            self._watch = sqlite3.connect(
                self.db.database,
                isolation_level=None,
                check_same_thread=False,
                timeout=0.05,
            )
        try:
            return data_version(self._watch)
        except sqlite3.Error:
            return None

    def ping(self) -> bool:
        try:
            self.db.connect(reuse_if_open=True)
            self.db.execute_sql("SELECT 1")
            return True
        except peewee.PeeweeException:
            return False


def code_point_order(column: Any) -> Any:
    """``column`` compared by Unicode code point (CONTRACT PAGE-14).

    SQLite's default BINARY collation already compares UTF-8 bytes, which is
    code-point order; PostgreSQL follows the database locale unless told "C".
    """
    if is_sqlite():
        return column
    return column.collate('"C"')
