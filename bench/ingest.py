"""Ingest and tracking-read benchmark (run by hand; not a test).

    python bench/ingest.py [--assets 100000] [--events 1000000] [--reads 20000]

Seeds a fresh SQLite database with N assets (one RFID tag each) and M scan
events, starts the server on a loopback port with rate limiting off, then
measures:

- reads/s pushed through ``POST /api/v1/readers/{id}/reads`` in batches of 500;
- request time of the report's first page and of one history page;

next to a raw sqlite3 baseline from the same run: the same event rows inserted
with ``executemany`` (500 rows per transaction, same pragmas) and the report's
SQL run directly.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import random
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from trakrf_server import timeutil  # noqa: E402
from trakrf_server.auth.tokens import load_or_create_secret  # noqa: E402
from trakrf_server.config import load_config  # noqa: E402
from trakrf_server.db import Database  # noqa: E402
from trakrf_server.services import (  # noqa: E402
    accounts,
    history,
    keys,
    listing,
    readers,
    report,
)

BATCH = 500
LOCATIONS = 50
EPOCH_2026 = timeutil.to_micros(timeutil.parse_rfc3339("2026-01-01T00:00:00Z"))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def seed(path: Path, n_assets: int, n_events: int) -> dict:
    """Schema through the app's migrations, rows through raw executemany."""
    config = load_config(None, {"server.data_dir": str(path)}, env={})
    db = Database(config)
    db.open()

    def base():
        org = accounts.create_org("Bench")
        reader = readers.register_reader(org.id, "bench reader", None)
        return org.id, reader["id"]

    org_id, reader_id = db.run_sync_write(base)
    db.close()

    started = time.perf_counter()
    con = sqlite3.connect(path / "trakrf.db")
    con.execute("PRAGMA journal_mode=wal")
    now = timeutil.to_micros(timeutil.now())
    with con:
        con.executemany(
            "INSERT INTO location (id, org_id, external_key, name, is_active,"
            " valid_from, created_at, updated_at) VALUES (?,?,?,?,1,?,?,?)",
            [
                (i, org_id, f"LOC-{i:04d}", f"Location {i}", now, now, now)
                for i in range(1, LOCATIONS + 1)
            ],
        )
        con.executemany(
            "INSERT INTO asset (id, org_id, external_key, name, metadata, is_active,"
            " valid_from, created_at, updated_at) VALUES (?,?,?,?,'{}',1,?,?,?)",
            [
                (i, org_id, f"ASSET-{i:06d}", f"Asset {i}", now, now, now)
                for i in range(1, n_assets + 1)
            ],
        )
        con.executemany(
            "INSERT INTO tag (org_id, tag_type, value, lookup_value, asset_id,"
            " created_at) VALUES (?, 'rfid', ?, ?, ?, ?)",
            [
                (org_id, f"E200{i:020d}", f"E200{i:020d}", i, now)
                for i in range(1, n_assets + 1)
            ],
        )
        con.executemany(
            "INSERT INTO reader_antenna (reader_id, antenna, location_id, updated_at)"
            " VALUES (?,?,?,?)",
            [(reader_id, a, a, now) for a in range(1, 5)],
        )
    rng = random.Random(7)
    chunk = 100_000
    for start in range(0, n_events, chunk):
        rows = [
            (
                org_id,
                rng.randint(1, n_assets),
                rng.randint(1, LOCATIONS),
                EPOCH_2026 + (start + k) * 1_000_000,
                now,
            )
            for k in range(min(chunk, n_events - start))
        ]
        with con:
            con.executemany(
                "INSERT INTO scan_event (org_id, asset_id, location_id, observed_at,"
                " recorded_at, source) VALUES (?,?,?,?,?,'seed')",
                rows,
            )
    # The denormalized latest event per asset, as services.scans keeps it.
    with con:
        con.execute(
            "UPDATE asset SET last_event_id = (SELECT e.id FROM scan_event e"
            " WHERE e.asset_id = asset.id ORDER BY e.observed_at DESC, e.id DESC"
            " LIMIT 1)"
        )
        con.execute(
            "UPDATE asset SET location_id = (SELECT location_id FROM scan_event"
            " WHERE id = asset.last_event_id), last_seen_at = (SELECT observed_at"
            " FROM scan_event WHERE id = asset.last_event_id)"
        )
    con.execute("ANALYZE")
    con.close()
    seconds = time.perf_counter() - started
    return {"org_id": org_id, "reader_id": reader_id, "seed_seconds": seconds}


def mint(path: Path, org_id: int) -> str:
    config = load_config(None, {"server.data_dir": str(path)}, env={})
    db = Database(config)
    db.open()
    secret = load_or_create_secret("", config.data_path)
    _, token = db.run_sync_write(
        keys.mint_key, secret, org_id, "bench", ["scans:write", "tracking:read"]
    )
    db.close()
    return token


