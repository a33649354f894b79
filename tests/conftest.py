"""Shared fixtures: a real server on a real socket over a fresh SQLite file.

pytest-tornado supplies ``io_loop``, ``http_server``, ``http_client`` and
``base_url`` around the ``app`` fixture defined here. Tests talk HTTP through
``api`` and arrange data through ``seed`` (plain service calls on the writer).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import threading
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import pytest
from tornado.httpclient import HTTPResponse

from trakrf_server.app import make_app, make_context
from trakrf_server.auth.passwords import hash_password
from trakrf_server.auth.tokens import mint_session
from trakrf_server.config import Config, load_config
from trakrf_server.services import accounts, keys

ALL_PUBLIC = list(keys.PUBLIC_SCOPES)


@pytest.fixture
def overrides() -> dict[str, Any]:
    """Configuration changes for one test module: override this fixture."""
    return {}


# TRAKRF_TEST_DATABASE=postgres runs every test on a fresh PostgreSQL database
# (the ``postgres_url`` fixture) instead of a fresh SQLite file.
TEST_DATABASE = os.environ.get("TRAKRF_TEST_DATABASE", "sqlite")


@pytest.fixture
def config(request, tmp_path, overrides) -> Config:
    base = {
        "server.data_dir": str(tmp_path / "data"),
        "auth.bcrypt_rounds": 4,
        "database.url": "",
    }
    if TEST_DATABASE == "postgres":
        base["database.url"] = request.getfixturevalue("postgres_url")
    base.update(overrides)
    return load_config(None, base, env={})


@pytest.fixture
def ctx(config):
    context = make_context(config)
    yield context
    context.db.close()


@pytest.fixture
def app(ctx):
    return make_app(ctx)


class Response:
    """An HTTP response with its JSON body decoded (when there is one)."""

    def __init__(self, raw: HTTPResponse) -> None:
        self.raw = raw
        self.status = raw.code
        self.headers = raw.headers
        self.text = raw.body.decode("utf-8") if raw.body else ""

    def json(self) -> Any:
        return json.loads(self.text)

    @property
    def error(self) -> dict[str, Any]:
        return self.json()["error"]

    def __repr__(self) -> str:
        return f"<Response {self.status} {self.text[:300]}>"


class Api:
    """A small HTTP client bound to the test server."""

    def __init__(self, http_client, base_url: str) -> None:
        self.http_client = http_client
        self.base_url = base_url

    async def request(
        self,
        method: str,
        path: str,
        token: str | None = None,
        json_body: Any = None,
        body: bytes | str | None = None,
        headers: dict[str, str] | None = None,
        content_type: str | None = None,
    ) -> Response:
        sent = dict(headers or {})
        if token is not None:
            sent["Authorization"] = f"Bearer {token}"
        if json_body is not None:
            body = json.dumps(json_body)
            if content_type is None:
                content_type = (
                    "application/merge-patch+json"
                    if method == "PATCH"
                    else "application/json"
                )
        if content_type is not None:
            sent["Content-Type"] = content_type
        if body is None and method in ("POST", "PUT", "PATCH"):
            body = b""
        raw = await self.http_client.fetch(
            self.base_url + path,
            method=method,
            headers=sent,
            body=body,
            raise_error=False,
            allow_nonstandard_methods=True,
            follow_redirects=False,
        )
        return Response(raw)

    async def get(self, path: str, **kw: Any) -> Response:
        return await self.request("GET", path, **kw)

    async def post(self, path: str, json_body: Any = None, **kw: Any) -> Response:
        return await self.request("POST", path, json_body=json_body, **kw)

    async def patch(self, path: str, json_body: Any = None, **kw: Any) -> Response:
        return await self.request("PATCH", path, json_body=json_body, **kw)

    async def put(self, path: str, json_body: Any = None, **kw: Any) -> Response:
        return await self.request("PUT", path, json_body=json_body, **kw)

    async def delete(self, path: str, **kw: Any) -> Response:
        return await self.request("DELETE", path, **kw)


@pytest.fixture
def api(http_client, base_url) -> Api:
    return Api(http_client, base_url)


@dataclass
class Tenant:
    """An organization with one admin user and handy credentials."""

    org_id: int
    user_id: int
    email: str
    password: str
    session: str


class Seed:
    """Arrange data directly through the services, bypassing HTTP."""

    def __init__(self, ctx) -> None:
        self.ctx = ctx
        self._count = 0

    def write(self, fn, *args):
        return self.ctx.db.run_sync_write(fn, *args)

    def tenant(self, name: str | None = None, role: str = "admin") -> Tenant:
        self._count += 1
        name = name or f"Org {self._count}"
        email = f"user{self._count}@example.com"
        password = "correct horse"
        hashed = hash_password(password, 4)

        def create():
            user = accounts.create_user(email, hashed)
            org = accounts.create_org(name)
            accounts.add_member(user, org, role)
            return org.id, user.id

        org_id, user_id = self.write(create)
        return Tenant(
            org_id, user_id, email, password, self.session(user_id, email, org_id)
        )

    def session(self, user_id: int, email: str, org_id: int | None) -> str:
        return mint_session(self.ctx.secret, user_id, email, org_id, 3600)

    def key(self, org_id: int, scopes: list[str] | None = None, **kw: Any) -> str:
        scopes = ALL_PUBLIC if scopes is None else scopes
        _, token = self.write(
            lambda: keys.mint_key(self.ctx.secret, org_id, "test key", scopes, **kw)
        )
        return token


@pytest.fixture
def seed(ctx) -> Seed:
    return Seed(ctx)


PG_ADMIN_DSN = "postgresql://127.0.0.1:5432/test"


@pytest.fixture
def postgres_url():
    """A fresh, empty PostgreSQL database for one test; dropped afterwards."""
    psycopg2 = pytest.importorskip("psycopg2")
    import uuid

    name = f"trakrf_t_{uuid.uuid4().hex[:12]}"
    admin = psycopg2.connect(PG_ADMIN_DSN)
    admin.autocommit = True
    with admin.cursor() as cur:
        cur.execute(f'CREATE DATABASE "{name}"')
    try:
        yield f"postgresql://127.0.0.1:5432/{name}"
    finally:
        with admin.cursor() as cur:
            cur.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.close()


@contextlib.asynccontextmanager
async def held_writer(db, queued: int) -> AsyncIterator[None]:
    """Keep the writer thread busy until ``queued`` writes wait behind it, so
    those started inside the block run as one group (``db.Writer``)."""
    started, release = threading.Event(), threading.Event()

    def block() -> None:
        started.set()
        release.wait(30)

    blocker = asyncio.ensure_future(db.write(block))
    try:
        loop = asyncio.get_running_loop()
        assert await loop.run_in_executor(None, started.wait, 30)
        yield
        deadline = time.monotonic() + 30
        while db.queued_writes() < queued:
            assert time.monotonic() < deadline, "writes never queued"
            await asyncio.sleep(0.01)
    finally:
        release.set()
        await blocker
