"""Questions about schedules, all answered through the one resolver (:mod:`.resolve`) on
specs built by :mod:`.load`: who is on call, the final and per-layer shifts, gaps, and a
person's shifts across schedules. Everyone may ask."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlalchemy import select

from muster.db.pagination import Page
from muster.db.uow import UnitOfWork
from muster.domain.accounts.service import get_user
from muster.domain.oncall import resolve
from muster.domain.oncall.load import get_schedule, get_schedules, load_spec, on_call_many
from muster.domain.oncall.models import (
    RotationVersion,
    Schedule,
    ScheduleLayer,
    ScheduleOverride,
    TemporarySchedule,
)
from muster.domain.oncall.schemas import (
    GapOut,
    LayerShiftsOut,
    OnCallOut,
    ShiftsOut,
    UserShiftOut,
)
from muster.domain.oncall.service import active_layers, check_range, list_schedules
from muster.domain.oncall.spec import OnCall
from muster.domain.oncall.views import UNKNOWN, shift_out, split_source, user_names
from muster.errors import FieldError, InvalidInput

MAX_WINDOW = timedelta(days=400)
MAX_GAP_DAYS = 365


def check_window(start: datetime, end: datetime) -> None:
    check_range(start, end)
    if end - start > MAX_WINDOW:
        raise InvalidInput(
            "the window is too long",
            errors=[FieldError("end", f"at most {MAX_WINDOW.days} days after the start")],
        )


# ---------------------------------------------------------------- who is on call


def on_call_out(uow: UnitOfWork, schedules: Sequence[Schedule], at: datetime) -> list[OnCallOut]:
    """Who is on call at ``at`` for each schedule, in the order given."""
    answers = on_call_many(uow, schedules, at)
    names = user_names(uow, (a.user_id for a in answers.values() if a))
    return [_on_call_row(s, answers[s.id], at, names) for s in schedules]


def _on_call_row(
    schedule: Schedule, answer: OnCall | None, at: datetime, names: dict[str, str]
) -> OnCallOut:
    kind, source_id = split_source(answer.source) if answer else (None, None)
    return OnCallOut(
        schedule_id=schedule.id,
        schedule_name=schedule.name,
        team_id=schedule.team_id,
        team_name=schedule.team.name,
        at=at,
        user_id=answer.user_id if answer else None,
        user_name=names.get(answer.user_id, UNKNOWN) if answer else None,
        kind=kind,
        source_id=source_id,
        start=answer.start if answer else None,
        end=answer.end if answer else None,
    )


def who_is_on_call(uow: UnitOfWork, schedule_id: str, at: datetime) -> OnCallOut:
    return on_call_out(uow, [get_schedule(uow, schedule_id)], at)[0]


def on_call_page(
    uow: UnitOfWork,
    at: datetime,
    *,
    cursor: str | None = None,
    limit: int = 100,
    team_id: str | None = None,
) -> Page[OnCallOut]:
    """Who is on call at ``at`` for a page of active schedules (by name)."""
    page = list_schedules(uow, cursor=cursor, limit=limit, team_id=team_id)
    full = get_schedules(uow, [s.id for s in page.items])
    by_id = {s.id: s for s in full}
    ordered = [by_id[s.id] for s in page.items]
    return Page(items=on_call_out(uow, ordered, at), next_cursor=page.next_cursor)


def on_call_everywhere(
    uow: UnitOfWork, at: datetime, *, team_id: str | None = None
) -> list[OnCallOut]:
    """Who is on call at ``at`` for every active schedule (of a team), by name."""
    out: list[OnCallOut] = []
    cursor: str | None = None
    while True:
        page = on_call_page(uow, at, cursor=cursor, limit=500, team_id=team_id)
        out.extend(page.items)
        if page.next_cursor is None:
            return out
        cursor = page.next_cursor


# ---------------------------------------------------------------- shifts and gaps


def schedule_shifts(uow: UnitOfWork, schedule_id: str, start: datetime, end: datetime) -> ShiftsOut:
    """The final shifts over ``[start, end)`` with the gaps, and each active layer's own
    shifts (the timeline's rows). An archived schedule has nobody after archiving."""
    check_window(start, end)
    schedule = get_schedule(uow, schedule_id)
    spec = load_spec(uow, schedule, start, end)
    stop = end if schedule.archived_at is None else max(start, min(end, schedule.archived_at))
    final = resolve.final_shifts(spec, start, stop)
    holes = resolve.gaps(spec, start, stop) + ([(stop, end)] if stop < end else [])
    known = {layer.id for layer in spec.layers}
    rows = [
        (layer, resolve.layer_shifts(spec, layer.id, start, stop) if layer.id in known else [])
        for layer in active_layers(schedule)
    ]
    names = user_names(
        uow, {x.user_id for x in final} | {x.user_id for _, shifts in rows for x in shifts}
    )
    return ShiftsOut(
        schedule_id=schedule.id,
        start=start,
        end=end,
        final=[shift_out(x, names) for x in final],
        layers=[
            LayerShiftsOut(
                layer_id=layer.id,
                name=layer.name,
                rank=layer.rank,
                shifts=[shift_out(x, names) for x in shifts],
            )
            for layer, shifts in rows
        ],
        gaps=[GapOut(start=a, end=b) for a, b in holes],
    )


def upcoming_gaps(uow: UnitOfWork, schedule_id: str, now: datetime, days: int) -> list[GapOut]:
    """Stretches with nobody on call in the next ``days`` days."""
    if not 1 <= days <= MAX_GAP_DAYS:
        raise InvalidInput("days out of range", errors=[FieldError("days", f"1 to {MAX_GAP_DAYS}")])
    return schedule_shifts(uow, schedule_id, now, now + timedelta(days=days)).gaps


def user_shifts(
    uow: UnitOfWork, user_id: str, start: datetime, end: datetime
) -> list[UserShiftOut]:
    """Every final shift of a person over ``[start, end)`` across active schedules,
    overrides and temporary schedules included, by start."""
    check_window(start, end)
    user = get_user(uow, user_id)
    out: list[UserShiftOut] = []
    for schedule in get_schedules(uow, schedules_of_user(uow, user.id, start, end)):
        if schedule.archived_at is not None:
            continue
        spec = load_spec(uow, schedule, start, end)
        for x in resolve.user_shifts(spec, user.id, start, end):
            base = shift_out(x, {user.id: user.name})
            out.append(
                UserShiftOut(
                    **base.model_dump(), schedule_id=schedule.id, schedule_name=schedule.name
                )
            )
    out.sort(key=lambda x: (x.start, x.schedule_name))
    return out


def schedules_of_user(uow: UnitOfWork, user_id: str, start: datetime, end: datetime) -> list[str]:
    """Ids of schedules where the person could be on call in ``[start, end)``: in a
    rotation, or in an override or temporary schedule touching the window."""
    ids: set[str] = set()
    rotations = uow.session.execute(
        select(ScheduleLayer.schedule_id, RotationVersion.participants)
        .join(RotationVersion, RotationVersion.layer_id == ScheduleLayer.id)
        .where(
            (RotationVersion.effective_until.is_(None)) | (RotationVersion.effective_until > start)
        )
    )
    ids.update(schedule_id for schedule_id, people in rotations if user_id in people)
    ids.update(
        uow.session.scalars(
            select(ScheduleOverride.schedule_id).where(
                ScheduleOverride.user_id == user_id,
                ScheduleOverride.cancelled_at.is_(None),
                ScheduleOverride.starts_at < end,
                ScheduleOverride.ends_at > start,
            )
        )
    )
    temporaries = uow.session.execute(
        select(TemporarySchedule.schedule_id, TemporarySchedule.shifts).where(
            TemporarySchedule.cancelled_at.is_(None),
            TemporarySchedule.starts_at < end,
            TemporarySchedule.ends_at > start,
        )
    )
    ids.update(sid for sid, shifts in temporaries if any(x["user_id"] == user_id for x in shifts))
    return sorted(ids)
