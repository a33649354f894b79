"""Who is calling: a verified token turned into a ``Principal`` (AUTH-5…7).

``resolve`` runs on a reader thread: it looks up the API-key record or the
session user's membership in one or two queries. API-key records may also
come from ``auth/keycache.py``; ``key_principal`` applies the rules to a
record wherever it came from.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from trakrf_server import timeutil
from trakrf_server.auth.tokens import ApiKeyClaims, SessionClaims
from trakrf_server.errors import ApiError
from trakrf_server.models import ROLES, ApiKey, Membership, Organization, User

INVALID_TOKEN = "Invalid or expired token"


def unauthorized(detail: str) -> ApiError:
    return ApiError(
        "unauthorized",
        detail,
        headers={"WWW-Authenticate": 'Bearer realm="trakrf-api"'},
    )


@dataclass(frozen=True)
class Principal:
    """The authenticated caller and the organization it acts in."""

    kind: str  # "session" or "api_key"
    org_id: int | None
    user_id: int | None = None
    email: str | None = None
    is_superadmin: bool = False
    role: str | None = None  # session callers: membership role in org_id
    key_id: int | None = None
    key_uuid: str | None = None
    scopes: tuple[str, ...] = field(default=())

    @property
    def is_api_key(self) -> bool:
        return self.kind == "api_key"

    def has_role(self, needed: str) -> bool:
        """Superadmins pass every role check (INT-12)."""
        if self.is_superadmin:
            return True
        if self.role is None:
            return False
        return ROLES.index(self.role) >= ROLES.index(needed)


def resolve(claims: SessionClaims | ApiKeyClaims) -> Principal:
    """Load what the token names; raise the AUTH-2 401s."""
    if isinstance(claims, ApiKeyClaims):
        return key_principal(key_record(claims.key_uuid))
    return _resolve_session(claims)


@dataclass(frozen=True)
class KeyRecord:
    """What authenticating with one API key depends on, as stored."""

    id: int
    jti: str
    org_id: int
    org_live: bool
    revoked_at: datetime | None
    expires_at: datetime | None
    scopes: tuple[str, ...]


def key_record(jti: str) -> KeyRecord | None:
    """The stored record of the key ``jti`` with its org's liveness, or None."""
    row = (
        ApiKey.select(
            ApiKey.id,
            ApiKey.org,
            ApiKey.revoked_at,
            ApiKey.expires_at,
            ApiKey.scopes,
            Organization.deleted_at,
        )
        .join(Organization)
        .where(ApiKey.jti == jti)
        .tuples()
        .first()
    )
    if row is None:
        return None
    key_id, org_id, revoked_at, expires_at, scopes, org_deleted_at = row
    return KeyRecord(
        id=key_id,
        jti=jti,
        org_id=org_id,
        org_live=org_deleted_at is None,
        revoked_at=revoked_at,
        expires_at=expires_at,
        scopes=tuple(scopes or ()),
    )


def key_principal(record: KeyRecord | None) -> Principal:
    """The caller a key record stands for, or the AUTH-2 401 it earns now.

    Checked on every request, also for a remembered record: expiry depends
    on the clock, not only on the stored row.
    """
    if record is None:
        raise unauthorized(INVALID_TOKEN)
    if record.revoked_at is not None:
        raise unauthorized("API key has been revoked")
    if record.expires_at is not None and record.expires_at <= timeutil.now():
        raise unauthorized("API key has expired")
    return Principal(
        kind="api_key",
        org_id=record.org_id if record.org_live else None,
        key_id=record.id,
        key_uuid=record.jti,
        scopes=record.scopes,
    )


def member_role(user_id: int, org_id: int) -> str | None:
    """The user's membership role in a live org, or None."""
    return (
        Membership.select(Membership.role)
        .join(Organization)
        .where(
            (Membership.user == user_id)
            & (Membership.org == org_id)
            & Organization.deleted_at.is_null()
        )
        .scalar()
    )


def _resolve_session(claims: SessionClaims) -> Principal:
    user = User.get_or_none((User.id == claims.user_id) & User.deleted_at.is_null())
    if user is None:
        raise unauthorized(INVALID_TOKEN)
    org_id = claims.current_org_id
    role = None
    if org_id is not None:
        role = member_role(user.id, org_id)
        org_live = role is not None or (
            user.is_superadmin
            and Organization.select()
            .where((Organization.id == org_id) & Organization.deleted_at.is_null())
            .exists()
        )
        if not org_live:
            # Removed from the org (or the org was deleted) since the token was
            # issued: the token no longer carries a usable org context.
            org_id = None
    return Principal(
        kind="session",
        org_id=org_id,
        user_id=user.id,
        email=user.email,
        is_superadmin=user.is_superadmin,
        role=role,
    )
