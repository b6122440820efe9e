"""One layer's own timeline: rotation turns, restriction windows, versions.

Turn ``k`` of a rotation starts at wall time ``wall(start) + k * step`` in the
schedule zone (mapped to an instant by :func:`.walltime.wall_to_instant`).
Turns are found arithmetically from wall-clock differences, then corrected
by comparing instants, so nothing ever walks from the rotation start.

A *piece* is ``(start, end, user)`` with UTC instants; in the pieces returned
by :func:`layer_pieces`, touching pieces of one user are merged.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from muster.domain.oncall.spec import Layer, Rotation
from muster.domain.oncall.timeline import Piece, intersect, merge_pieces
from muster.domain.oncall.walltime import local_wall, wall_to_instant
from muster.domain.oncall.weekly import window_at, windows_between

_TICK = timedelta(microseconds=1)
_RUN_LIMIT = 10_000
# (user or None for nobody, start or None for "since ever", end or None for "for ever")
Stretch = tuple[str | None, datetime | None, datetime | None]


def turn_at(rot: Rotation, tz: ZoneInfo, at: datetime) -> tuple[int, datetime, datetime]:
    """``(k, opens, closes)`` of the turn holding instant ``at``.

    Precondition: ``at >= rot.start`` (UTC). ``opens`` may precede
    ``rot.start`` when the start is a second occurrence of a repeated hour.
    """
    origin = local_wall(tz, rot.start)
    step = rot.step
    k = (local_wall(tz, at) - origin) // step
    opens = wall_to_instant(tz, origin + step * k)
    while opens > at:
        k -= 1
        opens = wall_to_instant(tz, origin + step * k)
    closes = wall_to_instant(tz, origin + step * (k + 1))
    while closes <= at:
        k += 1
        opens, closes = closes, wall_to_instant(tz, origin + step * (k + 1))
    return k, opens, closes


def _turn_pieces(rot: Rotation, tz: ZoneInfo, lo: datetime, hi: datetime) -> list[Piece]:
    """Turns clipped to ``[lo, hi)``. Precondition: ``rot.start <= lo < hi``."""
    if rot.single_user:
        return [(lo, hi, rot.participants[0])]
    origin = local_wall(tz, rot.start)
    step, people = rot.step, rot.participants
    k, opens, closes = turn_at(rot, tz, lo)
    out: list[Piece] = []
    while True:
        begin, finish = max(opens, lo), min(closes, hi)
        if begin < finish:
            out.append((begin, finish, people[k % len(people)]))
        if closes >= hi:
            return out
        k += 1
        opens, closes = closes, wall_to_instant(tz, origin + step * (k + 1))


def _version_bounds(rot: Rotation, lo: datetime, hi: datetime) -> tuple[datetime, datetime]:
    begin = max(lo, rot.start)
    if rot.effective_from is not None:
        begin = max(begin, rot.effective_from)
    finish = hi if rot.effective_until is None else min(hi, rot.effective_until)
    return begin, finish


def layer_pieces(layer: Layer, tz: ZoneInfo, lo: datetime, hi: datetime) -> list[Piece]:
    """The layer's own covered pieces within ``[lo, hi)`` (UTC), merged per user."""
    out: list[Piece] = []
    for rot in layer.versions:
        begin, finish = _version_bounds(rot, lo, hi)
        if begin >= finish:
            continue
        pieces = _turn_pieces(rot, tz, begin, finish)
        if rot.windows is not None:
            pieces = intersect(pieces, windows_between(rot.windows, tz, begin, finish))
        out.extend(pieces)
    return merge_pieces(out)


def _max(a: datetime | None, b: datetime | None) -> datetime | None:
    return b if a is None else a if b is None else max(a, b)


def _min(a: datetime | None, b: datetime | None) -> datetime | None:
    return b if a is None else a if b is None else min(a, b)


def _version_stretch(rot: Rotation, tz: ZoneInfo, at: datetime) -> Stretch:
    """The elementary stretch of one version holding ``at`` (inside its range)."""
    lo, hi = rot.effective_from, rot.effective_until
    if at < rot.start:
        return None, lo, _min(hi, rot.start)
    lo = _max(lo, rot.start)
    user: str | None = rot.participants[0]
    if not rot.single_user:
        k, opens, closes = turn_at(rot, tz, at)
        user = rot.participants[k % len(rot.participants)]
        lo, hi = _max(lo, opens), _min(hi, closes)
    if rot.windows is not None:
        inside, opens, closes = window_at(rot.windows, tz, at)
        if not inside:
            user = None
        lo, hi = _max(lo, opens), _min(hi, closes)
    return user, lo, hi


def layer_stretch(layer: Layer, tz: ZoneInfo, at: datetime) -> Stretch:
    """An elementary stretch around ``at`` over which the layer's answer holds.

    Not necessarily maximal: see :func:`layer_run_at`.
    """
    lo: datetime | None = None
    hi: datetime | None = None
    for rot in layer.versions:
        if rot.effective_until is not None and rot.effective_until <= at:
            lo = rot.effective_until
        elif rot.effective_from is not None and rot.effective_from > at:
            return None, lo, rot.effective_from
        else:
            return _version_stretch(rot, tz, at)
    return None, lo, hi


def layer_run_at(layer: Layer, tz: ZoneInfo, at: datetime) -> Stretch:
    """The maximal stretch around ``at`` with the same answer from this layer.

    The answer is a user or None (nobody). Bounds are None when unbounded.
    Following more than ``_RUN_LIMIT`` stretches (never in practice) stops
    early, leaving a shorter stretch.
    """
    user, lo, hi = layer_stretch(layer, tz, at)
    for _ in range(_RUN_LIMIT):
        if hi is None:
            break
        nxt, _nlo, nhi = layer_stretch(layer, tz, hi)
        if nxt != user:
            break
        hi = nhi
    for _ in range(_RUN_LIMIT):
        if lo is None:
            break
        prev, plo, _phi = layer_stretch(layer, tz, lo - _TICK)
        if prev != user:
            break
        lo = plo
    return user, lo, hi
