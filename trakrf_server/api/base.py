"""The request pipeline every API endpoint inherits (CONTRACT ORDER-1).

A handler declares what it allows and needs as class attributes::

    class AssetHandler(ApiHandler):
        methods = ("GET", "PATCH", "DELETE")
        scopes = {"GET": "assets:read", "PATCH": "assets:write", ...}

and ``prepare`` runs the shared steps in the contract's order: request id,
method, authentication, rate limit, content type, scope (or role for web-app
sessions), merge-patch type, unknown query parameters, organization context.
The handler method then parses what is left, calls one service function, and
answers with ``send_data``/``send_list``. Every failure leaves through
``write_error`` as the one envelope.
"""

from __future__ import annotations

import json
import logging
import re
import time
from typing import Any

import peewee
import tornado.httputil
import tornado.web

from trakrf_server import jsonbody
from trakrf_server.api.query import parse_query, unknown_parameters
from trakrf_server.auth import bearer
from trakrf_server.auth.principals import Principal, unauthorized
from trakrf_server.context import AppContext
from trakrf_server.db import is_transient
from trakrf_server.errors import INTERNAL_DETAIL, ApiError, envelope, validation
from trakrf_server.ratelimit import Decision, header_values
from trakrf_server.request_ids import new_request_id

log = logging.getLogger("trakrf.app")

METHOD_ORDER = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE")
JSON_TYPE = "application/json; charset=utf-8"
# Headers of API answers a cross-origin script may read (opt-in CORS mode).
CORS_EXPOSED = (
    "X-Request-ID, X-RateLimit-Limit, X-RateLimit-Remaining, X-RateLimit-Reset, "
    "Retry-After, Location"
)
MISSING_ORG = (
    "This request requires an active organization context. "
    "Select an organization or re-authenticate."
)
CT_JSON = "Content-Type must be application/json"
CONCURRENT_CONFLICT = "The request conflicts with a concurrent change; retry it"
CT_MERGE = "Content-Type must be application/merge-patch+json on PATCH operations"
# The largest request body read (the CSV upload of INT-101, at 5 MiB, is the
# largest legitimate one).
MAX_BODY = 16 << 20
BODY_TOO_LARGE = f"Request body is larger than {MAX_BODY >> 20} MiB"

# Roles a web-app session needs for what an API key needs a scope for (INT-11).
ROLE_FOR_SCOPE = {
    "assets:read": "viewer",
    "locations:read": "viewer",
    "tracking:read": "viewer",
    "assets:write": "manager",
    "locations:write": "manager",
    # Saving scans is an operator's job (INT-10, INT-91).
    "scans:write": "operator",
}


# RFC 9110 5.6.6: a parameter value is a token or a quoted-string, and the two
# forms are equivalent; inside the quotes a backslash escapes one character.
_QUOTED = re.compile(r'"((?:[^"\\]|\\.)*)"')
_QUOTED_PAIR = re.compile(r"\\(.)")


def _parameter_value(text: str) -> str | None:
    """A parameter value as it is meant: quotes and escapes removed."""
    if not text.startswith('"'):
        return None if '"' in text else text
    match = _QUOTED.fullmatch(text)
    return None if match is None else _QUOTED_PAIR.sub(r"\1", match.group(1))


def media_type(header: str | None) -> str | None:
    """The lower-cased media type if its only parameter is charset=utf-8 (CT-4).

    ``charset="utf-8"`` is that parameter too: HTTP defines the quoted value
    as the same value as the token.
    """
    if not header:
        return None
    parts = [p.strip() for p in header.split(";")]
    kind = parts[0].lower()
    for param in parts[1:]:
        name, _, value = param.partition("=")
        value = _parameter_value(value.strip())
        if name.strip().lower() != "charset" or value is None:
            return None
        if value.lower() != "utf-8":
            return None
    return kind


def allow_header(methods: tuple[str, ...]) -> str:
    present = set(methods)
    if "GET" in present:
        present.add("HEAD")
    return ", ".join(m for m in METHOD_ORDER if m in present)


