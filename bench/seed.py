"""A large, consistent database in seconds.

    info = seed(data_dir, assets=100_000, locations=1_000, events=1_000_000)

The schema comes from the server's own migrations and the account rows (org,
user, membership, API key) from its services, so they are exactly what the
server would have written. The bulk rows (locations, assets, tags, scan
events) go in through ``executemany`` on the SQLite file in large
transactions: the server's write path is one row at a time by design, and
a million events that way would take longer than the benchmark itself.

Column names come from the peewee models, so a renamed column breaks the
seeder loudly instead of seeding the wrong thing. Scan events are drawn from
a seeded random stream; each asset's current location, ``last_seen_at`` and
``last_event_id`` are those of its latest event (ASSET-3), exactly what
ingest maintains.
"""

from __future__ import annotations

import random
import sqlite3
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import peewee
from tqdm import tqdm

from trakrf_server import timeutil
from trakrf_server.auth.passwords import hash_password
from trakrf_server.auth.tokens import load_or_create_secret
from trakrf_server.config import Config, load_config
from trakrf_server.db import Database
from trakrf_server.models import Asset, Location, ScanEvent, Tag
from trakrf_server.services import accounts, keys

EMAIL = "bench@example.com"
PASSWORD = "bench password 1"
ORG_NAME = "Bench"
CHUNK = 50_000
# Roots of the location tree; every other location hangs TREE_FANOUT per parent.
TREE_ROOTS = 10
TREE_FANOUT = 10


@dataclass(frozen=True)
class SeedInfo:
    data_dir: Path
    org_id: int
    token: str
    email: str
    password: str
    assets: int
    locations: int
    events: int
    seconds: float


def bench_config(data_dir: Path) -> Config:
    """The configuration every bench step uses: defaults, this data dir."""
    return load_config(None, {"server.data_dir": str(data_dir)}, env={})


def tag_value(asset_id: int) -> str:
    """The EPC of an asset's one RFID tag (24 hex digits, as readers send)."""
    return f"E200{asset_id:020d}"


def _insert_sql(model: type[peewee.Model], fields: Sequence[peewee.Field]) -> str:
    columns = ", ".join(f.column_name for f in fields)
    marks = ", ".join("?" for _ in fields)
    return f"INSERT INTO {model._meta.table_name} ({columns}) VALUES ({marks})"


def _chunks(rows: Iterator[tuple], size: int = CHUNK) -> Iterator[list[tuple]]:
    chunk: list[tuple] = []
    for row in rows:
        chunk.append(row)
        if len(chunk) == size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def _bulk(
    con: sqlite3.Connection,
    model: type[peewee.Model],
    fields: Sequence[peewee.Field],
    rows: Iterator[tuple],
    total: int,
    progress: bool,
) -> None:
    sql = _insert_sql(model, fields)
    name = model._meta.table_name
    with tqdm(total=total, desc=f"{name:>10}", unit="row", disable=not progress) as bar:
        for chunk in _chunks(rows):
            with con:
                con.executemany(sql, chunk)
            bar.update(len(chunk))


def _accounts(config: Config) -> tuple[int, str]:
    """Org, admin user and an all-scopes key, through the server's services."""
    db = Database(config)
    db.open()
    secret = load_or_create_secret(config.auth.jwt_secret, config.data_path)
    hashed = hash_password(PASSWORD, config.auth.bcrypt_rounds)

    def create() -> tuple[int, str]:
        org = accounts.create_org(ORG_NAME)
        user = accounts.create_user(EMAIL, hashed)
        accounts.add_member(user, org, "admin")
        user.last_org = org.id
        user.save()
        _, token = keys.mint_key(secret, org.id, "bench", list(keys.ALL_SCOPES))
        return org.id, token

    try:
        return db.run_sync_write(create)
    finally:
        db.close()


def _event_stream(
    n_events: int, n_assets: int, n_locations: int, seed: int
) -> Iterator[tuple[int, int, int]]:
    """(event id, asset id, location id), ids from 1, observed in id order."""
    rng = random.Random(seed)
    randrange = rng.randrange
    for event_id in range(1, n_events + 1):
        yield event_id, randrange(n_assets) + 1, randrange(n_locations) + 1


