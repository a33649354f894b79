"""peewee tables. Every model binds to ``db.database`` (SQLite or PostgreSQL).

Timestamps are stored as integer microseconds since the Unix epoch (UTC): the
same type and ordering on both databases, and cheap to index and compare.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

import peewee

from trakrf_server.db import database
from trakrf_server.timeutil import from_micros, to_micros

ROLES = ("viewer", "operator", "manager", "admin")


class TimestampField(peewee.BigIntegerField):
    """A UTC instant kept as integer microseconds since the epoch."""

    def db_value(self, value: Any) -> Any:
        if isinstance(value, datetime):
            return to_micros(value)
        return value

    def python_value(self, value: Any) -> Any:
        if value is None:
            return None
        return from_micros(int(value))


class JSONField(peewee.TextField):
    """A JSON document stored as text (portable across SQLite and PostgreSQL)."""

    def db_value(self, value: Any) -> Any:
        if value is None:
            return None
        return json.dumps(value, ensure_ascii=False, separators=(",", ":"))

    def python_value(self, value: Any) -> Any:
        if value is None:
            return None
        return json.loads(value)


class BaseModel(peewee.Model):
    class Meta:
        database = database
        legacy_table_names = False


# --- accounts -------------------------------------------------------------------


class Organization(BaseModel):
    name = peewee.CharField(max_length=512)
    identifier = peewee.CharField(max_length=512)
    metadata = JSONField(default=dict)
    is_active = peewee.BooleanField(default=True)
    valid_from = TimestampField()
    valid_to = TimestampField(null=True)
    created_at = TimestampField()
    updated_at = TimestampField()
    deleted_at = TimestampField(null=True)

    class Meta:
        indexes = ()


Organization.add_index(
    Organization.index(Organization.identifier, unique=True).where(
        Organization.deleted_at.is_null()
    )
)


class User(BaseModel):
    email = peewee.CharField(max_length=320)
    # Lower-cased e-mail: logins and invitations match case-insensitively.
    email_key = peewee.CharField(max_length=320, unique=True)
    name = peewee.CharField(max_length=320)
    password_hash = peewee.CharField(max_length=128)
    is_superadmin = peewee.BooleanField(default=False)
    last_login_at = TimestampField(null=True)
    last_org = peewee.ForeignKeyField(Organization, null=True, on_delete="SET NULL")
    settings = JSONField(default=dict)
    metadata = JSONField(default=dict)
    created_at = TimestampField()
    updated_at = TimestampField()
    deleted_at = TimestampField(null=True)


class Membership(BaseModel):
    user = peewee.ForeignKeyField(User, backref="memberships", on_delete="CASCADE")
    org = peewee.ForeignKeyField(
        Organization, backref="memberships", on_delete="CASCADE"
    )
    role = peewee.CharField(max_length=16)
    created_at = TimestampField()

    class Meta:
        indexes = ((("user", "org"), True), (("org", "created_at"), False))


class Invitation(BaseModel):
    org = peewee.ForeignKeyField(Organization, on_delete="CASCADE")
    email = peewee.CharField(max_length=320)
    email_key = peewee.CharField(max_length=320)
    role = peewee.CharField(max_length=16)
    # SHA-256 hex of the mailed token; the token itself is never stored.
    token_hash = peewee.CharField(max_length=64, unique=True)
    invited_by = peewee.ForeignKeyField(User, null=True, on_delete="SET NULL")
    expires_at = TimestampField()
    cancelled_at = TimestampField(null=True)
    accepted_at = TimestampField(null=True)
    created_at = TimestampField()

    class Meta:
        indexes = ((("org", "email_key"), False),)


class PasswordReset(BaseModel):
    user = peewee.ForeignKeyField(User, on_delete="CASCADE")
    token_hash = peewee.CharField(max_length=64, unique=True)
    expires_at = TimestampField()
    created_at = TimestampField()


class ApiKey(BaseModel):
    jti = peewee.CharField(max_length=36, unique=True)
    org = peewee.ForeignKeyField(Organization, on_delete="CASCADE")
    name = peewee.CharField(max_length=255)
    scopes = JSONField(default=list)
    created_by = peewee.ForeignKeyField(User, null=True, on_delete="SET NULL")
    created_by_key = peewee.ForeignKeyField("self", null=True, on_delete="SET NULL")
    created_at = TimestampField()
    expires_at = TimestampField(null=True)
    revoked_at = TimestampField(null=True)
    last_used_at = TimestampField(null=True)

    class Meta:
        indexes = ((("org", "revoked_at"), False),)


# --- tracked things ------------------------------------------------------------


class Location(BaseModel):
    org = peewee.ForeignKeyField(Organization, on_delete="CASCADE")
    external_key = peewee.CharField(max_length=255)
    name = peewee.CharField(max_length=255)
    description = peewee.TextField(null=True)
    parent = peewee.ForeignKeyField("self", null=True, backref="children")
    is_active = peewee.BooleanField(default=True)
    valid_from = TimestampField()
    valid_to = TimestampField(null=True)
    created_at = TimestampField()
    updated_at = TimestampField()
    deleted_at = TimestampField(null=True)

    class Meta:
        indexes = (
            (("org", "deleted_at", "external_key", "id"), False),
            (("parent", "deleted_at"), False),
        )


Location.add_index(
    Location.index(Location.org, Location.external_key, unique=True).where(
        Location.deleted_at.is_null()
    )
)


class Asset(BaseModel):
    org = peewee.ForeignKeyField(Organization, on_delete="CASCADE")
    external_key = peewee.CharField(max_length=255)
    name = peewee.CharField(max_length=255)
    description = peewee.TextField(null=True)
    metadata = JSONField(default=dict)
    is_active = peewee.BooleanField(default=True)
    valid_from = TimestampField()
    valid_to = TimestampField(null=True)
    created_at = TimestampField()
    updated_at = TimestampField()
    deleted_at = TimestampField(null=True)
    # Where it was placed when created (ASSET-3 fallback when never scanned).
    initial_location = peewee.ForeignKeyField(Location, null=True, backref="+")
    # Derived, kept current by every scan event (ASSET-3), so "where is it now"
    # never scans the event table.
    # No index of its own: (location, deleted_at) below serves every lookup,
    # and each scan event that moves the asset would update both.
    location = peewee.ForeignKeyField(
        Location, null=True, backref="assets", index=False
    )
    last_seen_at = TimestampField(null=True)
    last_event_id = peewee.BigIntegerField(null=True)

    class Meta:
        indexes = (
            (("org", "deleted_at", "external_key", "id"), False),
            (("location", "deleted_at"), False),
            (("org", "last_seen_at"), False),
        )


Asset.add_index(
    Asset.index(Asset.org, Asset.external_key, unique=True).where(
        Asset.deleted_at.is_null()
    )
)


class Tag(BaseModel):
    org = peewee.ForeignKeyField(Organization, on_delete="CASCADE")
    tag_type = peewee.CharField(max_length=16)
    value = peewee.CharField(max_length=255)
    # The value without leading zeros: readers pad EPCs, lookups ignore padding.
    lookup_value = peewee.CharField(max_length=255)
    asset = peewee.ForeignKeyField(Asset, null=True, backref="tags")
    location = peewee.ForeignKeyField(Location, null=True, backref="tags")
    created_at = TimestampField()
    deleted_at = TimestampField(null=True)

    class Meta:
        indexes = (
            (("asset", "deleted_at"), False),
            (("location", "deleted_at"), False),
            (("org", "tag_type", "lookup_value"), False),
        )


Tag.add_index(
    Tag.index(Tag.org, Tag.tag_type, Tag.value, unique=True).where(
        Tag.deleted_at.is_null()
    )
)


class ScanEvent(BaseModel):
    """One observation: asset A was at location L at time T. Never updated."""

    org = peewee.ForeignKeyField(Organization, on_delete="CASCADE")
    # No index of its own: (asset, observed_at, id) below serves every lookup
    # by asset, and each insert would update both at a random place.
    asset = peewee.ForeignKeyField(Asset, backref="+", index=False)
    location = peewee.ForeignKeyField(Location, null=True, backref="+")
    observed_at = TimestampField()
    recorded_at = TimestampField()
    source = peewee.CharField(max_length=64, default="inventory")

    class Meta:
        indexes = ((("asset", "observed_at", "id"), False),)


# --- fixed readers and background jobs -----------------------------------------


class Reader(BaseModel):
    """A fixed RFID reader or edge gateway that pushes reads (SCAN-3)."""

    org = peewee.ForeignKeyField(Organization, on_delete="CASCADE")
    name = peewee.CharField(max_length=255)
    description = peewee.TextField(null=True)
    created_at = TimestampField()
    updated_at = TimestampField()
    last_seen_at = TimestampField(null=True)
    deleted_at = TimestampField(null=True)

    class Meta:
        indexes = ((("org", "deleted_at", "id"), False),)


class ReaderAntenna(BaseModel):
    """Which location an antenna port of a reader watches."""

    reader = peewee.ForeignKeyField(Reader, backref="antennas", on_delete="CASCADE")
    antenna = peewee.IntegerField()
    location = peewee.ForeignKeyField(Location, backref="+")
    updated_at = TimestampField()

    class Meta:
        indexes = ((("reader", "antenna"), True),)


class IngestBatch(BaseModel):
    """A batch a reader pushed, kept so a retry answers with the first result."""

    reader = peewee.ForeignKeyField(Reader, backref="+", on_delete="CASCADE")
    batch_id = peewee.CharField(max_length=128)
    received_at = TimestampField()
    result = JSONField()

    class Meta:
        indexes = ((("reader", "batch_id"), True),)


class UnknownTag(BaseModel):
    """A tag readers saw that names no live asset tag yet, with its counts."""

    org = peewee.ForeignKeyField(Organization, on_delete="CASCADE")
    tag_type = peewee.CharField(max_length=16)
    # The value as first read, and without leading zeros for matching.
    value = peewee.CharField(max_length=255)
    lookup_value = peewee.CharField(max_length=255)
    read_count = peewee.BigIntegerField(default=0)
    first_seen_at = TimestampField()
    last_seen_at = TimestampField()
    last_reader = peewee.ForeignKeyField(
        Reader, null=True, backref="+", on_delete="SET NULL"
    )
    last_antenna = peewee.IntegerField(null=True)

    class Meta:
        indexes = (
            (("org", "tag_type", "lookup_value"), True),
            (("org", "last_seen_at"), False),
        )


class ImportJob(BaseModel):
    """A bulk asset import (INT-101); the state outlives a restart."""

    org = peewee.ForeignKeyField(Organization, on_delete="CASCADE")
    created_by = peewee.ForeignKeyField(User, null=True, on_delete="SET NULL")
    status = peewee.CharField(max_length=16)
    filename = peewee.CharField(max_length=255, null=True)
    # The uploaded CSV, kept until the job finishes.
    payload = peewee.TextField(null=True)
    total_rows = peewee.IntegerField(default=0)
    processed_rows = peewee.IntegerField(default=0)
    failed_rows = peewee.IntegerField(default=0)
    successful_rows = peewee.IntegerField(null=True)
    tags_created = peewee.IntegerField(null=True)
    errors = JSONField(null=True)
    created_at = TimestampField()
    completed_at = TimestampField(null=True)

    class Meta:
        indexes = ((("status",), False),)


class Migration(BaseModel):
    """Which numbered migrations have run."""

    name = peewee.CharField(max_length=255, unique=True)
    applied_at = TimestampField()


ACCOUNT_MODELS = [Organization, User, Membership, Invitation, PasswordReset, ApiKey]
TRACKING_MODELS = [Location, Asset, Tag, ScanEvent]
INGEST_MODELS = [Reader, ReaderAntenna, IngestBatch, UnknownTag, ImportJob]
