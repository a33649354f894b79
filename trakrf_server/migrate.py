"""Numbered migrations from ``migrations/NNNN_name.py``, each applied once.

A migration module defines ``up(db)``; it runs inside one transaction and is
recorded in the ``migration`` table by file name.
"""

from __future__ import annotations

import importlib.util
import logging
from pathlib import Path
from types import ModuleType

import peewee

from trakrf_server import timeutil
from trakrf_server.models import Migration
from trakrf_server.paths import migrations_dir

log = logging.getLogger("trakrf.migrate")


def discover(folder: Path | None = None) -> list[Path]:
    folder = folder or migrations_dir()
    return sorted(p for p in folder.glob("[0-9][0-9][0-9][0-9]_*.py"))


def _load(path: Path) -> ModuleType:
    spec = importlib.util.spec_from_file_location(f"trakrf_migration_{path.stem}", path)
    if spec is None or spec.loader is None:
        raise RuntimeError(f"cannot load migration {path}")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


# Any fixed number: the PostgreSQL advisory lock every process takes to migrate.
MIGRATION_LOCK = 0x7472616B7266


def apply_migrations(db: peewee.Database, folder: Path | None = None) -> list[str]:
    """Apply every migration not yet recorded; return the names applied.

    On PostgreSQL several processes may start together on one database; an
    advisory lock lets one migrate while the others wait, then find it done.
    """
    db.connect(reuse_if_open=True)
    if not isinstance(db, peewee.PostgresqlDatabase):
        return _apply(db, folder)
    db.execute_sql("SELECT pg_advisory_lock(%s)", (MIGRATION_LOCK,))
    try:
        return _apply(db, folder)
    finally:
        db.execute_sql("SELECT pg_advisory_unlock(%s)", (MIGRATION_LOCK,))


def _apply(db: peewee.Database, folder: Path | None) -> list[str]:
    db.create_tables([Migration], safe=True)
    done = {m.name for m in Migration.select(Migration.name)}
    applied = []
    for path in discover(folder):
        if path.stem in done:
            continue
        module = _load(path)
        with db.atomic():
            module.up(db)
            Migration.create(name=path.stem, applied_at=timeutil.now())
        log.info("applied migration %s", path.stem)
        applied.append(path.stem)
    return applied
