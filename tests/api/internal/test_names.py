"""Names people type on the web-app endpoints reject control characters (VAL-9).

The public free-text rule applies to organization and API-key names too: they
are shown in the app and in logs, NUL cannot be stored in a PostgreSQL text
column at all, and an organization named only by control characters used to
get an empty identifier.
"""

from __future__ import annotations

import pytest

CONTROL = "name must not contain control characters (NUL, etc.)"


def control_entry(r, field="name"):
    assert r.status == 400, r
    assert r.error["type"] == "validation_error"
    return [f for f in r.error["fields"] if f["field"] == field] == [
        {
            "field": field,
            "code": "invalid_value",
            "message": CONTROL.replace("name", field, 1),
        }
    ]


@pytest.mark.gen_test
@pytest.mark.parametrize("bad", ["\x00\x00", "Acme\x00", "Ac\x07me", "Acme\x7f"])
async def test_signup_org_name(api, bad):
    body = {"email": "ann@example.com", "password": "long enough", "org_name": bad}
    r = await api.post("/api/v1/auth/signup", body)
    assert control_entry(r, "org_name"), r


@pytest.mark.gen_test
async def test_org_create_and_rename(api, seed):
    t = seed.tenant()
    r = await api.post("/api/v1/orgs", {"name": "x\x00y"}, token=t.session)
    assert control_entry(r), r
    r = await api.put(f"/api/v1/orgs/{t.org_id}", {"name": "x\x01"}, token=t.session)
    assert control_entry(r), r

    # tab, newline and carriage return stay allowed, as in VAL-9
    r = await api.post("/api/v1/orgs", {"name": "Two\tWords"}, token=t.session)
    assert r.status == 201, r


@pytest.mark.gen_test
async def test_api_key_name(api, seed):
    t = seed.tenant()
    body = {"name": "sync\x00", "scopes": ["assets:read"]}
    r = await api.post(f"/api/v1/orgs/{t.org_id}/api-keys", body, token=t.session)
    assert control_entry(r), r
