"""Two server processes on one PostgreSQL database, sharing buckets in Redis.

Each test starts two real ``run.py serve`` processes (A and B) on free ports
against a fresh PostgreSQL database, with ``rate_limit.store = "redis"`` under
a key prefix of their own so concurrent runs never share buckets.
"""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jwt
import pytest

pytestmark = [pytest.mark.scale_out, pytest.mark.postgres]

ROOT = Path(__file__).resolve().parents[1]
REDIS_URL = "redis://127.0.0.1:6379/0"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@dataclass
class Reply:
    status: int
    headers: Any
    body: Any


@dataclass
class Server:
    """One ``run.py serve`` child process."""

    name: str
    port: int
    process: subprocess.Popen
    log_path: Path

    def log(self) -> str:
        return self.log_path.read_text(encoding="utf-8", errors="replace")

    def mailed_token(self, email: str, timeout: float = 10.0) -> str:
        """The invitation token in the link logged for a mail to ``email``
        (no SMTP configured: INT-21's link goes to the log)."""
        pattern = re.compile(
            rf"mail to {re.escape(email)} .*#accept-invite\?token=([0-9a-f]+)"
        )
        deadline = time.monotonic() + timeout
        while not (found := pattern.findall(self.log())):
            assert time.monotonic() < deadline, f"no invitation for {email}"
            time.sleep(0.05)
        return found[-1]

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def call(
        self, method: str, path: str, token: str | None = None, body: Any = None
    ) -> Reply:
        headers = {}
        data = None
        if token is not None:
            headers["Authorization"] = f"Bearer {token}"
        if body is not None or method == "POST":
            merge = method == "PATCH"  # PATCH-2
            headers["Content-Type"] = (
                "application/merge-patch+json" if merge else "application/json"
            )
            data = json.dumps(body if body is not None else {}).encode()
        request = urllib.request.Request(
            self.base + path, data=data, headers=headers, method=method
        )
        try:
            with urllib.request.urlopen(request, timeout=30) as r:
                raw, status, got = r.read(), r.status, r.headers
        except urllib.error.HTTPError as err:
            raw, status, got = err.read(), err.code, err.headers
        return Reply(status, got, json.loads(raw) if raw else None)

    def wait_ready(self, deadline: float) -> None:
        while True:
            try:
                with urllib.request.urlopen(self.base + "/readyz", timeout=5) as r:
                    if r.status == 200:
                        return
            except OSError:
                pass
            if self.process.poll() is not None:
                raise AssertionError(f"server {self.name} exited:\n{self.log()}")
            assert time.monotonic() < deadline, f"server {self.name} never ready"
            time.sleep(0.1)

    def stop(self) -> str:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        return self.log()


