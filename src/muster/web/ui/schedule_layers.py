"""A schedule's layers: add one with its rotation, edit a rotation from a chosen time,
rename, reorder, remove."""

from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response

from muster.domain.config_code.marks import is_managed
from muster.domain.events.actor import Role
from muster.domain.oncall import service as oncall
from muster.domain.oncall.load import get_schedule
from muster.domain.oncall.schemas import (
    LayerCreate,
    LayerOrder,
    LayerOut,
    LayerRename,
    RotationIn,
    RotationOut,
)
from muster.domain.oncall.views import schedule_out
from muster.errors import Conflict, InvalidInput
from muster.web.auth import Caller, ui_caller
from muster.web.context import AppContext, app_context
from muster.web.ui.forms import FormState, failed_form, parse_form, posted_lists, see_other
from muster.web.ui.render import render
from muster.web.ui.schedule_input import (
    ROTATION_RENAMES,
    TURN_UNITS,
    WEEKDAYS,
    first,
    local_text,
    posted_rotation_values,
    rotation_input,
    rotation_values,
    slots,
)
from muster.web.ui.teams import active_users

router = APIRouter(include_in_schema=False)
MANAGER = Depends(ui_caller(Role.MANAGER))
LABELS = {"name": "Layer name", "participants": "People, in turn order",
          "start_date": "First turn starts", "turn_length": "Turn length",
          "restrictions": "Only at these times", "effective_from": "Takes effect"}  # fmt: skip


@router.get("/schedules/{schedule_id}/layers/new")
def new_layer_page(
    request: Request,
    schedule_id: str,
    more: int = Query(0, ge=0, le=50),
    caller: Caller = MANAGER,
    ctx: AppContext = Depends(app_context),
) -> Response:
    return _page(request, caller, ctx, schedule_id, None, None, more=more)


@router.post("/schedules/{schedule_id}/layers/new")
def add_layer(
    request: Request,
    schedule_id: str,
    caller: Caller = MANAGER,
    fields: dict[str, list[str]] = Depends(posted_lists),
    ctx: AppContext = Depends(app_context),
) -> Response:
    """Add a layer and its rotation in one step."""
    try:
        with ctx.db.unit_of_work() as uow:
            schedule = get_schedule(uow, schedule_id)
            name = parse_form(LayerCreate, {"name": first(fields, "name")})
            data = _rotation(fields, schedule.time_zone, caller)
            layer = oncall.do_add_layer(uow, caller.actor, schedule_id, name)
            oncall.do_set_rotation(uow, caller.actor, schedule_id, layer.id, data)
            uow.commit()
    except (InvalidInput, Conflict) as exc:
        return _page(
            request, caller, ctx, schedule_id, None, _failed(fields, exc), status_code=exc.status
        )
    return see_other(f"/schedules/{schedule_id}#layers")


@router.get("/schedules/{schedule_id}/layers/{layer_id}")
def edit_layer_page(
    request: Request,
    schedule_id: str,
    layer_id: str,
    more: int = Query(0, ge=0, le=50),
    caller: Caller = MANAGER,
    ctx: AppContext = Depends(app_context),
) -> Response:
    return _page(request, caller, ctx, schedule_id, layer_id, None, more=more)


@router.post("/schedules/{schedule_id}/layers/{layer_id}")
def edit_layer(
    request: Request,
    schedule_id: str,
    layer_id: str,
    caller: Caller = MANAGER,
    fields: dict[str, list[str]] = Depends(posted_lists),
    ctx: AppContext = Depends(app_context),
) -> Response:
    """Rename the layer and set its rotation from the chosen time (default now)."""
    try:
        with ctx.db.unit_of_work() as uow:
            schedule = get_schedule(uow, schedule_id)
            name = parse_form(LayerRename, {"name": first(fields, "name")})
            data = _rotation(fields, schedule.time_zone, caller)
            oncall.do_rename_layer(uow, caller.actor, schedule_id, layer_id, name)
            if _rotation_changed(uow, schedule, layer_id, data):
                oncall.do_set_rotation(uow, caller.actor, schedule_id, layer_id, data)
            uow.commit()
    except (InvalidInput, Conflict) as exc:
        return _page(
            request,
            caller,
            ctx,
            schedule_id,
            layer_id,
            _failed(fields, exc),
            status_code=exc.status,
        )
    return see_other(f"/schedules/{schedule_id}#layers")


