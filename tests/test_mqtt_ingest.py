"""Reader ingest over MQTT (SCAN-3 on another transport; docs/reader-ingest.md).

Runs against the Mosquitto broker at 127.0.0.1:1883. Every test uses its own
topic prefix and client ids, so tests never see each other's messages.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path
from typing import Any

import paho.mqtt.client as mqtt
import pytest
from paho.mqtt.enums import CallbackAPIVersion

from tests.factories import Factory
from trakrf_server.models import ApiKey, Asset, IngestBatch, ScanEvent
from trakrf_server.mqtt import start_subscriber
from trakrf_server.ratelimit import MemoryBuckets

BROKER = ("127.0.0.1", 1883)
WAIT = 10.0
ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def prefix() -> str:
    return f"trakrf-test/{uuid.uuid4().hex[:12]}"


@pytest.fixture
def overrides(prefix) -> dict[str, Any]:
    return {
        "mqtt.enabled": True,
        "mqtt.topic_prefix": prefix,
        "mqtt.client_id": f"server-{prefix}",
    }


@contextlib.asynccontextmanager
async def running(ctx):
    """The server's subscriber, subscribed, for the body of the block."""
    subscriber = start_subscriber(ctx)
    assert subscriber is not None
    try:
        await asyncio.wait_for(subscriber.subscribed.wait(), WAIT)
        yield subscriber
    finally:
        await asyncio.wait_for(subscriber.stop(), WAIT)


class Reader:
    """A device on the broker: publishes batches, collects the results."""

    def __init__(
        self, prefix: str, port: int = BROKER[1], ca_file: str | None = None
    ) -> None:
        self.prefix = prefix
        self.port = port
        self.loop = asyncio.get_running_loop()
        self.results: asyncio.Queue = asyncio.Queue()
        self.ready = asyncio.Event()
        client = mqtt.Client(
            CallbackAPIVersion.VERSION2, client_id=f"dev-{uuid.uuid4()}"
        )
        client.on_connect = lambda c, *a: c.subscribe(
            f"{prefix}/readers/+/results", qos=1
        )
        client.on_subscribe = lambda *a: self.loop.call_soon_threadsafe(self.ready.set)
        if ca_file is not None:
            client.tls_set(ca_certs=ca_file)
        client.on_message = lambda c, u, m: self.loop.call_soon_threadsafe(
            self.results.put_nowait, (m.topic, json.loads(m.payload))
        )
        self.client = client

    async def __aenter__(self) -> Reader:
        self.client.connect(BROKER[0], self.port)
        self.client.loop_start()
        await asyncio.wait_for(self.ready.wait(), WAIT)
        return self

    async def __aexit__(self, *exc: Any) -> None:
        self.client.disconnect()
        await self.loop.run_in_executor(None, self.client.loop_stop)

    def publish(self, reader_id: Any, body: Any) -> str:
        topic = f"{self.prefix}/readers/{reader_id}/reads"
        payload = body if isinstance(body, bytes) else json.dumps(body)
        self.client.publish(topic, payload, qos=1)
        return topic

    async def result(self) -> tuple[str, dict]:
        return await asyncio.wait_for(self.results.get(), WAIT)

    async def send(self, reader_id: Any, body: Any) -> dict:
        """Publish and return the outcome, checking it came on the right topic."""
        topic = self.publish(reader_id, body)
        got, outcome = await self.result()
        assert got == f"{self.prefix}/readers/{reader_id}/results"
        if "error" in outcome:
            error = outcome["error"]
            assert error["instance"] == topic
            assert len(error["request_id"]) == 26  # a ULID (REQ-2)
        return outcome


