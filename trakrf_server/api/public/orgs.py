"""``GET /api/v1/orgs/me``: the organization an API key belongs to (ORG-1…6)."""

from __future__ import annotations

from trakrf_server.api.base import ApiHandler
from trakrf_server.models import Organization


def _org_name(org_id: int) -> str | None:
    return (
        Organization.select(Organization.name).where(Organization.id == org_id).scalar()
    )


class OrgMeHandler(ApiHandler):
    methods = ("GET",)
    auth = "key"

    async def get(self) -> None:
        principal = self.principal
        assert principal is not None
        name = await self.db.read(_org_name, self.org_id)
        self.send_data(
            {
                "id": self.org_id,
                "name": name,
                "scopes": list(principal.scopes),
                "api_key_id": principal.key_uuid,
            }
        )
