"""The two bare-Tornado baselines, each run as its own process on loopback.

    python -m bench.baselines fixed  --db DB --org ID --port P
    python -m bench.baselines sqlite --db DB --org ID --port P

``fixed`` answers ``GET /assets`` with one pre-encoded 50-row page: no
authentication, no query, no encoding per request — what Tornado alone can
do on this machine (the ceiling). ``sqlite`` answers ``GET /assets?limit=
&offset=`` with the same page shape read per request through the standard
``sqlite3`` module: the page with its current-location keys, the page's
tags, and ``count(*)``, encoded with ``json`` on the event loop thread — the
least work the real endpoint can do (the floor).

Both answer ``GET /ready`` for the harness.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sqlite3
from typing import Any

import tornado.web

from trakrf_server import timeutil

WHERE = (
    "a.org_id = ? AND a.deleted_at IS NULL AND a.valid_from <= ?"
    " AND (a.valid_to IS NULL OR a.valid_to > ?)"
)
PAGE_SQL = (
    "SELECT a.id, a.external_key, a.name, a.description, a.location_id,"
    " l.external_key, a.metadata, a.is_active, a.valid_from, a.valid_to,"
    " a.created_at, a.updated_at, a.deleted_at"
    " FROM asset a LEFT JOIN location l ON l.id = a.location_id"
    f" WHERE {WHERE} ORDER BY a.external_key, a.id LIMIT ? OFFSET ?"
)
COUNT_SQL = f"SELECT count(*) FROM asset a WHERE {WHERE}"
TAGS_SQL = (
    "SELECT asset_id, id, tag_type, value FROM tag"
    " WHERE deleted_at IS NULL AND asset_id IN ({marks}) ORDER BY id"
)


def _ts(micros: int | None) -> str | None:
    return None if micros is None else timeutil.format_ts(timeutil.from_micros(micros))


def read_page(
    con: sqlite3.Connection, org_id: int, limit: int, offset: int
) -> dict[str, Any]:
    """One ``GET /assets`` page, built from three plain statements."""
    now = timeutil.to_micros(timeutil.now())
    rows = con.execute(PAGE_SQL, (org_id, now, now, limit, offset)).fetchall()
    total = con.execute(COUNT_SQL, (org_id, now, now)).fetchone()[0]
    tags: dict[int, list[dict[str, Any]]] = {row[0]: [] for row in rows}
    if rows:
        marks = ",".join("?" * len(rows))
        for asset_id, tag_id, tag_type, value in con.execute(
            TAGS_SQL.format(marks=marks), [row[0] for row in rows]
        ):
            tags[asset_id].append({"id": tag_id, "tag_type": tag_type, "value": value})
    data = [
        {
            "id": r[0],
            "external_key": r[1],
            "name": r[2],
            "description": r[3],
            "location_id": r[4],
            "location_external_key": r[5],
            "metadata": json.loads(r[6]),
            "is_active": bool(r[7]),
            "valid_from": _ts(r[8]),
            "valid_to": _ts(r[9]),
            "created_at": _ts(r[10]),
            "updated_at": _ts(r[11]),
            "deleted_at": _ts(r[12]),
            "tags": tags[r[0]],
        }
        for r in rows
    ]
    return {"data": data, "limit": limit, "offset": offset, "total_count": total}


def encode(body: dict[str, Any]) -> bytes:
    return json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode()


class ReadyHandler(tornado.web.RequestHandler):
    def get(self) -> None:
        self.finish("ok")


class FixedPageHandler(tornado.web.RequestHandler):
    def initialize(self, page: bytes) -> None:
        self.page = page

    def get(self) -> None:
        self.set_header("Content-Type", "application/json; charset=utf-8")
        self.finish(self.page)


class SqlitePageHandler(tornado.web.RequestHandler):
    def initialize(self, con: sqlite3.Connection, org_id: int) -> None:
        self.con = con
        self.org_id = org_id

    def get(self) -> None:
        limit = int(self.get_query_argument("limit", "50"))
        offset = int(self.get_query_argument("offset", "0"))
        body = read_page(self.con, self.org_id, limit, offset)
        self.set_header("Content-Type", "application/json; charset=utf-8")
        self.finish(encode(body))


def make_app(kind: str, db_path: str, org_id: int) -> tornado.web.Application:
    # Read-only: the baselines never write and must not hold write locks.
    con = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True)
    if kind == "fixed":
        page = encode(read_page(con, org_id, 50, 0))
        con.close()
        handler: tuple = (r"/assets", FixedPageHandler, {"page": page})
    else:
        handler = (r"/assets", SqlitePageHandler, {"con": con, "org_id": org_id})
    return tornado.web.Application(
        [(r"/ready", ReadyHandler), handler], compress_response=False
    )


async def serve(kind: str, db_path: str, org_id: int, port: int) -> None:
    app = make_app(kind, db_path, org_id)
    app.listen(port, "127.0.0.1")
    # Bounded: the harness stops it by pid long before this.
    await asyncio.sleep(6 * 3600)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("kind", choices=("fixed", "sqlite"))
    parser.add_argument("--db", required=True)
    parser.add_argument("--org", type=int, required=True)
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args()
    asyncio.run(serve(args.kind, args.db, args.org, args.port))


if __name__ == "__main__":
    main()
