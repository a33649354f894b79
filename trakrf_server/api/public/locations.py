"""Public location endpoints (CONTRACT SURF-1, §19). Rules live in services."""

from __future__ import annotations

from trakrf_server.api.base import ApiHandler
from trakrf_server.services import listing, locations
from trakrf_server.services.validation import path_id

READ = "locations:read"
WRITE = "locations:write"


class LocationsHandler(ApiHandler):
    """``GET /locations`` (list) and ``POST /locations`` (create)."""

    methods = ("GET", "POST")
    scopes = {"GET": READ, "POST": WRITE}
    own_query = ("GET",)

    async def get(self) -> None:
        query = listing.parse(locations.LIST_SPEC, self.query)
        rows, total = await self.db.read(locations.list_locations, self.org_id, query)
        self.send_list(rows, query.limit, query.offset, total)

    async def post(self) -> None:
        body = self.body_object()
        view = await self.db.write(locations.create_location, self.org_id, body)
        self.send_data(view, 201, location=f"/api/v1/locations/{view['id']}")


class LocationHandler(ApiHandler):
    """``GET``, ``PATCH`` (merge patch) and ``DELETE`` on one location."""

    methods = ("GET", "PATCH", "DELETE")
    scopes = {"GET": READ, "PATCH": WRITE, "DELETE": WRITE}

    async def get(self, location: str) -> None:
        location_id = path_id("location_id", location)
        view = await self.db.read(locations.get_location, self.org_id, location_id)
        self.send_data(view)

    async def patch(self, location: str) -> None:
        location_id = path_id("location_id", location)
        view = await self.db.write(
            locations.update_location, self.org_id, location_id, self.request.body
        )
        self.send_data(view)

    async def delete(self, location: str) -> None:
        location_id = path_id("location_id", location)
        await self.db.write(locations.delete_location, self.org_id, location_id)
        self.send_no_content()


class LocationRenameHandler(ApiHandler):
    """``POST /locations/{location_id}/rename`` (EK-7)."""

    methods = ("POST",)
    scopes = {"POST": WRITE}

    async def post(self, location: str) -> None:
        location_id = path_id("location_id", location)
        view, count = await self.db.write(
            locations.rename_location, self.org_id, location_id, self.request.body
        )
        self.send_json({"data": view, "descendant_count_affected": count})


class LocationTreeHandler(ApiHandler):
    """``/ancestors``, ``/children``, ``/descendants`` (LOC-9).

    The query string is checked after the 404 (ORDER-1 step 11).
    """

    methods = ("GET",)
    scopes = {"GET": READ}
    own_query = ("GET",)
    which = "children"

    async def get(self, location: str) -> None:
        location_id = path_id("location_id", location)
        rows, total, query = await self.db.read(
            locations.tree, self.org_id, location_id, self.which, self.query
        )
        self.send_list(rows, query.limit, query.offset, total)


class AncestorsHandler(LocationTreeHandler):
    which = "ancestors"


class ChildrenHandler(LocationTreeHandler):
    which = "children"


class DescendantsHandler(LocationTreeHandler):
    which = "descendants"
