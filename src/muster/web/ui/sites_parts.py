"""A site's zones and devices, managed from the site's page: add, edit, remove."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from muster.domain.events.actor import Role
from muster.domain.sites import devices as site_devices
from muster.domain.sites import service as sites
from muster.domain.sites.overview import DEFAULT_HOURS
from muster.domain.sites.schemas import DeviceCreate, DeviceUpdate, ZoneCreate, ZoneUpdate
from muster.errors import Conflict, InvalidInput
from muster.web.auth import Caller, ui_caller
from muster.web.context import AppContext, app_context
from muster.web.ui.forms import failed_form, parse_form, posted, run_command, see_other
from muster.web.ui.sites import site_page

router = APIRouter(include_in_schema=False)


def _zone_fields(fields: dict[str, str]) -> dict[str, Any]:
    return {"name": fields.get("name", ""), "restricted": fields.get("restricted") == "on"}


def _device_fields(fields: dict[str, str], *, new: bool) -> dict[str, Any]:
    names = ("kind", "name", "external_id") if new else ("name", "external_id")
    data: dict[str, Any] = {k: fields[k] for k in names if k in fields}
    if "zone_id" in fields:
        data["zone_id"] = fields["zone_id"] or None
    return data


def _failed(
    request: Request, caller: Caller, ctx: AppContext, site_id: str, fields: dict[str, str],
    exc: InvalidInput | Conflict, prefix: str,
) -> Response:  # fmt: skip
    form = failed_form(fields, exc, prefix=prefix)
    with ctx.db.unit_of_work(readonly=True) as uow:
        forms = {"zone_form": form} if prefix == "z" else {"device_form": form}
        return site_page(request, caller, uow, site_id, hours=DEFAULT_HOURS,
                         status_code=exc.status, **forms)  # fmt: skip


@router.post("/sites/{site_id}/zones")
def add_zone(
    request: Request, site_id: str, caller: Caller = Depends(ui_caller(Role.MANAGER)),
    fields: dict[str, str] = Depends(posted), ctx: AppContext = Depends(app_context),
) -> Response:  # fmt: skip
    try:
        data = parse_form(ZoneCreate, _zone_fields(fields))
        run_command(ctx, sites.do_add_zone, caller.actor, site_id, data)
    except (InvalidInput, Conflict) as exc:
        return _failed(request, caller, ctx, site_id, fields, exc, "z")
    return see_other(f"/sites/{site_id}#zones")


@router.post("/sites/{site_id}/zones/{zone_id}/edit")
def edit_zone(
    request: Request, site_id: str, zone_id: str,
    caller: Caller = Depends(ui_caller(Role.MANAGER)),
    fields: dict[str, str] = Depends(posted), ctx: AppContext = Depends(app_context),
) -> Response:  # fmt: skip
    try:
        data = parse_form(ZoneUpdate, _zone_fields(fields))
        run_command(ctx, sites.do_update_zone, caller.actor, site_id, zone_id, data)
    except (InvalidInput, Conflict) as exc:
        return _failed(request, caller, ctx, site_id, fields, exc, "z")
    return see_other(f"/sites/{site_id}#zones")


@router.post("/sites/{site_id}/zones/{zone_id}/delete")
def remove_zone(
    site_id: str, zone_id: str, caller: Caller = Depends(ui_caller(Role.MANAGER)),
    ctx: AppContext = Depends(app_context),
) -> Response:  # fmt: skip
    run_command(ctx, sites.do_remove_zone, caller.actor, site_id, zone_id)
    return see_other(f"/sites/{site_id}#zones")


@router.post("/sites/{site_id}/devices")
def add_device(
    request: Request, site_id: str, caller: Caller = Depends(ui_caller(Role.MANAGER)),
    fields: dict[str, str] = Depends(posted), ctx: AppContext = Depends(app_context),
) -> Response:  # fmt: skip
    try:
        data = parse_form(DeviceCreate, _device_fields(fields, new=True))
        run_command(ctx, site_devices.do_add_device, caller.actor, site_id, data)
    except (InvalidInput, Conflict) as exc:
        return _failed(request, caller, ctx, site_id, fields, exc, "d")
    return see_other(f"/sites/{site_id}#devices")


@router.post("/sites/{site_id}/devices/{device_id}/edit")
def edit_device(
    request: Request, site_id: str, device_id: str,
    caller: Caller = Depends(ui_caller(Role.MANAGER)),
    fields: dict[str, str] = Depends(posted), ctx: AppContext = Depends(app_context),
) -> Response:  # fmt: skip
    try:
        data = parse_form(DeviceUpdate, _device_fields(fields, new=False))
        run_command(ctx, site_devices.do_update_device, caller.actor, site_id, device_id, data)
    except (InvalidInput, Conflict) as exc:
        return _failed(request, caller, ctx, site_id, fields, exc, "d")
    return see_other(f"/sites/{site_id}#devices")


@router.post("/sites/{site_id}/devices/{device_id}/delete")
def remove_device(
    site_id: str, device_id: str, caller: Caller = Depends(ui_caller(Role.MANAGER)),
    ctx: AppContext = Depends(app_context),
) -> Response:  # fmt: skip
    run_command(ctx, site_devices.do_remove_device, caller.actor, site_id, device_id)
    return see_other(f"/sites/{site_id}#devices")
