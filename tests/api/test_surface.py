"""Envelope, request ids, methods and unknown routes (CONTRACT SURF, ERR, REQ,
METHOD)."""

import ast
import re
from pathlib import Path

import pytest

import trakrf_server
from trakrf_server import errors
from trakrf_server.request_ids import new_request_id

ME = "/api/v1/orgs/me"
ULID = re.compile(r"^[0-9A-HJKMNP-TV-Z]{26}$")
ENVELOPE_KEYS = {"type", "title", "status", "detail", "instance", "request_id"}


@pytest.mark.gen_test
async def test_error_envelope_shape(api):
    # ERR-1, ERR-3, ERR-4, SURF-2
    r = await api.get(ME + "?x=1")
    assert r.headers["Content-Type"] == "application/json; charset=utf-8"
    body = r.json()
    assert set(body) == {"error"}
    assert set(body["error"]) == ENVELOPE_KEYS
    assert body["error"]["status"] == r.status == 401
    assert body["error"]["instance"] == ME
    assert body["error"]["request_id"] == r.headers["X-Request-ID"]


@pytest.mark.gen_test
async def test_request_id_generated_and_echoed(api):
    # REQ-1, REQ-2, REQ-3
    generated = await api.get(ME)
    assert ULID.match(generated.headers["X-Request-ID"])
    echoed = await api.get(ME, headers={"X-Request-ID": "my id/with odd chars"})
    assert echoed.headers["X-Request-ID"] == "my id/with odd chars"
    assert echoed.error["request_id"] == "my id/with odd chars"
    probe = await api.get("/healthz")
    assert ULID.match(probe.headers["X-Request-ID"])


def test_request_ids_are_monotonic():
    # REQ-2: monotonic within the process, even inside one millisecond
    ids = [new_request_id() for _ in range(2000)]
    assert ids == sorted(ids)
    assert len(set(ids)) == len(ids)


@pytest.mark.gen_test
@pytest.mark.parametrize(
    "path", ["/api/v1/keys", "/api/v1/scans", "/api/v1/tags", "/api/v2/x", "/api/v1/"]
)
async def test_unknown_api_routes(api, path):
    # SURF-5, SURF-8: 404 before authentication, any method; TAG-7: no top-level
    # tag endpoint
    for method in ("GET", "POST", "DELETE"):
        r = await api.request(method, path, body=b"{}" if method == "POST" else None)
        assert r.status == 404
        assert r.error["type"] == "not_found"
        assert r.error["detail"] == f"Unknown API route: {path}"
        assert "WWW-Authenticate" not in r.headers


@pytest.mark.gen_test
async def test_retired_routes(api):
    # SURF-6
    expected = {
        "/api/v1/assets/lookup": "This endpoint has been removed. Use GET "
        "/api/v1/assets?external_key= to find an asset by external_key.",
        "/api/v1/locations/lookup": "This endpoint has been removed. Use GET "
        "/api/v1/locations?external_key= to find a location by external_key.",
        "/api/v1/locations/current": "This endpoint has moved. Use GET "
        "/api/v1/reports/asset-locations.",
    }
    for path, detail in expected.items():
        for method in ("GET", "PUT"):
            r = await api.request(method, path, body=b"" if method == "PUT" else None)
            assert r.status == 404, (path, r)
            assert r.error["detail"] == detail


@pytest.mark.gen_test
@pytest.mark.parametrize(
    "method", ["PUT", "POST", "DELETE", "PATCH", "OPTIONS", "TRACE"]
)
async def test_method_not_allowed_before_auth(api, method):
    # METHOD-1, METHOD-2, METHOD-4 (CORS off), AUTH-9
    r = await api.request(
        method, ME, body=b"{}" if method in ("PUT", "POST", "PATCH") else None
    )
    assert r.status == 405
    assert r.headers["Allow"] == "GET, HEAD"
    assert r.error["type"] == "method_not_allowed"
    assert r.error["title"] == "Method not allowed"
    assert r.error["detail"] == "Allowed methods: GET, HEAD"
    assert r.headers["X-RateLimit-Remaining"] == "60"
    assert "X-Request-ID" in r.headers


