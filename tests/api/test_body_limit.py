"""Bodies larger than the server reads still get the envelope (ERR-1, REQ-1)."""

import asyncio
import json

import pytest

from trakrf_server.api.base import BODY_TOO_LARGE, MAX_BODY


@pytest.fixture
def port(http_server, http_port):
    return http_port


async def raw_exchange(port: int, raw: bytes) -> tuple[str, dict, bytes]:
    """Send ``raw`` on a fresh connection; return the status line, the
    headers and the body answered."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(raw)
    await writer.drain()
    answer = await asyncio.wait_for(reader.read(), timeout=10)
    writer.close()

    top, _, payload = answer.partition(b"\r\n\r\n")
    status, *lines = top.decode().split("\r\n")
    headers = {}
    for line in lines:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    return status, headers, payload


async def exchange(port: int, head: str, body: bytes = b"") -> tuple[str, dict, bytes]:
    """``raw_exchange`` of ``head`` (request line and headers) and ``body``."""
    return await raw_exchange(port, head.encode() + b"\r\n" + body)


def declaring(path: str, length: int, content_type: str = "application/json") -> str:
    return (
        f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        f"Content-Type: {content_type}\r\nContent-Length: {length}\r\n"
        "X-Request-ID: big-body-1\r\nConnection: close\r\n"
    )


@pytest.mark.gen_test
async def test_oversized_body_answered_with_the_envelope(port):
    # ERR-1, ERR-2, REQ-2: the answer is the envelope with the caller's id,
    # given before the body is read (only a few bytes of it are ever sent)
    status, headers, payload = await exchange(
        port, declaring("/api/v1/assets", MAX_BODY + 1), b'{"name": "x"'
    )
    assert status.startswith("HTTP/1.1 400 ")
    assert headers["x-request-id"] == "big-body-1"
    assert headers["content-type"] == "application/json; charset=utf-8"
    error = json.loads(payload)["error"]
    assert error["type"] == "bad_request"
    assert error["detail"] == BODY_TOO_LARGE
    assert error["instance"] == "/api/v1/assets"
    assert error["request_id"] == "big-body-1"


@pytest.mark.gen_test
async def test_oversized_upload_is_413(port):
    # INT-101: a larger file is 413, also past the server's own body limit
    status, _, payload = await exchange(
        port,
        declaring("/api/v1/assets/bulk", 64 << 20, "multipart/form-data; boundary=b"),
    )
    assert status.startswith("HTTP/1.1 413 ")
    assert json.loads(payload)["error"]["type"] == "payload_too_large"


@pytest.mark.gen_test
async def test_body_within_the_limit_reaches_the_pipeline(port):
    # the limit changes nothing below it: here authentication answers (ORDER-1)
    body = b'{"name": "x"}'
    status, _, payload = await exchange(
        port, declaring("/api/v1/assets", len(body)), body
    )
    assert status.startswith("HTTP/1.1 401 ")
    assert json.loads(payload)["error"]["type"] == "unauthorized"
