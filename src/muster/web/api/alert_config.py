"""/api/v1/routing-rules, maintenance windows and a service's alert settings."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Response

from muster.domain.alerts import maintenance, rules
from muster.domain.alerts.schemas import MaintenanceIn, MaintenanceOut, RuleIn, RuleOut
from muster.domain.alerts.settings import AlertSettingsIn, do_update_alert_settings
from muster.domain.catalog.schemas import ServiceOut
from muster.domain.catalog.service import service_out
from muster.domain.events.actor import Role
from muster.web.api.common import PROBLEM_RESPONSES, ListOut
from muster.web.auth import Caller, api_caller
from muster.web.context import AppContext, app_context

router = APIRouter(responses=PROBLEM_RESPONSES)


@router.get(
    "/routing-rules", response_model=ListOut[RuleOut], tags=["routing"], summary="Rules, in order"
)
def list_rules(
    caller: Caller = Depends(api_caller(Role.VIEWER)), ctx: AppContext = Depends(app_context)
) -> ListOut[RuleOut]:
    with ctx.db.unit_of_work(readonly=True) as uow:
        return ListOut(items=[RuleOut.model_validate(r) for r in rules.list_rules(uow)])


@router.post("/routing-rules", response_model=RuleOut, status_code=201, tags=["routing"],
             summary="Add a rule (manager)")  # fmt: skip
def create_rule(body: RuleIn, caller: Caller = Depends(api_caller(Role.MANAGER)),
                ctx: AppContext = Depends(app_context)) -> RuleOut:  # fmt: skip
    with ctx.db.unit_of_work() as uow:
        row = rules.do_create_rule(uow, caller.actor, body)
        uow.commit()
        return RuleOut.model_validate(row)


@router.put(
    "/routing-rules/{rule_id}",
    response_model=RuleOut,
    tags=["routing"],
    summary="Replace a rule (manager)",
)
def update_rule(rule_id: str, body: RuleIn, caller: Caller = Depends(api_caller(Role.MANAGER)),
                ctx: AppContext = Depends(app_context)) -> RuleOut:  # fmt: skip
    with ctx.db.unit_of_work() as uow:
        row = rules.do_update_rule(uow, caller.actor, rule_id, body)
        uow.commit()
        return RuleOut.model_validate(row)


@router.delete(
    "/routing-rules/{rule_id}", status_code=204, tags=["routing"], summary="Delete a rule (manager)"
)
def delete_rule(rule_id: str, caller: Caller = Depends(api_caller(Role.MANAGER)),
                ctx: AppContext = Depends(app_context)) -> Response:  # fmt: skip
    with ctx.db.unit_of_work() as uow:
        rules.do_delete_rule(uow, caller.actor, rule_id)
        uow.commit()
    return Response(status_code=204)


@router.get("/services/{service_id}/maintenance-windows", response_model=ListOut[MaintenanceOut],
            tags=["maintenance"], summary="Current and future windows")  # fmt: skip
def list_windows(service_id: str, include_past: bool = False, caller: Caller = Depends(api_caller(Role.VIEWER)),
                 ctx: AppContext = Depends(app_context)) -> ListOut[MaintenanceOut]:  # fmt: skip
    with ctx.db.unit_of_work(readonly=True) as uow:
        rows = maintenance.list_maintenance(uow, service_id, include_past=include_past)
        return ListOut(items=[MaintenanceOut.model_validate(w) for w in rows])


@router.post("/services/{service_id}/maintenance-windows", response_model=MaintenanceOut, status_code=201,
             tags=["maintenance"], summary="Schedule a window (responder)")  # fmt: skip
def create_window(service_id: str, body: MaintenanceIn, caller: Caller = Depends(api_caller(Role.RESPONDER)),
                  ctx: AppContext = Depends(app_context)) -> MaintenanceOut:  # fmt: skip
    with ctx.db.unit_of_work() as uow:
        window = maintenance.do_create_maintenance(uow, caller.actor, service_id, body)
        uow.commit()
        return MaintenanceOut.model_validate(window)


@router.post("/maintenance-windows/{window_id}/cancel", response_model=MaintenanceOut, tags=["maintenance"],
             summary="End a window now (responder)")  # fmt: skip
def cancel_window(window_id: str, caller: Caller = Depends(api_caller(Role.RESPONDER)),
                  ctx: AppContext = Depends(app_context)) -> MaintenanceOut:  # fmt: skip
    with ctx.db.unit_of_work() as uow:
        window = maintenance.do_cancel_maintenance(uow, caller.actor, window_id)
        uow.commit()
        return MaintenanceOut.model_validate(window)


@router.patch("/services/{service_id}/alert-settings", response_model=ServiceOut, tags=["services"],
              summary="Grouping and flapping settings (manager)")  # fmt: skip
def update_alert_settings(service_id: str, body: AlertSettingsIn, caller: Caller = Depends(api_caller(Role.MANAGER)),
                          ctx: AppContext = Depends(app_context)) -> ServiceOut:  # fmt: skip
    with ctx.db.unit_of_work() as uow:
        service = do_update_alert_settings(uow, caller.actor, service_id, body)
        uow.commit()
        return service_out(service)
