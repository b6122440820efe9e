"""/api/v1/alerts and /api/v1/alert-groups: find, acknowledge and resolve."""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter, Depends, Query

from muster.domain.alerts import service as alerts
from muster.domain.alerts.schemas import AlertBulkAction, AlertDetailOut, AlertOut
from muster.domain.events.actor import Role
from muster.web.api.common import PROBLEM_RESPONSES, ListOut
from muster.web.auth import Caller, api_caller
from muster.web.context import AppContext, app_context

router = APIRouter(tags=["alerts"], responses=PROBLEM_RESPONSES)
Status = Literal["triggered", "acknowledged", "resolved"]
Severity = Literal["critical", "error", "warning", "info"]


@router.get("/alerts", response_model=ListOut[AlertOut], summary="Alerts, most recently seen first")
def list_alerts(
    service_id: str | None = Query(None, max_length=36),
    status: list[Status] = Query(default_factory=list),
    severity: list[Severity] = Query(default_factory=list),
    q: str | None = Query(None, max_length=200, description="Text in summary, source or dedup key"),
    suppressed: bool | None = None,
    site: str | None = Query(None, max_length=36, description="A site's id"),
    cursor: str | None = None,
    limit: int = Query(100, ge=1, le=500),
    caller: Caller = Depends(api_caller(Role.VIEWER)),
    ctx: AppContext = Depends(app_context),
) -> ListOut[AlertOut]:
    f = alerts.AlertFilter(
        service_id=service_id,
        status=status,
        severity=severity,
        text=q,
        suppressed=suppressed,
        site_id=site,
    )
    with ctx.db.unit_of_work(readonly=True) as uow:
        page = alerts.list_alerts(uow, f, cursor=cursor, limit=limit)
        return ListOut(
            items=[AlertOut.model_validate(a) for a in page.items], next_cursor=page.next_cursor
        )


@router.get(
    "/alerts/{alert_id}", response_model=AlertDetailOut, summary="One alert with its raw payload"
)
def show_alert(
    alert_id: str,
    caller: Caller = Depends(api_caller(Role.VIEWER)),
    ctx: AppContext = Depends(app_context),
) -> AlertDetailOut:
    with ctx.db.unit_of_work(readonly=True) as uow:
        return AlertDetailOut.model_validate(alerts.get_alert(uow, alert_id))


@router.post(
    "/alerts/{alert_id}/acknowledge", response_model=AlertOut, summary="Acknowledge (responder)"
)
def acknowledge(
    alert_id: str,
    caller: Caller = Depends(api_caller(Role.RESPONDER)),
    ctx: AppContext = Depends(app_context),
) -> AlertOut:
    with ctx.db.unit_of_work() as uow:
        (alert,) = alerts.do_acknowledge_alerts(uow, caller.actor, [alert_id])
        uow.commit()
        return AlertOut.model_validate(alert)


@router.post("/alerts/{alert_id}/resolve", response_model=AlertOut, summary="Resolve (responder)")
def resolve(
    alert_id: str,
    caller: Caller = Depends(api_caller(Role.RESPONDER)),
    ctx: AppContext = Depends(app_context),
) -> AlertOut:
    with ctx.db.unit_of_work() as uow:
        (alert,) = alerts.do_resolve_alerts(uow, caller.actor, [alert_id])
        uow.commit()
        return AlertOut.model_validate(alert)


@router.post(
    "/alerts/acknowledge", response_model=ListOut[AlertOut], summary="Acknowledge many (responder)"
)
def bulk_acknowledge(
    body: AlertBulkAction, caller: Caller = Depends(api_caller(Role.RESPONDER)),
    ctx: AppContext = Depends(app_context),
) -> ListOut[AlertOut]:  # fmt: skip
    with ctx.db.unit_of_work() as uow:
        rows = alerts.do_acknowledge_alerts(uow, caller.actor, body.ids)
        uow.commit()
        return ListOut(items=[AlertOut.model_validate(a) for a in rows])


@router.post(
    "/alerts/resolve", response_model=ListOut[AlertOut], summary="Resolve many (responder)"
)
def bulk_resolve(
    body: AlertBulkAction, caller: Caller = Depends(api_caller(Role.RESPONDER)),
    ctx: AppContext = Depends(app_context),
) -> ListOut[AlertOut]:  # fmt: skip
    with ctx.db.unit_of_work() as uow:
        rows = alerts.do_resolve_alerts(uow, caller.actor, body.ids)
        uow.commit()
        return ListOut(items=[AlertOut.model_validate(a) for a in rows])
