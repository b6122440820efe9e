"""Per-integration token buckets (in this process)."""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

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
