"""Warning ahead of time when a schedule will have nobody on call.

Each gap is warned once, by a ``schedule.gap_ahead`` event on the schedule. A gap is
known by its true start, which stays the same while it comes closer and after it has
begun (for a gap under way, the end of the last shift before it, or the schedule's
creation); the events already written are the memory of what was warned, so the check
needs no table of its own and a second worker, or a restart, warns nothing twice.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select

from muster.clock import isoformat
from muster.db.uow import UnitOfWork
from muster.domain.events.actor import Actor, Via
from muster.domain.events.models import Event
from muster.domain.events.service import append_event
from muster.domain.oncall import resolve
from muster.domain.oncall.load import MARGIN, get_schedules, load_spec, load_specs
from muster.domain.oncall.models import Schedule

HORIZON = timedelta(days=7)
GAP_AHEAD = "schedule.gap_ahead"
ENGINE = Actor.system(Via.ENGINE, label="engine")
_LOOK_BACK = (timedelta(days=1), timedelta(days=8), timedelta(days=64), timedelta(days=512))
_BATCH = 500
_LOOK_AHEAD = timedelta(days=30)


def do_warn_gaps(uow: UnitOfWork, now: datetime, horizon: timedelta = HORIZON) -> int:
    """Append a warning for every gap that begins before ``now + horizon`` (or is under
    way) and was not warned yet, on every active schedule. Returns how many."""
    ids = list(
        uow.session.scalars(
            select(Schedule.id).where(Schedule.archived_at.is_(None)).order_by(Schedule.id)
        )
    )
    warned = 0
    until = now + horizon
    window = (now - MARGIN, until + MARGIN)
    for i in range(0, len(ids), _BATCH):
        schedules = get_schedules(uow, ids[i : i + _BATCH])
        specs = load_specs(uow, schedules, dict.fromkeys((x.id for x in schedules), window))
        found: list[tuple[Schedule, datetime, datetime, datetime]] = []  # (schedule, key, gap)
        for schedule in schedules:
            for begin, end in resolve.gaps(specs[schedule.id], now, until):
                key = begin if begin > now else gap_start(uow, schedule, now)
                found.append((schedule, key, begin, end))
        if not found:
            continue
        # A gap starting at S was warned no earlier than S - horizon: older warnings
        # cannot be about these gaps, and are not read (a nightly gap adds one a day).
        # (``now`` is the unit of work's own now when the engine asks; otherwise reach back
        # from the clock too, so the memory still holds.)
        since = min(min(key for _, key, _, _ in found), uow.now) - horizon - timedelta(minutes=1)
        known = warned_gap_starts(uow, {x.id for x, _, _, _ in found}, since)
        for schedule, key, begin, end in found:
            text = isoformat(key)
            if text in known.setdefault(schedule.id, set()):
                continue
            known[schedule.id].add(text)
            _warn(uow, schedule, text, begin, end, now, until)
            warned += 1
    return warned


def _warn(
    uow: UnitOfWork, schedule: Schedule, key: str, begin: datetime, end: datetime,
    now: datetime, until: datetime,
) -> None:  # fmt: skip
    if end >= until:  # it may go on: how far, within a month more
        end = gap_end(uow, schedule, begin, until + _LOOK_AHEAD)
    append_event(
        uow,
        ENGINE,
        GAP_AHEAD,
        subject_type="schedule",
        subject_id=schedule.id,
        data={
            "gap_start": key,
            "gap_end": isoformat(end),
            "open_ended": end >= until + _LOOK_AHEAD,  # nobody for at least that long
            "under_way": begin <= now,
            "schedule_name": schedule.name,
        },
    )


def warned_gap_starts(
    uow: UnitOfWork, schedule_ids: set[str], since: datetime
) -> dict[str, set[str]]:
    """The starts of the gaps warned since ``since``, by schedule."""
    rows = uow.session.execute(
        select(Event.subject_id, Event.data).where(
            Event.subject_type == "schedule",
            Event.subject_id.in_(schedule_ids),
            Event.type == GAP_AHEAD,
            Event.occurred_at >= since,
        )
    )
    out: dict[str, set[str]] = {}
    for subject_id, data in rows:
        out.setdefault(subject_id, set()).add(str(data.get("gap_start")))
    return out


def gap_start(uow: UnitOfWork, schedule: Schedule, now: datetime) -> datetime:
    """When the gap holding ``now`` began: the end of the last final shift before it,
    looked for further and further back, but never before the schedule existed."""
    floor = schedule.created_at
    for back in _LOOK_BACK:
        lo = max(now - back, floor)
        if lo >= now:
            return now
        spec = load_spec(uow, schedule, lo, now)
        shifts = resolve.final_shifts(spec, lo, now)
        if shifts:
            return shifts[-1].end
        if lo == floor:
            return floor
    return max(now - _LOOK_BACK[-1], floor)


def gap_end(uow: UnitOfWork, schedule: Schedule, begin: datetime, limit: datetime) -> datetime:
    """When the gap holding ``begin`` ends, or ``limit`` if it lasts that long."""
    spec = load_spec(uow, schedule, begin, limit)
    holes = resolve.gaps(spec, begin, limit)
    return holes[0][1] if holes and holes[0][0] == begin else begin