@pytest.mark.gen_test
async def test_head_mirrors_get(api, seed):
    # METHOD-3, SURF-2 (HEAD has no body)
    tenant = seed.tenant()
    key = seed.key(tenant.org_id)
    got = await api.get(ME, token=key)
    head = await api.request("HEAD", ME, token=key)
    assert head.status == got.status == 200
    assert head.text == ""
    assert head.headers["Content-Type"] == got.headers["Content-Type"]
    assert int(head.headers["X-RateLimit-Remaining"]) <= 60
    unauthenticated = await api.request("HEAD", ME)
    assert unauthenticated.status == 401
    assert unauthenticated.text == ""


@pytest.mark.gen_test
async def test_internal_errors_hide_details(api, seed, ctx, monkeypatch, caplog):
    # ERR-5: no traceback, SQL or module path reaches the client
    from trakrf_server.api.public import orgs

    def explode(org_id):
        raise RuntimeError("secret internals /usr/lib/python SELECT * FROM x")

    monkeypatch.setattr(orgs, "_org_name", explode)
    tenant = seed.tenant()
    r = await api.get(ME, token=seed.key(tenant.org_id))
    assert r.status == 500
    assert r.error["type"] == "internal_error"
    assert r.error["title"] == "Internal server error"
    assert r.error["detail"] == "An unexpected error occurred"
    assert "SELECT" not in r.text and "python" not in r.text
    assert any(
        "secret internals" in rec.getMessage() or rec.exc_info for rec in caplog.records
    )


class TestCors:
    @pytest.fixture
    def overrides(self):
        return {"cors.allow_origin": "https://app.example.com"}

    @pytest.mark.gen_test
    async def test_opt_in_preflight(self, api):
        # METHOD-4 opt-in mode
        r = await api.request("OPTIONS", ME)
        assert r.status == 204
        assert r.headers["Access-Control-Allow-Origin"] == "https://app.example.com"
        assert r.headers["Access-Control-Allow-Methods"] == (
            "GET, POST, PUT, PATCH, DELETE, OPTIONS"
        )
        assert r.headers["Access-Control-Allow-Headers"] == (
            "Content-Type, Authorization, X-Request-ID"
        )
        assert r.headers["Access-Control-Max-Age"] == "3600"

    @pytest.mark.gen_test
    async def test_opt_in_answers_name_the_origin(self, api, seed):
        # METHOD-4 opt-in mode (config.toml [cors]): a browser that passed the
        # preflight still withholds an answer without Access-Control-Allow-Origin,
        # errors included, and shows a script only the headers exposed to it.
        tenant = seed.tenant()
        for r in (
            await api.get(ME, token=seed.key(tenant.org_id)),
            await api.get(ME),
        ):
            assert r.headers["Access-Control-Allow-Origin"] == (
                "https://app.example.com"
            )
            exposed = r.headers["Access-Control-Expose-Headers"].split(", ")
            assert "X-Request-ID" in exposed
            assert "X-RateLimit-Remaining" in exposed
            assert "Retry-After" in exposed
        assert (await api.get(ME)).status == 401


@pytest.mark.gen_test
async def test_no_cors_headers_by_default(api, seed):
    # SURF-7
    tenant = seed.tenant()
    r = await api.get(ME, token=seed.key(tenant.org_id))
    assert not [h for h in r.headers if h.lower().startswith("access-control-")]


@pytest.mark.gen_test
async def test_probes(api):
    # INT-103
    assert (await api.get("/healthz")).text == "ok"
    ready = await api.get("/readyz")
    assert ready.status == 200 and ready.text == "ok"
    health = (await api.get("/health")).json()
    assert health["status"] == "ok" and health["database"] == "ok"
    assert "version" in health and "uptime_seconds" in health


@pytest.mark.gen_test
async def test_no_retirement_headers_anywhere(api, seed):
    # ERR-9: Deprecation, Sunset and 410 are reserved; none are emitted today
    tenant = seed.tenant()
    key = seed.key(tenant.org_id)
    for path in (
        "/api/v1/orgs/me",
        "/api/v1/assets",
        "/api/v1/assets/lookup",
        "/api/v1/x",
    ):
        r = await api.get(path, token=key)
        assert r.status != 410
        assert "Deprecation" not in r.headers and "Sunset" not in r.headers


