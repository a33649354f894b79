"""``GET /assets/{asset_id}/history`` and ``GET /reports/asset-locations``
(CONTRACT HIST, REPORT; scope ``tracking:read``, SCOPE-4)."""

from __future__ import annotations

from trakrf_server.api.base import ApiHandler
from trakrf_server.services import history, listing, report
from trakrf_server.services.validation import path_id


class AssetHistoryHandler(ApiHandler):
    methods = ("GET",)
    scopes = {"GET": "tracking:read"}
    # The query string is checked after the asset's 404 (ORDER-1 step 11).
    own_query = ("GET",)

    async def get(self, raw_id: str) -> None:
        asset_id = path_id("asset_id", raw_id)
        await self.db.read(history.require_asset, self.org_id, asset_id)

        query = listing.parse(history.LIST_SPEC, self.query)
        rows, total = await self.db.read(
            history.asset_history, self.org_id, asset_id, query
        )
        self.send_list(rows, query.limit, query.offset, total)


class AssetLocationsReportHandler(ApiHandler):
    methods = ("GET",)
    scopes = {"GET": "tracking:read"}
    own_query = ("GET",)

    async def get(self) -> None:
        query = listing.parse(report.LIST_SPEC, self.query)
        rows, total = await self.db.read(report.asset_locations, self.org_id, query)
        self.send_list(rows, query.limit, query.offset, total)
