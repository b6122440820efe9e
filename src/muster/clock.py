"""Time as an input: the only place Muster reads the system clock.

Domain and engine code take ``now`` from an injected :class:`Clock`. Every datetime
Muster stores or compares is timezone-aware UTC.
"""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
from typing import Protocol


class Clock(Protocol):
    def now(self) -> datetime:
        """The current instant, timezone-aware, in UTC."""
        ...


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)


class ManualClock:
    """A clock that moves only when told to; for tests and drills."""

    def __init__(self, start: datetime) -> None:
        self._now = ensure_utc(start)
        self._lock = threading.Lock()

    def now(self) -> datetime:
        with self._lock:
            return self._now

    def advance(self, delta: timedelta | None = None, **kwargs: float) -> datetime:
        step = delta if delta is not None else timedelta(**kwargs)
        with self._lock:
            self._now += step
            return self._now

    def set(self, instant: datetime) -> None:
        with self._lock:
            self._now = ensure_utc(instant)


def ensure_utc(value: datetime) -> datetime:
    """Return ``value`` in UTC; refuse naive datetimes, which have no meaning here."""
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError("naive datetime: Muster needs a timezone-aware value")
    return value.astimezone(UTC)


def isoformat(value: datetime) -> str:
    """RFC 3339 in UTC with a trailing Z, as the API shows every timestamp."""
    return ensure_utc(value).isoformat().replace("+00:00", "Z")
