"""Public asset endpoints (CONTRACT SURF-1, §18). Rules live in services.assets."""

from __future__ import annotations

from trakrf_server.api.base import ApiHandler
from trakrf_server.services import assets, listing
from trakrf_server.services.validation import path_id

READ = "assets:read"
WRITE = "assets:write"


class AssetsHandler(ApiHandler):
    """``GET /assets`` (list) and ``POST /assets`` (create)."""

    methods = ("GET", "POST")
    scopes = {"GET": READ, "POST": WRITE}
    own_query = ("GET",)

    async def get(self) -> None:
        query = listing.parse(assets.LIST_SPEC, self.query)
        rows, total = await self.db.read(assets.list_assets, self.org_id, query)
        self.send_list(rows, query.limit, query.offset, total)

    async def post(self) -> None:
        body = self.body_object()
        view = await self.db.write(assets.create_asset, self.org_id, body)
        self.send_data(view, 201, location=f"/api/v1/assets/{view['id']}")


class AssetHandler(ApiHandler):
    """``GET``, ``PATCH`` (merge patch) and ``DELETE`` on one asset."""

    methods = ("GET", "PATCH", "DELETE")
    scopes = {"GET": READ, "PATCH": WRITE, "DELETE": WRITE}

    async def get(self, asset: str) -> None:
        asset_id = path_id("asset_id", asset)
        self.send_data(await self.db.read(assets.get_asset, self.org_id, asset_id))

    async def patch(self, asset: str) -> None:
        asset_id = path_id("asset_id", asset)
        view = await self.db.write(
            assets.update_asset, self.org_id, asset_id, self.request.body
        )
        self.send_data(view)

    async def delete(self, asset: str) -> None:
        asset_id = path_id("asset_id", asset)
        await self.db.write(assets.delete_asset, self.org_id, asset_id)
        self.send_no_content()


class AssetRenameHandler(ApiHandler):
    """``POST /assets/{asset_id}/rename`` (EK-7)."""

    methods = ("POST",)
    scopes = {"POST": WRITE}

    async def post(self, asset: str) -> None:
        asset_id = path_id("asset_id", asset)
        view, count = await self.db.write(
            assets.rename_asset, self.org_id, asset_id, self.request.body
        )
        self.send_json({"data": view, "descendant_count_affected": count})