@pytest.fixture
def world(seed, api):
    f = Factory(seed)
    tenant = seed.tenant()
    org = tenant.org_id
    dock = f.location(org, "DOCK")
    pump = f.asset(org, "PUMP")
    f.tag(org, "E200AA", asset=pump)
    return {
        "f": f,
        "seed": seed,
        "org": org,
        "dock": dock,
        "pump": pump,
        "admin": tenant.session,
        "key": seed.key(org, ["scans:write"]),
        "reader_key": seed.key(org, ["tracking:read"]),
    }


async def register(api, world) -> int:
    r = await api.post("/api/v1/readers", {"name": "Dock"}, token=world["admin"])
    assert r.status == 201, r
    reader = r.json()["data"]["id"]
    r = await api.put(
        f"/api/v1/readers/{reader}/antennas/1",
        {"location_id": world["dock"]},
        token=world["admin"],
    )
    assert r.status == 200, r
    return reader


def batch(key: str, batch_id: str, *values: str, at="2026-04-01T10:00:00Z") -> dict:
    reads = [{"epc": v, "antenna": 1, "seen_at": at} for v in values]
    return {"key": key, "batch_id": batch_id, "reads": reads}


def recorded(world) -> tuple[int, int]:
    """(scan events, stored batches) of the world's organization."""
    return world["seed"].write(
        lambda: (
            ScanEvent.select().where(ScanEvent.org == world["org"]).count(),
            IngestBatch.select().count(),
        )
    )


@pytest.mark.gen_test(timeout=60)
async def test_batch_recorded_and_asset_moved(api, ctx, world, prefix):
    # SCAN-3 over MQTT: same ingest, same answer body as the HTTP push
    reader = await register(api, world)
    async with running(ctx), Reader(prefix) as device:
        outcome = await device.send(reader, batch(world["key"], "m-1", "E200AA"))
    assert outcome == {
        "data": {
            "batch_id": "m-1",
            "received": 1,
            "recorded": 1,
            "duplicates": 0,
            "unknown_tags": [],
            "unmapped_antennas": [],
            "location_tag_reads": 0,
        }
    }
    assert world["f"].get(Asset, world["pump"]).location_id == world["dock"]
    r = await api.get("/api/v1/reports/asset-locations", token=world["reader_key"])
    assert r.status == 200, r
    rows = [r for r in r.json()["data"] if r["asset_external_key"] == "PUMP"]
    assert [(r["location_external_key"], r["asset_last_seen"]) for r in rows] == [
        ("DOCK", "2026-04-01T10:00:00.000Z")
    ]
    event = world["seed"].write(lambda: ScanEvent.get(ScanEvent.org == world["org"]))
    assert event.source == "reader"


@pytest.mark.gen_test(timeout=60)
async def test_same_batch_twice_recorded_once(api, ctx, world, prefix):
    # idempotency by batch_id holds across transports
    reader = await register(api, world)
    body = batch(world["key"], "m-2", "E200AA", "NEW-TAG")
    async with running(ctx), Reader(prefix) as device:
        first = await device.send(reader, body)
        again = await device.send(reader, body)
    assert first["data"]["recorded"] == 1
    assert again == first
    assert recorded(world) == (1, 1)
    r = await api.get("/api/v1/unknown-tags", token=world["admin"])
    assert r.json()["data"][0]["read_count"] == 1


@pytest.mark.gen_test(timeout=60)
async def test_unknown_tag_reported(api, ctx, world, prefix):
    reader = await register(api, world)
    async with running(ctx), Reader(prefix) as device:
        outcome = await device.send(
            reader, batch(world["key"], "m-3", "E200AA", "FFFF01", "0FFFF01")
        )
    data = outcome["data"]
    assert data["recorded"] == 1
    assert data["unknown_tags"] == [{"tag_type": "rfid", "value": "FFFF01", "reads": 2}]


def revoke(world, token: str) -> None:
    from trakrf_server.auth.tokens import decode_token

    jti = decode_token(world["seed"].ctx.secret, token).key_uuid
    world["seed"].write(
        lambda: (
            ApiKey.update(revoked_at=ApiKey.created_at)
            .where(ApiKey.jti == jti)
            .execute()
        )
    )


