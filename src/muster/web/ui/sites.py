"""Sites: the overview (which sites have something happening), one site's page (open
alerts and incidents there, devices and their health, restricted-zone activity; live),
and the site form. Zones and devices are managed in :mod:`muster.web.ui.sites_parts`."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response

from muster.db.uow import UnitOfWork
from muster.domain.events.actor import Role
from muster.domain.sites import devices as site_devices
from muster.domain.sites import overview
from muster.domain.sites import service as sites
from muster.domain.sites.models import Site
from muster.domain.sites.schemas import DEVICE_KIND_LABELS, SiteCreate, SiteUpdate
from muster.errors import Conflict, InvalidInput
from muster.web.auth import Caller, ui_caller
from muster.web.context import AppContext, app_context
from muster.web.live import live_context
from muster.web.ui.forms import (
    FormState,
    blank_form,
    failed_form,
    parse_form,
    posted,
    run_command,
    see_other,
    time_zones,
)
from muster.web.ui.render import render

router = APIRouter(include_in_schema=False)

FIELDS = ("name", "address", "time_zone", "latitude", "longitude")
Hours = Query(overview.DEFAULT_HOURS, ge=1, le=overview.MAX_HOURS)


def site_fields(fields: dict[str, str]) -> dict[str, Any]:
    """The posted site fields; blank coordinates are none."""
    data: dict[str, Any] = {k: fields[k] for k in FIELDS if k in fields}
    for k in ("latitude", "longitude"):
        if k in data and not data[k].strip():
            data[k] = None
    return data


@router.get("/sites")
def list_sites(
    request: Request,
    hours: int = Hours,
    caller: Caller = Depends(ui_caller()),
    ctx: AppContext = Depends(app_context),
) -> Response:
    with ctx.db.unit_of_work(readonly=True) as uow:
        return render(
            request, "sites_list.html", caller, region="_sites_table.html",
            summaries=overview.site_summaries(uow, caller.actor, hours=hours), hours=hours,
            can_manage=caller.actor.role >= Role.MANAGER,
            **live_context(uow, "alerts", "incidents", "sites"),
        )  # fmt: skip


@router.get("/sites/new")
def new_site_page(
    request: Request,
    caller: Caller = Depends(ui_caller(Role.MANAGER)),
) -> Response:
    return _form_page(request, caller, blank_form(time_zone="UTC"), site=None)


@router.post("/sites/new")
def create_site(
    request: Request,
    caller: Caller = Depends(ui_caller(Role.MANAGER)),
    fields: dict[str, str] = Depends(posted),
    ctx: AppContext = Depends(app_context),
) -> Response:
    try:
        data = parse_form(SiteCreate, site_fields(fields))
        site = run_command(ctx, sites.do_create_site, caller.actor, data)
    except (InvalidInput, Conflict) as exc:
        form = failed_form(fields, exc)
        return _form_page(request, caller, form, site=None, status_code=exc.status)
    return see_other(f"/sites/{site.id}")


@router.get("/sites/{site_id}")
def show_site(
    request: Request,
    site_id: str,
    hours: int = Hours,
    caller: Caller = Depends(ui_caller()),
    ctx: AppContext = Depends(app_context),
) -> Response:
    with ctx.db.unit_of_work(readonly=True) as uow:
        return site_page(request, caller, uow, site_id, hours=hours)


def site_page(
    request: Request, caller: Caller, uow: UnitOfWork, site_id: str, *, hours: int,
    zone_form: FormState | None = None, device_form: FormState | None = None,
    status_code: int = 200,
) -> Response:  # fmt: skip
    """One site's page (forms for a new zone and a new device, perhaps with errors)."""
    site = sites.get_site(uow, site_id)
    zones = sites.list_zones(uow, site.id)
    zone_names = {z.id: z.name for z in zones}
    return render(
        request, "sites_show.html", caller, status_code=status_code, region="_site_region.html",
        site=site, zones=zones, zone_names=zone_names,
        zone_options=[(z.id, z.name) for z in zones],
        devices=site_devices.list_devices(uow, site.id),
        alerts=overview.open_alerts_at(uow, site.id),
        incidents=overview.open_incidents_at(uow, caller.actor, site.id),
        drill_alerts=overview.open_alerts_at(uow, site.id, exercise=True),
        drill_incidents=overview.open_incidents_at(uow, caller.actor, site.id, exercise=True),
        activity=overview.restricted_activity(uow, site.id, hours=hours), hours=hours,
        can_manage=caller.actor.role >= Role.MANAGER,
        can_trace=caller.actor.role >= Role.RESPONDER,
        zone_form=zone_form or blank_form(prefix="z"),
        device_form=device_form or blank_form(prefix="d"),
        device_kinds=list(DEVICE_KIND_LABELS.items()),
        **live_context(uow, f"site:{site.id}"),
    )  # fmt: skip


@router.get("/sites/{site_id}/edit")
def edit_site_page(
    request: Request,
    site_id: str,
    caller: Caller = Depends(ui_caller(Role.MANAGER)),
    ctx: AppContext = Depends(app_context),
) -> Response:
    with ctx.db.unit_of_work(readonly=True) as uow:
        site = sites.get_site(uow, site_id)
        form = blank_form(
            name=site.name, address=site.address, time_zone=site.time_zone,
            latitude="" if site.latitude is None else str(site.latitude),
            longitude="" if site.longitude is None else str(site.longitude),
        )  # fmt: skip
        return _form_page(request, caller, form, site=site)


@router.post("/sites/{site_id}/edit")
def edit_site(
    request: Request,
    site_id: str,
    caller: Caller = Depends(ui_caller(Role.MANAGER)),
    fields: dict[str, str] = Depends(posted),
    ctx: AppContext = Depends(app_context),
) -> Response:
    try:
        data = parse_form(SiteUpdate, site_fields(fields))
        run_command(ctx, sites.do_update_site, caller.actor, site_id, data)
    except (InvalidInput, Conflict) as exc:
        with ctx.db.unit_of_work(readonly=True) as uow:
            site = sites.get_site(uow, site_id)
            form = failed_form(fields, exc)
            return _form_page(request, caller, form, site=site, status_code=exc.status)
    return see_other(f"/sites/{site_id}")


@router.post("/sites/{site_id}/delete")
def delete_site(
    request: Request,
    site_id: str,
    caller: Caller = Depends(ui_caller(Role.MANAGER)),
    ctx: AppContext = Depends(app_context),
) -> Response:
    try:
        run_command(ctx, sites.do_delete_site, caller.actor, site_id)
    except Conflict as exc:
        with ctx.db.unit_of_work(readonly=True) as uow:
            form = FormState(problem=exc.detail, prefix="z")
            return site_page(request, caller, uow, site_id, hours=overview.DEFAULT_HOURS,
                             zone_form=form, status_code=exc.status)  # fmt: skip
    return see_other("/sites")


def _form_page(
    request: Request, caller: Caller, form: FormState, *, site: Site | None,
    status_code: int = 200,
) -> Response:  # fmt: skip
    return render(request, "sites_form.html", caller, status_code=status_code, form=form,
                  site=site, zones=time_zones())  # fmt: skip


def site_choices(uow: UnitOfWork) -> list[tuple[str, str]]:
    """(id, name) of every site, for site pickers (service and asset forms, filters)."""
    return [(s.id, s.name) for s in sites.list_sites(uow)]
