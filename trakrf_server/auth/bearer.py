"""Bearer tokens checked the same way wherever they arrive (AUTH-2, SCOPE-1, RL-1).

The HTTP pipeline (``api.base``) reads the token from the Authorization
header; the MQTT reader ingest reads it from the message. Both call these
functions so a token is decoded, looked up, rate limited and scope-checked by
one set of rules.
"""

from __future__ import annotations

import time

from tornado.ioloop import IOLoop

from trakrf_server.auth import principals, tokens
from trakrf_server.auth.principals import Principal, unauthorized
from trakrf_server.context import AppContext
from trakrf_server.errors import ApiError
from trakrf_server.ratelimit import Decision

# How often a key's last_used_at is written at most (AUTH-8 is best effort;
# writing on every request would put the single writer on the hot path).
LAST_USED_INTERVAL = 5.0


async def principal_for(ctx: AppContext, token: str, accept: str) -> Principal:
    """The caller ``token`` names, or the 401 the contract gives.

    ``accept`` is "session", "key" or "any": a token of the other kind is
    answered like an invalid one. Runs the record lookup on a reader thread
    (revoked, expired, deleted organization); an API key's record may come
    from ``auth/keycache.py`` instead. Call on the event loop.
    """
    try:
        claims = tokens.decode_token(ctx.secret, token)
    except tokens.TokenError:
        raise unauthorized(principals.INVALID_TOKEN) from None
    is_key = isinstance(claims, tokens.ApiKeyClaims)
    if (accept == "session" and is_key) or (accept == "key" and not is_key):
        raise unauthorized(principals.INVALID_TOKEN)
    if not is_key:
        return await ctx.db.read(principals.resolve, claims)

    principal = principals.key_principal(await _key_record(ctx, claims.key_uuid))
    note_key_use(ctx, principal)
    return principal


async def _key_record(ctx: AppContext, jti: str) -> principals.KeyRecord | None:
    """The key's stored record, from memory while nothing has committed since
    it was read (auth/keycache.py)."""
    cache = ctx.key_cache
    record = cache.get(jti)
    if record is None:
        version = cache.version()
        record = await ctx.db.read(principals.key_record, jti)
        cache.put(jti, version, record)
    return record


def note_key_use(ctx: AppContext, principal: Principal) -> None:
    """Queue the key's last_used_at write, at most once per interval."""
    assert principal.key_id is not None
    seen = ctx.key_last_written
    now = time.monotonic()
    if now - seen.get(principal.key_id, -LAST_USED_INTERVAL) < LAST_USED_INTERVAL:
        return
    seen[principal.key_id] = now
    from trakrf_server.services.keys import touch_last_used

    ctx.db.write_soon(touch_last_used, principal.key_id)


async def take_token(ctx: AppContext, principal: Principal) -> Decision | None:
    """Spend one token of the key's bucket; None when rate limiting is off."""
    limiter = ctx.limiter
    if limiter is None:
        return None
    assert principal.key_uuid is not None
    if limiter.remote:
        # A shared store answers over the network: keep the loop free.
        return await IOLoop.current().run_in_executor(
            None, limiter.take, principal.key_uuid
        )
    return limiter.take(principal.key_uuid)


def rate_limited(decision: Decision) -> ApiError:
    wait = decision.retry_after
    return ApiError(
        "rate_limited",
        f"Retry after {wait} seconds",
        headers={"Retry-After": str(wait)},
    )


def require_scope(principal: Principal, scope: str) -> None:
    """An API key must hold ``scope`` (SCOPE-1); the 403 otherwise."""
    if scope not in principal.scopes:
        raise ApiError("forbidden", f"Missing required scope: {scope}")