def seed(
    data_dir: Path,
    assets: int = 100_000,
    locations: int = 1_000,
    events: int = 1_000_000,
    progress: bool = True,
    random_seed: int = 7,
) -> SeedInfo:
    """Create a fresh database in ``data_dir`` (which must hold none yet)."""
    started = time.perf_counter()
    data_dir.mkdir(parents=True, exist_ok=True)
    if (data_dir / "trakrf.db").exists():
        raise FileExistsError(f"{data_dir / 'trakrf.db'} already exists")
    config = bench_config(data_dir)
    org_id, token = _accounts(config)

    now = timeutil.to_micros(timeutil.now())
    # Effective since long before the first event, with no end (PAGE-15).
    valid_from = now - 400 * 86_400 * 1_000_000
    # One event per second, the newest a minute ago.
    first_seen = now - (events + 60) * 1_000_000

    # Each asset's latest event (ids and times rise together, so the last one
    # drawn for an asset is its latest).
    latest: dict[int, tuple[int, int]] = {}
    for event_id, asset_id, location_id in _event_stream(
        events, assets, locations, random_seed
    ):
        latest[asset_id] = (event_id, location_id)

    con = sqlite3.connect(data_dir / "trakrf.db")
    # The seed is rebuilt from scratch on failure, so it needs no durability.
    con.execute("PRAGMA synchronous=OFF")
    # Events land in random asset order, so the (asset, observed_at, id) index
    # is written all over; a cache that holds it keeps that off the disk.
    con.execute("PRAGMA cache_size=-262144")
    con.execute("PRAGMA foreign_keys=ON")
    try:
        _bulk(
            con,
            Location,
            [
                Location.id,
                Location.org,
                Location.external_key,
                Location.name,
                Location.parent,
                Location.is_active,
                Location.valid_from,
                Location.created_at,
                Location.updated_at,
            ],
            (
                (
                    i,
                    org_id,
                    f"LOC-{i:04d}",
                    f"Location {i}",
                    None if i <= TREE_ROOTS else (i - 1) // TREE_FANOUT,
                    1,
                    valid_from,
                    now,
                    now,
                )
                for i in range(1, locations + 1)
            ),
            locations,
            progress,
        )

        def asset_rows() -> Iterator[tuple]:
            for i in range(1, assets + 1):
                last = latest.get(i)
                event_id, location_id = last if last else (None, None)
                seen = first_seen + event_id * 1_000_000 if event_id else None
                yield (
                    i,
                    org_id,
                    f"ASSET-{i:06d}",
                    f"Asset {i}",
                    "{}",
                    1,
                    valid_from,
                    now,
                    now,
                    location_id,
                    seen,
                    event_id,
                )

        _bulk(
            con,
            Asset,
            [
                Asset.id,
                Asset.org,
                Asset.external_key,
                Asset.name,
                Asset.metadata,
                Asset.is_active,
                Asset.valid_from,
                Asset.created_at,
                Asset.updated_at,
                Asset.location,
                Asset.last_seen_at,
                Asset.last_event_id,
            ],
            asset_rows(),
            assets,
            progress,
        )
        _bulk(
            con,
            Tag,
            [
                Tag.org,
                Tag.tag_type,
                Tag.value,
                Tag.lookup_value,
                Tag.asset,
                Tag.created_at,
            ],
            (
                (org_id, "rfid", tag_value(i), tag_value(i), i, now)
                for i in range(1, assets + 1)
            ),
            assets,
            progress,
        )
        _bulk(
            con,
            ScanEvent,
            [
                ScanEvent.id,
                ScanEvent.org,
                ScanEvent.asset,
                ScanEvent.location,
                ScanEvent.observed_at,
                ScanEvent.recorded_at,
                ScanEvent.source,
            ],
            (
                (
                    event_id,
                    org_id,
                    asset_id,
                    location_id,
                    first_seen + event_id * 1_000_000,
                    first_seen + event_id * 1_000_000 + 250_000,
                    "reader",
                )
                for event_id, asset_id, location_id in _event_stream(
                    events, assets, locations, random_seed
                )
            ),
            events,
            progress,
        )
        con.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        con.close()

    return SeedInfo(
        data_dir=data_dir,
        org_id=org_id,
        token=token,
        email=EMAIL,
        password=PASSWORD,
        assets=assets,
        locations=locations,
        events=events,
        seconds=time.perf_counter() - started,
    )