@router.post("/schedules/{schedule_id}/layers/{layer_id}/move")
def move_layer(
    schedule_id: str,
    layer_id: str,
    direction: str = Query(..., pattern="^(up|down)$"),
    caller: Caller = MANAGER,
    ctx: AppContext = Depends(app_context),
) -> Response:
    with ctx.db.unit_of_work() as uow:
        schedule = get_schedule(uow, schedule_id)
        order = [layer.id for layer in oncall.active_layers(schedule)]
        i = order.index(oncall.check_layer(schedule, layer_id).id)
        j = i - 1 if direction == "up" else i + 1
        if 0 <= j < len(order):
            order[i], order[j] = order[j], order[i]
            oncall.do_reorder_layers(uow, caller.actor, schedule_id, LayerOrder(layer_ids=order))
            uow.commit()
    return see_other(f"/schedules/{schedule_id}#layers")


@router.post("/schedules/{schedule_id}/layers/{layer_id}/remove")
def remove_layer(
    schedule_id: str,
    layer_id: str,
    caller: Caller = MANAGER,
    ctx: AppContext = Depends(app_context),
) -> Response:
    with ctx.db.unit_of_work() as uow:
        oncall.do_remove_layer(uow, caller.actor, schedule_id, layer_id)
        uow.commit()
    return see_other(f"/schedules/{schedule_id}#layers")


def _rotation(fields: dict[str, list[str]], zone: str, caller: Caller) -> RotationIn:
    raw = rotation_input(fields, ZoneInfo(zone), ZoneInfo(caller.user.time_zone))
    return parse_form(RotationIn, raw)


def _rotation_changed(uow: Any, schedule: Any, layer_id: str, data: RotationIn) -> bool:
    """Whether the form asks for another rotation than the layer's latest one (in force,
    or planned): saving the same rotation, say to rename the layer, adds no version."""
    layer = oncall.check_layer(schedule, layer_id)
    latest = next((v for v in reversed(layer.versions) if v.effective_until is None), None)
    if latest is None:
        return True
    restrictions = [
        {"days": list(r.days), "start": r.start, "end": r.end} for r in data.restrictions
    ]
    return (list(latest.participants), latest.start, latest.turn_length, latest.turn_unit,
            latest.restrictions) != (list(data.participants), data.start, data.turn_length,
                                     data.turn_unit, restrictions)  # fmt: skip


def _latest(layer: LayerOut) -> RotationOut | None:
    """The version the form edits: the open-ended one (in force, or planned)."""
    open_ended = [v for v in layer.versions if v.effective_until is None]
    return open_ended[-1] if open_ended else layer.rotation


def _failed(
    fields: dict[str, list[str]], exc: InvalidInput | Conflict
) -> tuple[FormState, list[str]]:
    values, people = posted_rotation_values(fields)
    form = failed_form(values, exc, renames=ROTATION_RENAMES)
    form.labels = LABELS
    return form, people


def _page(
    request: Request,
    caller: Caller,
    ctx: AppContext,
    schedule_id: str,
    layer_id: str | None,
    failed: tuple[FormState, list[str]] | None,
    *,
    more: int = 0,
    status_code: int = 200,
) -> Response:
    with ctx.db.unit_of_work(readonly=True) as uow:
        schedule = get_schedule(uow, schedule_id)
        out = schedule_out(uow, schedule, uow.now)
        layer = next((x for x in out.layers if x.id == layer_id), None) if layer_id else None
        if layer_id and layer is None:
            oncall.check_layer(schedule, layer_id)  # raises NotFound
        if failed is None:
            latest = _latest(layer) if layer else None
            values, people = rotation_values(latest, ZoneInfo(schedule.time_zone), uow.now)
            if latest and latest.effective_from and latest.effective_from > uow.now:
                values["effective_from"] = local_text(
                    latest.effective_from, ZoneInfo(caller.user.time_zone)
                )
            values["name"] = layer.name if layer else ("Primary" if not out.layers else "")
            form = FormState(values=values, labels=LABELS)
        else:
            form, people = failed
        return render(
            request,
            "schedules_layer.html",
            caller,
            status_code=status_code,
            schedule=schedule,
            layer=layer,
            form=form,
            slots=slots(people, 2 + more),
            more_url=f"{request.url.path}?more={more + 4}",
            people=[(u.id, u.name) for u in active_users(uow)],
            weekdays=WEEKDAYS,
            units=TURN_UNITS,
            managed="schedule" if is_managed(uow, "schedules", schedule.id) else "",
        )
