"""API-key records: minting, listing, revoking, and use tracking."""

from __future__ import annotations

from datetime import datetime

from trakrf_server import timeutil
from trakrf_server.auth.tokens import mint_api_key, new_key_uuid
from trakrf_server.errors import conflict, not_found
from trakrf_server.models import ApiKey
from trakrf_server.services.accounts import lock_org


def touch_last_used(key_id: int) -> None:
    """Record that a key was just used (AUTH-8). Runs on the writer thread."""
    ApiKey.update(last_used_at=timeutil.now()).where(ApiKey.id == key_id).execute()


PUBLIC_SCOPES = (
    "assets:read",
    "assets:write",
    "locations:read",
    "locations:write",
    "tracking:read",
)
# keys:admin manages keys (INT-80); scans:write lets a fixed reader push reads.
ALL_SCOPES = PUBLIC_SCOPES + ("keys:admin", "scans:write")
MAX_ACTIVE_KEYS = 10


def mint_key(
    secret: str,
    org_id: int,
    name: str,
    scopes: list[str],
    expires_at: datetime | None = None,
    created_by: int | None = None,
    created_by_key: int | None = None,
) -> tuple[ApiKey, str]:
    """Store a key record and return it with its JWT (shown once, never stored).

    Raises the INT-81 409 when the org already has ten non-revoked keys.
    """
    # Mints in other processes count only after this one commits.
    lock_org(org_id)
    active = ApiKey.select().where((ApiKey.org == org_id) & ApiKey.revoked_at.is_null())
    if active.count() >= MAX_ACTIVE_KEYS:
        raise conflict(
            "Organization has reached the 10 active API key limit. "
            "Revoke an unused key first."
        )
    record = ApiKey.create(
        jti=new_key_uuid(),
        org=org_id,
        name=name,
        scopes=list(scopes),
        created_by=created_by,
        created_by_key=created_by_key,
        created_at=timeutil.now(),
        expires_at=expires_at,
    )
    exp = int(expires_at.timestamp()) if expires_at is not None else None
    token = mint_api_key(secret, record.jti, org_id, list(scopes), exp)
    return record, token


# What a key may be minted with over HTTP: INT-81's list, plus scans:write so an
# operator can give a fixed reader its own key from the web app (SCAN-3).
MINTABLE_SCOPES = ALL_SCOPES
NOT_FOUND = "API key not found"


def list_keys(org_id: int, limit: int, offset: int) -> tuple[list[ApiKey], int]:
    """Non-revoked keys of the org, newest first (INT-82), and their total."""
    live = ApiKey.select().where((ApiKey.org == org_id) & ApiKey.revoked_at.is_null())
    page = live.order_by(ApiKey.created_at.desc(), ApiKey.id.desc())
    return list(page.limit(limit).offset(offset)), live.count()


def revoke_key(org_id: int, key_id: int | None = None, jti: str | None = None) -> None:
    """Revoke by id or by jti (INT-83); 404 unless live and in ``org_id``."""
    match = ApiKey.id == key_id if key_id is not None else ApiKey.jti == jti
    updated = (
        ApiKey.update(revoked_at=timeutil.now())
        .where(match & (ApiKey.org == org_id) & ApiKey.revoked_at.is_null())
        .execute()
    )
    if updated == 0:
        raise not_found(NOT_FOUND)
