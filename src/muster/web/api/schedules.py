"""/api/v1/schedules: schedules, their layers and each layer's rotation."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Query, Response

from muster.domain.events.actor import Role
from muster.domain.oncall import service as oncall
from muster.domain.oncall.load import get_schedule, get_schedules
from muster.domain.oncall.schemas import (
    LayerCreate,
    LayerOrder,
    LayerRename,
    RotationIn,
    ScheduleCreate,
    ScheduleOut,
    ScheduleUpdate,
)
from muster.domain.oncall.views import schedule_out
from muster.web.api.common import PROBLEM_RESPONSES, ListOut
from muster.web.auth import Caller, api_caller
from muster.web.context import AppContext, app_context

router = APIRouter(prefix="/schedules", tags=["schedules"], responses=PROBLEM_RESPONSES)
VIEWER = Depends(api_caller(Role.VIEWER))
MANAGER = Depends(api_caller(Role.MANAGER))
CTX = Depends(app_context)


@router.get("", response_model=ListOut[ScheduleOut], summary="List schedules")
def list_schedules(
    cursor: str | None = None,
    limit: int = Query(100, ge=1, le=500),
    archived: bool = False,
    team_id: str | None = Query(None, max_length=36),
    caller: Caller = VIEWER,
    ctx: AppContext = CTX,
) -> ListOut[ScheduleOut]:
    with ctx.db.unit_of_work(readonly=True) as uow:
        page = oncall.list_schedules(
            uow, cursor=cursor, limit=limit, archived=archived, team_id=team_id
        )
        full = {s.id: s for s in get_schedules(uow, [s.id for s in page.items])}
        items = [schedule_out(uow, full[s.id], uow.now) for s in page.items]
        return ListOut(items=items, next_cursor=page.next_cursor)


@router.post("", response_model=ScheduleOut, status_code=201, summary="Create a schedule (manager)")
def create_schedule(
    body: ScheduleCreate, response: Response, caller: Caller = MANAGER, ctx: AppContext = CTX
) -> ScheduleOut:
    with ctx.db.unit_of_work() as uow:
        schedule = oncall.do_create_schedule(uow, caller.actor, body)
        uow.commit()
    response.headers["Location"] = f"/api/v1/schedules/{schedule.id}"
    return fresh(ctx, schedule.id)


@router.get("/{schedule_id}", response_model=ScheduleOut, summary="Show a schedule")
def show_schedule(schedule_id: str, caller: Caller = VIEWER, ctx: AppContext = CTX) -> ScheduleOut:
    return fresh(ctx, schedule_id)


@router.patch("/{schedule_id}", response_model=ScheduleOut, summary="Edit a schedule (manager)")
def update_schedule(
    schedule_id: str, body: ScheduleUpdate, caller: Caller = MANAGER, ctx: AppContext = CTX
) -> ScheduleOut:
    with ctx.db.unit_of_work() as uow:
        oncall.do_update_schedule(uow, caller.actor, schedule_id, body)
        uow.commit()
    return fresh(ctx, schedule_id)


@router.post(
    "/{schedule_id}/archive", response_model=ScheduleOut, summary="Archive a schedule (manager)"
)
def archive_schedule(
    schedule_id: str, caller: Caller = MANAGER, ctx: AppContext = CTX
) -> ScheduleOut:
    with ctx.db.unit_of_work() as uow:
        oncall.do_archive_schedule(uow, caller.actor, schedule_id)
        uow.commit()
    return fresh(ctx, schedule_id)


@router.post(
    "/{schedule_id}/layers",
    response_model=ScheduleOut,
    status_code=201,
    summary="Add a layer on top (manager)",
)
def add_layer(
    schedule_id: str, body: LayerCreate, caller: Caller = MANAGER, ctx: AppContext = CTX
) -> ScheduleOut:
    with ctx.db.unit_of_work() as uow:
        oncall.do_add_layer(uow, caller.actor, schedule_id, body)
        uow.commit()
    return fresh(ctx, schedule_id)


@router.put(
    "/{schedule_id}/layers/order",
    response_model=ScheduleOut,
    summary="Reorder layers, the one that wins first (manager)",
)
def reorder_layers(
    schedule_id: str, body: LayerOrder, caller: Caller = MANAGER, ctx: AppContext = CTX
) -> ScheduleOut:
    with ctx.db.unit_of_work() as uow:
        oncall.do_reorder_layers(uow, caller.actor, schedule_id, body)
        uow.commit()
    return fresh(ctx, schedule_id)


@router.patch(
    "/{schedule_id}/layers/{layer_id}",
    response_model=ScheduleOut,
    summary="Rename a layer (manager)",
)
def rename_layer(
    schedule_id: str,
    layer_id: str,
    body: LayerRename,
    caller: Caller = MANAGER,
    ctx: AppContext = CTX,
) -> ScheduleOut:
    with ctx.db.unit_of_work() as uow:
        oncall.do_rename_layer(uow, caller.actor, schedule_id, layer_id, body)
        uow.commit()
    return fresh(ctx, schedule_id)


@router.delete(
    "/{schedule_id}/layers/{layer_id}",
    response_model=ScheduleOut,
    summary="Remove a layer from now on; what it covered stays (manager)",
)
def remove_layer(
    schedule_id: str, layer_id: str, caller: Caller = MANAGER, ctx: AppContext = CTX
) -> ScheduleOut:
    with ctx.db.unit_of_work() as uow:
        oncall.do_remove_layer(uow, caller.actor, schedule_id, layer_id)
        uow.commit()
    return fresh(ctx, schedule_id)


@router.put(
    "/{schedule_id}/layers/{layer_id}/rotation",
    response_model=ScheduleOut,
    summary="Set a layer's rotation from effective_from (default now; never in the past) (manager)",
)
def set_rotation(
    schedule_id: str,
    layer_id: str,
    body: RotationIn,
    caller: Caller = MANAGER,
    ctx: AppContext = CTX,
) -> ScheduleOut:
    with ctx.db.unit_of_work() as uow:
        oncall.do_set_rotation(uow, caller.actor, schedule_id, layer_id, body)
        uow.commit()
    return fresh(ctx, schedule_id)


def fresh(ctx: AppContext, schedule_id: str) -> ScheduleOut:
    with ctx.db.unit_of_work(readonly=True) as uow:
        return schedule_out(uow, get_schedule(uow, schedule_id), uow.now)
