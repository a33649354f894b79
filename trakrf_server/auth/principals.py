"""Who is calling: a verified token turned into a ``Principal`` (AUTH-5…7).

``resolve`` runs on a reader thread: it looks up the API-key record or the
session user's membership in one or two queries.
"""

from __future__ import annotations

from dataclasses import dataclass, field

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
        return _resolve_key(claims)
    return _resolve_session(claims)


def _resolve_key(claims: ApiKeyClaims) -> Principal:
    row = (
        ApiKey.select(ApiKey, Organization.deleted_at.alias("org_deleted_at"))
        .join(Organization)
        .where(ApiKey.jti == claims.key_uuid)
        .objects()
        .first()
    )
    if row is None:
        raise unauthorized(INVALID_TOKEN)
    if row.revoked_at is not None:
        raise unauthorized("API key has been revoked")
    if row.expires_at is not None and row.expires_at <= timeutil.now():
        raise unauthorized("API key has expired")
    org_live = row.org_deleted_at is None
    return Principal(
        kind="api_key",
        org_id=row.org_id if org_live else None,
        key_id=row.id,
        key_uuid=row.jti,
        scopes=tuple(row.scopes or ()),
    )


def _resolve_session(claims: SessionClaims) -> Principal:
    user = User.get_or_none((User.id == claims.user_id) & User.deleted_at.is_null())
    if user is None:
        raise unauthorized(INVALID_TOKEN)
    org_id = claims.current_org_id
    role = None
    if org_id is not None:
        role = (
            Membership.select(Membership.role)
            .join(Organization)
            .where(
                (Membership.user == user.id)
                & (Membership.org == org_id)
                & Organization.deleted_at.is_null()
            )
            .scalar()
        )
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
