"""Per-key token buckets (CONTRACT RL-1…8) behind a small store interface.

``MemoryBuckets`` serves one process; ``RedisBuckets`` lets several processes
share one budget per key. Both answer ``take(key)`` with a ``Decision`` that
carries everything the response headers need.
"""

from __future__ import annotations

import math
import threading
import time
from dataclasses import dataclass
from typing import Protocol
from urllib.parse import urlsplit, urlunsplit


class StoreUnavailable(Exception):
    """The shared bucket store cannot be reached; the server must not start."""


@dataclass(frozen=True)
class Decision:
    allowed: bool
    tokens_left: float  # after this request
    retry_after: int  # seconds; meaningful only when refused


class BucketStore(Protocol):
    # True when ``take`` waits on the network, so callers on the event loop
    # must run it on a thread.
    remote: bool

    def take(self, key: str) -> Decision: ...


class MemoryBuckets:
    """Buckets in this process's memory; they reset on restart (RL-7)."""

    remote = False

    def __init__(self, burst: int, per_minute: int, clock=time.monotonic) -> None:
        self.burst = float(burst)
        self.rate = per_minute / 60.0
        self._clock = clock
        self._buckets: dict[str, tuple[float, float]] = {}
        self._lock = threading.Lock()

    def take(self, key: str) -> Decision:
        now = self._clock()
        with self._lock:
            tokens, stamp = self._buckets.get(key, (self.burst, now))
            tokens = min(self.burst, tokens + (now - stamp) * self.rate)
            if tokens < 1.0:
                # A refusal consumes nothing (RL-2).
                self._buckets[key] = (tokens, now)
                return Decision(False, tokens, _retry_after(tokens, self.rate))
            tokens -= 1.0
            self._buckets[key] = (tokens, now)
            return Decision(True, tokens, 0)


# One round trip; the bucket's state is (tokens, timestamp in microseconds).
_REDIS_TAKE = """
local burst = tonumber(ARGV[1])
local rate = tonumber(ARGV[2])
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
local state = redis.call('HMGET', KEYS[1], 'tokens', 'stamp')
local tokens = tonumber(state[1])
local stamp = tonumber(state[2])
if tokens == nil then tokens = burst; stamp = now end
tokens = math.min(burst, tokens + (now - stamp) * rate)
local allowed = 0
if tokens >= 1 then tokens = tokens - 1; allowed = 1 end
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'stamp', tostring(now))
redis.call('EXPIRE', KEYS[1], math.ceil(burst / rate) + 60)
return {allowed, tostring(tokens)}
"""


class RedisBuckets:
    """Buckets in Redis, updated atomically by a Lua script.

    Every process pointed at the same Redis and ``prefix`` shares one bucket
    per key (RL-7 across processes).
    """

    remote = True

    def __init__(
        self, url: str, burst: int, per_minute: int, prefix: str = "trakrf:rl:"
    ):
        import redis  # imported here so a memory-only install never needs it

        self.burst = float(burst)
        self.rate = per_minute / 60.0
        self.prefix = prefix
        self.url = url
        self._client = redis.Redis.from_url(
            url, socket_connect_timeout=5, socket_timeout=5
        )
        self._script = self._client.register_script(_REDIS_TAKE)

    def check(self) -> None:
        """Raise StoreUnavailable unless Redis answers a PING.

        Run once at start: the client connects lazily, so without this an
        unreachable Redis would only show as a failure on every API-key request.
        """
        import redis

        try:
            self._client.ping()
        except redis.RedisError as exc:
            raise StoreUnavailable(
                f"rate_limit.store is redis but {redact(self.url)} cannot be "
                f"reached: {exc}"
            ) from exc

    def take(self, key: str) -> Decision:
        allowed, tokens = self._script(
            keys=[self.prefix + key], args=[self.burst, self.rate]
        )
        left = float(tokens)
        if int(allowed) == 1:
            return Decision(True, left, 0)
        return Decision(False, left, _retry_after(left, self.rate))


def redact(url: str) -> str:
    """``url`` with any password replaced by ``***`` (for messages and logs)."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    host = parts.hostname or ""
    if parts.port is not None:
        host = f"{host}:{parts.port}"
    user = parts.username or ""
    return urlunsplit(parts._replace(netloc=f"{user}:***@{host}"))


def _retry_after(tokens: float, rate: float) -> int:
    """RL-6: whole seconds until one token is available, at least 1."""
    return max(1, math.ceil((1.0 - tokens) / rate))


def header_values(decision: Decision | None, limit: int, now: float) -> dict[str, str]:
    """RL-4's three headers; ``decision`` None means the bucket was not consulted."""
    second = int(now)
    if decision is None:
        return {
            "X-RateLimit-Limit": str(limit),
            "X-RateLimit-Remaining": str(limit),
            "X-RateLimit-Reset": str(second),
        }
    if not decision.allowed:
        remaining = 0
    else:
        remaining = min(math.floor(decision.tokens_left), limit)
    if decision.tokens_left >= limit:
        reset = second
    else:
        reset = int(now + (limit - decision.tokens_left))
    return {
        "X-RateLimit-Limit": str(limit),
        "X-RateLimit-Remaining": str(remaining),
        "X-RateLimit-Reset": str(reset),
    }
