"""Authentication and tokens on the public surface (CONTRACT AUTH, JWT)."""

import time
import uuid
from datetime import timedelta

import jwt
import pytest

from trakrf_server import timeutil
from trakrf_server.auth.tokens import mint_api_key, mint_session
from trakrf_server.models import ApiKey

ME = "/api/v1/orgs/me"
INVALID = "Invalid or expired token"


async def detail_for(api, headers):
    r = await api.get(ME, headers=headers)
    assert r.status == 401, r
    assert r.error["type"] == "unauthorized"
    assert r.error["title"] == "Unauthorized"
    # AUTH-3
    assert r.headers["WWW-Authenticate"] == 'Bearer realm="trakrf-api"'
    return r.error["detail"]


@pytest.mark.gen_test
async def test_missing_header(api):
    # AUTH-2 row 1, DEC-1
    assert await detail_for(api, {}) == "Missing authorization header"
    assert (
        await detail_for(api, {"Authorization": ""}) == "Missing authorization header"
    )


@pytest.mark.gen_test
async def test_x_api_key_alone_never_authenticates(api, seed):
    # AUTH-2 row 2, AUTH-4
    tenant = seed.tenant()
    key = seed.key(tenant.org_id)
    detail = await detail_for(api, {"X-API-Key": key})
    assert detail == "Use Authorization: Bearer <token>"


@pytest.mark.gen_test
async def test_x_api_key_ignored_when_authorization_present(api, seed):
    # AUTH-4
    tenant = seed.tenant()
    key = seed.key(tenant.org_id)
    r = await api.get(
        ME, headers={"Authorization": f"Bearer {key}", "X-API-Key": "junk"}
    )
    assert r.status == 200


@pytest.mark.gen_test
@pytest.mark.parametrize("value", ["Basic abc", "Token abc", "abc.def.ghi", "Bearer"])
async def test_bad_header_format(api, value):
    # AUTH-1, AUTH-2 row 3
    assert await detail_for(api, {"Authorization": value}) == (
        "Invalid authorization header format"
    )


@pytest.mark.gen_test
async def test_scheme_is_case_insensitive(api, seed):
    # AUTH-1
    tenant = seed.tenant()
    key = seed.key(tenant.org_id)
    r = await api.get(ME, headers={"Authorization": f"bEaReR {key}"})
    assert r.status == 200, r


@pytest.mark.gen_test
async def test_header_split_at_the_first_space_only(api, seed):
    # AUTH-1: the value splits at the first space; whatever follows it is the
    # token as sent, so a second space makes the token not a JWT (AUTH-2 row 4)
    tenant = seed.tenant()
    key = seed.key(tenant.org_id)
    for value in (f"Bearer  {key}", f"Bearer \t{key}", f"Bearer {key} x"):
        assert await detail_for(api, {"Authorization": value}) == INVALID, value
    # no space at all is a format error (AUTH-2 row 3), a tab is not a space
    assert await detail_for(api, {"Authorization": f"Bearer\t{key}"}) == (
        "Invalid authorization header format"
    )


def claims_for(record_uuid, org_id, **extra):
    claims = {
        "iss": "trakrf-api-key",
        "sub": record_uuid,
        "aud": ["trakrf-api"],
        "iat": int(time.time()),
        "org_id": org_id,
        "scopes": [],
    }
    claims.update(extra)
    return claims


@pytest.mark.gen_test
async def test_invalid_tokens(api, seed, ctx):
    # AUTH-2 row 4, AUTH-5, AUTH-6, JWT-1
    tenant = seed.tenant()
    seed.key(tenant.org_id)
    record = ApiKey.get()
    secret = ctx.secret
    good = claims_for(record.jti, tenant.org_id)
    bad_tokens = [
        "not-a-jwt",
        jwt.encode(good, "wrong secret " * 4, algorithm="HS256"),
        jwt.encode(good, None, algorithm="none"),
        jwt.encode({**good, "iss": "someone-else"}, secret, algorithm="HS256"),
        jwt.encode({**good, "aud": ["other"]}, secret, algorithm="HS256"),
        jwt.encode({**good, "exp": int(time.time()) - 5}, secret, algorithm="HS256"),
        jwt.encode({**good, "sub": str(uuid.uuid4())}, secret, algorithm="HS256"),
        jwt.encode({**good, "sub": "not-a-uuid"}, secret, algorithm="HS256"),
    ]
    for token in bad_tokens:
        assert await detail_for(api, {"Authorization": f"Bearer {token}"}) == INVALID


