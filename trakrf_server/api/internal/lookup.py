"""Tag lookup for the web app's scanning screens (INT-100)."""

from __future__ import annotations

from trakrf_server.api.base import ApiHandler
from trakrf_server.errors import ApiError, bad_request
from trakrf_server.services import lookup

INVALID_BODY = "invalid request body"


class TagLookupHandler(ApiHandler):
    """``GET /api/v1/lookup/tag?type=…&value=…``"""

    methods = ("GET",)
    auth = "session"
    scopes = {"GET": "assets:read"}
    own_query = ("GET",)

    async def get(self) -> None:
        tag_type = (self.query.get("type") or [""])[0]
        value = (self.query.get("value") or [""])[0]
        if not tag_type:
            raise bad_request("type parameter is required")
        if not value:
            raise bad_request("value parameter is required")
        found = await self.db.read(lookup.lookup_one, self.org_id, tag_type, value)
        self.send_data(found)


class TagBatchLookupHandler(ApiHandler):
    """``POST /api/v1/lookup/tags`` with ``{"type": …, "values": […]}``"""

    methods = ("POST",)
    auth = "session"
    scopes = {"POST": "assets:read"}

    async def post(self) -> None:
        try:
            body = self.body_object()
        except ApiError:
            raise bad_request(INVALID_BODY) from None
        tag_type = body.get("type")
        values = body.get("values", [])
        if tag_type is not None and not isinstance(tag_type, str):
            raise bad_request(INVALID_BODY)
        if not tag_type:
            raise bad_request("type field is required")
        if not isinstance(values, list) or not all(isinstance(v, str) for v in values):
            raise bad_request(INVALID_BODY)
        if len(values) > lookup.MAX_BATCH:
            raise bad_request(f"batch size exceeds maximum of {lookup.MAX_BATCH}")

        found = await self.db.read(lookup.lookup_many, self.org_id, tag_type, values)
        self.send_data(found)
