"""auth.open_signup = false: only invitation signups succeed (INT-30 SHOULD)."""

from __future__ import annotations

import pytest

from trakrf_server.services import invitations


@pytest.fixture
def overrides():
    return {"auth.open_signup": False}


@pytest.mark.gen_test
async def test_open_signup_refused(api):
    r = await api.post(
        "/api/v1/auth/signup",
        {"email": "ann@example.com", "password": "long enough", "org_name": "Acme"},
    )
    assert r.status == 403
    assert r.error["type"] == "forbidden"
    assert r.error["detail"] == (
        "Signup is closed on this server; ask an organization admin for an invitation"
    )


@pytest.mark.gen_test
async def test_invitation_signup_still_works(api, seed):
    tenant = seed.tenant("Acme")
    letter = seed.write(
        invitations.create_invitation,
        tenant.org_id,
        tenant.user_id,
        "bob@example.com",
        "operator",
    )
    r = await api.post(
        "/api/v1/auth/signup",
        {
            "email": "bob@example.com",
            "password": "long enough",
            "invitation_token": letter.token,
        },
    )
    assert r.status == 201, r
    assert r.json()["data"]["user"]["last_org_id"] == tenant.org_id