@pytest.mark.gen_test
async def test_uniqueness_race_is_a_conflict_not_a_500(api, seed, monkeypatch):
    # ERR-2, ERR-5: a database uniqueness violation no service check caught
    # (another process committed first) answers 409, never 500
    import peewee

    from trakrf_server.api.public import orgs

    def collide(org_id):
        raise peewee.IntegrityError("UNIQUE constraint failed: asset.org_id")

    monkeypatch.setattr(orgs, "_org_name", collide)
    tenant = seed.tenant()
    r = await api.get(ME, token=seed.key(tenant.org_id))
    assert r.status == 409
    assert r.error["type"] == "conflict"
    assert (
        r.error["detail"] == "The request conflicts with a concurrent change; retry it"
    )
    assert "UNIQUE" not in r.text


@pytest.mark.gen_test
@pytest.mark.parametrize(
    "method,path,status",
    [
        ("GET", "/", 200),
        ("GET", "/css/app.css", 200),
        ("GET", "/no/such/screen", 200),
        ("GET", "/../config.toml", 403),
        ("DELETE", "/", 405),
        ("GET", "/api/reference/swagger-ui.css", 200),
        ("HEAD", "/healthz", 200),
        ("POST", "/healthz", 405),
    ],
)
async def test_request_id_outside_the_api(api, method, path, status):
    # REQ-1: any path, any status; REQ-2: an inbound id is echoed
    r = await api.request(method, path)
    assert r.status == status, r
    assert ULID.match(r.headers["X-Request-ID"])
    r = await api.request(method, path, headers={"X-Request-ID": "probe-1"})
    assert r.headers["X-Request-ID"] == "probe-1"


@pytest.mark.gen_test
@pytest.mark.parametrize("path", ["/healthz", "/readyz", "/health"])
async def test_probes_answer_head(api, path):
    # INT-103: monitors probing with HEAD get GET's status and headers, no body
    get = await api.get(path)
    head = await api.request("HEAD", path)
    assert head.status == get.status == 200
    assert head.text == ""
    assert head.headers["Content-Type"] == get.headers["Content-Type"]


# ERR-2's table: the only types the public surface may emit.
PUBLIC_TYPES = {
    "validation_error",
    "bad_request",
    "unauthorized",
    "forbidden",
    "not_found",
    "method_not_allowed",
    "conflict",
    "unsupported_media_type",
    "missing_org_context",
    "rate_limited",
    "internal_error",
}


def raised_types() -> list[tuple[str, int, str | None]]:
    """(file, line, type) of every ApiError built in the server package; the
    type is None when it is not a string literal."""
    package = Path(trakrf_server.__file__).parent
    found = []
    for source in sorted(package.rglob("*.py")):
        tree = ast.parse(source.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call):
                continue
            func = node.func
            name = func.id if isinstance(func, ast.Name) else getattr(func, "attr", "")
            if name != "ApiError":
                continue
            given = node.args[0] if node.args else None
            for keyword in node.keywords:
                if keyword.arg == "type":
                    given = keyword.value
            literal = isinstance(given, ast.Constant) and isinstance(given.value, str)
            relative = source.relative_to(package).as_posix()
            found.append((relative, node.lineno, given.value if literal else None))
    return found


def test_public_surface_emits_only_the_eleven_types():
    # ERR-7: every error answer is an ApiError (write_error turns anything else
    # into one of them), so the types built outside the web-app handlers are
    # the ones a public client can see
    found = raised_types()
    assert len(found) > 20  # the scan sees the server's raises
    assert all(kind is not None for _, _, kind in found), found
    assert all(kind in errors.TYPES for _, _, kind in found), found
    outside = [
        (where, line, kind)
        for where, line, kind in found
        if kind not in PUBLIC_TYPES and not where.startswith("api/internal/")
    ]
    assert outside == []
