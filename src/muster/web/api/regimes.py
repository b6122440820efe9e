"""/api/v1/regimes and /api/v1/holiday-calendars: the catalogue of notification regimes
and the holiday calendars their business-day deadlines count with. Everyone signed in
reads them; admins change them."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Response

from muster.domain.compliance import calendars, regimes
from muster.domain.compliance.regime_schemas import (
    HolidayCalendarCreate,
    HolidayCalendarOut,
    HolidayCalendarUpdate,
    HolidayIn,
    RegimeCreate,
    RegimeOut,
    RegimeUpdate,
)
from muster.domain.events.actor import Role
from muster.web.api.common import PROBLEM_RESPONSES, ListOut
from muster.web.auth import Caller, api_caller
from muster.web.context import AppContext, app_context

router = APIRouter(tags=["regimes"], responses=PROBLEM_RESPONSES)
REGIMES = "/regimes"
CALENDARS = "/holiday-calendars"

# ---------------------------------------------------------------- regimes


@router.get(REGIMES, response_model=ListOut[RegimeOut], summary="List notification regimes")
def list_regimes(
    archived: bool = False,
    caller: Caller = Depends(api_caller(Role.VIEWER)),
    ctx: AppContext = Depends(app_context),
) -> ListOut[RegimeOut]:
    """By name, each with its reports; ``archived=true`` includes archived ones."""
    with ctx.db.unit_of_work(readonly=True) as uow:
        rows = regimes.regimes(uow, include_archived=archived)
        return ListOut(items=[regimes.regime_out(uow, r) for r in rows])


@router.post(REGIMES, response_model=RegimeOut, status_code=201, summary="Add a regime (admin)")
def create_regime(
    body: RegimeCreate,
    response: Response,
    caller: Caller = Depends(api_caller(Role.ADMIN)),
    ctx: AppContext = Depends(app_context),
) -> RegimeOut:
    with ctx.db.unit_of_work() as uow:
        row = regimes.do_create_regime(uow, caller.actor, body)
        out = regimes.regime_out(uow, row)
        uow.commit()
        response.headers["Location"] = f"/api/v1{REGIMES}/{row.id}"
        return out


@router.get(REGIMES + "/{regime_id}", response_model=RegimeOut, summary="Show a regime")
def show_regime(
    regime_id: str,
    caller: Caller = Depends(api_caller(Role.VIEWER)),
    ctx: AppContext = Depends(app_context),
) -> RegimeOut:
    """``regime_id`` is the id or the key (``gdpr-33``)."""
    with ctx.db.unit_of_work(readonly=True) as uow:
        return regimes.regime_out(uow, regimes.find_regime(uow, regime_id))


@router.patch(REGIMES + "/{regime_id}", response_model=RegimeOut, summary="Edit a regime (admin)")
def edit_regime(
    regime_id: str,
    body: RegimeUpdate,
    caller: Caller = Depends(api_caller(Role.ADMIN)),
    ctx: AppContext = Depends(app_context),
) -> RegimeOut:
    """Only the fields given change; ``reports`` replaces the list (matched by key)."""
    with ctx.db.unit_of_work() as uow:
        row = regimes.do_update_regime(uow, caller.actor, regime_id, body)
        out = regimes.regime_out(uow, row)
        uow.commit()
        return out


@router.delete(
    REGIMES + "/{regime_id}", response_model=RegimeOut, summary="Archive a regime (admin)"
)
def archive_regime(
    regime_id: str,
    caller: Caller = Depends(api_caller(Role.ADMIN)),
    ctx: AppContext = Depends(app_context),
) -> RegimeOut:
    """Archives: offered no more; incidents that apply it keep it and its clocks."""
    with ctx.db.unit_of_work() as uow:
        row = regimes.do_archive_regime(uow, caller.actor, regime_id)
        out = regimes.regime_out(uow, row)
        uow.commit()
        return out


@router.post(
    REGIMES + "/{regime_id}/restore",
    response_model=RegimeOut,
    summary="Restore an archived regime (admin)",
)
def restore_regime(
    regime_id: str,
    caller: Caller = Depends(api_caller(Role.ADMIN)),
    ctx: AppContext = Depends(app_context),
) -> RegimeOut:
    with ctx.db.unit_of_work() as uow:
        row = regimes.do_restore_regime(uow, caller.actor, regime_id)
        out = regimes.regime_out(uow, row)
        uow.commit()
        return out


# ---------------------------------------------------------------- holiday calendars


@router.get(CALENDARS, response_model=ListOut[HolidayCalendarOut], summary="List holiday calendars")
def list_calendars(
    caller: Caller = Depends(api_caller(Role.VIEWER)),
    ctx: AppContext = Depends(app_context),
) -> ListOut[HolidayCalendarOut]:
    with ctx.db.unit_of_work(readonly=True) as uow:
        rows = calendars.holiday_calendars(uow)
        return ListOut(items=[calendars.calendar_out(uow, c) for c in rows])


@router.post(
    CALENDARS,
    response_model=HolidayCalendarOut,
    status_code=201,
    summary="Add a holiday calendar (admin)",
)
def create_calendar(
    body: HolidayCalendarCreate,
    response: Response,
    caller: Caller = Depends(api_caller(Role.ADMIN)),
    ctx: AppContext = Depends(app_context),
) -> HolidayCalendarOut:
    with ctx.db.unit_of_work() as uow:
        row = calendars.do_create_holiday_calendar(uow, caller.actor, body)
        out = calendars.calendar_out(uow, row)
        uow.commit()
        response.headers["Location"] = f"/api/v1{CALENDARS}/{row.id}"
        return out


@router.get(
    CALENDARS + "/{calendar_id}",
    response_model=HolidayCalendarOut,
    summary="Show a holiday calendar",
)
def show_calendar(
    calendar_id: str,
    caller: Caller = Depends(api_caller(Role.VIEWER)),
    ctx: AppContext = Depends(app_context),
) -> HolidayCalendarOut:
    with ctx.db.unit_of_work(readonly=True) as uow:
        return calendars.calendar_out(uow, calendars.get_holiday_calendar(uow, calendar_id))


@router.patch(
    CALENDARS + "/{calendar_id}",
    response_model=HolidayCalendarOut,
    summary="Rename a holiday calendar (admin)",
)
def rename_calendar(
    calendar_id: str,
    body: HolidayCalendarUpdate,
    caller: Caller = Depends(api_caller(Role.ADMIN)),
    ctx: AppContext = Depends(app_context),
) -> HolidayCalendarOut:
    with ctx.db.unit_of_work() as uow:
        row = calendars.do_rename_holiday_calendar(uow, caller.actor, calendar_id, body)
        out = calendars.calendar_out(uow, row)
        uow.commit()
        return out


@router.delete(
    CALENDARS + "/{calendar_id}",
    status_code=204,
    summary="Delete a holiday calendar (admin; not built-in, not in use)",
)
def delete_calendar(
    calendar_id: str,
    caller: Caller = Depends(api_caller(Role.ADMIN)),
    ctx: AppContext = Depends(app_context),
) -> Response:
    with ctx.db.unit_of_work() as uow:
        calendars.do_delete_holiday_calendar(uow, caller.actor, calendar_id)
        uow.commit()
    return Response(status_code=204)


@router.post(
    CALENDARS + "/{calendar_id}/days",
    response_model=HolidayCalendarOut,
    status_code=201,
    summary="Add a day to a holiday calendar (admin)",
)
def add_day(
    calendar_id: str,
    body: HolidayIn,
    caller: Caller = Depends(api_caller(Role.ADMIN)),
    ctx: AppContext = Depends(app_context),
) -> HolidayCalendarOut:
    with ctx.db.unit_of_work() as uow:
        calendars.do_add_holiday(uow, caller.actor, calendar_id, body)
        out = calendars.calendar_out(uow, calendars.get_holiday_calendar(uow, calendar_id))
        uow.commit()
        return out


@router.delete(
    CALENDARS + "/{calendar_id}/days/{day_id}",
    response_model=HolidayCalendarOut,
    summary="Remove a day from a holiday calendar (admin)",
)
def remove_day(
    calendar_id: str,
    day_id: str,
    caller: Caller = Depends(api_caller(Role.ADMIN)),
    ctx: AppContext = Depends(app_context),
) -> HolidayCalendarOut:
    with ctx.db.unit_of_work() as uow:
        calendars.do_remove_holiday(uow, caller.actor, calendar_id, day_id)
        out = calendars.calendar_out(uow, calendars.get_holiday_calendar(uow, calendar_id))
        uow.commit()
        return out
