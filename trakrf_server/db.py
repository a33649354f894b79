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
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
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
# The WAL is copied back into the database file (a checkpoint, run by the
# committing writer) once it holds wal_autocheckpoint pages: 10000 (about 40 MB)
# instead of SQLite's 1000, because a reader batch dirties pages all over the
# event index and the asset table, and a page changed by several commits
# between two checkpoints is copied (and the file synced) once, not each time.
SQLITE_PRAGMAS = {
    "journal_mode": "wal",
    "foreign_keys": 1,
    "busy_timeout": 10000,
    "synchronous": "full",
    "cache_size": -32000,
    "wal_autocheckpoint": 10000,
}

# Values bound per ``IN (…)`` list by callers whose list has no bound of its
# own (an inventory save, a backfill batch): SQLite refuses a statement with
# more than 250 000 parameters (32 766 in builds before 3.32), so such lists
# are queried in slices of this size.
IN_LIST_CHUNK = 500

# Most write jobs queued behind a running one that the writer runs in one
# transaction (``Writer``); bounds how long the first of them waits for its
# acknowledgement.
MAX_GROUP = 32

# Times a write that lost a deadlock or a serialization check to another
# process sharing the PostgreSQL database is run again (``Writer``).
MAX_RETRIES = 3
# SQLSTATEs of those losses: serialization_failure, deadlock_detected.
TRANSIENT_SQLSTATES = frozenset({"40001", "40P01"})


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
    raise ConfigError(
        f"database.url must start with postgresql:// or sqlite://, "
        f"got {parsed.scheme or url!r}"
    )


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


def locking(query: Any, mode: str = "UPDATE", of: Any = None) -> Any:
    """``query`` taking ``FOR {mode}`` row locks on PostgreSQL, held until the
    transaction ends.

    Several processes on one PostgreSQL database each have their own writer,
    so a check spanning rows (the last admin, the key limit, a location tree)
    can pass in two of them at once. A write that first locks the row its
    rule hangs on makes the other process's same write wait for its commit;
    under READ COMMITTED the waiter's later statements then see the result.
    SQLite needs no lock and has no such clause: one writer per process, and
    SQLite refuses a write from a transaction whose snapshot went stale.
    ``of`` limits the locks to one table of a join.
    """
    if is_sqlite():
        return query
    return query.for_update(f"FOR {mode}", of=of)


def data_version(connection: Any) -> int:
    """SQLite's ``PRAGMA data_version`` on ``connection``: it changes whenever
    another connection (of any process) commits, never for the connection's
    own commits. Values of different connections are not comparable."""
    return connection.execute("PRAGMA data_version").fetchone()[0]


def is_transient(exc: BaseException | None) -> bool:
    """Whether ``exc`` is PostgreSQL giving up a transaction that waited on
    another's locks (deadlock, serialization failure): running it again
    after the other commits succeeds. peewee keeps the driver's error as
    ``orig``; a later error raised while handling one keeps it as context."""
    for _ in range(5):
        if exc is None:
            return False
        for candidate in (exc, getattr(exc, "orig", None)):
            if getattr(candidate, "pgcode", None) in TRANSIENT_SQLSTATES:
                return True
        exc = exc.__context__
    return False


@dataclass
class _Job:
    fn: Callable[..., Any]
    args: tuple[Any, ...]
    future: Future
    started: bool = False
    retries: int = 0


# What ``Writer._in_savepoint`` returns for a job to be run again.
_RETRY = object()


class _GroupLost(Exception):
    """The database ended the group's transaction itself (a job's error left
    no savepoint to roll back to): none of the jobs run so far is durable."""

    def __init__(self, cause: BaseException) -> None:
        super().__init__(str(cause))
        self.cause = cause


def _lost_in(exc: BaseException | None) -> _GroupLost | None:
    """The loss behind ``exc``: rolling back a transaction the database had
    already ended fails too, with the loss somewhere in its context."""
    while exc is not None:
        if isinstance(exc, _GroupLost):
            return exc
        exc = exc.__context__
    return None