def start_server(path: Path, port: int) -> subprocess.Popen:
    env = dict(os.environ, TRAKRF_RATE_LIMIT_ENABLED="false")
    proc = subprocess.Popen(
        [
            sys.executable,
            str(ROOT / "run.py"),
            "serve",
            "--data-dir",
            str(path),
            "--port",
            str(port),
            "--config",
            str(ROOT / "config.toml"),
        ],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return proc
        except OSError:
            time.sleep(0.1)
    proc.terminate()
    raise SystemExit("server did not start")


def request(conn, method, url, token, body=None):
    headers = {"Authorization": f"Bearer {token}"}
    if body is not None:
        headers["Content-Type"] = "application/json"
        body = json.dumps(body)
    started = time.perf_counter()
    conn.request(method, url, body=body, headers=headers)
    response = conn.getresponse()
    payload = response.read()
    elapsed = time.perf_counter() - started
    if response.status != 200:
        raise SystemExit(f"{method} {url} → {response.status} {payload[:300]!r}")
    return json.loads(payload), elapsed


def timed(conn, url, token, times=7) -> float:
    return statistics.median(request(conn, "GET", url, token)[1] for _ in range(times))


def raw_insert_baseline(rows: list[tuple]) -> float:
    """The same rows with executemany, one transaction per 500, same pragmas."""
    with tempfile.TemporaryDirectory() as folder:
        con = sqlite3.connect(Path(folder) / "raw.db", isolation_level=None)
        con.execute("PRAGMA journal_mode=wal")
        con.execute("PRAGMA synchronous=full")
        con.execute(
            "CREATE TABLE scan_event (id INTEGER PRIMARY KEY, org_id INTEGER,"
            " asset_id INTEGER, location_id INTEGER, observed_at INTEGER,"
            " recorded_at INTEGER, source TEXT)"
        )
        con.execute("CREATE INDEX e_asset ON scan_event (asset_id, observed_at, id)")
        started = time.perf_counter()
        for start in range(0, len(rows), BATCH):
            con.execute("BEGIN")
            con.executemany(
                "INSERT INTO scan_event (org_id, asset_id, location_id, observed_at,"
                " recorded_at, source) VALUES (?,?,?,?,?,'reader')",
                rows[start : start + BATCH],
            )
            con.execute("COMMIT")
        seconds = time.perf_counter() - started
        con.close()
    return len(rows) / seconds


def raw_sql_baseline(path: Path, fn, *args) -> float:
    """The SQL ``fn(*args)`` issues (page and count) run directly with sqlite3."""
    config = load_config(None, {"server.data_dir": str(path)}, env={})
    db = Database(config)
    db.open(migrate=False)
    captured = []
    original = db.db.execute_sql

    def capture(sql, params=None, *a, **kw):
        captured.append((sql, params))
        return original(sql, params, *a, **kw)

    db.db.execute_sql = capture
    fn(*args)
    db.close()
    con = sqlite3.connect(path / "trakrf.db")
    runs = []
    for _ in range(7):
        started = time.perf_counter()
        for sql, params in captured:
            con.execute(sql, params or ()).fetchall()
        runs.append(time.perf_counter() - started)
    con.close()
    return statistics.median(runs)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--assets", type=int, default=100_000)
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--reads", type=int, default=20_000, help="reads to push")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder)
        info = seed(path, args.assets, args.events)
        print(
            f"seeded {args.assets} assets, {args.events} events "
            f"in {info['seed_seconds']:.1f} s"
        )
        token = mint(path, info["org_id"])
        port = free_port()
        server = start_server(path, port)
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
            rng = random.Random(11)
            base = EPOCH_2026 + (args.events + 10) * 1_000_000
            raw_rows = []
            started = time.perf_counter()
            for b in range(0, args.reads, BATCH):
                reads = []
                for k in range(b, min(b + BATCH, args.reads)):
                    asset = rng.randint(1, args.assets)
                    antenna = rng.randint(1, 4)
                    micros = base + k * 1000
                    seen = timeutil.format_ts(timeutil.from_micros(micros))
                    reads.append(
                        {
                            "epc": f"E200{asset:020d}",
                            "antenna": antenna,
                            "seen_at": seen,
                        }
                    )
                    raw_rows.append((info["org_id"], asset, antenna, micros, micros))
                url = f"/api/v1/readers/{info['reader_id']}/reads"
                body, _ = request(
                    conn, "POST", url, token, {"batch_id": f"b{b}", "reads": reads}
                )
                assert body["data"]["recorded"] + body["data"]["duplicates"] == len(
                    reads
                )
            ingest_rate = args.reads / (time.perf_counter() - started)

            report_page = timed(conn, "/api/v1/reports/asset-locations", token)
            history_page = timed(conn, "/api/v1/assets/1/history", token)
            conn.close()
        finally:
            server.terminate()
            server.wait(timeout=30)

        raw_rate = raw_insert_baseline(raw_rows)
        raw_report = raw_sql_baseline(
            path,
            report.asset_locations,
            info["org_id"],
            listing.parse(report.LIST_SPEC, {}),
        )
        raw_history = raw_sql_baseline(
            path,
            history.asset_history,
            info["org_id"],
            1,
            listing.parse(history.LIST_SPEC, {}),
        )

    print(f"{'measure':44} {'server':>12} {'raw sqlite3':>12}")
    print(
        f"{'ingest, batches of 500 (reads/s)':44} {ingest_rate:12.0f} {raw_rate:12.0f}"
    )
    print(
        f"{'report first page + count (ms)':44} {report_page * 1000:12.1f} "
        f"{raw_report * 1000:12.1f}"
    )
    print(
        f"{'history page, 50 rows + count (ms)':44} {history_page * 1000:12.1f} "
        f"{raw_history * 1000:12.1f}"
    )


if __name__ == "__main__":
    main()
