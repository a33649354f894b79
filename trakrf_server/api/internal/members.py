"""``/api/v1/orgs/{id}/members`` (INT §6): list, change role, remove."""

from __future__ import annotations

from trakrf_server.api.internal.common import InternalHandler
from trakrf_server.api.internal.validate import BodyModel, Role, id_param
from trakrf_server.services import orgs
from trakrf_server.timeutil import format_ts


class RoleBody(BodyModel):
    role: Role


class MembersHandler(InternalHandler):
    methods = ("GET",)

    async def get(self, raw_id: str) -> None:
        org_id = await self.gate(raw_id, "viewer")
        members = await self.db.read(orgs.list_members, org_id)
        self.send_data(
            [
                {
                    "user_id": m.user.id,
                    "name": m.user.name,
                    "email": m.user.email,
                    "role": m.role,
                    "joined_at": format_ts(m.created_at),
                }
                for m in members
            ]
        )


class MemberHandler(InternalHandler):
    methods = ("PUT", "DELETE")

    async def put(self, raw_id: str, raw_user: str) -> None:
        org_id = await self.gate(raw_id, "admin")
        user_id = id_param("userId", raw_user)
        body = self.body(RoleBody)
        await self.db.write(orgs.change_role, org_id, user_id, body.role)
        self.send_message("Role updated")

    async def delete(self, raw_id: str, raw_user: str) -> None:
        org_id = await self.gate(raw_id, "admin")
        user_id = id_param("userId", raw_user)
        await self.db.write(orgs.remove_member, org_id, self.user_id, user_id)
        self.send_message("Member removed")