class Writer:
    """The one thread that runs write jobs, in the order they were queued.

    A job queued alone runs in a transaction of its own. Jobs that queued up
    while an earlier one ran are run together in one transaction, each inside
    its own savepoint, and committed once (group commit): with
    ``synchronous=FULL`` every commit waits for the disk, so the wait is
    shared, and a page several jobs change is written once.

    - Every job's result or exception is delivered after the group's commit,
      so an acknowledged write is durable.
    - A job that raises rolls back its own savepoint only; the others of the
      group still commit, and each still sees the work of those before it.
    - If the commit fails, every job of the group receives that error and
      nothing of the group is kept. If the database ends the transaction
      itself in the middle, the jobs run so far receive the error and the
      jobs not yet run are queued again.
    - A job that loses a deadlock or a serialization check to another
      process (PostgreSQL, ``is_transient``) rolls back its savepoint; the
      jobs before it commit, which releases the locks the other process
      waits for, and it is queued again with those after it, at most
      ``MAX_RETRIES`` times. Jobs touch nothing but the database, so
      running one again is safe.
    """

    def __init__(self, db: peewee.Database, max_group: int = MAX_GROUP) -> None:
        self._db = db
        self._max_group = max(1, max_group)
        self._jobs: deque[_Job] = deque()
        self._wake = threading.Condition()
        self._closed = False
        self._thread = threading.Thread(
            target=self._loop, name="trakrf-write", daemon=True
        )
        self._thread.start()

    def submit(self, fn: Callable[..., T], args: tuple[Any, ...]) -> Future:
        future: Future = Future()
        with self._wake:
            if self._closed:
                raise RuntimeError("cannot queue a write after close")
            self._jobs.append(_Job(fn, args, future))
            self._wake.notify()
        return future

    def queued(self) -> int:
        """Jobs waiting behind the one running."""
        with self._wake:
            return len(self._jobs)

    def close(self) -> None:
        """Run what is queued, then stop the thread."""
        with self._wake:
            self._closed = True
            self._wake.notify()
        self._thread.join()

    def _loop(self) -> None:
        while True:
            with self._wake:
                while not self._jobs and not self._closed:
                    self._wake.wait()
                if not self._jobs:
                    return
                group = []
                while self._jobs and len(group) < self._max_group:
                    group.append(self._jobs.popleft())
            group = [j for j in group if self._start(j)]
            if len(group) == 1:
                self._run_alone(group[0])
            elif group:
                self._run_group(group)

    @staticmethod
    def _start(job: _Job) -> bool:
        """False when the caller cancelled the job before it started."""
        if not job.started:
            job.started = job.future.set_running_or_notify_cancel()
        return job.started

    def _run_alone(self, job: _Job) -> None:
        try:
            self._db.connect(reuse_if_open=True)
            with self._db.atomic():
                result = job.fn(*job.args)
        except BaseException as exc:
            if self._may_retry(job, exc):
                self._requeue([job])
            else:
                job.future.set_exception(exc)
        else:
            job.future.set_result(result)

    def _run_group(self, group: list[_Job]) -> None:
        db = self._db
        outcomes: list[tuple[bool, Any]] = []
        try:
            db.connect(reuse_if_open=True)
            with db.atomic():
                for job in group:
                    outcome = self._in_savepoint(job)
                    if outcome is _RETRY:
                        break
                    outcomes.append(outcome)
        except BaseException as exc:
            lost = _lost_in(exc)
            if lost is not None:
                self._fail(group[: len(outcomes) + 1], lost.cause)
                self._requeue(group[len(outcomes) + 1 :])
            else:
                self._fail(group, exc)
            return
        done = len(outcomes)
        for job, (ok, value) in zip(group[:done], outcomes, strict=True):
            if ok:
                job.future.set_result(value)
            else:
                job.future.set_exception(value)
        self._requeue(group[done:])

    def _in_savepoint(self, job: _Job) -> Any:
        """``(ok, result or exception)``, or ``_RETRY``."""
        db = self._db
        db.execute_sql("SAVEPOINT job")
        try:
            result = job.fn(*job.args)
        except BaseException as exc:
            try:
                db.execute_sql("ROLLBACK TO SAVEPOINT job")
                db.execute_sql("RELEASE SAVEPOINT job")
            except Exception:
                raise _GroupLost(exc) from exc
            if self._may_retry(job, exc):
                return _RETRY
            return False, exc
        db.execute_sql("RELEASE SAVEPOINT job")
        return True, result

    @staticmethod
    def _may_retry(job: _Job, exc: BaseException) -> bool:
        if job.retries >= MAX_RETRIES or not is_transient(exc):
            return False
        job.retries += 1
        log.info("write lost to a concurrent transaction, retrying: %s", exc)
        return True

    @staticmethod
    def _fail(jobs: list[_Job], exc: BaseException) -> None:
        for job in jobs:
            job.future.set_exception(exc)

    def _requeue(self, jobs: list[_Job]) -> None:
        with self._wake:
            self._jobs.extendleft(reversed(jobs))


