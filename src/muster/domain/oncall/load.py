"""From rows to the pure :class:`ScheduleSpec`, and the one "who is on call" every door asks."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, time, timedelta

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from muster.db.uow import UnitOfWork
from muster.domain.oncall import spec as s
from muster.domain.oncall.models import (
    RotationVersion,
    Schedule,
    ScheduleLayer,
    ScheduleOverride,
    TemporarySchedule,
)
from muster.domain.oncall.resolve import on_call_at
from muster.errors import NotFound

# Overrides and temporary schedules this far around a window are loaded, so a shift that
# starts before the window and runs into it is seen.
MARGIN = timedelta(days=1)


def parse_hhmm(value: str) -> time:
    hours, minutes = value.split(":")
    return time(int(hours), int(minutes))


def rotation_spec(row: RotationVersion) -> s.Rotation:
    return s.Rotation(
        id=row.id,
        participants=tuple(str(p) for p in row.participants),
        start=row.start,
        turn_length=row.turn_length,
        turn_unit=row.turn_unit,  # type: ignore[arg-type]
        restrictions=tuple(
            s.Restriction(
                days=frozenset(int(d) for d in r["days"]),
                start=parse_hhmm(r["start"]),
                end=parse_hhmm(r["end"]),
            )
            for r in row.restrictions
        ),
        effective_from=row.effective_from,
        effective_until=row.effective_until,
    )


def get_schedule(uow: UnitOfWork, schedule_id: str) -> Schedule:
    schedule = uow.session.get(
        Schedule,
        schedule_id,
        options=[selectinload(Schedule.layers).selectinload(ScheduleLayer.versions)],
    )
    if schedule is None:
        raise NotFound("no such schedule")
    return schedule


def load_spec(
    uow: UnitOfWork, schedule: Schedule, start: datetime | None = None, end: datetime | None = None
) -> s.ScheduleSpec:
    """The schedule as a pure spec; overrides and temporary schedules are limited to those
    touching [start - margin, end + margin) when a window is given."""
    layers = tuple(
        s.Layer(
            id=layer.id, rank=layer.rank, versions=tuple(rotation_spec(v) for v in layer.versions)
        )
        for layer in schedule.layers
        if layer.removed_at is None and layer.versions
    )
    o_query = select(ScheduleOverride).where(
        ScheduleOverride.schedule_id == schedule.id, ScheduleOverride.cancelled_at.is_(None)
    )
    t_query = select(TemporarySchedule).where(
        TemporarySchedule.schedule_id == schedule.id, TemporarySchedule.cancelled_at.is_(None)
    )
    if start is not None and end is not None:
        o_query = o_query.where(
            ScheduleOverride.ends_at > start - MARGIN, ScheduleOverride.starts_at < end + MARGIN
        )
        t_query = t_query.where(
            TemporarySchedule.ends_at > start - MARGIN, TemporarySchedule.starts_at < end + MARGIN
        )
    overrides = tuple(
        s.Override(
            id=o.id, user_id=o.user_id, start=o.starts_at, end=o.ends_at, created_at=o.created_at
        )
        for o in uow.session.scalars(o_query)
    )
    temporary = tuple(
        s.TemporarySchedule(
            id=t.id,
            start=t.starts_at,
            end=t.ends_at,
            shifts=tuple(
                s.TemporaryShift(
                    user_id=sh["user_id"],
                    start=datetime.fromisoformat(sh["start"]),
                    end=datetime.fromisoformat(sh["end"]),
                )
                for sh in t.shifts
            ),
        )
        for t in uow.session.scalars(t_query)
    )
    return s.ScheduleSpec(
        zone=schedule.time_zone, layers=layers, overrides=overrides, temporary=temporary
    )


def on_call(uow: UnitOfWork, schedule_id: str, at: datetime) -> s.OnCall | None:
    """Who is on call for the schedule at ``at`` — the answer escalation, UI, API, CLI and
    feeds all use. None: nobody (a gap), or the schedule is archived."""
    schedule = get_schedule(uow, schedule_id)
    if schedule.archived_at is not None:
        return None
    return on_call_at(load_spec(uow, schedule, at, at), at)


def on_call_user_ids(
    uow: UnitOfWork, schedule_ids: Sequence[str], at: datetime
) -> dict[str, str | None]:
    """For each schedule, the user on call at ``at`` (None for nobody)."""
    result: dict[str, str | None] = {}
    for schedule_id in schedule_ids:
        answer = on_call(uow, schedule_id, at)
        result[schedule_id] = answer.user_id if answer else None
    return result
