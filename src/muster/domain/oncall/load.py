"""From rows to the pure :class:`ScheduleSpec`, and the one "who is on call" every door asks.

Layers are loaded whole, removed ones included: removing a layer ends its rotation at
that moment, so what it covered before stays true. Overrides and temporary schedules are
loaded for a window; :func:`on_call_many` widens the window where the answer's stretch
reaches past it, so ``OnCall.start``/``end`` are exact.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from datetime import datetime, time, timedelta

from sqlalchemy import ColumnElement, Select, and_, select
from sqlalchemy.orm import joinedload, selectinload

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
# Around an instant asked "who is on call", this far: a weekly turn's stretch usually
# fits, so one pass of queries gives the exact stretch.
ON_CALL_MARGIN = timedelta(days=8)
_CHUNK = 500
_TICK = timedelta(microseconds=1)
Window = tuple[datetime | None, datetime | None]


def parse_hhmm(value: str) -> time:
    hours, minutes = value.split(":")
    return time(int(hours), int(minutes))


def rotation_spec(row: RotationVersion) -> s.Rotation:
    """The row as a pure rotation. A version never changes once written except for its
    ``effective_until`` (set once, when a later edit ends it), so built rotations are
    kept by (id, range) and reused: building one is most of a lookup's cost."""
    row_id: str | None = row.id
    if row_id is None:  # not flushed yet: nothing to key it by
        return _rotation(row)
    key = (row_id, row.effective_from, row.effective_until)
    built = _ROTATIONS.get(key)
    if built is None:
        if len(_ROTATIONS) >= _ROTATIONS_MAX:
            _ROTATIONS.clear()
        built = _ROTATIONS[key] = _rotation(row)
    return built


_ROTATIONS: dict[tuple[str, datetime | None, datetime | None], s.Rotation] = {}
_ROTATIONS_MAX = 50_000


def _rotation(row: RotationVersion) -> s.Rotation:
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


_WITH_LAYERS = selectinload(Schedule.layers).selectinload(ScheduleLayer.versions)
_JOIN_LAYERS = joinedload(Schedule.layers).joinedload(ScheduleLayer.versions)
_WITH_ERAS = selectinload(Schedule.eras)
_JOIN_ERAS = joinedload(Schedule.eras)  # almost always none: no extra rows, no extra query


def get_schedule(uow: UnitOfWork, schedule_id: str) -> Schedule:
    schedule = uow.session.get(Schedule, schedule_id, options=[_JOIN_LAYERS, _JOIN_ERAS])
    if schedule is None:
        raise NotFound("no such schedule")
    return schedule


def get_schedules(uow: UnitOfWork, schedule_ids: Sequence[str]) -> list[Schedule]:
    """The schedules with these ids (unknown ids are left out), layers loaded."""
    out: list[Schedule] = []
    for chunk in _chunks(list(schedule_ids)):
        query = select(Schedule).where(Schedule.id.in_(chunk)).options(_WITH_LAYERS, _WITH_ERAS)
        out.extend(uow.session.scalars(query))
    return out


def layer_specs(schedule: Schedule) -> tuple[s.Layer, ...]:
    return tuple(
        s.Layer(
            id=layer.id, rank=layer.rank, versions=tuple(rotation_spec(v) for v in layer.versions)
        )
        for layer in schedule.layers
        if layer.versions
    )


def era_specs(schedule: Schedule) -> tuple[s.Era, ...]:
    """The schedule's earlier eras (other layer ranks or zone) as pure values."""
    return tuple(
        s.Era(era.until, era.time_zone, tuple((k, int(v)) for k, v in era.ranks.items()))
        for era in schedule.eras
    )


def load_spec(
    uow: UnitOfWork, schedule: Schedule, start: datetime | None = None, end: datetime | None = None
) -> s.ScheduleSpec:
    """The schedule as a pure spec; overrides and temporary schedules are limited to those
    touching [start - margin, end + margin) when a window is given."""
    window: Window = (None, None)
    if start is not None and end is not None:
        window = (start - MARGIN, end + MARGIN)
    return load_specs(uow, [schedule], {schedule.id: window})[schedule.id]


def load_specs(
    uow: UnitOfWork, schedules: Sequence[Schedule], windows: dict[str, Window]
) -> dict[str, s.ScheduleSpec]:
    """Each schedule as a spec, with the overrides and temporary schedules touching its
    window (``(None, None)``: all of them). Two queries per 500 schedules that share one
    window; one pair per schedule otherwise."""
    by_window: dict[Window, list[str]] = defaultdict(list)
    for schedule in schedules:
        by_window[windows.get(schedule.id, (None, None))].append(schedule.id)
    overrides: dict[str, list[s.Override]] = defaultdict(list)
    temporary: dict[str, list[s.TemporarySchedule]] = defaultdict(list)
    for (lo, hi), ids in by_window.items():
        for chunk in _chunks(ids):
            for o in uow.session.scalars(_overrides_query(chunk, lo, hi)):
                overrides[o.schedule_id].append(override_spec(o))
            for t in uow.session.scalars(_temporary_query(chunk, lo, hi)):
                temporary[t.schedule_id].append(temporary_spec(t))
    return {
        schedule.id: s.ScheduleSpec(
            zone=schedule.time_zone,
            layers=layer_specs(schedule),
            overrides=tuple(overrides[schedule.id]),
            temporary=tuple(temporary[schedule.id]),
            history=era_specs(schedule),
        )
        for schedule in schedules
    }