class Database:
    """Owns the connection setup and the threads that run queries.

    Reads run on a small pool; writes run one at a time on a single thread
    (``Writer``), each atomically, so SQLite never reports "database is
    locked" to a caller and read-check-write sequences in a service are never
    interleaved.
    """

    def __init__(self, config: Config) -> None:
        self.config = config
        self.db = make_database(config)
        self._readers = ThreadPoolExecutor(
            max_workers=config.database.read_threads,
            thread_name_prefix="trakrf-read",
        )
        self._writer = Writer(self.db)
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
        self._check_connection()
        if migrate:
            from trakrf_server.migrate import apply_migrations

            with self._lock:
                apply_migrations(self.db)

    def _check_connection(self) -> None:
        """Raise ConfigError unless the configured database can be opened.

        peewee connects lazily, so an unreachable server, a missing database or
        an unreadable file would otherwise surface as a driver traceback from
        the first migration query instead of one line saying what is wrong.
        """
        try:
            with self.db.connection_context():
                pass
        except (peewee.DatabaseError, peewee.InterfaceError) as exc:
            reason = " ".join(str(exc).split()) or type(exc).__name__
            raise ConfigError(f"cannot open the database: {reason}") from None

    def close(self) -> None:
        self._readers.shutdown(wait=True)
        self._writer.close()
        if self._watch is not None:
            self._watch.close()
            self._watch = None
        if not self.db.is_closed():
            self.db.close()

    def _run_read(self, fn: Callable[..., T], args: tuple[Any, ...]) -> T:
        self.db.connect(reuse_if_open=True)
        return fn(*args)

    async def read(self, fn: Callable[..., T], *args: Any) -> T:
        """Run ``fn(*args)`` on a reader thread and return its result."""
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._readers, self._run_read, fn, args)

    async def write(self, fn: Callable[..., T], *args: Any) -> T:
        """Run ``fn(*args)`` on the writer thread, atomically, and return its
        result once it is committed (``Writer``).

        An exception raised by ``fn`` rolls back everything ``fn`` did.
        """
        return await asyncio.wrap_future(self._writer.submit(fn, args))

    def write_soon(self, fn: Callable[..., Any], *args: Any) -> None:
        """Queue a best-effort write whose outcome nobody waits for."""

        def logged(future: Future) -> None:
            # A best-effort write must never surface anywhere.
            if not future.cancelled() and future.exception() is not None:
                log.error("background write failed", exc_info=future.exception())

        self._writer.submit(fn, args).add_done_callback(logged)

    def run_sync_write(self, fn: Callable[..., T], *args: Any) -> T:
        """For command-line use outside an event loop."""
        return self._writer.submit(fn, args).result()

    def queued_writes(self) -> int:
        """Writes waiting for the writer thread (not counting a running one)."""
        return self._writer.queued()

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


def in_chunks(values: Sequence[T], size: int = IN_LIST_CHUNK) -> Iterator[Sequence[T]]:
    """``values`` in consecutive slices of at most ``size``, for ``IN`` lists."""
    for start in range(0, len(values), size):
        yield values[start : start + size]


def code_point_order(column: Any) -> Any:
    """``column`` compared by Unicode code point (CONTRACT PAGE-14).

    SQLite's default BINARY collation already compares UTF-8 bytes, which is
    code-point order; PostgreSQL follows the database locale unless told "C".
    """
    if is_sqlite():
        return column
    return column.collate('"C"')
