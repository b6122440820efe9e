"""The one on-call resolver: every view (UI, API, escalation, feeds) calls these.

Precedence (see :mod:`.spec`): overrides (latest ``created_at`` wins) >
temporary schedule (replaces all layers over its period) > layers by rank
(a higher layer hides lower ones where it has someone) > nobody. A schedule
with a history of eras (layers reordered, zone changed from some time) is
resolved era by era, each with its own ranks and zone.

All public functions take and return timezone-aware datetimes, returned in
UTC; a naive datetime raises ValueError. Ranges are half-open ``[start, end)``.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from muster.domain.oncall.layers import layer_pieces, layer_run_at
from muster.domain.oncall.spec import (
    EraSpan,
    OnCall,
    Override,
    ScheduleSpec,
    Shift,
    TemporarySchedule,
    TemporaryShift,
)
from muster.domain.oncall.timeline import (
    Segment,
    cut,
    merge_pieces,
    overlay,
    override_priority,
    resolve_overrides,
)
from muster.domain.oncall.walltime import require_utc

__all__ = ["final_shifts", "gaps", "layer_shifts", "on_call_at", "user_shifts"]

Who = tuple[str, str]  # (user id, source)
_TICK = timedelta(microseconds=1)


def _range(start: datetime, end: datetime) -> tuple[datetime, datetime]:
    lo, hi = require_utc(start, "start"), require_utc(end, "end")
    if hi < lo:
        raise ValueError(f"end {end} is before start {start}")
    return lo, hi


def _spans(
    spec: ScheduleSpec, lo: datetime, hi: datetime
) -> list[tuple[ScheduleSpec, datetime, datetime]]:
    """``[lo, hi)`` cut at the spec's era boundaries, each part with its era's own spec."""
    if not spec.eras:
        return [(spec, lo, hi)]
    out = []
    for start, end, flat in spec.eras:
        begin = lo if start is None else max(lo, start)
        finish = hi if end is None else min(hi, end)
        if begin < finish:
            out.append((flat, begin, finish))
    return out


def _final(spec: ScheduleSpec, lo: datetime, hi: datetime) -> list[Segment[Who]]:
    if spec.eras:
        return merge_pieces([p for flat, b, f in _spans(spec, lo, hi) for p in _final(flat, b, f)])
    tz = spec.tz
    timeline: list[Segment[Who]] = []
    for layer in reversed(spec.layers_by_rank):  # lowest rank first, higher ones on top
        source = f"layer:{layer.id}"
        pieces = [(b, f, (user, source)) for b, f, user in layer_pieces(layer, tz, lo, hi)]
        timeline = overlay(timeline, pieces)
    temporary = [t for t in spec.temporary if t.start < hi and t.end > lo]
    if temporary:
        timeline = cut(timeline, [(max(t.start, lo), min(t.end, hi)) for t in temporary])
        shifts = [
            (max(s.start, lo), min(s.end, hi), (s.user_id, f"temporary:{t.id}"))
            for t in temporary
            for s in t.shifts
            if s.start < hi and s.end > lo
        ]
        timeline = overlay(timeline, shifts)
    winners = [
        (b, f, (o.user_id, f"override:{o.id}"))
        for b, f, o in resolve_overrides(spec.overrides, lo, hi)
    ]
    return merge_pieces(overlay(timeline, winners))


def final_shifts(spec: ScheduleSpec, start: datetime, end: datetime) -> list[Shift]:
    """The final on-call timeline over ``[start, end)``, clipped to it.

    Shifts are sorted, non-overlapping, and merged where the same user from
    the same source continues; stretches with nobody on call are absent.
    """
    lo, hi = _range(start, end)
    return [Shift(user, b, f, source) for b, f, (user, source) in _final(spec, lo, hi)]


def gaps(spec: ScheduleSpec, start: datetime, end: datetime) -> list[tuple[datetime, datetime]]:
    """The stretches of ``[start, end)`` with nobody on call, in order."""
    lo, hi = _range(start, end)
    out: list[tuple[datetime, datetime]] = []
    cursor = lo
    for b, f, _ in _final(spec, lo, hi):
        if b > cursor:
            out.append((cursor, b))
        cursor = f
    if cursor < hi:
        out.append((cursor, hi))
    return out


def user_shifts(spec: ScheduleSpec, user_id: str, start: datetime, end: datetime) -> list[Shift]:
    """The final shifts of ``user_id`` over ``[start, end)`` (overrides included)."""
    return [s for s in final_shifts(spec, start, end) if s.user_id == user_id]


def layer_shifts(spec: ScheduleSpec, layer_id: str, start: datetime, end: datetime) -> list[Shift]:
    """One layer's own shifts over ``[start, end)``, ignoring everything above it.

    For timeline rows in the UI. ValueError if the layer does not exist.
    """
    lo, hi = _range(start, end)
    spec.layer(layer_id)
    source = f"layer:{layer_id}"
    pieces = [
        piece
        for flat, b, f in _spans(spec, lo, hi)
        for piece in layer_pieces(flat.layer(layer_id), flat.tz, b, f)
    ]
    return [Shift(user, b, f, source) for b, f, user in merge_pieces(pieces)]


def on_call_at(spec: ScheduleSpec, at: datetime) -> OnCall | None:
    """Who is on call at instant ``at``, or None for nobody.

    The result's ``start``/``end`` are the maximal stretch around ``at`` with
    the same user and source. Costs O(layers + overrides) plus a few turn
    look-ups per layer: no enumeration from rotation starts.
    """
    t = require_utc(at, "at")
    if spec.eras:
        return _on_call_across_eras(spec.eras, t)
    live = [o for o in spec.overrides if o.start <= t < o.end]
    if live:
        return _override_answer(spec.overrides, max(live, key=override_priority), t)
    for temporary in spec.temporary:
        if temporary.start <= t < temporary.end:
            return _temporary_answer(spec.overrides, temporary, t)
    lo: datetime | None = None
    hi: datetime | None = None
    for layer in spec.layers_by_rank:
        user, run_lo, run_hi = layer_run_at(layer, spec.tz, t)
        lo, hi = _later(lo, run_lo), _earlier(hi, run_hi)
        if user is not None:
            assert lo is not None  # a covered run starts at or after its rotation start
            for other in spec.temporary:
                lo, hi = _trim(lo, hi, other.start, other.end, t)
            for o in spec.overrides:
                lo, hi = _trim(lo, hi, o.start, o.end, t)
            return OnCall(user, f"layer:{layer.id}", lo, hi)
    return None


def _on_call_across_eras(eras: tuple[EraSpan, ...], t: datetime) -> OnCall | None:
    """The answer in the era holding ``t``, its stretch clipped to that era and then
    carried across era boundaries for as long as the same user and source go on."""
    i = next(i for i, (start, end, _) in enumerate(eras) if end is None or t < end)
    start, end, flat = eras[i]
    found = on_call_at(flat, t)
    if found is None:
        return None
    who = (found.user_id, found.source)
    lo: datetime = found.start if start is None else max(found.start, start)
    hi = _earlier(found.end, end)
    j = i
    while j > 0 and lo == start:  # clipped at the era's start: does the one before go on?
        j -= 1
        start, _, flat = eras[j]
        before = on_call_at(flat, lo - _TICK)
        if before is None or (before.user_id, before.source) != who:
            break
        lo = before.start if start is None else max(before.start, start)
    j = i
    while end is not None and hi == end:  # clipped at the era's end
        j += 1
        _, end, flat = eras[j]
        after = on_call_at(flat, hi)
        if after is None or (after.user_id, after.source) != who:
            break
        hi = _earlier(after.end, end)
    return OnCall(found.user_id, found.source, lo, hi)


def _override_answer(overrides: tuple[Override, ...], winner: Override, t: datetime) -> OnCall:
    lo: datetime = winner.start
    hi: datetime | None = winner.end
    rank = override_priority(winner)
    for o in overrides:
        if override_priority(o) > rank:
            lo, hi = _trim(lo, hi, o.start, o.end, t)
    return OnCall(winner.user_id, f"override:{winner.id}", lo, hi)


def _temporary_answer(
    overrides: tuple[Override, ...], temporary: TemporarySchedule, t: datetime
) -> OnCall | None:
    shifts = temporary.shifts
    index = next((i for i, s in enumerate(shifts) if s.start <= t < s.end), None)
    if index is None:
        return None
    user = shifts[index].user_id
    first = last = index
    while first > 0 and _continues(shifts[first - 1], shifts[first], user):
        first -= 1
    while last + 1 < len(shifts) and _continues(shifts[last], shifts[last + 1], user):
        last += 1
    lo: datetime = shifts[first].start
    hi: datetime | None = shifts[last].end
    for o in overrides:
        lo, hi = _trim(lo, hi, o.start, o.end, t)
    return OnCall(user, f"temporary:{temporary.id}", lo, hi)


def _continues(before: TemporaryShift, after: TemporaryShift, user: str) -> bool:
    return before.end == after.start and before.user_id == after.user_id == user


def _trim(
    lo: datetime, hi: datetime | None, begin: datetime, end: datetime, t: datetime
) -> tuple[datetime, datetime | None]:
    """Shrink ``[lo, hi)`` around ``t`` so it avoids ``[begin, end)`` (which misses t)."""
    if end <= t:
        return max(lo, end), hi
    if begin > t:
        return lo, _earlier(hi, begin)
    return lo, hi


def _later(a: datetime | None, b: datetime | None) -> datetime | None:
    return b if a is None else a if b is None else max(a, b)


def _earlier(a: datetime | None, b: datetime | None) -> datetime | None:
    return b if a is None else a if b is None else min(a, b)
