"""How fast and lean trakrf-server is, next to bare baselines, in one run.

    python -m bench.run [--assets 100000] [--locations 1000] [--events 1000000]
                        [--seconds 10] [--connections 16] [--threads 2]

1. Seeds a fresh SQLite database (``bench.seed``) unless ``--data-dir``
   already holds one seeded by an earlier run.
2. Starts, each as its own process on loopback: the real server
   (``run.py serve``, rate limiting off, RL-8), a bare Tornado handler with a
   fixed page, a bare Tornado handler reading the page with ``sqlite3``
   (``bench.baselines``), and Datasette on the same database file.
3. Loads one endpoint at a time at a fixed concurrency (``bench.load``), pushes
   reader batches, probes ``/orgs/me`` while logins run, and samples memory.
4. Prints the tables and PASS/MISS per target; exits 1 if a target is missed.

Benchmarks are run by hand, never by CI: absolute numbers depend on the
machine, the ratios to the baselines measured in the same run are what
compare.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import random
import sqlite3
import sys
import tempfile
import time
from collections.abc import Awaitable
from dataclasses import asdict
from pathlib import Path
from typing import TypeVar

from bench import load, procs
from bench.ingest import raw_insert_baseline
from bench.load import HttpConnection
from bench.profile import Profiler
from bench.report import Figures, render
from bench.seed import SeedInfo, seed, tag_value
from trakrf_server import timeutil
from trakrf_server.db import SQLITE_PRAGMAS

T = TypeVar("T")

ROOT = Path(__file__).resolve().parent.parent
BASELINES = ("ceiling", "floor", "floor_deep", "datasette")
INFO_FILE = "bench.json"
BATCH = 500
ANTENNAS = 4


# --- setup ------------------------------------------------------------------------


def seeded(args: argparse.Namespace, data_dir: Path) -> SeedInfo:
    """The database in ``data_dir``: reused when an earlier run left one."""
    saved = data_dir / INFO_FILE
    if saved.exists():
        raw = json.loads(saved.read_text())
        raw["data_dir"] = Path(raw["data_dir"])
        info = SeedInfo(**raw)
        print(f"reusing the database in {data_dir} (seeded earlier)")
        return info
    print(
        f"seeding {args.assets:,} assets, {args.locations:,} locations, "
        f"{args.events:,} scan events into {data_dir}"
    )
    info = seed(data_dir, args.assets, args.locations, args.events)
    raw = asdict(info)
    raw["data_dir"] = str(info.data_dir)
    saved.write_text(json.dumps(raw))
    return info


def start_services(
    args: argparse.Namespace, info: SeedInfo, log_dir: Path
) -> dict[str, procs.Service]:
    db_path = str(info.data_dir / "trakrf.db")
    services: dict[str, procs.Service] = {}
    port = procs.free_port()
    services["trakrf-server"] = procs.start(
        "trakrf-server",
        [
            sys.executable,
            str(ROOT / "run.py"),
            "serve",
            "--data-dir",
            str(info.data_dir),
            "--port",
            str(port),
        ],
        port,
        "/readyz",
        log_dir,
        env={"TRAKRF_RATE_LIMIT_ENABLED": "false"},
        cwd=ROOT,
    )
    for kind in ("fixed", "sqlite"):
        port = procs.free_port()
        services[kind] = procs.start(
            f"tornado-{kind}",
            [
                sys.executable,
                "-m",
                "bench.baselines",
                kind,
                "--db",
                db_path,
                "--org",
                str(info.org_id),
                "--port",
                str(port),
            ],
            port,
            "/ready",
            log_dir,
            cwd=ROOT,
        )
    if not args.no_datasette:
        port = procs.free_port()
        services["datasette"] = procs.start(
            "datasette",
            [
                sys.executable,
                "-m",
                "datasette",
                "serve",
                db_path,
                "--host",
                "127.0.0.1",
                "--port",
                str(port),
                # Facet suggestions are extra work our endpoint does not do;
                # switching them off makes the baseline faster, not slower.
                "--setting",
                "suggest_facets",
                "off",
            ],
            port,
            "/-/versions.json",
            log_dir,
            cwd=ROOT,
        )
    return services


# --- measurements -----------------------------------------------------------------


async def _json(
    conn: HttpConnection,
    method: str,
    path: str,
    headers: dict[str, str],
    body: object | None = None,
) -> tuple[int, dict]:
    raw = b"" if body is None else json.dumps(body).encode()
    if body is not None:
        headers = {**headers, "Content-Type": "application/json"}
    status, payload = await conn.request(method, path, headers, raw)
    return status, (json.loads(payload) if payload else {})


async def login(port: int, info: SeedInfo) -> str:
    conn = HttpConnection("127.0.0.1", port)
    try:
        status, body = await _json(
            conn,
            "POST",
            "/api/v1/auth/login",
            {},
            {"email": info.email, "password": info.password},
        )
    finally:
        conn.close()
    if status != 200:
        raise RuntimeError(f"login failed: {status} {body}")
    return body["data"]["token"]


async def prepare_reader(port: int, info: SeedInfo) -> tuple[int | None, str]:
    """A reader with antennas 1-4 on locations 1-4, through the web-app API.

    Returns (reader id, "") or (None, why) when the server has no reader
    ingest endpoint.
    """
    session = {"Authorization": f"Bearer {await login(port, info)}"}
    conn = HttpConnection("127.0.0.1", port)
    try:
        status, body = await _json(
            conn, "POST", "/api/v1/readers", session, {"name": "bench reader"}
        )
        if status == 404:
            return None, "(no reader ingest endpoint in this build)"
        if status != 201:
            raise RuntimeError(f"reader registration failed: {status} {body}")
        reader_id = body["data"]["id"]
        for antenna in range(1, ANTENNAS + 1):
            path = f"/api/v1/readers/{reader_id}/antennas/{antenna}"
            status, body = await _json(
                conn, "PUT", path, session, {"location_id": antenna}
            )
            if status != 200:
                raise RuntimeError(f"antenna mapping failed: {status} {body}")
    finally:
        conn.close()
    return reader_id, ""


def ingest_bodies(info: SeedInfo, batches: int) -> tuple[list[bytes], list[tuple]]:
    """Encoded batches of 500 reads of known tags, newer than every seeded event.

    Also returns the scan-event rows they should become, in the shape
    ``bench.ingest.raw_insert_baseline`` inserts (antenna n watches location n).
    """
    rng = random.Random(11)
    base = timeutil.to_micros(timeutil.now())
    bodies, rows = [], []
    for b in range(batches):
        reads = []
        for k in range(BATCH):
            micros = base + (b * BATCH + k) * 1000
            asset_id = rng.randrange(info.assets) + 1
            antenna = rng.randrange(ANTENNAS) + 1
            reads.append(
                {
                    "epc": tag_value(asset_id),
                    "antenna": antenna,
                    "seen_at": timeutil.format_ts(timeutil.from_micros(micros)),
                }
            )
            rows.append((info.org_id, asset_id, antenna, micros, micros))
        body = {"batch_id": f"bench-{base}-{b}", "reads": reads}
        bodies.append(json.dumps(body).encode())
    return bodies, rows


def same_database_floor(info: SeedInfo, rows: list[tuple]) -> float:
    """Reads/s of the least work ingest does, on a copy of the seeded database.

    Per 500 rows, one transaction with the server's pragmas (``SQLITE_PRAGMAS``,
    so also its checkpoint interval): the events
    through ``executemany`` and each asset's location, last-seen time and
    last event through another. Only the page writes and commits remain.
    """
    with tempfile.TemporaryDirectory(prefix="trakrf-floor-") as folder:
        copy = Path(folder) / "copy.db"
        src = sqlite3.connect(f"file:{info.data_dir / 'trakrf.db'}?mode=ro", uri=True)
        dst = sqlite3.connect(copy, isolation_level=None)
        src.backup(dst)
        src.close()
        for name, value in SQLITE_PRAGMAS.items():
            dst.execute(f"PRAGMA {name}={value}")
        started = time.perf_counter()
        for start in range(0, len(rows), BATCH):
            chunk = [(*row, "reader") for row in rows[start : start + BATCH]]
            dst.execute("BEGIN")
            dst.executemany(
                "INSERT INTO scan_event (org_id, asset_id, location_id,"
                " observed_at, recorded_at, source) VALUES (?,?,?,?,?,?)",
                chunk,
            )
            dst.executemany(
                "UPDATE asset SET location_id = ?, last_seen_at = ?,"
                " last_event_id = (SELECT max(id) FROM scan_event) WHERE id = ?",
                [(r[2], r[3], r[1]) for r in chunk],
            )
            dst.execute("COMMIT")
        seconds = time.perf_counter() - started
        dst.close()
    return len(rows) / seconds


def count_events(info: SeedInfo) -> int:
    con = sqlite3.connect(f"file:{info.data_dir / 'trakrf.db'}?mode=ro", uri=True)
    try:
        return con.execute("SELECT count(*) FROM scan_event").fetchone()[0]
    finally:
        con.close()


async def measure_ingest(
    args: argparse.Namespace, server: procs.Service, info: SeedInfo, f: Figures
) -> None:
    reader_id, why = await prepare_reader(server.port, info)
    if reader_id is None:
        f.ingest_note = why
        return
    bodies, rows = ingest_bodies(info, args.ingest_batches)
    headers = {
        "Authorization": f"Bearer {info.token}",
        "Content-Type": "application/json",
    }
    before = count_events(info)
    result = await load.run_client(
        "ingest",
        f"{server.base}/api/v1/readers/{reader_id}/reads",
        headers,
        args.ingest_connections,
        args.seconds * 3,
        make_request=lambda i: ("POST", bodies[i]),
        max_requests=len(bodies),
    )
    recorded = count_events(info) - before
    f.ingest_reads_per_s = recorded / result.seconds
    f.ingest_note = (
        f"({result.requests} batches × {BATCH}, {args.ingest_connections} "
        f"connections, {recorded:,} events recorded, {result.errors} errors)"
    )
    # Two floors for the same rows: appended to an empty table (the
    # tracking benchmark's baseline), and written into a copy of this
    # database with each asset's current location updated, as ingest must.
    f.ingest_floor_reads_per_s = raw_insert_baseline(rows)
    f.ingest_same_db_floor_reads_per_s = same_database_floor(info, rows)


async def orgs_me_during_logins(
    args: argparse.Namespace, server: procs.Service, info: SeedInfo, f: Figures
) -> None:
    """``/orgs/me`` latency while 8 clients log in back to back."""
    body = json.dumps({"email": info.email, "password": info.password}).encode()
    done = 0
    stop = asyncio.Event()
    deadline = time.perf_counter() + args.seconds + 30

    async def login_loop() -> None:
        nonlocal done
        conn = HttpConnection("127.0.0.1", server.port)
        headers = {"Content-Type": "application/json"}
        try:
            while not stop.is_set() and time.perf_counter() < deadline:
                status, _ = await conn.request(
                    "POST", "/api/v1/auth/login", headers, body
                )
                if status == 200:
                    done += 1
        finally:
            conn.close()

    loops = [asyncio.create_task(login_loop()) for _ in range(args.logins)]
    await asyncio.sleep(1.0)  # every login in flight before measuring
    done = 0
    started = time.perf_counter()
    try:
        f.orgs_me_during_logins = await load.measure(
            "orgs_me_logins",
            f"{server.base}/api/v1/orgs/me",
            {"Authorization": f"Bearer {info.token}"},
            args.probe_connections,
            1,
            args.seconds,
            use_wrk=not args.no_wrk,
        )
        f.logins_per_s = done / (time.perf_counter() - started)
    finally:
        stop.set()
        await asyncio.gather(*loops, return_exceptions=True)


async def measure_all(
    args: argparse.Namespace,
    services: dict[str, procs.Service],
    info: SeedInfo,
    f: Figures,
) -> None:
    server = services["trakrf-server"]
    key = {"Authorization": f"Bearer {info.token}"}
    deep = min(90_000, max(0, info.assets - 50))
    asset_id = max(1, info.assets // 2)
    v1 = f"{server.base}/api/v1"
    plan: list[tuple[str, str, str, dict[str, str]]] = [
        (
            "ceiling",
            "baseline: bare Tornado, fixed 50-row page",
            f"{services['fixed'].base}/assets",
            {},
        ),
        (
            "floor",
            "baseline: bare Tornado + sqlite3, page + count",
            f"{services['sqlite'].base}/assets?limit=50",
            {},
        ),
        (
            "floor_deep",
            f"baseline: bare Tornado + sqlite3, offset {deep}",
            f"{services['sqlite'].base}/assets?limit=50&offset={deep}",
            {},
        ),
    ]
    if "datasette" in services:
        plan.append(
            (
                "datasette",
                "baseline: Datasette asset.json, 50 rows",
                f"{services['datasette'].base}/trakrf/asset.json"
                "?_size=50&_shape=objects",
                {},
            )
        )
    plan += [
        ("assets", "GET /assets?limit=50", f"{v1}/assets?limit=50", key),
        (
            "assets_deep",
            f"GET /assets?limit=50&offset={deep}",
            f"{v1}/assets?limit=50&offset={deep}",
            key,
        ),
        ("asset", "GET /assets/{id}", f"{v1}/assets/{asset_id}", key),
        (
            "history",
            "GET /assets/{id}/history?limit=50",
            f"{v1}/assets/{asset_id}/history?limit=50",
            key,
        ),
        ("orgs_me", "GET /orgs/me", f"{v1}/orgs/me", key),
        (
            "report",
            "GET /reports/asset-locations?limit=50",
            f"{v1}/reports/asset-locations?limit=50",
            key,
        ),
    ]
    profiler = Profiler(args.profile, server.proc.pid) if args.profile else None

    def step(name: str, coro: Awaitable[T]) -> Awaitable[T]:
        """``coro``, profiled when asked and when it loads the server."""
        if profiler is None or name in BASELINES:
            return coro
        return profiler.record(name, coro)

    wanted = set(args.only.split(",")) if args.only else None

    def chosen(name: str) -> bool:
        return wanted is None or name in wanted

    for name, label, url, headers in plan:
        if not chosen(name):
            continue
        if not await _answers_200(url, headers):
            print(f"  skip {label}: not 200 in this build")
            continue
        print(f"  load {label} …", flush=True)
        f.labels[name] = label
        f.load[name] = await step(
            name,
            load.measure(
                name,
                url,
                headers,
                args.connections,
                args.threads,
                args.seconds,
                use_wrk=not args.no_wrk,
            ),
        )

    report_url = f"{v1}/reports/asset-locations?limit=50"
    if chosen("report_latency") and await _answers_200(report_url, key):
        print("  latency of the report's first page, 1 connection …", flush=True)
        f.report_latency = await step(
            "report_latency",
            load.measure(
                "report_latency",
                report_url,
                key,
                1,
                1,
                args.seconds / 2,
                not args.no_wrk,
            ),
        )
    if chosen("ingest"):
        print("  reader ingest …", flush=True)
        await step("ingest", measure_ingest(args, server, info, f))
    if chosen("logins"):
        print(f"  /orgs/me while {args.logins} logins loop …", flush=True)
        await step("logins", orgs_me_during_logins(args, server, info, f))


async def _answers_200(url: str, headers: dict[str, str]) -> bool:
    result = await load.run_client("probe", url, headers, 1, 5.0, max_requests=1)
    return result.requests == 1 and result.errors == 0


# --- main -------------------------------------------------------------------------


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(
        prog="python -m bench.run", description=__doc__.split("\n")[0]
    )
    p.add_argument("--assets", type=int, default=100_000)
    p.add_argument("--locations", type=int, default=1_000)
    p.add_argument("--events", type=int, default=1_000_000)
    p.add_argument("--seconds", type=float, default=10.0, help="per endpoint")
    p.add_argument("--connections", type=int, default=16)
    p.add_argument("--threads", type=int, default=2, help="wrk threads")
    p.add_argument("--ingest-batches", type=int, default=200)
    p.add_argument("--ingest-connections", type=int, default=4)
    p.add_argument("--logins", type=int, default=8, help="concurrent login loops")
    p.add_argument(
        "--probe-connections",
        type=int,
        default=1,
        help="connections probing /orgs/me during the logins",
    )
    p.add_argument(
        "--data-dir",
        type=Path,
        help="keep the database here (reused by later runs); default a temp dir",
    )
    p.add_argument("--markdown", type=Path, help="also write the tables here")
    p.add_argument(
        "--profile",
        type=Path,
        metavar="DIR",
        help="sample the server with py-spy during each step; stacks go to DIR",
    )
    p.add_argument(
        "--only",
        metavar="STEPS",
        help="comma-separated steps to run: ceiling, floor, floor_deep, "
        "datasette, assets, assets_deep, asset, history, orgs_me, report, "
        "report_latency, ingest, logins (default all)",
    )
    p.add_argument("--no-wrk", action="store_true", help="use the asyncio client")
    p.add_argument("--no-datasette", action="store_true")
    p.add_argument(
        "--strict",
        action="store_true",
        help="exit with status 1 when a target is missed",
    )
    return p.parse_args(argv)


def machine() -> str:
    cpu = "unknown CPU"
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            cpu = line.split(":", 1)[1].strip()
            break
    mem = Path("/proc/meminfo").read_text().split("\n")[0].split()[1]
    return (
        f"{os.cpu_count()} CPUs ({cpu}), {int(mem) / 1024 / 1024:.1f} GiB RAM, "
        f"Python {platform.python_version()}, SQLite {sqlite3.sqlite_version}, "
        f"load average {os.getloadavg()[0]:.2f} at start"
    )


async def run(args: argparse.Namespace, data_dir: Path) -> int:
    host = machine()
    info = seeded(args, data_dir)
    f = Figures(
        sizes={
            "assets": info.assets,
            "locations": info.locations,
            "events": info.events,
        },
        seed_seconds=info.seconds,
        settings={
            "tool": "wrk" if load.have_wrk() and not args.no_wrk else "asyncio client",
            "connections": str(args.connections),
            "threads": str(args.threads),
            "seconds per endpoint": f"{args.seconds:g}",
        },
    )
    log_dir = data_dir / "logs"
    log_dir.mkdir(exist_ok=True)
    services = start_services(args, info, log_dir)
    try:
        for name, service in services.items():
            f.start_seconds[name] = service.start_seconds
            service.note_rss("after start")
        await measure_all(args, services, info, f)
        for name, service in services.items():
            service.note_rss("after load")
            f.rss_mb[name] = service.rss
    finally:
        for service in services.values():
            service.stop()

    text, missed = render(f)
    text = f"Machine: {host}.\n{text}"
    print()
    print(text)
    if args.markdown:
        args.markdown.write_text(text + "\n")
    # A missed target is a finding, printed above; only --strict turns it into
    # a failing exit status (for scripted comparisons).
    return 1 if missed and args.strict else 0


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.data_dir:
        args.data_dir.mkdir(parents=True, exist_ok=True)
        return asyncio.run(run(args, args.data_dir.resolve()))
    with tempfile.TemporaryDirectory(prefix="trakrf-bench-") as folder:
        return asyncio.run(run(args, Path(folder)))


if __name__ == "__main__":
    sys.exit(main())
