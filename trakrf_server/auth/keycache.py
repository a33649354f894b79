"""API-key records remembered between requests, never stale (AUTH-2, INT-83).

    record = cache.get(jti)            # on the event loop; None: ask the database
    version = cache.version()          # before reading the record
    cache.put(jti, version, record)

Reading a key's record costs every API-key request a reader-thread hop and a
query. On SQLite the database's commit counter (``Database.commit_counter``:
``PRAGMA data_version`` on a connection that never writes) changes with every
commit of any connection or process, so a record read after the counter had
some value is still what the database holds while the counter keeps it. A
record is used only then; the rules (revoked, expired, org deleted) are
applied to it on every request by ``principals.key_principal``. Revoking a
key or deleting an org here also clears the memory at once, so correctness
does not rest on the counter alone for this process's own writes.

PostgreSQL has no such counter and several processes may share it: nothing
is remembered there, and every request reads the record, so a revocation by
any process is effective on the next request.

Only the event loop thread touches the memory.
"""

from __future__ import annotations

from trakrf_server.auth.principals import KeyRecord
from trakrf_server.db import Database

# Distinct keys remembered; more are simply read again.
MAX_ENTRIES = 1024


class KeyCache:
    def __init__(self, db: Database) -> None:
        self._db = db
        self._entries: dict[str, tuple[int, KeyRecord]] = {}

    def version(self) -> int | None:
        """The commit counter now, or None when nothing may be remembered."""
        return self._db.commit_counter()

    def get(self, jti: str) -> KeyRecord | None:
        """The remembered record of ``jti`` if nothing committed since it was
        read, else None."""
        entry = self._entries.get(jti)
        if entry is None:
            return None
        version = self.version()
        if version is None or entry[0] != version:
            # One commit makes every entry stale at once.
            self._entries.clear()
            return None
        return entry[1]

    def put(self, jti: str, version: int | None, record: KeyRecord | None) -> None:
        """Remember ``record``, read after the counter was ``version``."""
        if version is None or record is None:
            return
        if len(self._entries) >= MAX_ENTRIES:
            self._entries.clear()
        self._entries[jti] = (version, record)

    def clear(self) -> None:
        """Forget everything (after this process revokes a key or deletes an
        org)."""
        self._entries.clear()
