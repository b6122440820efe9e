"""Property tests: the resolver against a brute-force oracle.

The oracle shares no code with ``muster.domain.oncall`` beyond the input
dataclasses. It works on a 5-minute grid (every generated instant, wall time
and zone transition here is a multiple of 5 minutes, so nothing changes
between grid points) and defines a wall time's instant from first principles:
the earliest grid instant whose local wall time is at or after it (read
through a running maximum of the local clock). It walks every handoff from
the rotation start, and decides each grid instant independently.
"""

from __future__ import annotations

import itertools
from bisect import bisect_left, bisect_right
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from functools import cache
from typing import TypeVar
from zoneinfo import ZoneInfo

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from muster.domain.oncall.resolve import final_shifts, gaps, layer_shifts, on_call_at
from muster.domain.oncall.spec import (
    Layer,
    Override,
    Restriction,
    Rotation,
    ScheduleSpec,
    TemporarySchedule,
    TemporaryShift,
)

GRID = timedelta(minutes=5)
HALF_WINDOW = timedelta(hours=36)
USERS = ("ann", "bob", "cat", "dan")
HOT = [time(0), time(1), time(1, 30), time(2), time(2, 15), time(2, 30), time(3), time(9)]
Value = tuple[str, str] | None  # (user, source) or nobody
T = TypeVar("T")


def _transitions(zone: str) -> list[datetime]:
    tz = ZoneInfo(zone)
    t, found = datetime(2026, 1, 1, tzinfo=UTC), []
    before = t.astimezone(tz).utcoffset()
    while t.year == 2026:
        t += timedelta(minutes=30)
        if t.astimezone(tz).utcoffset() != before:
            found.append(t)
            before = t.astimezone(tz).utcoffset()
    return found


SCENARIOS = [
    (zone, center)
    for zone in ("Europe/London", "America/New_York", "Australia/Lord_Howe")
    for center in _transitions(zone)
] + [("UTC", datetime(2026, 3, 29, 1, tzinfo=UTC)), ("UTC", datetime(2026, 10, 25, tzinfo=UTC))]


class WallTable:
    """Local wall time at every grid instant of a span, as a running maximum."""

    def __init__(self, tz: ZoneInfo, lo: datetime, hi: datetime) -> None:
        self.lo = lo
        self.running: list[datetime] = []
        t = lo
        while t < hi:
            wall = t.astimezone(tz).replace(tzinfo=None)
            self.running.append(max(wall, self.running[-1]) if self.running else wall)
            t += GRID

    def instant(self, wall: datetime) -> datetime | None:
        """Earliest grid instant whose wall time is >= ``wall``; None past the table."""
        i = bisect_left(self.running, wall)
        assert i > 0, "wall time before the table"
        return None if i == len(self.running) else self.lo + GRID * i


@cache
def table_for(index: int) -> WallTable:
    zone, center = SCENARIOS[index]
    return WallTable(ZoneInfo(zone), center - timedelta(days=14), center + timedelta(days=5))


@dataclass
class Case:
    spec: ScheduleSpec
    lo: datetime
    hi: datetime
    table: WallTable


class Oracle:
    def __init__(self, case: Case) -> None:
        self.case = case
        self.turns: dict[int, list[datetime]] = {}
        self.windows: dict[int, list[tuple[datetime, datetime]]] = {}
        for layer in case.spec.layers:
            for rot in layer.versions:
                self.turns[id(rot)] = self._walk_handoffs(rot)
                self.windows[id(rot)] = self._windows(rot)

    def _walk_handoffs(self, rot: Rotation) -> list[datetime]:
        unit = {"hours": timedelta(hours=1), "days": timedelta(days=1), "weeks": timedelta(days=7)}
        step = unit[rot.turn_unit] * rot.turn_length
        wall = rot.start.astimezone(self.case.spec.tz).replace(tzinfo=None)
        handoffs: list[datetime] = []
        while True:
            instant = self.case.table.instant(wall)
            if instant is None or instant >= self.case.hi:
                return handoffs
            handoffs.append(instant)
            wall += step

    def _windows(self, rot: Rotation) -> list[tuple[datetime, datetime]]:
        tz, out = self.case.spec.tz, []
        first = self.case.lo.astimezone(tz).date() - timedelta(days=2)
        for n in range(6):
            day = first + timedelta(days=n)
            for r in rot.restrictions:
                if day.weekday() in r.days:
                    end_day = day + timedelta(days=1) if r.end <= r.start else day
                    a = self.case.table.instant(datetime.combine(day, r.start))
                    b = self.case.table.instant(datetime.combine(end_day, r.end))
                    assert a is not None
                    assert b is not None
                    out.append((a, b))
        return out

    def layer_value(self, layer: Layer, t: datetime) -> str | None:
        for rot in layer.versions:
            if rot.effective_from is not None and t < rot.effective_from:
                continue
            if rot.effective_until is not None and t >= rot.effective_until:
                continue
            if t < rot.start:
                return None
            if rot.restrictions and not any(a <= t < b for a, b in self.windows[id(rot)]):
                return None
            k = bisect_right(self.turns[id(rot)], t) - 1
            return rot.participants[k % len(rot.participants)]
        return None

    def value(self, t: datetime) -> Value:
        spec = self.case.spec
        live = [o for o in spec.overrides if o.start <= t < o.end]
        if live:
            o = max(live, key=lambda o: (o.created_at, o.id))
            return (o.user_id, f"override:{o.id}")
        for temp in spec.temporary:
            if temp.start <= t < temp.end:
                for s in temp.shifts:
                    if s.start <= t < s.end:
                        return (s.user_id, f"temporary:{temp.id}")
                return None
        for layer in sorted(spec.layers, key=lambda layer: -layer.rank):
            user = self.layer_value(layer, t)
            if user is not None:
                return (user, f"layer:{layer.id}")
        return None


