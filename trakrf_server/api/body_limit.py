"""Requests whose declared body is larger than the server reads.

Tornado refuses a body over its ``max_body_size`` inside the connection, with
a bare ``400`` that has no body and no headers, before any handler runs; the
contract wants the envelope and a request id on every answer (ERR-1, REQ-1).
Tornado offers no hook for that answer, so ``BodyLimitApplication`` looks at
``Content-Length`` when it picks the handler: an oversized request goes to
``BodyTooLargeHandler``, which answers from ``prepare`` before the body is
read, and the connection closes after the answer so the body never is.
Every other request gets the limit on its connection, which still bounds a
chunked body of unknown length.
"""

from __future__ import annotations

from typing import Any

import tornado.httputil
import tornado.web

from trakrf_server.api.base import MAX_BODY, ApiHandler


def declared_length(request: tornado.httputil.HTTPServerRequest) -> int | None:
    """``Content-Length`` as a number, or None when absent or malformed."""
    raw = request.headers.get("Content-Length", "")
    return int(raw) if raw.isascii() and raw.isdigit() else None


@tornado.web.stream_request_body
class BodyTooLargeHandler(ApiHandler):
    """Any method, any path: the envelope for a body too large to read."""

    def initialize(self, target: type[ApiHandler] = ApiHandler) -> None:
        self.target = target

    async def prepare(self) -> None:
        raise self.target.body_too_large()

    def data_received(self, chunk: bytes) -> None:
        """Whatever arrives before the connection closes is dropped."""


class BodyLimitApplication(tornado.web.Application):
    """The application, with request bodies bounded at ``MAX_BODY``."""

    def find_handler(
        self, request: tornado.httputil.HTTPServerRequest, **kwargs: Any
    ) -> tornado.web._HandlerDelegate:
        length = declared_length(request)
        if length is None or length <= MAX_BODY:
            request.connection.set_max_body_size(MAX_BODY)
            return super().find_handler(request, **kwargs)

        # Raise the connection's limit past the declared length so Tornado
        # does not refuse the body itself before the handler answers.
        request.connection.set_max_body_size(length)
        target = super().find_handler(request, **kwargs).handler_class
        if not issubclass(target, ApiHandler):  # the web app's files
            target = ApiHandler
        return self.get_handler_delegate(
            request, BodyTooLargeHandler, {"target": target}
        )
