"""What the web-app handlers share: the base class and the JSON views.

``InternalHandler`` differs from the public base in three defaults: callers
are web-app sessions, the organization is the ``{id}`` in the path rather than
the token's current org, and unknown query parameters are ignored (INT-5).
"""

from __future__ import annotations

from typing import Any, TypeVar

from trakrf_server.api.base import METHOD_ORDER, ApiHandler
from trakrf_server.api.internal.validate import BodyModel, org_id_param, parse_body
from trakrf_server.auth.tokens import mint_session
from trakrf_server.models import Organization, User
from trakrf_server.services.orgs import require_role
from trakrf_server.timeutil import format_ts

M = TypeVar("M", bound=BodyModel)


class InternalHandler(ApiHandler):
    auth = "session"
    needs_org = False
    own_query = METHOD_ORDER

    def body(self, model: type[M], bad_json: str | None = None) -> M:
        return parse_body(model, self.request.body, bad_json)

    @property
    def user_id(self) -> int:
        assert self.principal is not None and self.principal.user_id is not None
        return self.principal.user_id

    async def gate(self, raw_org_id: str, needed: str) -> int:
        """INT-51: the path's org id once the caller holds ``needed`` there."""
        org_id = org_id_param(raw_org_id)
        principal = self.principal
        assert principal is not None and principal.user_id is not None
        await self.db.read(
            require_role, principal.user_id, principal.is_superadmin, org_id, needed
        )
        return org_id

    def session_token(self, user_id: int, email: str, org_id: int | None) -> str:
        """A fresh session JWT (INT §2) acting in ``org_id``."""
        lifetime = self.ctx.config.auth.session_lifetime
        return mint_session(self.ctx.secret, user_id, email, org_id, lifetime)

    def send_message(self, message: str, **extra: Any) -> None:
        """INT-4's bare ``{"message": …}`` answers."""
        self.send_json({"message": message, **extra})


def user_json(user: User) -> dict[str, Any]:
    """INT-30's User; the password hash never leaves the server."""
    view: dict[str, Any] = {
        "id": user.id,
        "email": user.email,
        "name": user.name,
        "last_login_at": format_ts(user.last_login_at),
        "settings": user.settings or {},
        "metadata": user.metadata or {},
        "created_at": format_ts(user.created_at),
        "updated_at": format_ts(user.updated_at),
        "is_superadmin": user.is_superadmin,
    }
    if user.last_org_id is not None:
        view["last_org_id"] = user.last_org_id
    return view


def org_json(org: Organization) -> dict[str, Any]:
    """INT-50's Organization (``valid_to`` omitted when unset)."""
    view: dict[str, Any] = {
        "id": org.id,
        "name": org.name,
        "identifier": org.identifier,
        "metadata": org.metadata or {},
        "valid_from": format_ts(org.valid_from),
    }
    if org.valid_to is not None:
        view["valid_to"] = format_ts(org.valid_to)
    view.update(
        is_active=org.is_active,
        created_at=format_ts(org.created_at),
        updated_at=format_ts(org.updated_at),
    )
    return view
