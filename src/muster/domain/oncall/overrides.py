"""Commands on overrides, shift swaps and temporary schedules (managers).

The past is kept here too: a change that starts before now starts now; cancelling an
override or temporary schedule that has begun ends it now; one that is over cannot be
cancelled. Where overrides overlap, the latest created wins (the resolver's rule).
"""

from __future__ import annotations

from datetime import datetime
from itertools import pairwise

from sqlalchemy import select

from muster.clock import isoformat
from muster.db.uow import UnitOfWork
from muster.domain.accounts.permissions import require
from muster.domain.events.actor import Actor, Role
from muster.domain.oncall.load import get_schedule
from muster.domain.oncall.models import ScheduleOverride, TemporarySchedule
from muster.domain.oncall.schemas import (
    OverrideCreate,
    OverrideOut,
    SwapCreate,
    SwapHalf,
    TemporaryCreate,
)
from muster.domain.oncall.service import (
    check_range,
    check_schedule_editable,
    check_users_active,
    schedule_event,
    touch,
)
from muster.domain.oncall.views import override_out, user_names
from muster.errors import Conflict, FieldError, InvalidInput, NotFound
from muster.ids import new_id


def check_future_range(
    uow: UnitOfWork, start: datetime, end: datetime, prefix: str = ""
) -> datetime:
    """``[start, end)`` is a range that has not ended; returns the start, moved to now if
    it was earlier (the past is kept)."""
    check_range(start, end, f"{prefix}end")
    if end <= uow.now:
        raise InvalidInput(
            "that time is over", errors=[FieldError(f"{prefix}end", "must be in the future")]
        )
    return max(start, uow.now)


def overlapping_overrides(
    uow: UnitOfWork, schedule_id: str, start: datetime, end: datetime, *, but: str | None = None
) -> list[ScheduleOverride]:
    """The active overrides of a schedule that overlap ``[start, end)``, oldest first."""
    query = (
        select(ScheduleOverride)
        .where(
            ScheduleOverride.schedule_id == schedule_id,
            ScheduleOverride.cancelled_at.is_(None),
            ScheduleOverride.starts_at < end,
            ScheduleOverride.ends_at > start,
        )
        .order_by(ScheduleOverride.created_at, ScheduleOverride.id)
    )
    return [o for o in uow.session.scalars(query) if o.id != but]


def do_add_override(
    uow: UnitOfWork, actor: Actor, schedule_id: str, data: OverrideCreate
) -> ScheduleOverride:
    """``data.user_id`` is on call over ``[start, end)`` above everything else. Where it
    overlaps other overrides, it wins (the latest created wins)."""
    require(actor, Role.MANAGER)
    schedule = check_schedule_editable(uow, schedule_id)
    start = check_future_range(uow, data.start, data.end)
    check_users_active(uow, [("user_id", data.user_id)])
    override = _override(uow, actor, schedule.id, data.user_id, start, data.end, None)
    overlaps = [
        o.id for o in overlapping_overrides(uow, schedule.id, start, data.end, but=override.id)
    ]
    touch(uow, schedule)
    schedule_event(uow, actor, schedule, "schedule.override_added", override_id=override.id,
           user_id=override.user_id, start=isoformat(start), end=isoformat(data.end),
           overlaps=overlaps)  # fmt: skip
    return override


def _override(
    uow: UnitOfWork, actor: Actor, schedule_id: str, user_id: str, start: datetime,
    end: datetime, swap_id: str | None,
) -> ScheduleOverride:  # fmt: skip
    override = ScheduleOverride(
        schedule_id=schedule_id, user_id=user_id, starts_at=start, ends_at=end,
        created_at=uow.now, created_by=actor.label, swap_id=swap_id,
    )  # fmt: skip
    uow.session.add(override)
    uow.flush()
    return override