def _spawn(name: str, tmp_path: Path, env: dict[str, str]) -> Server:
    """Start one server; its output goes to a file (a pipe nobody reads
    while the test runs would fill up and stall the server)."""
    port = _free_port()
    log_path = tmp_path / f"{name}.log"
    with open(log_path, "wb") as log:
        process = subprocess.Popen(
            [sys.executable, str(ROOT / "run.py"), "serve", "--port", str(port)],
            cwd=tmp_path,
            env={**os.environ, **env, "TRAKRF_SERVER_DATA_DIR": str(tmp_path / name)},
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    return Server(name, port, process, log_path)


@pytest.fixture
def redis_prefix():
    """A key prefix of this test's own; its keys are deleted afterwards."""
    redis = pytest.importorskip("redis")
    client = redis.Redis.from_url(REDIS_URL)
    prefix = f"trakrf:test:{uuid.uuid4().hex}:"
    yield prefix
    stale = list(client.scan_iter(match=prefix + "*"))
    if stale:
        client.delete(*stale)
    client.close()


@pytest.fixture
def cluster(postgres_url, redis_prefix, tmp_path):
    """Servers A and B on one database and one bucket store.

    They share the signing secret (as a deployment behind a load balancer
    must), and refill one token a minute so the 120-token burst cannot grow
    while a test spends it — the bucket arithmetic is otherwise the default.
    """
    env = {
        "TRAKRF_DATABASE_URL": postgres_url,
        "TRAKRF_AUTH_JWT_SECRET": uuid.uuid4().hex * 2,
        "TRAKRF_AUTH_BCRYPT_ROUNDS": "4",
        "TRAKRF_RATE_LIMIT_STORE": "redis",
        "TRAKRF_RATE_LIMIT_REDIS_URL": REDIS_URL,
        "TRAKRF_RATE_LIMIT_REDIS_PREFIX": redis_prefix,
        "TRAKRF_RATE_LIMIT_PER_MINUTE": "1",
    }
    deadline = time.monotonic() + 40
    # Started together: one applies the migrations while the other waits.
    servers = [_spawn("a", tmp_path, env), _spawn("b", tmp_path, env)]
    try:
        for server in servers:
            server.wait_ready(deadline)
        a, b = servers
        yield a, b
    finally:
        outputs = [server.stop() for server in servers]
    for server, output in zip(servers, outputs, strict=True):
        assert server.process.returncode == 0, output
        assert "Traceback" not in output, output


def _signup_with_key(a: Server, scopes: list[str]) -> tuple[int, str, str]:
    """Sign up on ``a`` and mint a key there: (org id, session, key token)."""
    r = a.call(
        "POST",
        "/api/v1/auth/signup",
        body={
            "email": f"{uuid.uuid4().hex[:8]}@example.com",
            "password": "long enough",
            "org_name": f"Scale {uuid.uuid4().hex[:8]}",
        },
    )
    assert r.status == 201, r
    session = r.body["data"]["token"]
    org_id = jwt.decode(session, options={"verify_signature": False})["current_org_id"]
    r = a.call(
        "POST",
        f"/api/v1/orgs/{org_id}/api-keys",
        token=session,
        body={"name": "shared", "scopes": scopes},
    )
    assert r.status == 201, r
    return org_id, session, r.body["data"]["token"]


ALL_SCOPES = [
    "assets:read",
    "assets:write",
    "locations:read",
    "locations:write",
    "tracking:read",
]


def test_second_process_sees_org_user_and_key(cluster):
    # The database is the only shared state: B knows what A created.
    a, b = cluster
    org_id, session, key = _signup_with_key(a, ["assets:read"])

    r = b.call("GET", "/api/v1/orgs/me", token=key)
    assert r.status == 200, r
    assert r.body["data"]["id"] == org_id

    r = b.call("GET", "/api/v1/users/me", token=session)
    assert r.status == 200, r
    assert r.body["data"]["current_org"]["id"] == org_id

    # A key revoked on B is refused on A at once: no process caches keys.
    r = b.call("GET", f"/api/v1/orgs/{org_id}/api-keys", token=session)
    [listed] = r.body["data"]
    r = b.call(
        "DELETE", f"/api/v1/orgs/{org_id}/api-keys/{listed['id']}", token=session
    )
    assert r.status == 204, r
    assert a.call("GET", "/api/v1/orgs/me", token=key).status == 401


def test_one_bucket_per_key_across_processes(cluster):
    # RL-1/RL-2: 120 tokens for the key, spent alternately on A and B;
    # RL-6: the 121st request is refused on either process; RL-7: per key.
    a, b = cluster
    org_id, session, key = _signup_with_key(a, ["assets:read"])

    for i in range(120):
        server = a if i % 2 == 0 else b
        r = server.call("GET", "/api/v1/orgs/me", token=key)
        assert r.status == 200, (i, server.name, r)
    # The last token was spent on B; B's bucket is the one A spent from.
    assert r.headers["X-RateLimit-Remaining"] == "0"

    for server in (a, b):
        r = server.call("GET", "/api/v1/orgs/me", token=key)
        assert r.status == 429, (server.name, r)
        wait = int(r.headers["Retry-After"])
        assert 1 <= wait <= 60  # one token a minute
        assert r.body["error"]["type"] == "rate_limited"
        assert r.body["error"]["detail"] == f"Retry after {wait} seconds"
        assert r.headers["X-RateLimit-Remaining"] == "0"

    # Another key of the same org has its own full bucket (RL-7).
    r = a.call(
        "POST",
        f"/api/v1/orgs/{org_id}/api-keys",
        token=session,
        body={"name": "second", "scopes": ["assets:read"]},
    )
    other = r.body["data"]["token"]
    assert b.call("GET", "/api/v1/orgs/me", token=other).status == 200


def _race(servers: list[Server], calls: int, send) -> list[Reply]:
    """``calls`` requests released together, alternating between servers."""
    gate = threading.Barrier(calls)

    def one(i: int) -> Reply:
        gate.wait()
        return send(servers[i % len(servers)], i)

    with ThreadPoolExecutor(max_workers=calls) as pool:
        return list(pool.map(one, range(calls)))


def test_concurrent_creates_with_one_key_make_one_asset(cluster):
    # EK-3/EK-6 across processes: the partial unique index decides; the
    # losers get the contract's 409, never a 500.
    a, b = cluster
    _, _, key = _signup_with_key(a, ALL_SCOPES)

    for round_ in range(3):
        external_key = f"RACE-{round_}"
        replies = _race(
            [a, b],
            8,
            lambda server, i, k=external_key: server.call(
                "POST",
                "/api/v1/assets",
                token=key,
                body={"name": f"Racer {i}", "external_key": k},
            ),
        )
        statuses = sorted(r.status for r in replies)
        assert statuses == [201] + [409] * 7, replies
        for r in replies:
            if r.status == 409:
                assert r.body["error"]["type"] == "conflict"
                assert r.body["error"]["detail"] == (
                    f"asset with external_key {external_key} already exists"
                )

    r = b.call("GET", "/api/v1/assets?limit=100", token=key)
    assert sorted(x["external_key"] for x in r.body["data"]) == [
        "RACE-0",
        "RACE-1",
        "RACE-2",
    ]


def test_redis_unreachable_fails_fast(postgres_url, tmp_path):
    # An unreachable bucket store stops the server at start with a clear
    # message, instead of failing every API-key request later.
    env = {
        "TRAKRF_DATABASE_URL": postgres_url,
        "TRAKRF_RATE_LIMIT_STORE": "redis",
        "TRAKRF_RATE_LIMIT_REDIS_URL": f"redis://:hunter2@127.0.0.1:{_free_port()}/0",
    }
    server = _spawn("a", tmp_path, env)
    try:
        server.process.wait(timeout=30)
    finally:
        if server.process.poll() is None:
            server.process.kill()
    output = server.log()
    assert server.process.returncode == 1, output
    assert "error: rate_limit.store is redis but redis://:***@127.0.0.1:" in output
    assert "cannot be reached" in output
    assert "hunter2" not in output
    assert "Traceback" not in output


def test_concurrent_creates_without_key_mint_distinct_keys(cluster):
    # EK-4 across processes: both may compute the same next number; the one
    # that loses at the unique index mints again instead of answering 409.
    a, b = cluster
    _, _, key = _signup_with_key(a, ALL_SCOPES)

    replies = _race(
        [a, b],
        8,
        lambda server, i: server.call(
            "POST", "/api/v1/assets", token=key, body={"name": f"Minted {i}"}
        ),
    )
    assert [r.status for r in replies] == [201] * 8, replies
    minted = sorted(r.body["data"]["external_key"] for r in replies)
    assert minted == [f"ASSET-{n:04d}" for n in range(1, 9)]

    replies = _race(
        [a, b],
        6,
        lambda server, i: server.call(
            "POST", "/api/v1/locations", token=key, body={"name": f"Place {i}"}
        ),
    )
    assert [r.status for r in replies] == [201] * 6, replies
    minted = sorted(r.body["data"]["external_key"] for r in replies)
    assert minted == [f"LOC-{n:04d}" for n in range(1, 7)]


def test_concurrent_creates_with_one_tag_attach_it_once(cluster):
    # ASSET-6 across processes: one tag value, different keys; one asset
    # gets the tag, the others the contract's tag conflict.
    a, b = cluster
    _, _, key = _signup_with_key(a, ALL_SCOPES)

    replies = _race(
        [a, b],
        8,
        lambda server, i: server.call(
            "POST",
            "/api/v1/assets",
            token=key,
            body={"name": f"Tagged {i}", "tags": [{"value": "E2800001"}]},
        ),
    )
    assert sorted(r.status for r in replies) == [201] + [409] * 7, replies
    for r in replies:
        if r.status == 409:
            assert r.body["error"]["detail"] == "one or more tags already exist"

    r = b.call("GET", "/api/v1/assets?limit=100", token=key)
    assert len(r.body["data"]) == 1


def _reader_setup(a: Server) -> tuple[str, str, int]:
    """An org with location DOCK, asset PUMP (tag E2800077) and reader whose
    antenna 1 is at DOCK: (session, scans:write key, reader id)."""
    org_id, session, key = _signup_with_key(a, ALL_SCOPES)
    r = a.call(
        "POST", "/api/v1/locations", key, {"name": "Dock", "external_key": "DOCK"}
    )
    assert r.status == 201, r
    body = {"name": "Pump", "external_key": "PUMP", "tags": [{"value": "E2800077"}]}
    assert a.call("POST", "/api/v1/assets", key, body).status == 201
    r = a.call("POST", "/api/v1/readers", session, {"name": "Dock door"})
    assert r.status == 201, r
    reader = r.body["data"]["id"]
    body = {"location_external_key": "DOCK"}
    r = a.call("PUT", f"/api/v1/readers/{reader}/antennas/1", session, body)
    assert r.status == 200, r
    body = {"name": "dock reader", "scopes": ["scans:write"]}
    r = a.call("POST", f"/api/v1/orgs/{org_id}/api-keys", session, body)
    assert r.status == 201, r
    return session, r.body["data"]["token"], reader


def test_one_batch_pushed_to_both_processes_is_recorded_once(cluster):
    # docs/reader-ingest.md: a retried batch_id answers with the first result
    # and records nothing, also when the copies reach two processes at once
    # (MQTT subscribers sharing a prefix each receive every batch).
    a, b = cluster
    session, reader_key, reader = _reader_setup(a)

    for round_ in range(3):
        batch = {
            "batch_id": f"race-{round_}",
            "reads": [
                {
                    "epc": "E2800077",
                    "antenna": 1,
                    "seen_at": f"2026-04-0{round_ + 1}T00:00:00Z",
                },
                {"epc": "FFFF0001", "antenna": 1, "seen_at": "2026-04-01T00:00:00Z"},
            ],
        }
        replies = _race(
            [a, b],
            8,
            lambda server, i, body=batch: server.call(
                "POST", f"/api/v1/readers/{reader}/reads", reader_key, body
            ),
        )
        assert [r.status for r in replies] == [200] * 8, replies
        assert {json.dumps(r.body, sort_keys=True) for r in replies} == {
            json.dumps(replies[0].body, sort_keys=True)
        }
        assert replies[0].body["data"]["recorded"] == 1

    r = b.call("GET", "/api/v1/assets?external_key=PUMP", session)
    pump = r.body["data"][0]["id"]
    r = b.call("GET", f"/api/v1/assets/{pump}/history", session)
    assert r.body["total_count"] == 3, r
    r = b.call("GET", "/api/v1/unknown-tags", session)
    assert [(u["value"], u["read_count"]) for u in r.body["data"]] == [("FFFF0001", 3)]


def test_different_batches_with_one_unknown_tag_on_both_processes(cluster):
    # The unknown-tag counters are shared by the org: batches ingested at
    # once by two processes all count, none fails.
    a, b = cluster
    session, reader_key, reader = _reader_setup(a)
    replies = _race(
        [a, b],
        8,
        lambda server, i: server.call(
            "POST",
            f"/api/v1/readers/{reader}/reads",
            reader_key,
            {
                "batch_id": f"unknown-{i}",
                "reads": [
                    {"epc": "FFFF0002", "antenna": 1, "seen_at": "2026-04-01T00:00:00Z"}
                ],
            },
        ),
    )
    assert [r.status for r in replies] == [200] * 8, replies
    r = b.call("GET", "/api/v1/unknown-tags", session)
    assert [(u["value"], u["read_count"]) for u in r.body["data"]] == [("FFFF0002", 8)]


# --- rules spanning several rows, checked by two processes at once ------------


def _second_admin(a: Server, b: Server, org_id: int, session: str) -> tuple[int, str]:
    """Invite a new user into the org as admin on A; they sign up on B."""
    email = f"{uuid.uuid4().hex[:8]}@example.com"
    body = {"email": email, "role": "admin"}
    r = a.call("POST", f"/api/v1/orgs/{org_id}/invitations", session, body)
    assert r.status == 201, r
    body = {
        "email": email,
        "password": "long enough",
        "invitation_token": a.mailed_token(email),
    }
    r = b.call("POST", "/api/v1/auth/signup", body=body)
    assert r.status == 201, r
    return r.body["data"]["user"]["id"], r.body["data"]["token"]


def _admins(server: Server, org_id: int, sessions: list[str]) -> list[int]:
    """The org's admins, as the first of ``sessions`` still a member sees them."""
    for session in sessions:
        r = server.call("GET", f"/api/v1/orgs/{org_id}/members", session)
        if r.status == 200:
            return [m["user_id"] for m in r.body["data"] if m["role"] == "admin"]
    raise AssertionError("nobody is left in the org")


@pytest.mark.parametrize("method", ["PUT", "DELETE"])
def test_two_admins_demoting_each_other_leave_one_admin(cluster, method):
    # INT-61/INT-62's last-admin guard across processes: X demotes (removes)
    # Y on A while Y demotes (removes) X on B. One wins, the other gets the
    # guard's 400, and the org keeps exactly one admin.
    a, b = cluster
    body = {"role": "viewer"} if method == "PUT" else None
    for _ in range(4):
        org_id, session_x, _ = _signup_with_key(a, ["assets:read"])
        x = jwt.decode(session_x, options={"verify_signature": False})["user_id"]
        y, session_y = _second_admin(a, b, org_id, session_x)
        pairs = [(session_x, y), (session_y, x)]
        replies = _race(
            [a, b],
            2,
            lambda server, i, org=org_id, pairs=pairs: server.call(
                method,
                f"/api/v1/orgs/{org}/members/{pairs[i][1]}",
                pairs[i][0],
                body,
            ),
        )
        assert len(_admins(b, org_id, [session_x, session_y])) == 1, replies
        assert sorted(r.status for r in replies) in ([200, 400], [200, 403]), replies
        for r in replies:
            if r.status == 400:
                detail = "Cannot remove or demote the last admin"
                assert r.body["error"]["detail"] == detail


def test_key_limit_holds_across_processes(cluster):
    # INT-81: at most ten non-revoked keys per org, also when sixteen mints
    # reach two processes at once.
    a, b = cluster
    org_id, session, _ = _signup_with_key(a, ["assets:read"])
    r = a.call("GET", f"/api/v1/orgs/{org_id}/api-keys", session)
    [first] = r.body["data"]
    replies = _race(
        [a, b],
        16,
        lambda server, i: server.call(
            "POST",
            f"/api/v1/orgs/{org_id}/api-keys",
            session,
            {"name": f"key {i}", "scopes": ["assets:read"]},
        ),
    )
    assert sorted(r.status for r in replies) == [201] * 9 + [409] * 7, replies
    for r in replies:
        if r.status == 409:
            assert r.body["error"]["detail"] == (
                "Organization has reached the 10 active API key limit. "
                "Revoke an unused key first."
            )
    r = b.call("GET", f"/api/v1/orgs/{org_id}/api-keys?limit=50", session)
    assert r.body["total_count"] == 10
    assert first["id"] in [k["id"] for k in r.body["data"]]


def test_crossed_location_moves_never_form_a_cycle(cluster):
    # LOC-7 across processes: "A under B" on one and "B under A" on the
    # other at once; one move wins, the other is the cycle's 409.
    a, b = cluster
    _, _, key = _signup_with_key(a, ALL_SCOPES)
    pairs = []
    for n in range(4):
        ids = []
        for name in (f"A{n}", f"B{n}"):
            body = {"name": name, "external_key": name}
            r = a.call("POST", "/api/v1/locations", key, body)
            assert r.status == 201, r
            ids.append(r.body["data"]["id"])
        pairs += [(ids[0], ids[1]), (ids[1], ids[0])]

    replies = _race(
        [a, b],
        len(pairs),
        lambda server, i: server.call(
            "PATCH", f"/api/v1/locations/{pairs[i][0]}", key, {"parent_id": pairs[i][1]}
        ),
    )
    for n in range(4):
        both = replies[2 * n : 2 * n + 2]
        assert sorted(r.status for r in both) == [200, 409], both
        [lost] = [r for r in both if r.status == 409]
        assert lost.body["error"]["detail"] == "Request violates a domain invariant"
    for child, _ in pairs:
        r = b.call("GET", f"/api/v1/locations/{child}/ancestors", key)
        assert child not in [x["id"] for x in r.body["data"]], r


def test_deleting_a_location_while_something_is_placed_there(cluster):
    # LOC-8 across processes: a delete racing an asset placed at the
    # location (ASSET-3) or a child created under it either wins (the
    # placement then finds no location) or sees the placement (409).
    a, b = cluster
    _, _, key = _signup_with_key(a, ALL_SCOPES)
    deleted_ids = set()
    for round_ in range(3):
        ids = []
        for n in range(6):
            body = {"name": f"Bay {n}", "external_key": f"BAY-{round_}-{n}"}
            r = a.call("POST", "/api/v1/locations", key, body)
            ids.append(r.body["data"]["id"])
        replies = _race([a, b], 2 * len(ids), _delete_or_place(key, ids))
        for n, target in enumerate(ids):
            deleted, placed = replies[2 * n], replies[2 * n + 1]
            outcome = (deleted.status, placed.status)
            assert outcome in ((204, 400), (409, 201)), (n, deleted, placed)
            if placed.status == 400:
                [field] = placed.body["error"]["fields"]
                assert field["code"] == "fk_not_found"
            if deleted.status == 204:
                deleted_ids.add(target)
    r = b.call("GET", "/api/v1/assets?limit=100", key)
    assert r.body["data"], r
    for asset in r.body["data"]:
        assert asset["location_id"] not in deleted_ids, asset


def _delete_or_place(key: str, ids: list[int]):
    """Request ``i``: delete ``ids[i // 2]`` (even ``i``), else place an asset
    at it or create a child under it."""

    def send(server: Server, i: int) -> Reply:
        target = ids[i // 2]
        if i % 2 == 0:
            return server.call("DELETE", f"/api/v1/locations/{target}", key)
        if (i // 2) % 2 == 0:
            body = {"name": f"Crate {i}", "location_id": target}
            return server.call("POST", "/api/v1/assets", key, body)
        body = {"name": f"Shelf {i}", "parent_id": target}
        return server.call("POST", "/api/v1/locations", key, body)

    return send


def test_one_invitation_accepted_twice_at_once(cluster):
    # INT-35 across processes: the same token accepted on both processes
    # at once makes one membership; the others get "already accepted".
    a, b = cluster
    org_id, session, _ = _signup_with_key(a, ["assets:read"])
    for _ in range(3):
        r = a.call(
            "POST",
            "/api/v1/auth/signup",
            body={
                "email": f"{uuid.uuid4().hex[:8]}@example.com",
                "password": "long enough",
                "org_name": f"Own {uuid.uuid4().hex[:8]}",
            },
        )
        guest = r.body["data"]["token"]
        email = r.body["data"]["user"]["email"]
        body = {"email": email, "role": "viewer"}
        r = a.call("POST", f"/api/v1/orgs/{org_id}/invitations", session, body)
        assert r.status == 201, r
        token = a.mailed_token(email)
        replies = _race(
            [a, b],
            4,
            lambda server, i, t=token, s=guest: server.call(
                "POST", "/api/v1/auth/accept-invite", s, {"token": t}
            ),
        )
        assert sorted(r.status for r in replies) == [200, 400, 400, 400], replies
        for r in replies:
            if r.status == 400:
                assert r.body["error"]["detail"] == (
                    "This invitation has already been accepted"
                )


@pytest.mark.parametrize("kind", ["assets", "locations"])
def test_concurrent_renames_to_one_key(cluster, kind):
    # EK-7 across processes: eight rows renamed to one key at once; one
    # wins, the others get EK-6's 409 with its exact detail.
    a, b = cluster
    _, _, key = _signup_with_key(a, ALL_SCOPES)
    noun = kind[:-1]
    for round_ in range(3):
        ids = [
            a.call("POST", f"/api/v1/{kind}", key, {"name": f"Row {i}"}).body["data"][
                "id"
            ]
            for i in range(8)
        ]
        wanted = f"SAME-{round_}"
        replies = _race(
            [a, b],
            8,
            lambda server, i, ids=ids, k=wanted: server.call(
                "POST", f"/api/v1/{kind}/{ids[i]}/rename", key, {"external_key": k}
            ),
        )
        assert sorted(r.status for r in replies) == [200] + [409] * 7, replies
        for r in replies:
            if r.status == 409:
                assert r.body["error"]["detail"] == (
                    f"{noun} with external_key {wanted} already exists"
                )
