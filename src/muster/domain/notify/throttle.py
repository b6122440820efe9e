"""How often one contact method may be messaged (pure).

A spec reads ``"*=1/1m;sms=5/15m,11/1h;voice=3/15m,7/1h"``: per type, limits of
``count/window`` (window in s, m or h); ``*`` applies to every type as well.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

_UNITS = {"s": 1, "m": 60, "h": 3600}


@dataclass(frozen=True)
class Limit:
    count: int
    window: timedelta


Throttle = dict[str, tuple[Limit, ...]]


def parse_throttle(spec: str) -> Throttle:
    """The limits of ``spec``; ValueError naming the part that cannot be read."""
    result: Throttle = {}
    for part in filter(None, (p.strip() for p in spec.split(";"))):
        kind, _, limits = part.partition("=")
        parsed: list[Limit] = []
        for item in filter(None, (i.strip() for i in limits.split(","))):
            count, _, window = item.partition("/")
            try:
                seconds = int(window[:-1]) * _UNITS[window[-1]]
                parsed.append(Limit(int(count), timedelta(seconds=seconds)))
            except (KeyError, ValueError, IndexError):
                raise ValueError(f"cannot read throttle limit {item!r} (e.g. 5/15m)") from None
            if parsed[-1].count < 1:
                raise ValueError(f"throttle limit {item!r} allows nothing")
        result[kind.strip()] = tuple(parsed)
    return result


def limits_for(throttle: Throttle, method_type: str) -> tuple[Limit, ...]:
    return throttle.get("*", ()) + throttle.get(method_type, ())


def longest_window(limits: Sequence[Limit]) -> timedelta:
    return max((limit.window for limit in limits), default=timedelta(0))


def next_allowed(sent: Sequence[datetime], limits: Sequence[Limit], now: datetime) -> datetime:
    """The earliest instant at or after ``now`` when one more message keeps every limit,
    given the send times ``sent`` of earlier messages."""
    at = now
    for _ in range(len(limits) + 1):
        later = at
        for limit in limits:
            recent = sorted(t for t in sent if t > at - limit.window)
            if len(recent) >= limit.count:
                # Free once the oldest message that keeps the count full leaves the window.
                later = max(later, recent[len(recent) - limit.count] + limit.window)
        if later == at:
            return at
        at = later
    return at
