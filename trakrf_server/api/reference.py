"""The API reference: the generated spec and the interactive page (OPENAPI-1).

``GET /api/openapi.json`` and ``/api/openapi.yaml`` answer the document made
once at startup (``trakrf_server/openapi.py``), without authentication. The
page at ``/api`` is Swagger UI served from this server's own files, so it
works without internet access.
"""

from __future__ import annotations

import functools

import tornado.web

from trakrf_server.api.base import ApiHandler
from trakrf_server.openapi import Published
from trakrf_server.paths import reference_ui_dir
from trakrf_server.request_ids import RequestIdMixin

# As strict as the web app's policy: Swagger UI sets styles through the DOM
# (allowed under style-src 'self'), needs no inline script and no eval, and
# its icons are data: images. The page also loads nothing from elsewhere.
REFERENCE_CSP = (
    "default-src 'self'; img-src 'self' data:; style-src 'self'; "
    "script-src 'self'; connect-src 'self'; font-src 'self'; object-src 'none'; "
    "base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)
MEDIA_TYPES = {
    "json": "application/json; charset=utf-8",
    "yaml": "application/yaml; charset=utf-8",
}


class _OpenHandler(ApiHandler):
    """GET (and HEAD) without credentials; query strings are ignored."""

    methods = ("GET",)
    auth = "none"
    needs_org = False
    own_query = ("GET",)


class SpecHandler(_OpenHandler):
    """``/api/openapi.json`` and ``/api/openapi.yaml``; the route passes the kind."""

    async def get(self, kind: str) -> None:
        published: Published = self.application.settings["openapi"]
        self.set_header("Content-Type", MEDIA_TYPES[kind])
        self.set_header("Cache-Control", "no-cache")
        self.finish(published.json if kind == "json" else published.yaml)


class SpecRedirectHandler(_OpenHandler):
    """Old and short spellings of the spec's address answer 301 (OPENAPI-1)."""

    async def get(self, kind: str) -> None:
        self.clear_header("Content-Type")
        self.redirect(f"/api/openapi.{kind}", permanent=True)


@functools.cache
def _page() -> bytes:
    return (reference_ui_dir() / "index.html").read_bytes()


class ReferencePageHandler(_OpenHandler):
    async def get(self) -> None:
        page = _page()
        self.set_header("Content-Type", "text/html; charset=utf-8")
        self.set_header("Content-Security-Policy", REFERENCE_CSP)
        self.set_header("X-Content-Type-Options", "nosniff")
        self.set_header("Cache-Control", "no-cache")
        self.finish(page)


# The files the page loads, and nothing else of either folder.
PAGE_FILES = r"/api/reference/(page\.js|page\.css)"
SWAGGER_FILES = (
    r"/api/reference/(swagger-ui-bundle\.js|swagger-ui\.css|favicon-32x32\.png)"
)


class ReferenceFileHandler(RequestIdMixin, tornado.web.StaticFileHandler):
    """Swagger UI's bundle and the page's own script and style."""

    def set_extra_headers(self, path: str) -> None:
        self.set_header("X-Content-Type-Options", "nosniff")
