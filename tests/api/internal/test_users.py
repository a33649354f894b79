"""GET /api/v1/users/me and POST /api/v1/users/me/current-org (INT-40, INT-41)."""

from __future__ import annotations

import jwt
import pytest

ME = "/api/v1/users/me"
SWITCH = "/api/v1/users/me/current-org"


@pytest.mark.gen_test
async def test_me_shape_orgs_by_name(api, seed, people):
    # INT-40: orgs sorted by name; current_org = last selected else first
    beta = seed.tenant("Beta")
    acme = seed.tenant("Acme")
    person = people.add(beta.org_id, "operator")
    people.join(person.user_id, acme.org_id, "manager")

    r = await api.get(ME, token=person.session)
    assert r.status == 200, r
    assert r.json()["data"] == {
        "id": person.user_id,
        "name": person.email,
        "email": person.email,
        "is_superadmin": False,
        "current_org": {"id": acme.org_id, "name": "Acme", "role": "manager"},
        "orgs": [
            {"id": acme.org_id, "name": "Acme"},
            {"id": beta.org_id, "name": "Beta"},
        ],
    }

    r = await api.post(SWITCH, {"org_id": beta.org_id}, token=person.session)
    r = await api.get(ME, token=person.session)
    current = r.json()["data"]["current_org"]
    assert current == {"id": beta.org_id, "name": "Beta", "role": "operator"}


@pytest.mark.gen_test
async def test_me_without_orgs_omits_current_org(api, people):
    person = people.add(None)
    r = await api.get(ME, token=person.session)
    data = r.json()["data"]
    assert data["orgs"] == []
    assert "current_org" not in data


@pytest.mark.gen_test
async def test_me_is_session_only_and_get_only(api, seed):
    # INT-7: API key → Invalid or expired token; INT-2: Allow GET, HEAD
    tenant = seed.tenant()
    r = await api.get(ME, token=seed.key(tenant.org_id))
    assert r.status == 401
    assert r.error["detail"] == "Invalid or expired token"
    r = await api.get(ME)
    assert r.error["detail"] == "Missing authorization header"
    r = await api.post(ME, {}, token=tenant.session)
    assert r.status == 405
    assert r.headers["Allow"] == "GET, HEAD"
    r = await api.get(SWITCH, token=tenant.session)
    assert r.status == 405
    assert r.headers["Allow"] == "POST"


@pytest.mark.gen_test
async def test_switch_org_issues_new_token(api, seed, people, ctx):
    # INT-41, INT-4: bare {message, token}; token acts in the new org, fresh lifetime
    home = seed.tenant("Home")
    other = seed.tenant("Other")
    person = people.add(home.org_id, "viewer")
    people.join(person.user_id, other.org_id, "admin")

    r = await api.post(SWITCH, {"org_id": other.org_id}, token=person.session)
    assert r.status == 200, r
    body = r.json()
    assert set(body) == {"message", "token"}
    assert body["message"] == "Current organization updated"
    claims = jwt.decode(body["token"], ctx.secret, algorithms=["HS256"])
    assert claims["current_org_id"] == other.org_id
    assert claims["user_id"] == person.user_id
    assert claims["exp"] - claims["iat"] == 3600


@pytest.mark.gen_test
async def test_switch_org_refused_for_non_member(api, seed):
    # INT-41: 403 for other orgs and unknown ids alike
    mine = seed.tenant()
    theirs = seed.tenant()
    for org_id in (theirs.org_id, 999999):
        r = await api.post(SWITCH, {"org_id": org_id}, token=mine.session)
        assert r.status == 403
        assert r.error["detail"] == "You are not a member of this organization"


@pytest.mark.gen_test
async def test_switch_org_validation(api, seed):
    # INT-41: bad JSON → bad_request; missing or ≤ 0 → validation_error
    tenant = seed.tenant()
    r = await api.post(
        SWITCH, body="{nope", content_type="application/json", token=tenant.session
    )
    assert r.error["type"] == "bad_request"
    r = await api.post(SWITCH, {}, token=tenant.session)
    assert r.error["type"] == "validation_error"
    assert r.error["fields"][0]["code"] == "required"
    r = await api.post(SWITCH, {"org_id": 0}, token=tenant.session)
    assert r.error["fields"] == [
        {
            "field": "org_id",
            "code": "too_small",
            "message": "org_id must be >= 1",
            "params": {"min": 1},
        }
    ]
    r = await api.post(SWITCH, {"org_id": "1"}, token=tenant.session)
    assert r.error["type"] == "bad_request"


@pytest.mark.gen_test
async def test_superadmin_switches_into_any_org(api, seed, people):
    # INT-12: superadmin passes membership checks
    org = seed.tenant("Somewhere")
    boss = people.add(None, superadmin=True)
    r = await api.post(SWITCH, {"org_id": org.org_id}, token=boss.session)
    assert r.status == 200
    r = await api.get(ME, token=boss.session)
    data = r.json()["data"]
    assert data["is_superadmin"] is True
    assert data["current_org"] == {
        "id": org.org_id,
        "name": "Somewhere",
        "role": "admin",
    }
