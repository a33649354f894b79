"""``GET /assets/{asset_id}/history`` and ``GET /reports/asset-locations``
(CONTRACT HIST, REPORT; scope ``tracking:read``, SCOPE-4)."""

from __future__ import annotations

from trakrf_server.api.base import ApiHandler
from trakrf_server.api.tracking_query import (
    HISTORY_PARAMS,
    REPORT_PARAMS,
    ListQuery,
    parse_path_id,
)
from trakrf_server.services import history, report


class AssetHistoryHandler(ApiHandler):
    methods = ("GET",)
    scopes = {"GET": "tracking:read"}
    # The query string is checked after the asset's 404 (ORDER-1 step 11).
    own_query = ("GET",)

    async def get(self, raw_id: str) -> None:
        asset_id = parse_path_id("asset_id", raw_id)
        await self.db.read(history.require_asset, self.org_id, asset_id)

        q = ListQuery(self.query, HISTORY_PARAMS)
        limit, offset = q.page()
        sort = q.sort(("event_observed_at",), [("event_observed_at", True)])
        start, end = q.instant("from"), q.instant("to")
        q.raise_problems()

        oldest_first = not sort[0][1]
        rows, total = await self.db.read(
            history.asset_history,
            self.org_id,
            asset_id,
            start,
            end,
            oldest_first,
            limit,
            offset,
        )
        self.send_list(rows, limit, offset, total)


class AssetLocationsReportHandler(ApiHandler):
    methods = ("GET",)
    scopes = {"GET": "tracking:read"}
    own_query = ("GET",)

    async def get(self) -> None:
        q = ListQuery(self.query, REPORT_PARAMS)
        limit, offset = q.page()
        query = report.ReportQuery(
            sort=q.sort(report.SORT_FIELDS, report.DEFAULT_SORT),
            location_ids=q.ids("location_id"),
            location_keys=q.external_keys("location_external_key"),
            include_deleted=q.boolean("include_deleted"),
            q=q.text("q"),
            limit=limit,
            offset=offset,
        )
        q.raise_problems()

        rows, total = await self.db.read(report.asset_locations, self.org_id, query)
        self.send_list(rows, limit, offset, total)