def do_swap_shifts(
    uow: UnitOfWork, actor: Actor, schedule_id: str, data: SwapCreate
) -> tuple[ScheduleOverride, ScheduleOverride]:
    """Two people trade shifts in one step: ``first.user_id`` covers ``second``'s
    stretch and ``second.user_id`` covers ``first``'s — two overrides sharing a swap id."""
    require(actor, Role.MANAGER)
    schedule = check_schedule_editable(uow, schedule_id)
    first_start = check_future_range(uow, data.first.start, data.first.end, "first.")
    second_start = check_future_range(uow, data.second.start, data.second.end, "second.")
    if data.first.user_id == data.second.user_id:
        raise InvalidInput(
            "a swap needs two people",
            errors=[FieldError("second.user_id", "must be another person than the first")],
        )
    if first_start < data.second.end and second_start < data.first.end:
        raise InvalidInput(
            "the two shifts overlap",
            errors=[FieldError("second.start", "the swapped shifts must not overlap")],
        )
    check_users_active(uow, [("first.user_id", data.first.user_id),
                             ("second.user_id", data.second.user_id)])  # fmt: skip
    swap_id = new_id()

    def cover(taker: SwapHalf, given: SwapHalf, start: datetime) -> ScheduleOverride:
        return _override(uow, actor, schedule.id, taker.user_id, start, given.end, swap_id)

    a = cover(data.second, data.first, first_start)  # second person takes the first shift
    b = cover(data.first, data.second, second_start)
    touch(uow, schedule)
    schedule_event(uow, actor, schedule, "schedule.shifts_swapped", swap_id=swap_id,
           overrides=[_brief(a), _brief(b)])  # fmt: skip
    return a, b


def _brief(o: ScheduleOverride) -> dict[str, str]:
    return {"override_id": o.id, "user_id": o.user_id, "start": isoformat(o.starts_at),
            "end": isoformat(o.ends_at)}  # fmt: skip


def do_cancel_override(
    uow: UnitOfWork, actor: Actor, schedule_id: str, override_id: str
) -> list[ScheduleOverride]:
    """Cancel an override (both halves of a swap): one not begun is cancelled, one under
    way ends now. Returns the overrides changed."""
    require(actor, Role.MANAGER)
    schedule = check_schedule_editable(uow, schedule_id)
    override = uow.session.get(ScheduleOverride, override_id)
    if override is None or override.schedule_id != schedule.id:
        raise NotFound("no such override on this schedule")
    if override.cancelled_at is not None:
        return [override]
    group = [override]
    if override.swap_id is not None:
        group = list(
            uow.session.scalars(
                select(ScheduleOverride).where(
                    ScheduleOverride.swap_id == override.swap_id,
                    ScheduleOverride.cancelled_at.is_(None),
                )
            )
        )
    changed: list[dict[str, str]] = []
    for o in group:
        if o.ends_at <= uow.now:
            if o is override:
                raise Conflict("this override is over; the past is kept as it was")
            continue
        if o.starts_at >= uow.now:
            o.cancelled_at = uow.now
            changed.append({**_brief(o), "outcome": "cancelled"})
        else:
            o.ends_at = uow.now
            changed.append({**_brief(o), "outcome": "ended now"})
    touch(uow, schedule)
    schedule_event(uow, actor, schedule, "schedule.override_cancelled", override_id=override.id,
           swap_id=override.swap_id, overrides=changed)  # fmt: skip
    return group


# ---------------------------------------------------------------- temporary schedules


