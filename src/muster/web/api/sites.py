"""/api/v1/sites (with their zones and devices) and /api/v1/identity-trail."""

from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter, Depends, Query, Response

from muster.domain.events.actor import Role
from muster.domain.sites import devices, service
from muster.domain.sites.identity import identity_trail
from muster.domain.sites.schemas import (
    DeviceCreate,
    DeviceOut,
    DeviceUpdate,
    SightingOut,
    SiteCreate,
    SiteOut,
    SiteUpdate,
    ZoneCreate,
    ZoneOut,
    ZoneUpdate,
)
from muster.web.api.common import PROBLEM_RESPONSES, ListOut
from muster.web.auth import Caller, api_caller
from muster.web.context import AppContext, app_context

router = APIRouter(prefix="/sites", tags=["sites"], responses=PROBLEM_RESPONSES)
trail_router = APIRouter(prefix="/identity-trail", tags=["sites"], responses=PROBLEM_RESPONSES)

_VIEWER = Depends(api_caller(Role.VIEWER))
_RESPONDER = Depends(api_caller(Role.RESPONDER))
_MANAGER = Depends(api_caller(Role.MANAGER))
_CTX = Depends(app_context)


@router.get("", response_model=ListOut[SiteOut], summary="List sites")
def list_sites(caller: Caller = _VIEWER, ctx: AppContext = _CTX) -> ListOut[SiteOut]:
    with ctx.db.unit_of_work(readonly=True) as uow:
        return ListOut(items=[SiteOut.model_validate(s) for s in service.list_sites(uow)])


@router.post("", response_model=SiteOut, status_code=201, summary="Create a site (manager)")
def create_site(
    body: SiteCreate, response: Response, caller: Caller = _MANAGER, ctx: AppContext = _CTX
) -> SiteOut:
    with ctx.db.unit_of_work() as uow:
        site = service.do_create_site(uow, caller.actor, body)
        uow.commit()
        response.headers["Location"] = f"/api/v1/sites/{site.id}"
        return SiteOut.model_validate(site)


@router.get("/{site_id}", response_model=SiteOut, summary="Show a site")
def show_site(site_id: str, caller: Caller = _VIEWER, ctx: AppContext = _CTX) -> SiteOut:
    with ctx.db.unit_of_work(readonly=True) as uow:
        return SiteOut.model_validate(service.get_site(uow, site_id))


@router.patch("/{site_id}", response_model=SiteOut, summary="Edit a site (manager)")
def update_site(
    site_id: str, body: SiteUpdate, caller: Caller = _MANAGER, ctx: AppContext = _CTX
) -> SiteOut:
    with ctx.db.unit_of_work() as uow:
        site = service.do_update_site(uow, caller.actor, site_id, body)
        uow.commit()
        return SiteOut.model_validate(site)


@router.delete("/{site_id}", status_code=204, summary="Delete a site (manager)")
def delete_site(site_id: str, caller: Caller = _MANAGER, ctx: AppContext = _CTX) -> Response:
    with ctx.db.unit_of_work() as uow:
        service.do_delete_site(uow, caller.actor, site_id)
        uow.commit()
    return Response(status_code=204)


@router.get("/{site_id}/zones", response_model=ListOut[ZoneOut], summary="List a site's zones")
def list_zones(site_id: str, caller: Caller = _VIEWER, ctx: AppContext = _CTX) -> ListOut[ZoneOut]:
    with ctx.db.unit_of_work(readonly=True) as uow:
        site = service.get_site(uow, site_id)
        return ListOut(items=[ZoneOut.model_validate(z) for z in service.list_zones(uow, site.id)])


@router.post(
    "/{site_id}/zones", response_model=ZoneOut, status_code=201, summary="Add a zone (manager)"
)
def add_zone(
    site_id: str, body: ZoneCreate, caller: Caller = _MANAGER, ctx: AppContext = _CTX
) -> ZoneOut:
    with ctx.db.unit_of_work() as uow:
        zone = service.do_add_zone(uow, caller.actor, site_id, body)
        uow.commit()
        return ZoneOut.model_validate(zone)


@router.patch("/{site_id}/zones/{zone_id}", response_model=ZoneOut, summary="Edit a zone (manager)")
def update_zone(
    site_id: str, zone_id: str, body: ZoneUpdate, caller: Caller = _MANAGER,
    ctx: AppContext = _CTX,
) -> ZoneOut:  # fmt: skip
    with ctx.db.unit_of_work() as uow:
        zone = service.do_update_zone(uow, caller.actor, site_id, zone_id, body)
        uow.commit()
        return ZoneOut.model_validate(zone)


@router.delete("/{site_id}/zones/{zone_id}", status_code=204, summary="Remove a zone (manager)")
def remove_zone(
    site_id: str, zone_id: str, caller: Caller = _MANAGER, ctx: AppContext = _CTX
) -> Response:
    with ctx.db.unit_of_work() as uow:
        service.do_remove_zone(uow, caller.actor, site_id, zone_id)
        uow.commit()
    return Response(status_code=204)


@router.get(
    "/{site_id}/devices", response_model=ListOut[DeviceOut], summary="List a site's devices"
)
def list_devices(
    site_id: str, caller: Caller = _VIEWER, ctx: AppContext = _CTX
) -> ListOut[DeviceOut]:
    with ctx.db.unit_of_work(readonly=True) as uow:
        site = service.get_site(uow, site_id)
        found = devices.list_devices(uow, site.id)
        return ListOut(items=[DeviceOut.model_validate(d) for d in found])


@router.post(
    "/{site_id}/devices", response_model=DeviceOut, status_code=201,
    summary="Add a device (manager)",
)  # fmt: skip
def add_device(
    site_id: str, body: DeviceCreate, caller: Caller = _MANAGER, ctx: AppContext = _CTX
) -> DeviceOut:
    with ctx.db.unit_of_work() as uow:
        device = devices.do_add_device(uow, caller.actor, site_id, body)
        uow.commit()
        return DeviceOut.model_validate(device)


@router.patch(
    "/{site_id}/devices/{device_id}", response_model=DeviceOut, summary="Edit a device (manager)"
)
def update_device(
    site_id: str, device_id: str, body: DeviceUpdate, caller: Caller = _MANAGER,
    ctx: AppContext = _CTX,
) -> DeviceOut:  # fmt: skip
    with ctx.db.unit_of_work() as uow:
        device = devices.do_update_device(uow, caller.actor, site_id, device_id, body)
        uow.commit()
        return DeviceOut.model_validate(device)


@router.delete(
    "/{site_id}/devices/{device_id}", status_code=204, summary="Remove a device (manager)"
)
def remove_device(
    site_id: str, device_id: str, caller: Caller = _MANAGER, ctx: AppContext = _CTX
) -> Response:
    with ctx.db.unit_of_work() as uow:
        devices.do_remove_device(uow, caller.actor, site_id, device_id)
        uow.commit()
    return Response(status_code=204)


@trail_router.get(
    "", response_model=ListOut[SightingOut],
    summary="Where an identity (badge, face, plate) was seen between two times (responder)",
)  # fmt: skip
def trail(
    identity: str = Query(min_length=1, max_length=255),
    since: datetime = Query(description="RFC 3339, with a zone"),
    until: datetime = Query(description="RFC 3339, with a zone"),
    site_id: str | None = Query(default=None, max_length=36),
    caller: Caller = _RESPONDER,
    ctx: AppContext = _CTX,
) -> ListOut[SightingOut]:
    with ctx.db.unit_of_work(readonly=True) as uow:
        return ListOut(items=identity_trail(uow, identity, since, until, site_id))