def override_spec(o: ScheduleOverride) -> s.Override:
    return s.Override(
        id=o.id, user_id=o.user_id, start=o.starts_at, end=o.ends_at, created_at=o.created_at
    )


def temporary_spec(t: TemporarySchedule) -> s.TemporarySchedule:
    return s.TemporarySchedule(
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


def _overrides_query(
    ids: list[str], lo: datetime | None, hi: datetime | None
) -> Select[ScheduleOverride]:
    where: list[ColumnElement[bool]] = [
        ScheduleOverride.schedule_id.in_(ids),
        ScheduleOverride.cancelled_at.is_(None),
    ]
    if lo is not None:
        where.append(ScheduleOverride.ends_at > lo)
    if hi is not None:
        where.append(ScheduleOverride.starts_at < hi)
    return select(ScheduleOverride).where(and_(*where))


def _temporary_query(
    ids: list[str], lo: datetime | None, hi: datetime | None
) -> Select[TemporarySchedule]:
    where: list[ColumnElement[bool]] = [
        TemporarySchedule.schedule_id.in_(ids),
        TemporarySchedule.cancelled_at.is_(None),
    ]
    if lo is not None:
        where.append(TemporarySchedule.ends_at > lo)
    if hi is not None:
        where.append(TemporarySchedule.starts_at < hi)
    return select(TemporarySchedule).where(and_(*where))


def _chunks(ids: list[str]) -> Iterable[list[str]]:
    for i in range(0, len(ids), _CHUNK):
        yield ids[i : i + _CHUNK]


def on_call_many(
    uow: UnitOfWork, schedules: Sequence[Schedule], at: datetime
) -> dict[str, s.OnCall | None]:
    """Who is on call at ``at`` for each schedule (None: nobody, or archived), with the
    exact stretch of their turn.

    Overrides and temporary schedules further than :data:`ON_CALL_MARGIN` from ``at`` can
    only shorten the stretch found without them; where that stretch reaches past the
    margin, the schedule is asked again with everything touching the stretch loaded.
    """
    live = [schedule for schedule in schedules if schedule.archived_at is None]
    lo, hi = at - ON_CALL_MARGIN, at + ON_CALL_MARGIN
    specs = load_specs(uow, live, dict.fromkeys((x.id for x in live), (lo, hi)))
    answers: dict[str, s.OnCall | None] = dict.fromkeys(x.id for x in schedules)
    again: list[Schedule] = []
    wide_lo: datetime = lo
    wide_hi: datetime | None = hi
    for schedule in live:
        answer = answers[schedule.id] = on_call_at(specs[schedule.id], at)
        if answer is not None and (answer.start < lo or answer.end is None or answer.end > hi):
            again.append(schedule)
            wide_lo = min(wide_lo, answer.start)
            wide_hi = None if answer.end is None or wide_hi is None else max(wide_hi, answer.end)
    if again:
        # Everything touching those stretches, their ends included (an override ending
        # exactly where a stretch starts is what started it). More than a schedule needs
        # is harmless: an override away from the stretch changes nothing.
        wide: Window = (wide_lo - _TICK, None if wide_hi is None else wide_hi + _TICK)
        specs = load_specs(uow, again, dict.fromkeys((x.id for x in again), wide))
        for schedule in again:
            answers[schedule.id] = on_call_at(specs[schedule.id], at)
    return answers


def on_call(uow: UnitOfWork, schedule_id: str, at: datetime) -> s.OnCall | None:
    """Who is on call for the schedule at ``at`` — the answer escalation, UI, API, CLI and
    feeds all use. None: nobody (a gap), or the schedule is archived."""
    schedule = get_schedule(uow, schedule_id)
    return on_call_many(uow, [schedule], at)[schedule.id]


def on_call_user_ids(
    uow: UnitOfWork, schedule_ids: Sequence[str], at: datetime
) -> dict[str, str | None]:
    """For each schedule, the user on call at ``at`` (None for nobody)."""
    answers = on_call_many(uow, get_schedules(uow, schedule_ids), at)
    return {
        schedule_id: (answer.user_id if (answer := answers.get(schedule_id)) else None)
        for schedule_id in schedule_ids
    }
