"""``/api/v1/users/me`` and the org switcher (INT-40, INT-41)."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import Field

from trakrf_server.api.internal.common import InternalHandler
from trakrf_server.api.internal.validate import MAX_ID, BodyModel
from trakrf_server.services import accounts


class CurrentOrgBody(BodyModel):
    org_id: Annotated[int, Field(ge=1, le=MAX_ID)]


class MeHandler(InternalHandler):
    methods = ("GET",)

    async def get(self) -> None:
        me = await self.db.read(accounts.describe_me, self.user_id)
        user = me.user
        data: dict[str, Any] = {
            "id": user.id,
            "name": user.name,
            "email": user.email,
            "is_superadmin": user.is_superadmin,
        }
        if me.current is not None:
            org, role = me.current
            data["current_org"] = {"id": org.id, "name": org.name, "role": role}
        data["orgs"] = [{"id": org.id, "name": org.name} for org, _ in me.orgs]
        self.send_data(data)


class CurrentOrgHandler(InternalHandler):
    """INT-41: a new session token acting in the chosen org."""

    methods = ("POST",)

    async def post(self) -> None:
        body = self.body(CurrentOrgBody)
        await self.db.write(accounts.switch_org, self.user_id, body.org_id)
        principal = self.principal
        assert principal is not None and principal.email is not None
        token = self.session_token(self.user_id, principal.email, body.org_id)
        self.send_message("Current organization updated", token=token)