class ApiHandler(tornado.web.RequestHandler):
    """Base of every handler under ``/api/``."""

    # Methods this path answers (HEAD is implied by GET).
    methods: tuple[str, ...] = ()
    # "none", "session" (web-app session only), "any" (session or API key),
    # "key" (API key only).
    auth = "any"
    # Scope an API key needs, per method; a session needs the matching role.
    scopes: dict[str, str] = {}
    # Methods whose handler validates the query string itself; every other
    # method accepts no query parameters at all (PAGE-5, step 7).
    own_query: tuple[str, ...] = ()
    # Whether the operation acts inside an organization (ORG-5, step 8).
    needs_org = True

    SUPPORTED_METHODS = ("GET", "HEAD", "POST", "DELETE", "PATCH", "PUT", "OPTIONS")

    @classmethod
    def body_too_large(cls) -> ApiError:
        """The answer to a body over ``MAX_BODY`` (api/body_limit.py)."""
        return ApiError("bad_request", BODY_TOO_LARGE)

    principal: Principal | None = None
    _rate: Decision | None = None
    _query: dict[str, list[str]] | None = None

    def __init__(self, application: Any, request: Any, **kwargs: Any) -> None:
        super().__init__(application, request, **kwargs)
        # Tornado parses form bodies before prepare() and answers a malformed
        # one (e.g. multipart without a boundary) with a bare 400, where CT-1
        # wants the 415. A body it cannot parse simply yields no form fields;
        # the pipeline and the handler decide what that means.
        parse_form = request._parse_body

        def parse_form_leniently() -> None:
            try:
                parse_form()
            except tornado.httputil.HTTPInputError:
                pass

        request._parse_body = parse_form_leniently

    # --- context --------------------------------------------------------------

    @property
    def ctx(self) -> AppContext:
        return self.application.settings["ctx"]

    @property
    def db(self):
        return self.ctx.db

    # --- headers present on every response --------------------------------------

    def set_default_headers(self) -> None:
        # clear() calls this again before an error page; the id must not change.
        if not hasattr(self, "request_id"):
            inbound = self.request.headers.get("X-Request-ID", "")
            self.request_id = inbound if inbound else new_request_id()
        self.set_header("X-Request-ID", self.request_id)
        self.set_header("Content-Type", JSON_TYPE)
        path = self.request.path
        if path == "/api/v1" or path.startswith("/api/v1/"):
            limit = self.ctx.config.rate_limit.per_minute
            for name, value in header_values(self._rate, limit, time.time()).items():
                self.set_header(name, value)
            self._allow_origin()

    def _allow_origin(self) -> None:
        """METHOD-4's opt-in CORS mode, on the answers as well as the preflight.

        A browser that passed the preflight still withholds an answer that
        does not name its origin, and shows a script only the CORS-safelisted
        headers unless others are exposed.
        """
        origin = self.ctx.config.cors.allow_origin
        if origin:
            self.set_header("Access-Control-Allow-Origin", origin)
            self.set_header("Access-Control-Expose-Headers", CORS_EXPOSED)

    # --- the pipeline ----------------------------------------------------------

    async def prepare(self) -> None:
        method = self.request.method
        if method == "OPTIONS" and self.ctx.config.cors.allow_origin:
            self._answer_preflight()
            return
        self._check_method(method)

        self.principal = await self._authenticate()
        if self.principal is not None and self.principal.is_api_key:
            await self._take_token(self.principal)

        if method in ("POST", "PUT", "PATCH"):
            self._check_content_type(method)

        self._check_permission(method)

        if method == "PATCH" and media_type(self._content_type()) != (
            "application/merge-patch+json"
        ):
            raise ApiError("unsupported_media_type", CT_MERGE)

        verb = "GET" if method == "HEAD" else method
        if verb not in self.own_query:
            extra = unknown_parameters(self.query, set())
            if extra:
                raise validation(extra)

        if (
            self.needs_org
            and self.principal is not None
            and self.principal.org_id is None
        ):
            raise ApiError("missing_org_context", MISSING_ORG)

    def _check_method(self, method: str) -> None:
        if method == "HEAD" and "GET" in self.methods:
            return
        if method not in self.methods:
            raise self._method_not_allowed()

    def _method_not_allowed(self) -> ApiError:
        allow = allow_header(self.methods)
        return ApiError(
            "method_not_allowed", f"Allowed methods: {allow}", headers={"Allow": allow}
        )

    def _answer_preflight(self) -> None:
        # METHOD-4's opt-in CORS mode: every OPTIONS gets 204 with these headers.
        self.set_status(204)
        self.clear_header("Content-Type")
        self.set_header(
            "Access-Control-Allow-Origin", self.ctx.config.cors.allow_origin
        )
        self.set_header(
            "Access-Control-Allow-Methods", "GET, POST, PUT, PATCH, DELETE, OPTIONS"
        )
        self.set_header(
            "Access-Control-Allow-Headers", "Content-Type, Authorization, X-Request-ID"
        )
        self.set_header("Access-Control-Max-Age", "3600")
        self.finish()

    async def _authenticate(self) -> Principal | None:
        if self.auth == "none":
            return None
        header = self.request.headers.get("Authorization", "")
        if not header.strip():
            if "X-API-Key" in self.request.headers:
                raise unauthorized("Use Authorization: Bearer <token>")
            raise unauthorized("Missing authorization header")
        # AUTH-1: split at the first space; the rest is the token exactly as
        # sent (HTTP already trimmed the value's own leading/trailing spaces).
        scheme, sep, token = header.partition(" ")
        if not sep or scheme.lower() != "bearer":
            raise unauthorized("Invalid authorization header format")
        return await bearer.principal_for(self.ctx, token, self.auth)

    async def _take_token(self, principal: Principal) -> None:
        self._rate = await bearer.take_token(self.ctx, principal)
        if self._rate is None:
            return
        self.set_default_headers()
        if not self._rate.allowed:
            raise bearer.rate_limited(self._rate)

    def _content_type(self) -> str | None:
        return self.request.headers.get("Content-Type")

    def _check_content_type(self, method: str) -> None:
        kind = media_type(self._content_type())
        if method == "PATCH":
            if kind not in ("application/json", "application/merge-patch+json"):
                raise ApiError("unsupported_media_type", CT_MERGE)
        elif kind != "application/json":
            raise ApiError("unsupported_media_type", CT_JSON)

    def _check_permission(self, method: str) -> None:
        scope = self.scopes.get("GET" if method == "HEAD" else method)
        principal = self.principal
        if scope is None or principal is None:
            return
        if principal.is_api_key:
            bearer.require_scope(principal, scope)
            return
        # Sessions skip scope checks (SCOPE-7); the role stands in (INT-11).
        role = ROLE_FOR_SCOPE.get(scope)
        if role and principal.org_id is not None and not principal.has_role(role):
            raise ApiError(
                "forbidden", f"Insufficient permissions. Required role: {role}"
            )

    # --- request helpers -------------------------------------------------------

    def decode_argument(self, value: bytes, name: str | None = None) -> str:
        # Tornado answers a path segment that is not UTF-8 with its own bare 400.
        # Such a segment is simply not an id: decoded leniently, it reaches the
        # handler's ID-3 check and gets invalid_value like any other non-integer.
        if name is None:
            return value.decode("utf-8", errors="replace")
        return super().decode_argument(value, name)

    @property
    def query(self) -> dict[str, list[str]]:
        if self._query is None:
            self._query = parse_query(self.request.query)
        return self._query

    def body_object(self) -> dict[str, Any]:
        """The JSON object body, or the VAL-2 ``bad_request``."""
        return jsonbody.decode_object(self.request.body)

    @property
    def org_id(self) -> int:
        assert self.principal is not None and self.principal.org_id is not None
        return self.principal.org_id

    # --- responses -------------------------------------------------------------

    def compute_etag(self) -> None:
        # API answers change with every write; hashing each body buys nothing.
        return None

    def send_json(self, body: Any, status: int = 200) -> None:
        self.set_status(status)
        self.set_header("Content-Type", JSON_TYPE)
        self.finish(json.dumps(body, ensure_ascii=False, separators=(",", ":")))

    def send_data(
        self, data: Any, status: int = 200, location: str | None = None
    ) -> None:
        if location is not None:
            self.set_header("Location", location)
        self.send_json({"data": data}, status)

    def send_list(self, rows: list[Any], limit: int, offset: int, total: int) -> None:
        self.send_json(
            {"data": rows, "limit": limit, "offset": offset, "total_count": total}
        )

    def send_no_content(self) -> None:
        self.set_status(204)
        self.clear_header("Content-Type")
        self.finish()

    # --- HEAD mirrors GET (METHOD-3) -------------------------------------------

    async def head(self, *args: str) -> None:
        await self.get(*args)  # Tornado drops the body of a HEAD response

    # --- errors ----------------------------------------------------------------

    def write_error(self, status_code: int, **kwargs: Any) -> None:
        error = self._as_api_error(status_code, kwargs.get("exc_info"))
        for name, value in error.headers.items():
            self.set_header(name, value)
        self.set_status(error.status)
        body = envelope(
            error.type, error.detail, self.request.path, self.request_id, error.fields
        )
        self.set_header("Content-Type", JSON_TYPE)
        self.finish(json.dumps(body, ensure_ascii=False, separators=(",", ":")))

    def _as_api_error(self, status_code: int, exc_info: Any) -> ApiError:
        exc = exc_info[1] if exc_info else None
        if isinstance(exc, ApiError):
            return exc
        if isinstance(exc, peewee.IntegrityError) or is_transient(exc):
            # A uniqueness race the services' own checks could not see (another
            # process sharing the database committed the same key first), or
            # a write that kept losing deadlocks to one (``db.Writer`` retries).
            return ApiError("conflict", CONCURRENT_CONFLICT)
        if status_code == 405:
            return self._method_not_allowed()
        if status_code == 404:
            return ApiError("not_found", f"Unknown API route: {self.request.path}")
        if 400 <= status_code < 500:
            return ApiError("bad_request", "Bad request")
        return ApiError("internal_error", INTERNAL_DETAIL)

    def log_exception(self, typ, value, tb) -> None:  # noqa: ANN001 - Tornado's signature
        if isinstance(value, ApiError):
            return
        if isinstance(value, tornado.web.HTTPError) and value.status_code < 500:
            return
        if isinstance(value, peewee.IntegrityError) or is_transient(value):
            log.warning(
                "conflict on %s %s: %s", self.request.method, self.request.path, value
            )
            return
        log.error(
            "unhandled error on %s %s",
            self.request.method,
            self.request.path,
            exc_info=(typ, value, tb),
        )
