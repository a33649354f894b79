"""Tag attach and detach under an asset or a location (CONTRACT TAG-5, TAG-6).

Tags have no scope of their own: the owner's write scope applies (TAG-7).
"""

from __future__ import annotations

from trakrf_server.api.base import ApiHandler
from trakrf_server.services import tags
from trakrf_server.services.validation import path_id


class OwnerTagsHandler(ApiHandler):
    """``POST /{assets|locations}/{id}/tags``: 201 + Location (CT-5)."""

    methods = ("POST",)
    kind = "asset"

    async def post(self, owner: str) -> None:
        owner_id = path_id(f"{self.kind}_id", owner)
        tag = await self.db.write(
            tags.attach, self.org_id, self.kind, owner_id, self.request.body
        )
        where = f"/api/v1/{self.kind}s/{owner_id}/tags/{tag['id']}"
        self.send_data(tag, 201, location=where)


class OwnerTagHandler(ApiHandler):
    """``DELETE /{assets|locations}/{id}/tags/{tag_id}``: 204, then 404."""

    methods = ("DELETE",)
    kind = "asset"

    async def delete(self, owner: str, tag: str) -> None:
        owner_id = path_id(f"{self.kind}_id", owner)
        await self.db.write(tags.detach, self.org_id, self.kind, owner_id, tag)
        self.send_no_content()


class AssetTagsHandler(OwnerTagsHandler):
    kind = "asset"
    scopes = {"POST": "assets:write"}


class AssetTagHandler(OwnerTagHandler):
    kind = "asset"
    scopes = {"DELETE": "assets:write"}


class LocationTagsHandler(OwnerTagsHandler):
    kind = "location"
    scopes = {"POST": "locations:write"}


class LocationTagHandler(OwnerTagHandler):
    kind = "location"
    scopes = {"DELETE": "locations:write"}
