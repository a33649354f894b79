"""Reader ingest over MQTT to a broker reached over TLS ([mqtt] tls, ca_file).

Each test starts its own Mosquitto with a TLS listener on a free port, its
certificate signed by a CA made for the test with openssl.
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import time
from pathlib import Path
from typing import Any

import pytest

from tests.test_mqtt_ingest import Reader, batch, prefix, register, running, world
from trakrf_server.config import ConfigError, load_config
from trakrf_server.models import Asset

__all__ = ["prefix", "world"]  # fixtures used here

pytestmark = pytest.mark.skipif(
    not (shutil.which("mosquitto") and shutil.which("openssl")),
    reason="needs mosquitto and openssl",
)


def _openssl(*args: str, cwd: Path) -> None:
    subprocess.run(["openssl", *args], cwd=cwd, check=True, capture_output=True)


def _make_certificates(folder: Path) -> None:
    """ca.pem signs server.pem, valid for 127.0.0.1."""
    _openssl(
        "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
        "-subj", "/CN=trakrf test CA", "-keyout", "ca.key", "-out", "ca.pem",
        cwd=folder,
    )  # fmt: skip
    _openssl(
        "req", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=127.0.0.1",
        "-keyout", "server.key", "-out", "server.csr",
        cwd=folder,
    )  # fmt: skip
    (folder / "san.ext").write_text("subjectAltName=IP:127.0.0.1\n")
    _openssl(
        "x509", "-req", "-in", "server.csr", "-CA", "ca.pem", "-CAkey", "ca.key",
        "-CAcreateserial", "-days", "2", "-extfile", "san.ext", "-out", "server.pem",
        cwd=folder,
    )  # fmt: skip


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def tls_broker(tmp_path):
    """(port, CA file) of a Mosquitto that only speaks TLS."""
    folder = tmp_path / "broker"
    folder.mkdir()
    _make_certificates(folder)
    port = _free_port()
    conf = folder / "mosquitto.conf"
    conf.write_text(
        f"user root\nlistener {port} 127.0.0.1\nallow_anonymous true\n"
        f"cafile {folder / 'ca.pem'}\ncertfile {folder / 'server.pem'}\n"
        f"keyfile {folder / 'server.key'}\n"
    )
    broker = subprocess.Popen(
        ["mosquitto", "-c", str(conf)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 10
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                assert broker.poll() is None, "mosquitto did not start"
                assert time.monotonic() < deadline, "mosquitto did not listen"
                time.sleep(0.1)
        yield port, str(folder / "ca.pem")
    finally:
        broker.terminate()
        broker.wait(timeout=10)


@pytest.fixture
def overrides(prefix, tls_broker) -> dict[str, Any]:
    port, ca_file = tls_broker
    return {
        "mqtt.enabled": True,
        "mqtt.port": port,
        "mqtt.tls": True,
        "mqtt.ca_file": ca_file,
        "mqtt.topic_prefix": prefix,
        "mqtt.client_id": f"server-{prefix}",
    }


@pytest.mark.gen_test(timeout=60)
async def test_batch_recorded_through_a_tls_broker(api, ctx, world, prefix, tls_broker):
    # SCAN-3 over MQTT, the broker's certificate checked against ca_file
    port, ca_file = tls_broker
    reader = await register(api, world)
    async with running(ctx), Reader(prefix, port, ca_file) as device:
        outcome = await device.send(reader, batch(world["key"], "t-1", "E200AA"))
    assert outcome["data"]["recorded"] == 1
    assert world["f"].get(Asset, world["pump"]).location_id == world["dock"]


def test_unloadable_ca_file_is_a_config_error(tmp_path):
    from trakrf_server.mqtt.subscriber import MqttSubscriber

    bad = tmp_path / "ca.pem"
    bad.write_text("not a certificate\n")
    config = load_config(
        None,
        env={"TRAKRF_MQTT_ENABLED": "true", "TRAKRF_MQTT_TLS": "true"},
        overrides={"mqtt.ca_file": str(bad)},
    )
    ctx = type("Ctx", (), {"config": config})()
    with pytest.raises(ConfigError, match="mqtt.ca_file"):
        MqttSubscriber(ctx)
