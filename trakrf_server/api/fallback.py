"""Answers for paths no endpoint owns: unknown and retired API routes."""

from __future__ import annotations

from trakrf_server.api.base import ApiHandler
from trakrf_server.errors import ApiError

# SURF-6: removed endpoints keep a pointer to their replacement.
RETIRED = {
    "/api/v1/assets/lookup": (
        "This endpoint has been removed. Use GET /api/v1/assets?external_key= "
        "to find an asset by external_key."
    ),
    "/api/v1/locations/lookup": (
        "This endpoint has been removed. Use GET /api/v1/locations?external_key= "
        "to find a location by external_key."
    ),
    "/api/v1/locations/current": (
        "This endpoint has moved. Use GET /api/v1/reports/asset-locations."
    ),
}


class UnknownApiRouteHandler(ApiHandler):
    """Every method on an unknown ``/api/`` path: 404 before authentication."""

    async def prepare(self) -> None:
        path = self.request.path
        detail = RETIRED.get(path, f"Unknown API route: {path}")
        raise ApiError("not_found", detail)