@pytest.mark.gen_test(timeout=90)
async def test_unauthenticated_or_unscoped_writes_refused(api, ctx, world, prefix):
    # AUTH-2, SCOPE-1 and ORG isolation, exactly as the HTTP push answers them
    reader = await register(api, world)
    revoked = world["seed"].key(world["org"], ["scans:write"])
    revoke(world, revoked)
    other_org = world["seed"].tenant("Other").org_id
    foreign = world["seed"].key(other_org, ["scans:write"])

    cases = [
        ({"key": "not-a-jwt"}, "unauthorized", "Invalid or expired token"),
        ({"key": revoked}, "unauthorized", "API key has been revoked"),
        ({"key": world["admin"]}, "unauthorized", "Invalid or expired token"),
        (
            {"key": None},
            "unauthorized",
            'Missing API key: send a scans:write key in the "key" field',
        ),
        ({"key": 42}, "unauthorized", "Invalid or expired token"),
        (
            {"key": world["reader_key"]},
            "forbidden",
            "Missing required scope: scans:write",
        ),
        ({"key": foreign}, "not_found", "Reader not found"),
    ]
    async with running(ctx), Reader(prefix) as device:
        for change, kind, detail in cases:
            body = batch(world["key"], "m-4", "E200AA")
            body.update(change)
            if body["key"] is None:
                del body["key"]
            error = (await device.send(reader, body))["error"]
            status = {"unauthorized": 401, "forbidden": 403, "not_found": 404}
            assert (error["type"], error["status"], error["detail"]) == (
                kind,
                status[kind],
                detail,
            ), change
            assert set(error) == {
                "type",
                "title",
                "status",
                "detail",
                "instance",
                "request_id",
            }
    assert recorded(world) == (0, 0)


@pytest.mark.gen_test(timeout=90)
async def test_malformed_messages_answered_and_subscriber_survives(
    api, ctx, world, prefix
):
    # VAL-2 / VAL-4 envelopes; a bad message never stops the subscriber
    reader = await register(api, world)
    async with running(ctx), Reader(prefix) as device:
        error = (await device.send(reader, b"{not json"))["error"]
        assert (error["type"], error["detail"]) == (
            "bad_request",
            "Request body is not valid JSON",
        )
        error = (await device.send(reader, b"\xff\xfe"))["error"]
        assert error["type"] == "bad_request"
        error = (await device.send(reader, [1, 2]))["error"]
        assert (
            error["detail"] == "Request body could not be decoded as the expected type"
        )

        body = batch(world["key"], "m-5", "E200AA")
        body["reads"][0]["antenna"] = 0
        body["extra"] = 1
        error = (await device.send(reader, body))["error"]
        assert error["type"] == "validation_error" and error["status"] == 400
        assert error["fields"] == [
            {
                "field": "extra",
                "code": "unknown_field",
                "message": 'unknown field "extra" in request body',
            }
        ]
        del body["extra"]
        error = (await device.send(reader, body))["error"]
        assert error["fields"][0]["field"] == "reads[0].antenna"
        error = (await device.send("abc", batch(world["key"], "m-5", "E200AA")))[
            "error"
        ]
        assert error["fields"][0] == {
            "field": "reader_id",
            "code": "invalid_value",
            "message": "reader_id must be an integer",
        }
        assert recorded(world) == (0, 0)

        outcome = await device.send(reader, batch(world["key"], "m-5", "E200AA"))
    assert outcome["data"]["recorded"] == 1


@pytest.mark.gen_test(timeout=60)
async def test_pushes_spend_the_keys_rate_limit(api, ctx, world, prefix):
    # RL-1: MQTT pushes draw on the same per-key bucket as HTTP requests
    ctx.limiter = MemoryBuckets(1, 1)
    reader = await register(api, world)
    async with running(ctx), Reader(prefix) as device:
        first = await device.send(reader, batch(world["key"], "r-1", "E200AA"))
        second = await device.send(reader, batch(world["key"], "r-2", "E200AA"))
    assert first["data"]["recorded"] == 1
    assert second["error"]["type"] == "rate_limited"
    assert second["error"]["status"] == 429
    assert recorded(world) == (1, 1)


