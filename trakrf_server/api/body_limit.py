"""Requests Tornado would refuse itself, before any handler could answer.

Bodies larger than the server reads, and query strings with many fields.

Tornado refuses a body over its ``max_body_size`` inside the connection, with
a bare ``400`` that has no body and no headers, before any handler runs; the
contract wants the envelope and a request id on every answer (ERR-1, REQ-1).
Tornado offers no hook for that answer, so ``BodyLimitApplication`` looks at
``Content-Length`` when it picks the handler: an oversized request goes to
``BodyTooLargeHandler``, which answers from ``prepare`` before the body is
read, and the connection closes after the answer so the body never is.
Every other request gets the limit on its connection, which still bounds a
chunked body of unknown length.

Tornado also refuses a query string of more than 1000 fields (the cap it
puts on urlencoded forms) with the same bare ``400``, so a long list of
repeated filters (PAGE-6) would get neither envelope nor request id.
``lift_query_field_cap`` leaves the query string bounded by the size of the
request head alone; the handlers parse it themselves (api/query.py).
"""

from __future__ import annotations

from typing import Any

import tornado.httputil
import tornado.web

from trakrf_server.api.base import MAX_BODY, ApiHandler

# Tornado reads at most 64 KiB of request line and headers, and a query field
# takes at least two bytes ("a&"): no query string can hold more fields.
MAX_QUERY_FIELDS = 65536 // 2


def declared_length(request: tornado.httputil.HTTPServerRequest) -> int | None:
    """``Content-Length`` as a number, or None when absent or malformed."""
    raw = request.headers.get("Content-Length", "")
    return int(raw) if raw.isascii() and raw.isdigit() else None


def lift_query_field_cap() -> None:
    """Let Tornado accept every query string that fits in a request head.

    The setting is process-wide and also bounds urlencoded bodies, which no
    route reads; the multipart limits keep Tornado's defaults.
    """
    urlencoded = tornado.httputil.ParseUrlEncodedConfig(max_arguments=MAX_QUERY_FIELDS)
    tornado.httputil.set_parse_body_config(
        tornado.httputil.ParseBodyConfig(urlencoded=urlencoded)
    )


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
