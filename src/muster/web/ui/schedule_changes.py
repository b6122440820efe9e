"""Changes on top of a schedule's layers, from its page: overrides, shift swaps,
temporary schedules; and its calendar feed."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from muster.domain.events.actor import Role
from muster.domain.oncall import feeds
from muster.domain.oncall import overrides as changes
from muster.domain.oncall.load import get_schedule
from muster.domain.oncall.schemas import OverrideCreate, SwapCreate, TemporaryCreate
from muster.errors import Conflict, InvalidInput
from muster.web.auth import Caller, ui_caller
from muster.web.context import AppContext, app_context
from muster.web.ui.forms import FormState, blank_form, failed_form, parse_form, posted, see_other
from muster.web.ui.render import render
from muster.web.ui.schedule_input import (
    SHIFT_ROWS,
    SWAP_RENAMES,
    next_hour,
    override_input,
    swap_input,
    temporary_input,
)
from muster.web.ui.schedules import show_page
from muster.web.ui.teams import active_users

router = APIRouter(include_in_schema=False)
MANAGER = Depends(ui_caller(Role.MANAGER))
SWAP_LABELS = {
    "first_user_id": "First person",
    "first_start": "Their shift starts",
    "first_end": "Their shift ends",
    "second_user_id": "Second person",
    "second_start": "Their shift starts",
    "second_end": "Their shift ends",
}


def _zone(caller: Caller) -> ZoneInfo:
    return ZoneInfo(caller.user.time_zone)


@router.post("/schedules/{schedule_id}/overrides")
def add_override(
    request: Request,
    schedule_id: str,
    caller: Caller = MANAGER,
    fields: dict[str, str] = Depends(posted),
    ctx: AppContext = Depends(app_context),
) -> Response:
    try:
        data = parse_form(OverrideCreate, override_input(fields, _zone(caller)))
        with ctx.db.unit_of_work() as uow:
            changes.do_add_override(uow, caller.actor, schedule_id, data)
            uow.commit()
    except (InvalidInput, Conflict) as exc:
        form = failed_form(fields, exc, prefix="o")
        return show_page(
            request, caller, ctx, schedule_id, status_code=exc.status, override_form=form
        )
    return see_other(f"/schedules/{schedule_id}#overrides")


@router.post("/schedules/{schedule_id}/overrides/{override_id}/cancel")
def cancel_override(
    schedule_id: str,
    override_id: str,
    caller: Caller = MANAGER,
    ctx: AppContext = Depends(app_context),
) -> Response:
    with ctx.db.unit_of_work() as uow:
        changes.do_cancel_override(uow, caller.actor, schedule_id, override_id)
        uow.commit()
    return see_other(f"/schedules/{schedule_id}#overrides")


@router.post("/schedules/{schedule_id}/swaps")
def swap_shifts(
    request: Request,
    schedule_id: str,
    caller: Caller = MANAGER,
    fields: dict[str, str] = Depends(posted),
    ctx: AppContext = Depends(app_context),
) -> Response:
    try:
        data = parse_form(SwapCreate, swap_input(fields, _zone(caller)))
        with ctx.db.unit_of_work() as uow:
            changes.do_swap_shifts(uow, caller.actor, schedule_id, data)
            uow.commit()
    except (InvalidInput, Conflict) as exc:
        form = failed_form(fields, exc, prefix="s", renames=SWAP_RENAMES)
        form.labels = SWAP_LABELS
        return show_page(request, caller, ctx, schedule_id, status_code=exc.status, swap_form=form)
    return see_other(f"/schedules/{schedule_id}#overrides")


@router.get("/schedules/{schedule_id}/temporary/new")
def new_temporary_page(
    request: Request,
    schedule_id: str,
    caller: Caller = MANAGER,
    ctx: AppContext = Depends(app_context),
) -> Response:
    zone = _zone(caller)
    with ctx.db.unit_of_work(readonly=True) as uow:
        now = uow.now
    form = blank_form("t", start=next_hour(now, zone), end=next_hour(now, zone, 24))
    return _temporary_page(request, caller, ctx, schedule_id, form)


@router.post("/schedules/{schedule_id}/temporary")
def create_temporary(
    request: Request,
    schedule_id: str,
    caller: Caller = MANAGER,
    fields: dict[str, str] = Depends(posted),
    ctx: AppContext = Depends(app_context),
) -> Response:
    renames: dict[str, str] = {}
    try:
        raw, renames = temporary_input(fields, _zone(caller))
        data = parse_form(TemporaryCreate, raw)
        with ctx.db.unit_of_work() as uow:
            changes.do_create_temporary(uow, caller.actor, schedule_id, data)
            uow.commit()
    except (InvalidInput, Conflict) as exc:
        form = failed_form(fields, exc, prefix="t", renames=renames)
        return _temporary_page(request, caller, ctx, schedule_id, form, status_code=exc.status)
    return see_other(f"/schedules/{schedule_id}#temporary")


@router.post("/schedules/{schedule_id}/temporary/{temporary_id}/cancel")
def cancel_temporary(
    schedule_id: str,
    temporary_id: str,
    caller: Caller = MANAGER,
    ctx: AppContext = Depends(app_context),
) -> Response:
    with ctx.db.unit_of_work() as uow:
        changes.do_cancel_temporary(uow, caller.actor, schedule_id, temporary_id)
        uow.commit()
    return see_other(f"/schedules/{schedule_id}#temporary")


@router.post("/schedules/{schedule_id}/calendar-feed")
def create_feed(
    schedule_id: str,
    caller: Caller = Depends(ui_caller(Role.RESPONDER)),
    ctx: AppContext = Depends(app_context),
) -> Response:
    with ctx.db.unit_of_work() as uow:
        feeds.do_create_feed(uow, caller.actor, "schedule", schedule_id)
        uow.commit()
    return see_other(f"/schedules/{schedule_id}#calendar")


@router.post("/schedules/{schedule_id}/calendar-feed/revoke")
def revoke_feed(
    schedule_id: str,
    caller: Caller = Depends(ui_caller(Role.RESPONDER)),
    ctx: AppContext = Depends(app_context),
) -> Response:
    with ctx.db.unit_of_work() as uow:
        feeds.do_revoke_feed(uow, caller.actor, "schedule", schedule_id)
        uow.commit()
    return see_other(f"/schedules/{schedule_id}#calendar")


def _temporary_page(
    request: Request,
    caller: Caller,
    ctx: AppContext,
    schedule_id: str,
    form: FormState,
    *,
    status_code: int = 200,
) -> Response:
    with ctx.db.unit_of_work(readonly=True) as uow:
        schedule = get_schedule(uow, schedule_id)
        return render(
            request,
            "schedules_temporary.html",
            caller,
            status_code=status_code,
            schedule=schedule,
            form=form,
            rows=range(SHIFT_ROWS),
            people=[(u.id, u.name) for u in active_users(uow)],
        )
