"""Helpers for the public resource tests: one tenant with an all-scope key."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest


@dataclass
class Caller:
    """An HTTP client acting as one API key of one organization."""

    api: Any
    token: str
    org_id: int

    async def get(self, path: str, **kw: Any):
        return await self.api.get("/api/v1" + path, token=self.token, **kw)

    async def post(self, path: str, json_body: Any = None, **kw: Any):
        return await self.api.post("/api/v1" + path, json_body, token=self.token, **kw)

    async def patch(self, path: str, json_body: Any = None, **kw: Any):
        return await self.api.patch("/api/v1" + path, json_body, token=self.token, **kw)

    async def delete(self, path: str, **kw: Any):
        return await self.api.delete("/api/v1" + path, token=self.token, **kw)

    async def asset(self, **body: Any) -> dict[str, Any]:
        body.setdefault("name", "Thing")
        r = await self.post("/assets", body)
        assert r.status == 201, r
        return r.json()["data"]

    async def location(self, **body: Any) -> dict[str, Any]:
        body.setdefault("name", "Place")
        r = await self.post("/locations", body)
        assert r.status == 201, r
        return r.json()["data"]


@pytest.fixture
def caller(api, seed) -> Caller:
    tenant = seed.tenant()
    return Caller(api, seed.key(tenant.org_id), tenant.org_id)


@pytest.fixture
def other(api, seed) -> Caller:
    """A second organization (SURF-4)."""
    tenant = seed.tenant()
    return Caller(api, seed.key(tenant.org_id), tenant.org_id)


def fields(r) -> list[tuple[str, str]]:
    return [(f["field"], f["code"]) for f in r.error["fields"]]
