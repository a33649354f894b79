"""/api/v1/orgs/{id}/api-keys (INT-80…83)."""

from __future__ import annotations

import uuid

import jwt
import pytest
from tornado import gen

from trakrf_server.services import keys


def api_keys(org_id):
    return f"/api/v1/orgs/{org_id}/api-keys"


async def mint(api, org_id, token, scopes=("assets:read",), **extra):
    body = {"name": "reader", "scopes": list(scopes), **extra}
    return await api.post(api_keys(org_id), body, token=token)


@pytest.mark.gen_test
async def test_key_lifecycle(api, seed, ctx):
    # INT-81 mint → use → INT-82 list with last_used_at → INT-83 revoke → 401
    tenant = seed.tenant("Acme")
    r = await mint(api, tenant.org_id, tenant.session, ["assets:read", "tracking:read"])
    assert r.status == 201, r
    data = r.json()["data"]
    assert set(data) == {"token", "id", "jti", "name", "scopes", "created_at"}
    assert data["scopes"] == ["assets:read", "tracking:read"]
    assert str(uuid.UUID(data["jti"])) == data["jti"]
    claims = jwt.decode(
        data["token"], ctx.secret, algorithms=["HS256"], audience="trakrf-api"
    )
    assert claims["iss"] == "trakrf-api-key"
    assert claims["sub"] == data["jti"]
    assert claims["org_id"] == tenant.org_id
    assert "exp" not in claims

    r = await api.get("/api/v1/orgs/me", token=data["token"])
    assert r.status == 200
    assert r.json()["data"]["id"] == tenant.org_id

    for _ in range(50):  # last_used_at is written in the background (AUTH-8)
        r = await api.get(api_keys(tenant.org_id), token=tenant.session)
        row = r.json()["data"][0]
        if "last_used_at" in row:
            break
        await gen.sleep(0.02)
    assert r.json()["limit"] == 50 and r.json()["offset"] == 0
    assert r.json()["total_count"] == 1
    assert row == {
        "id": data["id"],
        "jti": data["jti"],
        "name": "reader",
        "scopes": ["assets:read", "tracking:read"],
        "created_by": tenant.user_id,
        "created_by_key_id": None,
        "created_at": data["created_at"],
        "last_used_at": row["last_used_at"],
    }

    r = await api.delete(
        f"{api_keys(tenant.org_id)}/{data['id']}", token=tenant.session
    )
    assert r.status == 204
    assert r.text == ""
    r = await api.get("/api/v1/orgs/me", token=data["token"])
    assert r.status == 401
    assert r.error["detail"] == "API key has been revoked"
    r = await api.get(api_keys(tenant.org_id), token=tenant.session)
    assert r.json()["data"] == []
    r = await api.delete(
        f"{api_keys(tenant.org_id)}/{data['id']}", token=tenant.session
    )
    assert r.status == 404
    assert r.error["detail"] == "API key not found"


@pytest.mark.gen_test
async def test_revoke_by_jti(api, seed):
    # INT-83
    tenant = seed.tenant()
    data = (await mint(api, tenant.org_id, tenant.session)).json()["data"]
    base = f"{api_keys(tenant.org_id)}/by-jti"
    r = await api.delete(f"{base}/not-a-uuid", token=tenant.session)
    assert r.status == 400
    assert r.error["type"] == "bad_request"
    assert r.error["detail"] == "Invalid jti"
    r = await api.delete(f"{base}/{uuid.uuid4()}", token=tenant.session)
    assert r.status == 404
    r = await api.delete(f"{base}/{data['jti'].upper()}", token=tenant.session)
    assert r.status == 204
    r = await api.get("/api/v1/orgs/me", token=data["token"])
    assert r.error["detail"] == "API key has been revoked"


