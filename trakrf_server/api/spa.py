"""The web app: files from ``static/``, and ``index.html`` for any other path."""

from __future__ import annotations

import os

import tornado.web

from trakrf_server.request_ids import RequestIdMixin


class SpaHandler(RequestIdMixin, tornado.web.StaticFileHandler):
    """Serves a static file when one exists, else the app shell (INT-103).

    The app routes by URL hash, so every non-API path the server does not know
    gets ``index.html`` and the app decides what to show.
    """

    def validate_absolute_path(self, root: str, absolute_path: str) -> str | None:
        if not os.path.isfile(absolute_path):
            absolute_path = os.path.join(root, "index.html")
        return super().validate_absolute_path(root, absolute_path)

    @classmethod
    def get_absolute_path(cls, root: str, path: str) -> str:
        return super().get_absolute_path(root, path or "index.html")

    def set_extra_headers(self, path: str) -> None:
        # No inline scripts in the app, so a strict policy can be sent.
        self.set_header(
            "Content-Security-Policy",
            "default-src 'self'; img-src 'self' data:; style-src 'self'; "
            "script-src 'self'; connect-src 'self'; frame-ancestors 'none'",
        )
        self.set_header("X-Content-Type-Options", "nosniff")
        if path.endswith(".html") or path == "":
            self.set_header("Cache-Control", "no-cache")
