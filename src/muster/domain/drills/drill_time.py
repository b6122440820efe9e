"""Drill time: seconds since a run started, not counting its pauses.

``run.pauses`` is a list of ``[start, end]`` (RFC 3339 strings; ``end`` None while the
run is paused). Offsets are whole seconds.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from muster.clock import isoformat
from muster.domain.drills.models import DrillRun


def _pauses(run: DrillRun, now: datetime) -> list[tuple[datetime, datetime]]:
    return [
        (datetime.fromisoformat(start), datetime.fromisoformat(end) if end else now)
        for start, end in (run.pauses or [])
    ]


def offset_at(run: DrillRun, when: datetime) -> int:
    """The drill time of the wall time ``when`` (pauses before it left out)."""
    paused = timedelta()
    for start, end in _pauses(run, when):
        if start < when:
            paused += min(end, when) - start
    return max(int((when - run.started_at - paused).total_seconds()), 0)


def wall_at(run: DrillRun, offset: int) -> datetime | None:
    """The wall time drill time ``offset`` is (or was) reached; None while paused
    before it."""
    when = run.started_at + timedelta(seconds=offset)
    for start, end in run.pauses or []:
        begin = datetime.fromisoformat(start)
        if begin <= when:
            if end is None:
                return None
            when += datetime.fromisoformat(end) - begin
    return when


def start_pause(run: DrillRun, now: datetime) -> None:
    run.pauses = [*(run.pauses or []), [isoformat(now), None]]


def end_pause(run: DrillRun, now: datetime) -> None:
    pauses = [list(p) for p in (run.pauses or [])]
    if pauses and pauses[-1][1] is None:
        pauses[-1][1] = isoformat(now)
    run.pauses = pauses


def minutes(seconds: int | None) -> str:
    """``12:05`` (minutes:seconds) of drill time; ``-`` for None."""
    if seconds is None:
        return "-"
    sign = "-" if seconds < 0 else ""
    seconds = abs(seconds)
    return f"{sign}{seconds // 60}:{seconds % 60:02d}"
