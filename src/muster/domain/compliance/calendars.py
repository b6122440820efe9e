"""Holiday calendars: which days are not business days besides weekends.

``us-federal`` is built in: the US federal holidays by rule for any year
(:mod:`muster.domain.compliance.holidays`) plus its stored days, if any. Admin calendars
are their stored days only. :func:`holiday_checker` turns a calendar into the
``is_holiday`` callable that :mod:`muster.domain.compliance.deadlines` takes.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date

from sqlalchemy import select

from muster.db.uow import UnitOfWork
from muster.domain.accounts.permissions import require
from muster.domain.compliance.holidays import is_us_federal_holiday
from muster.domain.compliance.models import Holiday, HolidayCalendar, RegimeReport
from muster.domain.compliance.regime_schemas import (
    HolidayCalendarCreate,
    HolidayCalendarOut,
    HolidayCalendarUpdate,
    HolidayIn,
    HolidayOut,
)
from muster.domain.events.actor import Actor, Role
from muster.domain.events.service import append_event
from muster.errors import Conflict, FieldError, NotFound

US_FEDERAL = "us-federal"
RULES = {US_FEDERAL: "US federal holidays (5 U.S.C. 6103) with observed days, every year"}


def holiday_checker(uow: UnitOfWork, calendar_key: str | None) -> Callable[[date], bool]:
    """``is_holiday(day)`` for the calendar ``calendar_key``: None → no holidays;
    ``us-federal`` → the rule plus its stored days; another key → its stored days. A key
    that names no calendar (none should: reports are checked) counts its rule only."""
    if calendar_key is None:
        return lambda _day: False
    stored = frozenset(
        uow.session.scalars(
            select(Holiday.day)
            .join(HolidayCalendar, HolidayCalendar.id == Holiday.calendar_id)
            .where(HolidayCalendar.key == calendar_key)
        )
    )
    if calendar_key == US_FEDERAL:
        return lambda day: day in stored or is_us_federal_holiday(day)
    return lambda day: day in stored


# ---------------------------------------------------------------- queries


def holiday_calendars(uow: UnitOfWork) -> Sequence[HolidayCalendar]:
    """Every calendar, built-in first, then by name."""
    return uow.session.scalars(
        select(HolidayCalendar).order_by(HolidayCalendar.builtin.desc(), HolidayCalendar.name)
    ).all()


def calendar_keys(uow: UnitOfWork) -> set[str]:
    return set(uow.session.scalars(select(HolidayCalendar.key)))


def get_holiday_calendar(uow: UnitOfWork, calendar_id: str) -> HolidayCalendar:
    row = uow.session.get(HolidayCalendar, calendar_id)
    if row is None:
        raise NotFound("no such holiday calendar")
    return row


def calendar_days(uow: UnitOfWork, calendar: HolidayCalendar) -> Sequence[Holiday]:
    return uow.session.scalars(
        select(Holiday).where(Holiday.calendar_id == calendar.id).order_by(Holiday.day)
    ).all()


def calendar_out(uow: UnitOfWork, calendar: HolidayCalendar) -> HolidayCalendarOut:
    return HolidayCalendarOut(
        id=calendar.id, key=calendar.key, name=calendar.name, builtin=calendar.builtin,
        rule=RULES.get(calendar.key), created_at=calendar.created_at,
        updated_at=calendar.updated_at,
        days=[HolidayOut.model_validate(d) for d in calendar_days(uow, calendar)],
    )  # fmt: skip


# ---------------------------------------------------------------- commands


def _event(uow: UnitOfWork, actor: Actor, kind: str, row: HolidayCalendar, **data: object) -> None:
    append_event(
        uow, actor, f"holiday_calendar.{kind}", subject_type="holiday_calendar",
        subject_id=row.id, data={"key": row.key, "name": row.name, **data},
    )  # fmt: skip


def do_create_holiday_calendar(
    uow: UnitOfWork, actor: Actor, data: HolidayCalendarCreate
) -> HolidayCalendar:
    """Add an (empty) calendar. Preconditions: admin; the key not taken."""
    require(actor, Role.ADMIN)
    if data.key in calendar_keys(uow):
        raise Conflict(
            "this key is taken", errors=[FieldError("key", f"{data.key!r} exists already")]
        )
    row = HolidayCalendar(
        key=data.key, name=data.name, builtin=False, created_at=uow.now, updated_at=uow.now
    )
    uow.session.add(row)
    uow.flush()
    _event(uow, actor, "created", row)
    return row


def do_rename_holiday_calendar(
    uow: UnitOfWork, actor: Actor, calendar_id: str, data: HolidayCalendarUpdate
) -> HolidayCalendar:
    """Preconditions: admin; the calendar exists."""
    require(actor, Role.ADMIN)
    row = get_holiday_calendar(uow, calendar_id)
    if data.name != row.name:
        previous, row.name, row.updated_at = row.name, data.name, uow.now
        _event(uow, actor, "renamed", row, previous_name=previous)
    return row


def do_delete_holiday_calendar(uow: UnitOfWork, actor: Actor, calendar_id: str) -> None:
    """Delete a calendar and its days. Preconditions: admin; not built-in; no report
    counts business days with it."""
    require(actor, Role.ADMIN)
    row = get_holiday_calendar(uow, calendar_id)
    if row.builtin:
        raise Conflict(
            "built-in calendars cannot be deleted", errors=[FieldError("key", "built-in")]
        )
    used = uow.session.scalar(
        select(RegimeReport.id).where(RegimeReport.holiday_calendar == row.key).limit(1)
    )
    if used is not None:
        raise Conflict(
            "a regime's report uses this calendar",
            errors=[FieldError("key", "in use by a regime report")],
        )
    _event(uow, actor, "deleted", row)
    uow.session.delete(row)
    uow.flush()


def do_add_holiday(uow: UnitOfWork, actor: Actor, calendar_id: str, data: HolidayIn) -> Holiday:
    """Add a day to a calendar. Preconditions: admin; the calendar exists; the day is not
    in it already."""
    require(actor, Role.ADMIN)
    calendar = get_holiday_calendar(uow, calendar_id)
    clash = uow.session.scalar(
        select(Holiday.id).where(Holiday.calendar_id == calendar.id, Holiday.day == data.day)
    )
    if clash is not None:
        raise Conflict(
            "this day is in the calendar already",
            errors=[FieldError("day", f"{data.day.isoformat()} is listed already")],
        )
    day = Holiday(calendar_id=calendar.id, day=data.day, name=data.name)
    uow.session.add(day)
    calendar.updated_at = uow.now
    uow.flush()
    _event(uow, actor, "day_added", calendar, day=data.day.isoformat(), day_name=data.name)
    return day


def do_remove_holiday(uow: UnitOfWork, actor: Actor, calendar_id: str, day_id: str) -> None:
    """Preconditions: admin; the day belongs to the calendar."""
    require(actor, Role.ADMIN)
    calendar = get_holiday_calendar(uow, calendar_id)
    day = uow.session.get(Holiday, day_id)
    if day is None or day.calendar_id != calendar.id:
        raise NotFound("no such day in this calendar")
    calendar.updated_at = uow.now
    _event(uow, actor, "day_removed", calendar, day=day.day.isoformat(), day_name=day.name)
    uow.session.delete(day)
    uow.flush()
