"""Request heads Tornado cannot parse, answered with the envelope.

A request line or header Tornado refuses (a NUL byte or a line break inside a
header value, a header name with a space, a ``Content-Length`` that is not a
number) never reaches the application: the connection writes a bare
``HTTP/1.1 400 Bad Request`` with no body and no headers and closes. The
contract wants the envelope and a request id on every answer (ERR-1, REQ-1).

Tornado offers no hook for that answer, so ``ApiHTTPServer`` gives each
connection a stream that remembers the request head it last read and, when the
connection writes the bare refusal, writes the envelope in its place. The head
could not be parsed, so the inbound ``X-Request-ID`` is not trusted: the id is
a new one, and ``instance`` is the path of the request line when it has one.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any
from urllib.parse import urlsplit

import tornado.httpserver
import tornado.iostream

from trakrf_server.errors import envelope
from trakrf_server.request_ids import new_request_id

# What tornado.http1connection writes for a message it cannot parse.
BARE_REFUSAL = b"HTTP/1.1 400 Bad Request\r\n\r\n"
MALFORMED_HEAD = "Request line or headers are malformed"


def request_path(head: bytes) -> str:
    """The path of the request line in ``head``, or "" when there is none."""
    line = head.lstrip(b"\r\n").split(b"\n", 1)[0].decode("latin-1")
    parts = line.split(" ")
    if len(parts) != 3:
        return ""
    try:
        return urlsplit(parts[1]).path
    except ValueError:  # e.g. an unbalanced "[" in the target
        return ""


def refusal(path: str) -> bytes:
    """The whole 400 answer: status line, headers and the envelope."""
    request_id = new_request_id()
    body = json.dumps(
        envelope("bad_request", MALFORMED_HEAD, path, request_id),
        ensure_ascii=False,
        separators=(",", ":"),
    ).encode()
    head = (
        "HTTP/1.1 400 Bad Request\r\n"
        "Content-Type: application/json; charset=utf-8\r\n"
        f"Content-Length: {len(body)}\r\n"
        f"X-Request-ID: {request_id}\r\n"
        "Connection: close\r\n\r\n"
    )
    return head.encode() + body


class EnvelopeStream(tornado.iostream.IOStream):
    """An IOStream that answers the bare refusal with the envelope.

    It adds behaviour only, no state of its own beyond ``last_head``, so a
    stream Tornado made can become one (``ApiHTTPServer.handle_stream``).
    """

    last_head: bytes = b""

    def read_until_regex(self, regex: bytes, max_bytes: int | None = None) -> Any:
        # The connection reads each request head, and only the head, this way.
        future = super().read_until_regex(regex, max_bytes=max_bytes)
        # A future that is already done is awaited without yielding, before a
        # done-callback would run: remember its head now.
        if future.done():
            self._remember_head(future)
        else:
            future.add_done_callback(self._remember_head)
        return future

    def _remember_head(self, future: asyncio.Future) -> None:
        if not future.cancelled() and future.exception() is None:
            self.last_head = future.result()

    def write(self, data: bytes | memoryview, *args: Any, **kwargs: Any) -> Any:
        # Length first: every answer passes here, and most are long.
        if len(data) == len(BARE_REFUSAL) and bytes(data) == BARE_REFUSAL:
            data = refusal(request_path(self.last_head))
        return super().write(data, *args, **kwargs)


class ApiHTTPServer(tornado.httpserver.HTTPServer):
    """The HTTP server, with malformed request heads answered in the envelope."""

    def handle_stream(self, stream: tornado.iostream.IOStream, address: Any) -> None:
        if type(stream) is tornado.iostream.IOStream:
            stream.__class__ = EnvelopeStream
        super().handle_stream(stream, address)
