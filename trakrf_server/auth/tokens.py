"""Session tokens and API-key tokens: HS256 JWTs with one server secret (JWT-1…4).

``decode_token`` does only what can be decided from the token itself; the
API-key record lookup (revoked, expired, org) happens in ``principals``.
"""

from __future__ import annotations

import math
import os
import secrets
import stat
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jwt

from trakrf_server.config import ConfigError

API_KEY_ISSUER = "trakrf-api-key"
API_KEY_AUDIENCE = "trakrf-api"
# HMAC only: "none" and asymmetric algorithms are never accepted (JWT-1).
ALGORITHMS = ["HS256", "HS384", "HS512"]
# Every id this server mints into a token is a surrogate id (ID-1); a claim
# outside that range names nothing and could not even be looked up.
MAX_ID = 2147483647


class TokenError(Exception):
    """The token is unusable; the client sees ``Invalid or expired token``."""


@dataclass(frozen=True)
class SessionClaims:
    user_id: int
    email: str
    current_org_id: int | None


@dataclass(frozen=True)
class ApiKeyClaims:
    key_uuid: str


def load_or_create_secret(configured: str, data_dir: Path) -> str:
    """The configured secret, else the one kept in ``data_dir/secret.key``.

    A new random secret is written on first start with mode 0600. Raises
    ConfigError when the kept file cannot be used.
    """
    if configured:
        return configured
    path = data_dir / "secret.key"
    if path.exists():
        return _read_secret(path)
    data_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
    secret = secrets.token_hex(32)
    fd = os.open(
        path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, stat.S_IRUSR | stat.S_IWUSR
    )
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(secret + "\n")
    return secret


def _read_secret(path: Path) -> str:
    # An empty file (a copy or a restore that lost its content) would start a
    # server whose every signup and login is a 500: HMAC refuses an empty key.
    # Replacing it silently would invalidate every key minted with the lost
    # secret, so the administrator decides.
    try:
        secret = path.read_text(encoding="utf-8").strip()
    except (OSError, UnicodeDecodeError) as exc:
        reason = getattr(exc, "strerror", None) or exc
        raise ConfigError(f"cannot read the signing secret {path}: {reason}") from None
    if not secret:
        raise ConfigError(
            f"the signing secret {path} is empty: restore it, or delete it to "
            "have a new one generated (every API key and session then has to "
            "be issued again)"
        )
    return secret


def mint_session(
    secret: str, user_id: int, email: str, org_id: int | None, lifetime: int
) -> str:
    issued = int(time.time())
    claims: dict[str, Any] = {"user_id": user_id, "email": email}
    if org_id is not None:
        claims["current_org_id"] = org_id
    claims["iat"] = issued
    claims["exp"] = issued + lifetime
    return jwt.encode(claims, secret, algorithm="HS256")


def mint_api_key(
    secret: str,
    key_uuid: str,
    org_id: int,
    scopes: list[str],
    expires_at: int | None,
) -> str:
    claims: dict[str, Any] = {
        "iss": API_KEY_ISSUER,
        "sub": key_uuid,
        "aud": [API_KEY_AUDIENCE],
        "iat": int(time.time()),
        "org_id": org_id,
        "scopes": list(scopes),
    }
    if expires_at is not None:
        claims["exp"] = expires_at
    return jwt.encode(claims, secret, algorithm="HS256")


def new_key_uuid() -> str:
    return str(uuid.uuid4())


def decode_token(secret: str, token: str) -> SessionClaims | ApiKeyClaims:
    """Verify signature, ``iss``, ``aud`` and ``exp`` in AUTH-6's order.

    Raises TokenError for anything unusable.
    """
    try:
        claims = jwt.decode(
            token,
            secret,
            algorithms=ALGORITHMS,
            options={"verify_aud": False, "verify_iss": False, "verify_exp": False},
        )
    except jwt.PyJWTError:
        raise TokenError("bad token") from None
    if not isinstance(claims, dict):
        raise TokenError("claims are not an object")

    issuer = claims.get("iss")
    if issuer == API_KEY_ISSUER:
        return _api_key_claims(claims)
    if issuer in (None, ""):
        return _session_claims(claims)
    raise TokenError("unknown issuer")


def _expired(claims: dict[str, Any], required: bool) -> bool:
    exp = claims.get("exp")
    if exp is None:
        return required
    if isinstance(exp, bool) or not isinstance(exp, (int, float)):
        return True
    # NaN compares false with everything and would never expire.
    return not math.isfinite(exp) or exp <= time.time()


def _id_claim(value: object) -> bool:
    return (
        isinstance(value, int) and not isinstance(value, bool) and 1 <= value <= MAX_ID
    )


def _api_key_claims(claims: dict[str, Any]) -> ApiKeyClaims:
    audience = claims.get("aud")
    if isinstance(audience, str):
        audience = [audience]
    if not isinstance(audience, list) or API_KEY_AUDIENCE not in audience:
        raise TokenError("wrong audience")
    if _expired(claims, required=False):
        raise TokenError("expired")
    subject = claims.get("sub")
    try:
        canonical = str(uuid.UUID(subject)) if isinstance(subject, str) else None
    except ValueError:
        canonical = None
    if canonical is None:
        raise TokenError("bad subject")
    return ApiKeyClaims(key_uuid=canonical)


def _session_claims(claims: dict[str, Any]) -> SessionClaims:
    if _expired(claims, required=True):
        raise TokenError("expired")
    user_id = claims.get("user_id")
    email = claims.get("email")
    org_id = claims.get("current_org_id")
    if not _id_claim(user_id):
        raise TokenError("bad user_id")
    if not isinstance(email, str):
        raise TokenError("bad email")
    if org_id is not None and not _id_claim(org_id):
        raise TokenError("bad current_org_id")
    return SessionClaims(user_id=user_id, email=email, current_org_id=org_id)