def do_create_temporary(
    uow: UnitOfWork, actor: Actor, schedule_id: str, data: TemporaryCreate
) -> TemporarySchedule:
    """Replace every layer over ``[start, end)`` by ``shifts`` (nobody is on call in the
    period outside them; overrides still win). Shifts lie inside the period and do not
    overlap; the period overlaps no other temporary schedule."""
    require(actor, Role.MANAGER)
    schedule = check_schedule_editable(uow, schedule_id)
    start = check_future_range(uow, data.start, data.end)
    shifts = sorted(enumerate(data.shifts), key=lambda pair: pair[1].start)
    errors: list[FieldError] = []
    for i, shift in shifts:
        if shift.end <= shift.start:
            errors.append(FieldError(f"shifts.{i}.end", "must be after the start"))
        elif shift.start < data.start or shift.end > data.end:
            errors.append(FieldError(f"shifts.{i}.start", "must lie inside the temporary schedule"))
    for (_, before), (j, after) in pairwise(shifts):
        if after.start < before.end:
            errors.append(FieldError(f"shifts.{j}.start", "overlaps another shift"))
    if errors:
        raise InvalidInput("please correct the shifts", errors=errors)
    check_users_active(uow, [(f"shifts.{i}.user_id", sh.user_id) for i, sh in shifts])
    clash = uow.session.scalar(
        select(TemporarySchedule.id).where(
            TemporarySchedule.schedule_id == schedule.id,
            TemporarySchedule.cancelled_at.is_(None),
            TemporarySchedule.starts_at < data.end,
            TemporarySchedule.ends_at > start,
        )
    )
    if clash:
        raise Conflict(
            "another temporary schedule covers part of this period",
            errors=[FieldError("start", "overlaps another temporary schedule; cancel it first")],
        )
    kept = [
        {"user_id": sh.user_id, "start": isoformat(max(sh.start, start)), "end": isoformat(sh.end)}
        for _, sh in shifts
        if sh.end > start
    ]
    temporary = TemporarySchedule(
        schedule_id=schedule.id, starts_at=start, ends_at=data.end, shifts=kept,
        created_at=uow.now, created_by=actor.label,
    )  # fmt: skip
    uow.session.add(temporary)
    uow.flush()
    touch(uow, schedule)
    schedule_event(uow, actor, schedule, "schedule.temporary_created", temporary_id=temporary.id,
           start=isoformat(start), end=isoformat(data.end), shifts=kept)  # fmt: skip
    return temporary


def do_cancel_temporary(
    uow: UnitOfWork, actor: Actor, schedule_id: str, temporary_id: str
) -> TemporarySchedule:
    """Cancel a temporary schedule: one not begun is cancelled; one under way ends now
    (its later shifts go, the layers take over again)."""
    require(actor, Role.MANAGER)
    schedule = check_schedule_editable(uow, schedule_id)
    temporary = uow.session.get(TemporarySchedule, temporary_id)
    if temporary is None or temporary.schedule_id != schedule.id:
        raise NotFound("no such temporary schedule on this schedule")
    if temporary.cancelled_at is not None:
        return temporary
    if temporary.ends_at <= uow.now:
        raise Conflict("this temporary schedule is over; the past is kept as it was")
    now = uow.now
    if temporary.starts_at >= now:
        temporary.cancelled_at = now
        outcome = "cancelled"
    else:
        temporary.ends_at = now
        temporary.shifts = [
            {**sh, "end": isoformat(min(datetime.fromisoformat(sh["end"]), now))}
            for sh in temporary.shifts
            if datetime.fromisoformat(sh["start"]) < now
        ]
        outcome = "ended now"
    touch(uow, schedule)
    schedule_event(uow, actor, schedule, "schedule.temporary_cancelled", temporary_id=temporary.id,
           outcome=outcome)  # fmt: skip
    return temporary


# ---------------------------------------------------------------- reading


def list_overrides(
    uow: UnitOfWork, schedule_id: str, start: datetime, end: datetime
) -> list[ScheduleOverride]:
    """The active overrides of a schedule touching ``[start, end)``, by start."""
    get_schedule(uow, schedule_id)
    rows = overlapping_overrides(uow, schedule_id, start, end)
    return sorted(rows, key=lambda o: (o.starts_at, o.created_at))


def list_temporary(uow: UnitOfWork, schedule_id: str, after: datetime) -> list[TemporarySchedule]:
    """The active temporary schedules of a schedule ending after ``after``, by start."""
    get_schedule(uow, schedule_id)
    return list(
        uow.session.scalars(
            select(TemporarySchedule)
            .where(
                TemporarySchedule.schedule_id == schedule_id,
                TemporarySchedule.cancelled_at.is_(None),
                TemporarySchedule.ends_at > after,
            )
            .order_by(TemporarySchedule.starts_at)
        )
    )


def overrides_out(uow: UnitOfWork, rows: list[ScheduleOverride]) -> list[OverrideOut]:
    """``rows`` for output, each with the active overrides it overlaps."""
    names = user_names(uow, (o.user_id for o in rows))
    out = []
    for o in rows:
        others = overlapping_overrides(uow, o.schedule_id, o.starts_at, o.ends_at, but=o.id)
        out.append(override_out(o, names, [x.id for x in others] if o.cancelled_at is None else []))
    return out
