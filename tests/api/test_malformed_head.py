"""A request head Tornado cannot parse still gets the envelope (ERR-1, REQ-1)."""

import asyncio
import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.api.test_body_limit import raw_exchange
from trakrf_server.api.malformed import MALFORMED_HEAD, ApiHTTPServer

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def http_server(request, io_loop, _unused_port, app):
    """The server class ``run.py serve`` uses, in place of Tornado's own."""
    server = ApiHTTPServer(app)
    server.add_socket(_unused_port[0])
    yield server
    server.stop()
    io_loop.run_sync(server.close_all_connections)


def assert_envelope(status: str, headers: dict, payload: bytes, path: str) -> None:
    assert status == "HTTP/1.1 400 Bad Request"
    assert headers["content-type"] == "application/json; charset=utf-8"
    assert int(headers["content-length"]) == len(payload)
    error = json.loads(payload)["error"]
    assert error == {
        "type": "bad_request",
        "title": "Bad request",
        "status": 400,
        "detail": MALFORMED_HEAD,
        "instance": path,
        "request_id": headers["x-request-id"],
    }
    assert len(error["request_id"]) == 26  # a fresh ULID, REQ-2


MALFORMED = [
    pytest.param(b"X-Probe: a\x00b\r\n", id="nul-in-value"),
    pytest.param(b"Bad Name: a\r\n", id="space-in-name"),
    pytest.param(b"Content-Length: abc\r\n", id="length-not-a-number"),
]


@pytest.mark.gen_test
@pytest.mark.parametrize("header", MALFORMED)
async def test_malformed_header_gets_the_envelope(http_server, http_port, header):
    # ERR-1, ERR-3, REQ-1: not Tornado's bare 400 without body or request id
    raw = b"GET /api/v1/assets?limit=1 HTTP/1.1\r\nHost: x\r\n" + header + b"\r\n"
    status, headers, payload = await raw_exchange(http_port, raw)
    assert_envelope(status, headers, payload, "/api/v1/assets")


@pytest.mark.gen_test
async def test_malformed_request_line_has_an_empty_instance(http_server, http_port):
    # no request line to take the path from: the envelope all the same
    status, headers, payload = await raw_exchange(http_port, b"NONSENSE\r\n\r\n")
    assert_envelope(status, headers, payload, "")


@pytest.mark.gen_test
async def test_malformed_head_after_a_good_request(http_server, http_port):
    # on a kept-alive connection the path is the bad request's, not the first's
    good = b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n"
    bad = b"GET /api/v1/locations HTTP/1.1\r\nHost: x\r\nX-Probe: \x00\r\n\r\n"
    reader, writer = await asyncio.open_connection("127.0.0.1", http_port)
    writer.write(good)
    await writer.drain()
    await asyncio.wait_for(reader.readuntil(b"ok"), timeout=10)
    writer.write(bad)
    await writer.drain()
    answer = await asyncio.wait_for(reader.read(), timeout=10)
    writer.close()
    assert answer.startswith(b"HTTP/1.1 400 ")
    assert json.loads(answer.partition(b"\r\n\r\n")[2])["error"]["instance"] == (
        "/api/v1/locations"
    )


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_run_py_serve_answers_a_malformed_head_in_the_envelope(tmp_path):
    # the served process uses the class (cli._serve), not Tornado's own
    port = _free_port()
    env = dict(os.environ)
    env.update(
        TRAKRF_SERVER_DATA_DIR=str(tmp_path / "data"),
        TRAKRF_SERVER_PORT=str(port),
        TRAKRF_DATABASE_URL="",
    )
    proc = subprocess.Popen(
        [sys.executable, "run.py", "serve"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        answer = _send_when_ready(port, b"GET /x HTTP/1.1\r\nA: \x00\r\n\r\n")
    finally:
        proc.terminate()
        proc.wait(timeout=10)
    assert answer.startswith(b"HTTP/1.1 400 Bad Request\r\n")
    assert b"\r\nX-Request-ID: " in answer
    error = json.loads(answer.partition(b"\r\n\r\n")[2])["error"]
    assert error["instance"] == "/x" and error["type"] == "bad_request"


def _send_when_ready(port: int, raw: bytes, seconds: float = 30) -> bytes:
    deadline = time.monotonic() + seconds
    while True:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
                sock.sendall(raw)
                chunks = []
                while chunk := sock.recv(65536):
                    chunks.append(chunk)
                return b"".join(chunks)
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)