@pytest.mark.gen_test
async def test_expiry(api, seed):
    # INT-81 expires_at; INT §2: exp claim; expired keys still count toward the limit
    tenant = seed.tenant()
    r = await mint(
        api, tenant.org_id, tenant.session, expires_at="2020-01-01T00:00:00Z"
    )
    assert r.status == 201, r
    data = r.json()["data"]
    assert data["expires_at"] == "2020-01-01T00:00:00.000Z"
    r = await api.get("/api/v1/orgs/me", token=data["token"])
    assert r.status == 401
    assert r.error["detail"] == "Invalid or expired token"

    r = await mint(
        api, tenant.org_id, tenant.session, expires_at="2999-01-01T00:00:00+02:00"
    )
    assert r.json()["data"]["expires_at"] == "2998-12-31T22:00:00.000Z"
    assert (
        await api.get("/api/v1/orgs/me", token=r.json()["data"]["token"])
    ).status == 200

    r = await api.get(api_keys(tenant.org_id), token=tenant.session)
    assert [row.get("expires_at") for row in r.json()["data"]] == [
        "2998-12-31T22:00:00.000Z",
        "2020-01-01T00:00:00.000Z",
    ]
    r = await mint(api, tenant.org_id, tenant.session, expires_at="tomorrow")
    assert r.error["fields"][0] == {
        "field": "expires_at",
        "code": "invalid_value",
        "message": "expires_at must be an RFC 3339 timestamp",
    }


@pytest.mark.gen_test
async def test_ten_key_limit(api, seed):
    # INT-81: at most 10 non-revoked keys (expired ones count)
    tenant = seed.tenant()
    ids = []
    for n in range(10):
        extra = {"expires_at": "2020-01-01T00:00:00Z"} if n == 0 else {}
        r = await mint(api, tenant.org_id, tenant.session, **extra)
        assert r.status == 201
        ids.append(r.json()["data"]["id"])
    r = await mint(api, tenant.org_id, tenant.session)
    assert r.status == 409
    assert r.error["type"] == "conflict"
    assert r.error["detail"] == (
        "Organization has reached the 10 active API key limit. "
        "Revoke an unused key first."
    )
    await api.delete(f"{api_keys(tenant.org_id)}/{ids[0]}", token=tenant.session)
    assert (await mint(api, tenant.org_id, tenant.session)).status == 201


@pytest.mark.gen_test
async def test_mint_validation(api, seed):
    # INT-81: unknown scope, bad JSON, name, scopes ≥ 1 (VAL-6 item(s) wording)
    tenant = seed.tenant()
    r = await mint(api, tenant.org_id, tenant.session, ["assets:read", "assets:fly"])
    assert r.status == 400
    assert r.error["type"] == "validation_error"
    assert r.error["detail"] == "Unknown scope: assets:fly"
    r = await api.post(
        api_keys(tenant.org_id),
        body="{",
        content_type="application/json",
        token=tenant.session,
    )
    assert r.error["type"] == "bad_request"
    assert r.error["detail"] == "Invalid JSON body"
    r = await api.post(
        api_keys(tenant.org_id), {"name": "", "scopes": []}, token=tenant.session
    )
    assert r.error["fields"] == [
        {
            "field": "name",
            "code": "too_short",
            "message": "name must be at least 1 character(s)",
            "params": {"min_length": 1},
        },
        {
            "field": "scopes",
            "code": "too_short",
            "message": "scopes must contain at least 1 item(s)",
            "params": {"min_length": 1},
        },
    ]
    r = await api.post(
        api_keys(tenant.org_id),
        {"name": "x", "scopes": "assets:read"},
        token=tenant.session,
    )
    assert r.error["type"] == "bad_request"


@pytest.mark.gen_test
async def test_list_paging(api, seed):
    # INT-82: limit/offset per PAGE-1/2, nothing else; newest first
    tenant = seed.tenant()
    for name in ("one", "two", "three"):
        r = await api.post(
            api_keys(tenant.org_id),
            {"name": name, "scopes": ["assets:read"]},
            token=tenant.session,
        )
    r = await api.get(
        f"{api_keys(tenant.org_id)}?limit=2&offset=1", token=tenant.session
    )
    body = r.json()
    assert [k["name"] for k in body["data"]] == ["two", "one"]
    assert (body["limit"], body["offset"], body["total_count"]) == (2, 1, 3)

    r = await api.get(
        f"{api_keys(tenant.org_id)}?limit=0&offset=x&sort=name", token=tenant.session
    )
    assert r.status == 400
    assert r.error["fields"] == [
        {
            "field": "sort",
            "code": "invalid_value",
            "message": "unknown parameter: sort",
        },
        {
            "field": "limit",
            "code": "too_small",
            "message": "limit must be ≥ 1",
            "params": {"min": 1},
        },
        {
            "field": "offset",
            "code": "invalid_value",
            "message": "offset must be a non-negative integer",
        },
    ]
    r = await api.get(f"{api_keys(tenant.org_id)}?limit=201", token=tenant.session)
    assert r.error["fields"][0]["params"] == {"max": 200}


