"""/api/v1/services/{id}/integrations and /api/v1/integrations/{id}."""

from __future__ import annotations

from fastapi import APIRouter, Depends

from muster.domain.alerts import integrations as svc
from muster.domain.alerts.models import Integration
from muster.domain.alerts.schemas import IntegrationCreate, IntegrationOut, IntegrationUpdate
from muster.domain.events.actor import Role
from muster.web.api.common import PROBLEM_RESPONSES, ListOut
from muster.web.auth import Caller, api_caller
from muster.web.context import AppContext, app_context

router = APIRouter(tags=["integrations"], responses=PROBLEM_RESPONSES)


def _out(ctx: AppContext, integration: Integration) -> IntegrationOut:
    return svc.integration_out(integration, ctx.settings.base_url, ctx.settings.email_domain)


@router.get("/services/{service_id}/integrations", response_model=ListOut[IntegrationOut],
            summary="A service's integrations")  # fmt: skip
def list_integrations(
    service_id: str,
    caller: Caller = Depends(api_caller(Role.VIEWER)),
    ctx: AppContext = Depends(app_context),
) -> ListOut[IntegrationOut]:
    with ctx.db.unit_of_work(readonly=True) as uow:
        return ListOut(items=[_out(ctx, i) for i in svc.list_integrations(uow, service_id)])


@router.post("/services/{service_id}/integrations", response_model=IntegrationOut, status_code=201,
             summary="Add an integration to a service (manager)")  # fmt: skip
def create_integration(
    service_id: str, body: IntegrationCreate,
    caller: Caller = Depends(api_caller(Role.MANAGER)), ctx: AppContext = Depends(app_context),
) -> IntegrationOut:  # fmt: skip
    with ctx.db.unit_of_work() as uow:
        integration = svc.do_create_integration(uow, caller.actor, service_id, body)
        uow.commit()
        return _out(ctx, integration)


@router.get(
    "/integrations/{integration_id}", response_model=IntegrationOut, summary="Show an integration"
)
def show_integration(
    integration_id: str,
    caller: Caller = Depends(api_caller(Role.VIEWER)),
    ctx: AppContext = Depends(app_context),
) -> IntegrationOut:
    with ctx.db.unit_of_work(readonly=True) as uow:
        return _out(ctx, svc.get_integration(uow, integration_id))


@router.patch("/integrations/{integration_id}", response_model=IntegrationOut,
              summary="Edit an integration (manager)")  # fmt: skip
def update_integration(
    integration_id: str, body: IntegrationUpdate,
    caller: Caller = Depends(api_caller(Role.MANAGER)), ctx: AppContext = Depends(app_context),
) -> IntegrationOut:  # fmt: skip
    with ctx.db.unit_of_work() as uow:
        integration = svc.do_update_integration(uow, caller.actor, integration_id, body)
        uow.commit()
        return _out(ctx, integration)


@router.post("/integrations/{integration_id}/regenerate-key", response_model=IntegrationOut,
             summary="Replace the key; the old one stops working (manager)")  # fmt: skip
def regenerate_key(
    integration_id: str,
    caller: Caller = Depends(api_caller(Role.MANAGER)),
    ctx: AppContext = Depends(app_context),
) -> IntegrationOut:
    with ctx.db.unit_of_work() as uow:
        integration = svc.do_regenerate_key(uow, caller.actor, integration_id)
        uow.commit()
        return _out(ctx, integration)


@router.post("/integrations/{integration_id}/revoke", response_model=IntegrationOut,
             summary="Revoke the key (manager)")  # fmt: skip
def revoke(
    integration_id: str,
    caller: Caller = Depends(api_caller(Role.MANAGER)),
    ctx: AppContext = Depends(app_context),
) -> IntegrationOut:
    with ctx.db.unit_of_work() as uow:
        integration = svc.do_revoke_integration(uow, caller.actor, integration_id)
        uow.commit()
        return _out(ctx, integration)