@pytest.mark.gen_test(timeout=60)
async def test_messages_sent_while_stopped_are_ingested_on_restart(
    api, ctx, world, prefix
):
    # the broker keeps the server's session: nothing a reader sent is lost
    reader = await register(api, world)
    async with running(ctx):
        pass
    async with Reader(prefix) as device:
        device.publish(reader, batch(world["key"], "late", "E200AA"))
        await asyncio.sleep(0.5)
        assert recorded(world) == (0, 0)
        async with running(ctx):
            _, outcome = await device.result()
    assert outcome["data"]["batch_id"] == "late"
    assert recorded(world) == (1, 1)


def test_disabled_by_default_imports_and_connects_nothing(tmp_path):
    # [mqtt] enabled defaults to false: no subscriber, no MQTT library loaded
    script = (
        "import sys, types\n"
        "from trakrf_server.config import load_config\n"
        "from trakrf_server.mqtt import start_subscriber\n"
        "config = load_config(None, env={})\n"
        "assert config.mqtt.enabled is False\n"
        "assert start_subscriber(types.SimpleNamespace(config=config)) is None\n"
        "assert not [m for m in sys.modules if m.startswith('paho')]\n"
        "print('ok')\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "ok"


def test_serve_starts_and_stops_the_subscriber(tmp_path, prefix):
    # `serve` with [mqtt] enabled subscribes, answers, and disconnects on SIGTERM
    env = {
        **os.environ,
        "TRAKRF_MQTT_ENABLED": "true",
        "TRAKRF_MQTT_TOPIC_PREFIX": prefix,
        "TRAKRF_MQTT_CLIENT_ID": f"server-{prefix}",
        "TRAKRF_DATABASE_URL": "",
        "TRAKRF_AUTH_BCRYPT_ROUNDS": "4",
    }
    log = tmp_path / "serve.log"
    with open(log, "w") as out:
        server = subprocess.Popen(
            [
                sys.executable,
                str(ROOT / "run.py"),
                "serve",
                "--config",
                str(ROOT / "config.toml"),
                "--data-dir",
                str(tmp_path / "data"),
                "--port",
                "0",
            ],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        deadline = time.monotonic() + 30
        while "MQTT subscribed" not in log.read_text():
            assert server.poll() is None, log.read_text()
            assert time.monotonic() < deadline, log.read_text()
            time.sleep(0.1)

        outcome = _publish_and_wait(prefix, b'{"key": "nope"}')
        assert outcome["error"]["type"] == "unauthorized"
    finally:
        server.send_signal(signal.SIGTERM)
        code = server.wait(timeout=30)
    assert code == 0, log.read_text()
    assert "MQTT disconnected" in log.read_text()


def _publish_and_wait(prefix: str, payload: bytes) -> dict:
    """Publish one message from a plain thread-driven client; its outcome."""
    import queue

    got: queue.Queue = queue.Queue()
    subscribed: queue.Queue = queue.Queue()
    client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=f"dev-{uuid.uuid4()}")
    client.on_connect = lambda c, *a: c.subscribe(f"{prefix}/readers/+/results", 1)
    client.on_subscribe = lambda *a: subscribed.put(True)
    client.on_message = lambda c, u, m: got.put(json.loads(m.payload))
    client.connect(*BROKER)
    client.loop_start()
    try:
        subscribed.get(timeout=WAIT)
        client.publish(f"{prefix}/readers/1/reads", payload, qos=1)
        return got.get(timeout=WAIT)
    finally:
        client.disconnect()
        client.loop_stop()
