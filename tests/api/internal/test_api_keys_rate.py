"""Key callers of the key routes are rate limited; sessions not (INT-80, INT-3)."""

from __future__ import annotations

import pytest


@pytest.fixture
def overrides():
    return {"rate_limit.burst": 2}


@pytest.mark.gen_test
async def test_key_caller_rate_limited_session_not(api, seed):
    acme = seed.tenant()
    admin_key = seed.key(acme.org_id, ["keys:admin"])
    path = f"/api/v1/orgs/{acme.org_id}/api-keys"
    for _ in range(2):
        assert (await api.get(path, token=admin_key)).status == 200
    r = await api.get(path, token=admin_key)
    assert r.status == 429
    assert r.error["type"] == "rate_limited"
    for _ in range(3):
        r = await api.get(path, token=acme.session)
        assert r.status == 200
        assert r.headers["X-RateLimit-Remaining"] == "60"