@pytest.mark.gen_test
async def test_session_claims_out_of_range_are_invalid_not_500(api, seed, ctx):
    # AUTH-2 row 4, ID-1, ERR-5: a well-signed session token whose ids lie
    # outside the id range, or whose exp is not a finite number, is an
    # invalid token (401) wherever sessions are accepted, never a 500 and
    # never a token that does not expire.
    tenant = seed.tenant()
    now = int(time.time())
    good = {
        "user_id": tenant.user_id,
        "email": tenant.email,
        "current_org_id": tenant.org_id,
        "iat": now,
        "exp": now + 600,
    }
    bad_claims = [
        {"user_id": 2**70},
        {"user_id": 2147483648},
        {"user_id": 0},
        {"current_org_id": 2**70},
        {"current_org_id": -1},
        {"exp": float("nan")},
        {"exp": float("inf")},
    ]
    for extra in bad_claims:
        token = jwt.encode({**good, **extra}, ctx.secret, algorithm="HS256")
        for path in ("/api/v1/assets", "/api/v1/users/me"):
            r = await api.get(path, token=token)
            assert r.status == 401, (extra, path, r)
            assert r.error["detail"] == INVALID
    token = jwt.encode(good, ctx.secret, algorithm="HS256")
    assert (await api.get("/api/v1/assets", token=token)).status == 200


@pytest.mark.gen_test
async def test_key_org_and_scopes_come_from_record_not_claims(api, seed, ctx):
    # AUTH-6
    a = seed.tenant()
    b = seed.tenant()
    seed.key(a.org_id, ["assets:read"])
    record = ApiKey.get()
    forged = mint_api_key(ctx.secret, record.jti, b.org_id, ["assets:write"], None)
    r = await api.get(ME, token=forged)
    assert r.status == 200
    assert r.json()["data"]["id"] == a.org_id
    assert r.json()["data"]["scopes"] == ["assets:read"]


@pytest.mark.gen_test
async def test_revoked_and_expired_records(api, seed):
    # AUTH-2 rows 5 and 6
    tenant = seed.tenant()
    revoked = seed.key(tenant.org_id)
    ApiKey.update(revoked_at=timeutil.now()).execute()
    assert await detail_for(api, {"Authorization": f"Bearer {revoked}"}) == (
        "API key has been revoked"
    )

    expired = seed.key(tenant.org_id)
    record = ApiKey.select().order_by(ApiKey.id.desc()).get()
    record.expires_at = timeutil.now() - timedelta(seconds=1)
    record.save()
    assert await detail_for(api, {"Authorization": f"Bearer {expired}"}) == (
        "API key has expired"
    )


@pytest.mark.gen_test
async def test_key_with_expiry_claim_carries_exp(api, seed):
    # JWT-2: exp only when minted with an expiry
    tenant = seed.tenant()
    forever = seed.key(tenant.org_id)
    assert "exp" not in jwt.decode(forever, options={"verify_signature": False})
    later = timeutil.now() + timedelta(days=1)
    bounded = seed.key(tenant.org_id, expires_at=later)
    claims = jwt.decode(bounded, options={"verify_signature": False})
    assert claims["exp"] == int(later.timestamp())
    assert claims["iss"] == "trakrf-api-key"
    assert claims["aud"] == ["trakrf-api"]
    assert isinstance(claims["org_id"], int)
    assert (await api.get(ME, token=bounded)).status == 200


def test_session_claims_shape(seed):
    # JWT-3: user_id, email, current_org_id, iat, exp; no iss or aud
    tenant = seed.tenant()
    claims = jwt.decode(tenant.session, options={"verify_signature": False})
    assert set(claims) == {"user_id", "email", "current_org_id", "iat", "exp"}
    assert claims["exp"] - claims["iat"] == 3600
    no_org = mint_session("s" * 32, 1, "a@b.c", None, 60)
    assert "current_org_id" not in jwt.decode(
        no_org, options={"verify_signature": False}
    )


@pytest.mark.gen_test
async def test_last_used_at_recorded(api, seed):
    # AUTH-8
    tenant = seed.tenant()
    key = seed.key(tenant.org_id)
    assert ApiKey.get().last_used_at is None
    assert (await api.get(ME, token=key)).status == 200
    deadline = time.monotonic() + 5
    while ApiKey.get().last_used_at is None and time.monotonic() < deadline:
        time.sleep(0.02)
    assert ApiKey.get().last_used_at is not None


@pytest.mark.gen_test
async def test_deleted_org_key_gets_missing_org_context(api, seed):
    # ORG-5 (a), DEC-12
    from trakrf_server.models import Organization

    tenant = seed.tenant()
    key = seed.key(tenant.org_id)
    Organization.update(deleted_at=timeutil.now()).execute()
    r = await api.get(ME, token=key)
    assert r.status == 422
    assert r.error["type"] == "missing_org_context"
    assert r.error["title"] == "Missing org context"
    assert r.error["detail"] == (
        "This request requires an active organization context. "
        "Select an organization or re-authenticate."
    )
