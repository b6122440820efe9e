"""``holiday_calendars/``: holiday calendars by key, with their listed days. The built-in
``us-federal`` adds its days by rule as well; its file lists only the days added to it,
and it is never deleted (a removed file leaves it as it is, unmanaged)."""

from __future__ import annotations

from datetime import date
from typing import Any, ClassVar

from pydantic import Field, model_validator
from sqlalchemy import select

from muster.db.uow import UnitOfWork
from muster.domain.compliance.calendars import (
    do_add_holiday,
    do_create_holiday_calendar,
    do_delete_holiday_calendar,
    do_remove_holiday,
    do_rename_holiday_calendar,
    get_holiday_calendar,
)
from muster.domain.compliance.models import Holiday, HolidayCalendar
from muster.domain.compliance.regime_schemas import (
    HolidayCalendarCreate,
    HolidayCalendarUpdate,
    HolidayIn,
    Key,
    Name,
)
from muster.domain.config_code.kind import Current, FileSchema, Ref, dump_doc
from muster.domain.events.actor import Actor


class DayDoc(FileSchema):
    day: date
    name: Name


class CalendarDoc(FileSchema):
    key: Key
    name: Name
    days: list[DayDoc] = Field(default_factory=list, max_length=5000)

    @model_validator(mode="after")
    def _ordered(self) -> CalendarDoc:
        self.days.sort(key=lambda d: d.day)
        if len({d.day for d in self.days}) != len(self.days):
            raise ValueError("a day is listed twice")
        return self


class HolidayCalendarsKind:
    folder: ClassVar[str] = "holiday_calendars"
    key: ClassVar[str] = "key"
    label: ClassVar[str] = "holiday calendar"
    schema: ClassVar[type[FileSchema]] = CalendarDoc

    def name_of(self, doc: Any) -> str:
        return str(doc.key)

    def current(self, uow: UnitOfWork) -> dict[str, Current]:
        days: dict[str, list[DayDoc]] = {}
        for row in uow.session.scalars(select(Holiday).order_by(Holiday.day)):
            days.setdefault(row.calendar_id, []).append(
                DayDoc.model_construct(day=row.day, name=row.name)
            )
        return {
            c.key: (c.id, dump_doc(CalendarDoc.model_construct(
                key=c.key, name=c.name, days=days.get(c.id, []))))
            for c in uow.session.scalars(select(HolidayCalendar))
        }  # fmt: skip

    def references(self, doc: Any) -> list[Ref]:
        return []

    def create(self, uow: UnitOfWork, actor: Actor, doc: CalendarDoc) -> str:
        row = do_create_holiday_calendar(
            uow, actor, HolidayCalendarCreate(key=doc.key, name=doc.name)
        )
        self._days(uow, actor, row.id, doc)
        return row.id

    def update(self, uow: UnitOfWork, actor: Actor, object_id: str, doc: CalendarDoc) -> None:
        do_rename_holiday_calendar(uow, actor, object_id, HolidayCalendarUpdate(name=doc.name))
        self._days(uow, actor, object_id, doc)

    def delete(self, uow: UnitOfWork, actor: Actor, object_id: str) -> None:
        if not get_holiday_calendar(uow, object_id).builtin:
            do_delete_holiday_calendar(uow, actor, object_id)

    def _days(self, uow: UnitOfWork, actor: Actor, calendar_id: str, doc: CalendarDoc) -> None:
        have = {
            row.day: row
            for row in uow.session.scalars(
                select(Holiday).where(Holiday.calendar_id == calendar_id)
            )
        }
        for d in doc.days:
            row = have.pop(d.day, None)
            if row is not None and row.name == d.name:
                continue
            if row is not None:  # renamed: the day goes and comes back with its new name
                do_remove_holiday(uow, actor, calendar_id, row.id)
            do_add_holiday(uow, actor, calendar_id, HolidayIn(day=d.day, name=d.name))
        for row in have.values():
            do_remove_holiday(uow, actor, calendar_id, row.id)
