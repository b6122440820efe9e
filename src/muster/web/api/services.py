"""/api/v1/services."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Query, Response

from muster.domain.catalog import service as catalog
from muster.domain.catalog.schemas import ServiceCreate, ServiceOut, ServiceUpdate
from muster.domain.events.actor import Role
from muster.web.api.common import PROBLEM_RESPONSES, ListOut
from muster.web.auth import Caller, api_caller
from muster.web.context import AppContext, app_context

router = APIRouter(prefix="/services", tags=["services"], responses=PROBLEM_RESPONSES)


@router.get("", response_model=ListOut[ServiceOut], summary="List services")
def list_services(
    cursor: str | None = None,
    limit: int = Query(100, ge=1, le=500),
    archived: bool = False,
    team_id: str | None = None,
    caller: Caller = Depends(api_caller(Role.VIEWER)),
    ctx: AppContext = Depends(app_context),
) -> ListOut[ServiceOut]:
    with ctx.db.unit_of_work(readonly=True) as uow:
        page = catalog.list_services(
            uow, cursor=cursor, limit=limit, archived=archived, team_id=team_id
        )
        return ListOut(
            items=[catalog.service_out(s) for s in page.items], next_cursor=page.next_cursor
        )


@router.post("", response_model=ServiceOut, status_code=201, summary="Create a service (manager)")
def create_service(
    body: ServiceCreate,
    response: Response,
    caller: Caller = Depends(api_caller(Role.MANAGER)),
    ctx: AppContext = Depends(app_context),
) -> ServiceOut:
    with ctx.db.unit_of_work() as uow:
        service = catalog.do_create_service(uow, caller.actor, body)
        uow.commit()
        response.headers["Location"] = f"/api/v1/services/{service.id}"
        return catalog.service_out(service)


@router.get("/{service_id}", response_model=ServiceOut, summary="Show a service")
def show_service(
    service_id: str,
    caller: Caller = Depends(api_caller(Role.VIEWER)),
    ctx: AppContext = Depends(app_context),
) -> ServiceOut:
    with ctx.db.unit_of_work(readonly=True) as uow:
        return catalog.service_out(catalog.get_service(uow, service_id))


@router.patch("/{service_id}", response_model=ServiceOut, summary="Edit a service (manager)")
def update_service(
    service_id: str,
    body: ServiceUpdate,
    caller: Caller = Depends(api_caller(Role.MANAGER)),
    ctx: AppContext = Depends(app_context),
) -> ServiceOut:
    with ctx.db.unit_of_work() as uow:
        service = catalog.do_update_service(uow, caller.actor, service_id, body)
        uow.commit()
        return catalog.service_out(service)


@router.post(
    "/{service_id}/archive", response_model=ServiceOut, summary="Archive a service (manager)"
)
def archive_service(
    service_id: str,
    caller: Caller = Depends(api_caller(Role.MANAGER)),
    ctx: AppContext = Depends(app_context),
) -> ServiceOut:
    with ctx.db.unit_of_work() as uow:
        service = catalog.do_archive_service(uow, caller.actor, service_id)
        uow.commit()
        return catalog.service_out(service)
