"""``/api/v1/orgs/{id}/api-keys`` (INT-80…83): mint, list, revoke.

Web-app sessions pass the org's admin gate; API keys must belong to the org
and hold ``keys:admin``. Key callers are rate limited by the base pipeline.
"""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from pydantic import AfterValidator, Field

from trakrf_server import timeutil
from trakrf_server.api.internal.common import InternalHandler
from trakrf_server.api.internal.validate import (
    BodyModel,
    NoControl,
    id_param,
    org_id_param,
    problem,
)
from trakrf_server.api.query import limit_offset, unknown_parameters
from trakrf_server.errors import bad_request, forbidden, validation
from trakrf_server.models import ApiKey
from trakrf_server.services import keys


def _known_scopes(scopes: list[str]) -> list[str]:
    for scope in scopes:
        if scope not in keys.MINTABLE_SCOPES:
            raise problem(
                "invalid_value",
                "Unknown scope: {scope}",
                scope=scope,
                allowed_values=list(keys.MINTABLE_SCOPES),
            )
    return list(dict.fromkeys(scopes))  # duplicates collapse, order kept


def _rfc3339(value: str) -> Any:
    parsed = timeutil.parse_rfc3339(value)
    if parsed is None:
        raise problem("invalid_value", "{field} must be an RFC 3339 timestamp")
    return parsed


class MintBody(BodyModel):
    name: Annotated[str, Field(min_length=1, max_length=255), NoControl]
    scopes: Annotated[list[str], Field(min_length=1), AfterValidator(_known_scopes)]
    expires_at: Annotated[str, AfterValidator(_rfc3339)] | None = None


class KeyGateMixin(InternalHandler):
    auth = "any"

    async def key_gate(self, raw_org_id: str) -> int:
        """INT-80: the path's org id once the caller may manage its keys."""
        principal = self.principal
        assert principal is not None
        if not principal.is_api_key:
            return await self.gate(raw_org_id, "admin")

        org_id = org_id_param(raw_org_id)
        if principal.org_id != org_id:
            raise forbidden("API key is not authorized for this organization")
        if "keys:admin" not in principal.scopes:
            raise forbidden("Missing required scope: keys:admin")
        return org_id


class ApiKeysHandler(KeyGateMixin):
    methods = ("GET", "POST")

    async def get(self, raw_id: str) -> None:
        org_id = await self.key_gate(raw_id)
        limit, offset, problems = limit_offset(self.query)
        problems = unknown_parameters(self.query, {"limit", "offset"}) + problems
        if problems:
            raise validation(problems)

        rows, total = await self.db.read(keys.list_keys, org_id, limit, offset)
        self.send_list([_key_json(row) for row in rows], limit, offset, total)

    async def post(self, raw_id: str) -> None:
        org_id = await self.key_gate(raw_id)
        body = self.body(MintBody, bad_json="Invalid JSON body")
        principal = self.principal
        assert principal is not None
        record, token = await self.db.write(
            keys.mint_key,
            self.ctx.secret,
            org_id,
            body.name,
            body.scopes,
            body.expires_at,
            principal.user_id,
            principal.key_id,
        )
        data: dict[str, Any] = {
            "token": token,
            "id": record.id,
            "jti": record.jti,
            "name": record.name,
            "scopes": record.scopes,
            "created_at": timeutil.format_ts(record.created_at),
        }
        if record.expires_at is not None:
            data["expires_at"] = timeutil.format_ts(record.expires_at)
        self.send_data(data, 201)


class ApiKeyHandler(KeyGateMixin):
    methods = ("DELETE",)

    async def delete(self, raw_id: str, raw_key: str) -> None:
        org_id = await self.key_gate(raw_id)
        key_id = id_param("key_id", raw_key)
        await self.db.write(keys.revoke_key, org_id, key_id)
        self.ctx.key_cache.clear()
        self.send_no_content()


class ApiKeyByJtiHandler(KeyGateMixin):
    methods = ("DELETE",)

    async def delete(self, raw_id: str, raw_jti: str) -> None:
        org_id = await self.key_gate(raw_id)
        try:
            jti = str(uuid.UUID(raw_jti))
        except ValueError:
            raise bad_request("Invalid jti") from None
        await self.db.write(keys.revoke_key, org_id, None, jti)
        self.ctx.key_cache.clear()
        self.send_no_content()


def _key_json(row: ApiKey) -> dict[str, Any]:
    view: dict[str, Any] = {
        "id": row.id,
        "jti": row.jti,
        "name": row.name,
        "scopes": row.scopes or [],
        "created_by": row.created_by_id,
        "created_by_key_id": row.created_by_key_id,
        "created_at": timeutil.format_ts(row.created_at),
    }
    if row.expires_at is not None:
        view["expires_at"] = timeutil.format_ts(row.expires_at)
    if row.last_used_at is not None:
        view["last_used_at"] = timeutil.format_ts(row.last_used_at)
    return view
