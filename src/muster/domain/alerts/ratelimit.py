"""Per-integration rate limits: token buckets held in this process.

Every intake door (the HTTP ingest endpoints, the SMTP listener) admits an integration's
alerts through :func:`check_rate`, so each integration's ``rate_limit_per_minute`` (or
:data:`DEFAULT_PER_MINUTE`) holds whichever way its alerts arrive. Pure Python and
thread-safe; nothing here touches the database.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from muster.errors import RateLimited

DEFAULT_PER_MINUTE = 100_000


@dataclass
class _Bucket:
    tokens: float
    updated: float


class RateLimiter:
    """Allows ``per_minute`` events a minute per key, in bursts of up to ten seconds' worth."""

    def __init__(self, monotonic: Callable[[], float] = time.monotonic) -> None:
        self._monotonic = monotonic
        self._buckets: dict[str, _Bucket] = {}
        self._lock = threading.Lock()

    def take(self, key: str, per_minute: int, count: int = 1) -> float | None:
        """Spend ``count`` tokens; None if allowed, else seconds until it would be."""
        rate = per_minute / 60.0
        capacity = max(10.0, per_minute / 6.0, float(count))
        now = self._monotonic()
        with self._lock:
            bucket = self._buckets.get(key)
            if bucket is None:
                bucket = self._buckets[key] = _Bucket(capacity, now)
            bucket.tokens = min(capacity, bucket.tokens + (now - bucket.updated) * rate)
            bucket.updated = now
            if bucket.tokens >= count:
                bucket.tokens -= count
                return None
            return (count - bucket.tokens) / rate


def retry_after_seconds(wait: float) -> int:
    return max(1, math.ceil(wait))


def check_rate(
    limiter: RateLimiter, integration_id: str, per_minute: int | None, count: int = 1
) -> None:
    """Spend ``count`` of the integration's tokens, or raise :class:`RateLimited` (with
    the seconds to wait) without spending any. ``per_minute`` None: the default limit."""
    wait = limiter.take(integration_id, per_minute or DEFAULT_PER_MINUTE, count)
    if wait is not None:
        raise RateLimited(
            "this integration is sending too fast", retry_after=retry_after_seconds(wait)
        )
