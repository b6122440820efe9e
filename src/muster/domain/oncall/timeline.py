"""Interval algebra over sorted timelines of ``(start, end, value)`` segments.

Every timeline here is a list sorted by start whose segments are non-empty
and do not overlap (they may touch). All functions are linear or n log n.
"""

from __future__ import annotations

import heapq
from collections.abc import Sequence
from datetime import datetime
from itertools import pairwise
from typing import TypeVar

from muster.domain.oncall.spec import Override

V = TypeVar("V")
Segment = tuple[datetime, datetime, V]
Piece = tuple[datetime, datetime, str]
Interval = tuple[datetime, datetime]


def merge_pieces(segments: Sequence[Segment[V]]) -> list[Segment[V]]:
    """Join touching segments that carry equal values."""
    out: list[Segment[V]] = []
    for begin, finish, value in segments:
        if out and out[-1][1] == begin and out[-1][2] == value:
            out[-1] = (out[-1][0], finish, value)
        else:
            out.append((begin, finish, value))
    return out


def intersect(segments: Sequence[Segment[V]], windows: Sequence[Interval]) -> list[Segment[V]]:
    """The parts of ``segments`` inside ``windows`` (sorted, disjoint intervals)."""
    out: list[Segment[V]] = []
    j = 0
    for begin, finish, value in segments:
        while j < len(windows) and windows[j][1] <= begin:
            j += 1
        k = j
        while k < len(windows) and windows[k][0] < finish:
            lo, hi = max(begin, windows[k][0]), min(finish, windows[k][1])
            if lo < hi:
                out.append((lo, hi, value))
            k += 1
    return out


def cut(segments: Sequence[Segment[V]], holes: Sequence[Interval]) -> list[Segment[V]]:
    """The parts of ``segments`` outside ``holes`` (sorted, disjoint intervals)."""
    out: list[Segment[V]] = []
    j = 0
    for begin, finish, value in segments:
        while j < len(holes) and holes[j][1] <= begin:
            j += 1
        cursor, k = begin, j
        while cursor < finish and k < len(holes) and holes[k][0] < finish:
            if holes[k][0] > cursor:
                out.append((cursor, holes[k][0], value))
            cursor = max(cursor, holes[k][1])
            k += 1
        if cursor < finish:
            out.append((cursor, finish, value))
    return out


def overlay(base: Sequence[Segment[V]], top: Sequence[Segment[V]]) -> list[Segment[V]]:
    """``top`` wherever it has a segment, ``base`` elsewhere."""
    if not top:
        return list(base)
    holes = [(begin, finish) for begin, finish, _ in top]
    out = cut(base, holes)
    out.extend(top)
    out.sort(key=lambda segment: segment[0])
    return out


def override_priority(o: Override) -> tuple[datetime, str]:
    """Sort key: the greatest key wins where overrides overlap."""
    return (o.created_at, o.id)


def resolve_overrides(
    overrides: Sequence[Override], lo: datetime, hi: datetime
) -> list[tuple[datetime, datetime, Override]]:
    """The winning override over time inside ``[lo, hi)`` (latest created wins)."""
    ranked = sorted((o for o in overrides if o.start < hi and o.end > lo), key=override_priority)
    if not ranked:
        return []
    points = sorted({max(o.start, lo) for o in ranked} | {min(o.end, hi) for o in ranked})
    starts = sorted(range(len(ranked)), key=lambda i: ranked[i].start)
    heap: list[tuple[int, int]] = []  # (-priority index, index)
    out: list[tuple[datetime, datetime, Override]] = []
    nxt = 0
    for begin, finish in pairwise(points):
        while nxt < len(starts) and ranked[starts[nxt]].start <= begin:
            heapq.heappush(heap, (-starts[nxt], starts[nxt]))
            nxt += 1
        while heap and ranked[heap[0][1]].end <= begin:
            heapq.heappop(heap)
        if heap:
            winner = ranked[heap[0][1]]
            if out and out[-1][2] is winner and out[-1][1] == begin:
                out[-1] = (out[-1][0], finish, winner)
            else:
                out.append((begin, finish, winner))
    return out
