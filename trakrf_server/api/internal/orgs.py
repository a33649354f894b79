"""``/api/v1/orgs`` and ``/api/v1/orgs/{id}`` for the web app (INT-50…52)."""

from __future__ import annotations

from typing import Annotated

from pydantic import StringConstraints

from trakrf_server.api.internal.common import InternalHandler, org_json
from trakrf_server.api.internal.validate import BodyModel, NoControl
from trakrf_server.services import accounts, orgs

OrgName = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=255),
    NoControl,
]


class CreateOrgBody(BodyModel):
    name: OrgName


class RenameOrgBody(BodyModel):
    name: OrgName | None = None


class DeleteOrgBody(BodyModel):
    confirm_name: str


class OrgsHandler(InternalHandler):
    methods = ("GET", "POST")

    async def get(self) -> None:
        """The caller's orgs by name; not paginated."""
        rows = await self.db.read(accounts.user_orgs, self.user_id)
        self.send_data([{"id": org.id, "name": org.name} for org, _ in rows])

    async def post(self) -> None:
        """A new org with the caller as admin; the session's org is unchanged."""
        body = self.body(CreateOrgBody)
        org = await self.db.write(orgs.create_org_for, self.user_id, body.name)
        self.send_data(org_json(org), 201, location=f"/api/v1/orgs/{org.id}")


class OrgHandler(InternalHandler):
    methods = ("GET", "PUT", "DELETE")

    async def get(self, raw_id: str) -> None:
        org_id = await self.gate(raw_id, "viewer")
        org = await self.db.read(orgs.get_org, org_id)
        self.send_data(org_json(org))

    async def put(self, raw_id: str) -> None:
        org_id = await self.gate(raw_id, "admin")
        body = self.body(RenameOrgBody)
        org = await self.db.write(orgs.rename_org, org_id, body.name)
        self.send_data(org_json(org))

    async def delete(self, raw_id: str) -> None:
        org_id = await self.gate(raw_id, "admin")
        body = self.body(DeleteOrgBody)
        await self.db.write(orgs.delete_org, org_id, body.confirm_name)
        self.ctx.key_cache.clear()
        self.send_message("Organization deleted")