def runs(
    points: list[datetime], values: Sequence[T], end: datetime
) -> list[tuple[T, datetime, datetime]]:
    """Group equal consecutive grid values into (value, start, end) runs."""
    out: list[tuple[T, datetime, datetime]] = []
    for t, v in zip(points, values, strict=True):
        if out and out[-1][0] == v:
            out[-1] = (v, out[-1][1], t + GRID)
        else:
            out.append((v, t, t + GRID))
    assert out[-1][2] == end
    return out


def grid_offset(draw: st.DrawFn, lo: int, hi: int) -> timedelta:
    return GRID * draw(st.integers(lo, hi))


def wall_time(draw: st.DrawFn) -> time:
    if draw(st.booleans()):
        return draw(st.sampled_from(HOT))
    return time(draw(st.integers(0, 23)), 5 * draw(st.integers(0, 11)))


def rotation(draw: st.DrawFn, rid: str, tz: ZoneInfo, lo: datetime, **kw: datetime) -> Rotation:
    unit = draw(st.sampled_from(["hours", "days", "weeks"]))
    length = draw(st.integers(1, {"hours": 30, "days": 3, "weeks": 2}[unit]))
    day = lo.astimezone(tz).date() - timedelta(days=draw(st.integers(-1, 10)))
    start = datetime.combine(day, wall_time(draw), tzinfo=tz).replace(fold=draw(st.integers(0, 1)))
    restrictions = tuple(
        Restriction(
            frozenset(draw(st.sets(st.integers(0, 6), min_size=1))),
            wall_time(draw),
            wall_time(draw),
        )
        for _ in range(draw(st.integers(0, 2)))
    )
    people = tuple(draw(st.lists(st.sampled_from(USERS), min_size=1, max_size=4)))
    return Rotation(rid, people, start, length, unit, restrictions, **kw)  # type: ignore[arg-type]


@st.composite
def cases(draw: st.DrawFn) -> Case:
    index = draw(st.integers(0, len(SCENARIOS) - 1))
    zone, center = SCENARIOS[index]
    tz, lo, hi = ZoneInfo(zone), center - HALF_WINDOW, center + HALF_WINDOW
    span = int((hi - lo) / GRID)
    layers = []
    for n in range(draw(st.integers(1, 3))):
        if draw(st.booleans()):
            edit = lo + grid_offset(draw, 0, span)
            versions: tuple[Rotation, ...] = (
                rotation(draw, f"r{n}a", tz, lo, effective_until=edit),
                rotation(draw, f"r{n}b", tz, lo, effective_from=edit),
            )
        else:
            versions = (rotation(draw, f"r{n}", tz, lo),)
        layers.append(Layer(f"L{n}", draw(st.integers(0, 9)) * 10 + n, versions))
    overrides = []
    for n in range(draw(st.integers(0, 4))):
        start = lo + grid_offset(draw, -100, span)
        end = start + grid_offset(draw, 1, 400)
        created = lo - timedelta(hours=draw(st.integers(0, 4)))
        overrides.append(Override(f"o{n}", draw(st.sampled_from(USERS)), start, end, created))
    temporary = []
    if draw(st.booleans()):
        t0 = lo + grid_offset(draw, -50, span)
        steps = draw(st.integers(2, 400))
        cuts = sorted(set(draw(st.lists(st.integers(1, steps - 1), max_size=6))))
        edges = [0, *cuts, steps]
        shifts = tuple(
            TemporaryShift(user, t0 + GRID * a, t0 + GRID * b)
            for a, b in itertools.pairwise(edges)
            if (user := draw(st.sampled_from((*USERS, None)))) is not None
        )
        temporary.append(TemporarySchedule("t", t0, t0 + GRID * steps, shifts))
    spec = ScheduleSpec(zone, tuple(layers), tuple(overrides), tuple(temporary))
    return Case(spec, lo, hi, table_for(index))


@settings(
    max_examples=150,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=list(HealthCheck),
)
@given(case=cases(), jitter=st.integers(1, 299_999_999))
def test_resolver_matches_the_brute_force_oracle(case: Case, jitter: int) -> None:
    oracle, spec, lo, hi = Oracle(case), case.spec, case.lo, case.hi
    points = [lo + GRID * i for i in range(int((hi - lo) / GRID))]
    values = [oracle.value(t) for t in points]
    expected = runs(points, values, hi)

    shifts = final_shifts(spec, lo, hi)
    assert [((s.user_id, s.source), s.start, s.end) for s in shifts] == [
        r for r in expected if r[0]
    ]
    assert gaps(spec, lo, hi) == [(a, b) for v, a, b in expected if v is None]
    for layer in spec.layers:
        own = runs(points, [oracle.layer_value(layer, t) for t in points], hi)
        got = layer_shifts(spec, layer.id, lo, hi)
        assert [(s.user_id, s.start, s.end) for s in got] == [r for r in own if r[0] is not None]

    run_of = {}
    for run in expected:
        for i in range(int((run[1] - lo) / GRID), int((run[2] - lo) / GRID)):
            run_of[i] = run
    for i, t in enumerate(points):
        value, run_start, run_end = run_of[i]
        probes = (t, t + timedelta(microseconds=jitter)) if i % 3 == 0 else (t,)
        for instant in probes:
            now = on_call_at(spec, instant)
            assert (None if now is None else (now.user_id, now.source)) == value, instant
            if now is None:
                continue
            assert now.start <= instant
            assert now.end is None or instant < now.end
            assert now.start == run_start if now.start > lo else run_start == lo
            if now.end is not None and now.end < hi:
                assert now.end == run_end
            else:
                assert run_end == hi