@pytest.mark.gen_test
@pytest.mark.parametrize("role", ["viewer", "operator", "manager"])
async def test_session_needs_admin(api, seed, people, role):
    # INT-80: session callers pass the admin gate
    tenant = seed.tenant()
    person = people.add(tenant.org_id, role)
    r = await mint(api, tenant.org_id, person.session)
    assert r.status == 403
    assert r.error["detail"] == "Insufficient permissions. Required role: admin"
    r = await api.get(api_keys(tenant.org_id), token=person.session)
    assert r.status == 403


@pytest.mark.gen_test
async def test_key_caller_with_keys_admin(api, seed):
    # INT-80/81: own org + keys:admin; created_by_key_id remembered; rate limited
    acme = seed.tenant()
    other = seed.tenant()
    admin_key = seed.key(acme.org_id, ["keys:admin"])
    admin_key_id = seed.write(
        lambda: (
            keys.ApiKey.select(keys.ApiKey.id).order_by(keys.ApiKey.id.desc()).scalar()
        )
    )

    r = await mint(api, acme.org_id, admin_key)
    assert r.status == 201, r
    assert "X-RateLimit-Remaining" in r.headers
    r = await api.get(api_keys(acme.org_id), token=admin_key)
    minted = [row for row in r.json()["data"] if row["name"] == "reader"][0]
    assert minted["created_by"] is None
    assert minted["created_by_key_id"] == admin_key_id

    r = await mint(api, other.org_id, admin_key)
    assert r.status == 403
    assert r.error["detail"] == "API key is not authorized for this organization"
    r = await api.get(api_keys("abc"), token=admin_key)
    assert r.status == 400
    assert r.error["detail"] == "Invalid organization ID"

    plain = seed.key(acme.org_id, ["assets:read"])
    r = await mint(api, acme.org_id, plain)
    assert r.status == 403
    assert r.error["detail"] == "Missing required scope: keys:admin"
    r = await api.delete(f"{api_keys(acme.org_id)}/{minted['id']}", token=plain)
    assert r.status == 403


@pytest.mark.gen_test
async def test_reader_key_minted_over_http_pushes_reads(api, seed):
    # SCAN-3: the web app's key form mints scans:write keys for fixed readers
    tenant = seed.tenant()
    r = await mint(api, tenant.org_id, tenant.session, ["scans:write"])
    assert r.status == 201, r
    token = r.json()["data"]["token"]
    reader = await api.post(
        "/api/v1/readers", {"name": "Dock door"}, token=tenant.session
    )
    assert reader.status == 201, reader
    url = f"/api/v1/readers/{reader.json()['data']['id']}/reads"
    pushed = await api.post(url, {"batch_id": "b1", "reads": []}, token=token)
    assert pushed.status != 403, pushed


@pytest.mark.gen_test
async def test_keys_are_fixed_and_rotate_by_mint_then_revoke(api, seed):
    # JWT-4: no route edits a key, so scopes and org stay as minted; rotating
    # is minting a second key, and both work until the old one is revoked
    tenant = seed.tenant()
    old = (await mint(api, tenant.org_id, tenant.session)).json()["data"]
    path = f"{api_keys(tenant.org_id)}/{old['id']}"
    for method in ("PATCH", "PUT", "POST"):
        r = await api.request(
            method, path, token=tenant.session, json_body={"scopes": ["assets:write"]}
        )
        assert r.status == 405, (method, r)
        assert r.error["type"] == "method_not_allowed"

    new = (
        await mint(api, tenant.org_id, tenant.session, ["assets:read", "assets:write"])
    ).json()["data"]
    for key, scopes in ((old, ["assets:read"]), (new, ["assets:read", "assets:write"])):
        me = await api.get("/api/v1/orgs/me", token=key["token"])
        assert me.status == 200, me
        assert me.json()["data"]["id"] == tenant.org_id
        assert me.json()["data"]["scopes"] == scopes
    r = await api.post("/api/v1/assets", {"name": "x"}, token=old["token"])
    assert r.status == 403
    r = await api.post("/api/v1/assets", {"name": "x"}, token=new["token"])
    assert r.status == 201

    assert (await api.delete(path, token=tenant.session)).status == 204
    assert (await api.get("/api/v1/orgs/me", token=old["token"])).status == 401
    assert (await api.get("/api/v1/orgs/me", token=new["token"])).status == 200
