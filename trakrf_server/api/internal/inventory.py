"""``POST /api/v1/inventory/save``: the web app saves a scanning session
(INT-90, INT-91)."""

from __future__ import annotations

from trakrf_server.api.base import ApiHandler
from trakrf_server.api.internal import fields
from trakrf_server.errors import FieldError, validation
from trakrf_server.services import inventory


class InventorySaveHandler(ApiHandler):
    methods = ("POST",)
    auth = "session"
    # A session needs the operator role (INT-11); API keys cannot reach it.
    scopes = {"POST": "scans:write"}

    async def post(self) -> None:
        body = self.body_object()
        problems: list[FieldError] = []

        location_key = fields.required(body, "location_identifier", problems)
        if location_key is not None:
            location_key = fields.text(location_key, "location_identifier", problems)
        asset_keys = self._asset_keys(body, problems)
        if problems:
            raise validation(problems)

        result = await self.db.write(
            inventory.save, self.org_id, location_key, asset_keys
        )
        self.send_data(result, status=201)

    @staticmethod
    def _asset_keys(body: dict, problems: list[FieldError]) -> list[str]:
        key = "asset_identifiers"
        value = fields.required(body, key, problems)
        if value is None:
            return []
        if not isinstance(value, list):
            raise fields.wrong_type(key)
        if not value:
            problems.append(
                FieldError(
                    key,
                    "too_short",
                    f"{key} must contain at least 1 item(s)",
                    {"min_length": 1},
                )
            )
            return []
        item_problems: list[FieldError] = []
        keys = [fields.text(item, key, item_problems) for item in value]
        # One entry per kind of problem is enough to point at the bad items.
        seen = set()
        for problem in item_problems:
            if problem.code not in seen:
                seen.add(problem.code)
                problems.append(problem)
        return [k for k in keys if k is not None]
