"""What every handler shares: configuration, database, secret, limiter, mailer."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

from trakrf_server.auth.keycache import KeyCache
from trakrf_server.config import Config
from trakrf_server.db import Database
from trakrf_server.ratelimit import BucketStore


@dataclass
class AppContext:
    config: Config
    db: Database
    secret: str
    limiter: BucketStore | None
    mailer: Any
    started_at: float = field(default_factory=time.time)
    # key id -> monotonic time its last_used_at was last written (AUTH-8 throttle)
    key_last_written: dict[int, float] = field(default_factory=dict)
    # API-key records between requests (auth/keycache.py)
    key_cache: KeyCache = field(init=False)

    def __post_init__(self) -> None:
        self.key_cache = KeyCache(self.db)
