"""Weekly restriction windows: normalisation and arithmetic lookup.

Windows are united into a sorted tuple of disjoint, non-touching intervals in
microseconds from Monday 00:00 wall time. Every start lies in ``[0, WEEK)``;
only the last interval may run past ``WEEK`` (a window wrapping into the next
week). Window number ``j`` (any integer) is interval ``j % m`` of ISO-style
week ``j // m``, where weeks are counted from the proleptic Monday 0001-01-01;
wall starts increase strictly with ``j``.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from muster.domain.oncall.walltime import local_wall, wall_to_instant

if TYPE_CHECKING:
    from muster.domain.oncall.spec import Restriction

_US = timedelta(microseconds=1)
DAY = 86_400 * 1_000_000
WEEK = 7 * DAY
Interval = tuple[datetime, datetime]


def _time_us(value: time) -> int:
    return ((value.hour * 60 + value.minute) * 60 + value.second) * 1_000_000 + value.microsecond


@dataclass(frozen=True)
class WeekWindows:
    """United weekly windows (see module docstring). Never empty, never full."""

    starts: tuple[int, ...]
    ends: tuple[int, ...]

    def wall_start(self, tz: ZoneInfo, j: int) -> datetime:
        """Wall time (in ``tz``) at which window ``j`` opens."""
        week, i = divmod(j, len(self.starts))
        return _week_start(tz, week) + _US * self.starts[i]

    def wall_end(self, tz: ZoneInfo, j: int) -> datetime:
        """Wall time (in ``tz``) at which window ``j`` closes."""
        week, i = divmod(j, len(self.starts))
        return _week_start(tz, week) + _US * self.ends[i]

    def index_at_wall(self, tz: ZoneInfo, wall: datetime) -> int:
        """The largest ``j`` whose window opens at or before ``wall`` (a wall time in tz)."""
        week = (wall.toordinal() - 1) // 7
        offset = (wall - _week_start(tz, week)) // _US
        return week * len(self.starts) + bisect_right(self.starts, offset) - 1


def _week_start(tz: ZoneInfo, week: int) -> datetime:
    return datetime.combine(date.fromordinal(week * 7 + 1), time(), tzinfo=tz)


def week_windows(restrictions: Iterable[Restriction]) -> WeekWindows | None:
    """Unite ``restrictions`` into :class:`WeekWindows`; None means "always".

    No restriction at all, or windows covering the whole week, give None.
    """
    raw: list[tuple[int, int]] = []
    for r in restrictions:
        begin, finish = _time_us(r.start), _time_us(r.end)
        length = finish - begin if finish > begin else DAY - (begin - finish)
        raw.extend((day * DAY + begin, day * DAY + begin + length) for day in r.days)
    if not raw:
        return None
    raw.sort()
    merged: list[list[int]] = []
    for begin, finish in raw:
        if merged and begin <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], finish)
        else:
            merged.append([begin, finish])
    last = merged[-1]
    # the last window may run into next week: absorb the first ones it reaches
    while len(merged) > 1 and last[1] >= WEEK + merged[0][0]:
        last[1] = max(last[1], merged[0][1] + WEEK)
        merged.pop(0)
    if last[1] - last[0] >= WEEK:
        return None
    return WeekWindows(tuple(w[0] for w in merged), tuple(w[1] for w in merged))


def window_at(ww: WeekWindows, tz: ZoneInfo, at: datetime) -> tuple[bool, datetime, datetime]:
    """Where instant ``at`` (UTC) falls relative to the windows.

    Returns ``(True, open, close)`` for the window holding ``at``, or
    ``(False, previous close, next open)`` for the gap holding it.
    """
    j = ww.index_at_wall(tz, local_wall(tz, at))
    opens = wall_to_instant(tz, ww.wall_start(tz, j))
    while opens > at:
        j -= 1
        opens = wall_to_instant(tz, ww.wall_start(tz, j))
    next_opens = wall_to_instant(tz, ww.wall_start(tz, j + 1))
    while next_opens <= at:
        j += 1
        opens, next_opens = next_opens, wall_to_instant(tz, ww.wall_start(tz, j + 1))
    closes = wall_to_instant(tz, ww.wall_end(tz, j))
    if at < closes:
        return True, opens, closes
    return False, closes, next_opens


def windows_between(ww: WeekWindows, tz: ZoneInfo, lo: datetime, hi: datetime) -> list[Interval]:
    """The non-empty window instants clipped to ``[lo, hi)``, in order.

    Precondition: ``lo < hi``, both UTC.
    """
    j = ww.index_at_wall(tz, local_wall(tz, lo))
    while wall_to_instant(tz, ww.wall_start(tz, j)) > lo:
        j -= 1
    out: list[Interval] = []
    while True:
        opens = wall_to_instant(tz, ww.wall_start(tz, j))
        if opens >= hi:
            return out
        begin = max(opens, lo)
        finish = min(wall_to_instant(tz, ww.wall_end(tz, j)), hi)
        if begin < finish:
            out.append((begin, finish))
        j += 1
