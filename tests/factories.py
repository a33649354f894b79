"""Rows for tracking tests, written straight through the models.

Assets, locations and tags are created here with the tables alone so scan,
history and report tests depend on nothing but the schema.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from trakrf_server import timeutil
from trakrf_server.models import Asset, Location, Tag
from trakrf_server.services import scans
from trakrf_server.services.tags import lookup_value


def ts(text: str) -> datetime:
    value = timeutil.parse_rfc3339(text)
    assert value is not None, text
    return value


class Factory:
    """Bound to a ``Seed``: every call is one transaction on the writer."""

    def __init__(self, seed) -> None:
        self.seed = seed

    def location(
        self,
        org_id: int,
        key: str,
        parent: int | None = None,
        valid_to: datetime | None = None,
        valid_from: datetime | None = None,
    ) -> int:
        def create() -> int:
            stamp = timeutil.now()
            return Location.create(
                org=org_id,
                external_key=key,
                name=f"Location {key}",
                parent=parent,
                valid_from=valid_from or stamp - timedelta(days=1),
                valid_to=valid_to,
                created_at=stamp,
                updated_at=stamp,
            ).id

        return self.seed.write(create)

    def asset(
        self,
        org_id: int,
        key: str,
        location: int | None = None,
        name: str | None = None,
        valid_to: datetime | None = None,
        valid_from: datetime | None = None,
    ) -> int:
        def create() -> int:
            stamp = timeutil.now()
            return Asset.create(
                org=org_id,
                external_key=key,
                name=name or f"Asset {key}",
                metadata={},
                valid_from=valid_from or stamp - timedelta(days=1),
                valid_to=valid_to,
                created_at=stamp,
                updated_at=stamp,
                initial_location=location,
                location=location,
            ).id

        return self.seed.write(create)

    def tag(
        self,
        org_id: int,
        value: str,
        asset: int | None = None,
        location: int | None = None,
        tag_type: str = "rfid",
    ) -> int:
        def create() -> int:
            return Tag.create(
                org=org_id,
                tag_type=tag_type,
                value=value,
                lookup_value=lookup_value(value),
                asset=asset,
                location=location,
                created_at=timeutil.now(),
            ).id

        return self.seed.write(create)

    def scan(self, org_id: int, asset: int, location: int | None, at: str) -> None:
        observation = scans.Observation(asset, location, ts(at))
        self.seed.write(lambda: scans.record_events(org_id, [observation], "test"))

    def soft_delete(self, model, row_id: int) -> None:
        def delete() -> None:
            model.update(deleted_at=timeutil.now()).where(model.id == row_id).execute()
            if model in (Asset, Location):
                field = Tag.asset if model is Asset else Tag.location
                Tag.update(deleted_at=timeutil.now()).where(field == row_id).execute()

        self.seed.write(delete)

    def get(self, model, row_id: int):
        return self.seed.write(lambda: model.get_by_id(row_id))


def member_session(seed, org_id: int, role: str) -> str:
    """A session token of a new user holding ``role`` in the org."""
    from trakrf_server.models import Organization
    from trakrf_server.services import accounts

    seed._count += 1
    email = f"{role}{seed._count}@example.com"

    def create() -> int:
        user = accounts.create_user(email, "x")
        accounts.add_member(user, Organization.get_by_id(org_id), role)
        return user.id

    user_id = seed.write(create)
    return seed.session(user_id, email, org_id)
