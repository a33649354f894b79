"""Without SMTP the link still reaches the admin: in the WARNING log (INT-21)."""

from __future__ import annotations

import logging

import pytest
from tornado import gen


async def _logged(caplog, needle: str) -> list[logging.LogRecord]:
    for _ in range(100):
        found = [
            r
            for r in caplog.records
            if r.name == "trakrf.mail" and needle in r.getMessage()
        ]
        if found:
            return found
        await gen.sleep(0.02)
    return []


@pytest.mark.gen_test
async def test_reset_link_logged_without_smtp(api, seed, caplog):
    caplog.set_level(logging.WARNING, logger="trakrf.mail")
    tenant = seed.tenant()
    r = await api.post(
        "/api/v1/auth/forgot-password",
        {"email": tenant.email, "reset_url": "http://127.0.0.1:8080/#reset-password"},
    )
    assert r.status == 200
    (record,) = await _logged(caplog, "#reset-password?token=")
    assert record.levelno == logging.WARNING
    assert tenant.email in record.getMessage()
    assert "[TrakRF] Reset your password" in record.getMessage()


@pytest.mark.gen_test
async def test_invitation_link_logged_without_smtp(api, seed, caplog):
    caplog.set_level(logging.WARNING, logger="trakrf.mail")
    tenant = seed.tenant("Acme")
    r = await api.post(
        f"/api/v1/orgs/{tenant.org_id}/invitations",
        {"email": "bob@example.com", "role": "viewer"},
        token=tenant.session,
    )
    assert r.status == 201, r
    (record,) = await _logged(caplog, "http://127.0.0.1:8080/#accept-invite?token=")
    assert record.levelno == logging.WARNING
