"""/settings/holiday-calendars: the days business-day deadlines skip besides weekends
(admin). ``us-federal`` is built in and computed by rule; days added to it count too."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from muster.domain.compliance import calendars
from muster.domain.compliance.holidays import us_federal_holidays
from muster.domain.compliance.regime_schemas import (
    HolidayCalendarCreate,
    HolidayCalendarUpdate,
    HolidayIn,
)
from muster.domain.config_code.marks import is_managed
from muster.domain.events.actor import Role
from muster.errors import Conflict, InvalidInput
from muster.web.auth import Caller, ui_caller
from muster.web.context import AppContext, app_context
from muster.web.ui.forms import FormState, blank_form, failed_form, parse_form, posted, see_other
from muster.web.ui.render import render

router = APIRouter(include_in_schema=False)
BASE = "/settings/holiday-calendars"
ADMIN = Depends(ui_caller(Role.ADMIN))


@router.get(BASE)
def calendars_page(
    request: Request, caller: Caller = ADMIN, ctx: AppContext = Depends(app_context)
) -> Response:
    return _list(request, caller, ctx, blank_form())


@router.post(BASE)
def create_calendar(
    request: Request,
    caller: Caller = ADMIN,
    fields: dict[str, str] = Depends(posted),
    ctx: AppContext = Depends(app_context),
) -> Response:
    try:
        with ctx.db.unit_of_work() as uow:
            body = parse_form(HolidayCalendarCreate, fields)
            row = calendars.do_create_holiday_calendar(uow, caller.actor, body)
            uow.commit()
    except (InvalidInput, Conflict) as exc:
        return _list(request, caller, ctx, failed_form(fields, exc), status_code=exc.status)
    return see_other(f"{BASE}/{row.id}")


def _list(
    request: Request, caller: Caller, ctx: AppContext, form: FormState, *, status_code: int = 200
) -> Response:
    with ctx.db.unit_of_work(readonly=True) as uow:
        rows = [calendars.calendar_out(uow, c) for c in calendars.holiday_calendars(uow)]
    return render(request, "holiday_calendars.html", caller, status_code=status_code,
                  calendars=rows, form=form)  # fmt: skip


@router.get(BASE + "/{calendar_id}")
def calendar_page(
    request: Request, calendar_id: str, caller: Caller = ADMIN,
    ctx: AppContext = Depends(app_context),
) -> Response:  # fmt: skip
    return _show(request, caller, ctx, calendar_id, blank_form(), blank_form(prefix="r"))


@router.post(BASE + "/{calendar_id}")
def rename_calendar(
    request: Request,
    calendar_id: str,
    caller: Caller = ADMIN,
    fields: dict[str, str] = Depends(posted),
    ctx: AppContext = Depends(app_context),
) -> Response:
    try:
        with ctx.db.unit_of_work() as uow:
            body = parse_form(HolidayCalendarUpdate, fields)
            calendars.do_rename_holiday_calendar(uow, caller.actor, calendar_id, body)
            uow.commit()
    except (InvalidInput, Conflict) as exc:
        rename = failed_form(fields, exc, prefix="r")
        return _show(request, caller, ctx, calendar_id, blank_form(), rename, status_code=exc.status)  # fmt: skip
    return see_other(f"{BASE}/{calendar_id}")


@router.post(BASE + "/{calendar_id}/days")
def add_day(
    request: Request,
    calendar_id: str,
    caller: Caller = ADMIN,
    fields: dict[str, str] = Depends(posted),
    ctx: AppContext = Depends(app_context),
) -> Response:
    try:
        with ctx.db.unit_of_work() as uow:
            calendars.do_add_holiday(uow, caller.actor, calendar_id, parse_form(HolidayIn, fields))
            uow.commit()
    except (InvalidInput, Conflict) as exc:
        form = failed_form(fields, exc)
        return _show(request, caller, ctx, calendar_id, form, blank_form(prefix="r"), status_code=exc.status)  # fmt: skip
    return see_other(f"{BASE}/{calendar_id}")


@router.post(BASE + "/{calendar_id}/days/{day_id}/remove")
def remove_day(
    calendar_id: str, day_id: str, caller: Caller = ADMIN,
    ctx: AppContext = Depends(app_context),
) -> Response:  # fmt: skip
    with ctx.db.unit_of_work() as uow:
        calendars.do_remove_holiday(uow, caller.actor, calendar_id, day_id)
        uow.commit()
    return see_other(f"{BASE}/{calendar_id}")


@router.post(BASE + "/{calendar_id}/delete")
def delete_calendar(
    calendar_id: str, caller: Caller = ADMIN, ctx: AppContext = Depends(app_context)
) -> Response:
    with ctx.db.unit_of_work() as uow:
        calendars.do_delete_holiday_calendar(uow, caller.actor, calendar_id)
        uow.commit()
    return see_other(BASE)


def _show(
    request: Request, caller: Caller, ctx: AppContext, calendar_id: str, day_form: FormState,
    rename_form: FormState, *, status_code: int = 200,
) -> Response:  # fmt: skip
    with ctx.db.unit_of_work(readonly=True) as uow:
        calendar = calendars.calendar_out(uow, calendars.get_holiday_calendar(uow, calendar_id))
        year = uow.now.year
        managed = "calendar" if is_managed(uow, "holiday_calendars", calendar.id) else ""
    rule_days = []
    if calendar.key == calendars.US_FEDERAL:
        rule_days = [(y, us_federal_holidays(y)) for y in (year, year + 1)]
    if not rename_form.values:
        rename_form.values["name"] = calendar.name
    return render(
        request, "holiday_calendars_show.html", caller, status_code=status_code,
        calendar=calendar, form=day_form, rename=rename_form, rule_days=rule_days,
        managed=managed,
    )  # fmt: skip
