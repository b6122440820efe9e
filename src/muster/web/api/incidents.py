"""/api/v1/incidents: declare, list and filter, show, change fields, move through the
lifecycle, correct timestamps, roles, participants and linked alert groups.

A restricted incident is a 404 for anyone who may not see it, on every route here.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Response

from muster.domain.events.actor import Role
from muster.domain.incidents import service as incidents
from muster.domain.incidents import transitions
from muster.domain.incidents.schemas import (
    IncidentCreate,
    IncidentOut,
    IncidentUpdate,
    Status,
    TimestampCorrection,
    TransitionIn,
)
from muster.domain.incidents.views import incident_out, incidents_out
from muster.web.api.common import PROBLEM_RESPONSES, ListOut
from muster.web.auth import Caller, api_caller
from muster.web.context import AppContext, app_context

router = APIRouter(tags=["incidents"], responses=PROBLEM_RESPONSES)
BASE = "/incidents"
ONE = BASE + "/{incident_id}"
Text = Annotated[str | None, Query(max_length=200)]


@router.get(BASE, response_model=ListOut[IncidentOut], summary="List incidents, newest first")
def list_incidents(
    status: list[Status] = Query([]),
    severity: list[int] = Query([], description="1 to 5"),
    type: list[str] = Query([], max_length=20),
    service_id: str | None = Query(None, max_length=36),
    site: Text = None,
    role_holder_id: str | None = Query(None, max_length=36),
    tag: list[str] = Query([], max_length=10),
    q: Text = None,
    cursor: str | None = Query(None, max_length=400),
    limit: int = Query(50, ge=1, le=200),
    caller: Caller = Depends(api_caller(Role.VIEWER)),
    ctx: AppContext = Depends(app_context),
) -> ListOut[IncidentOut]:
    f = incidents.IncidentFilter(
        status=status, severity=severity, type=type, service_id=service_id, site=site,
        role_holder_id=role_holder_id, text=q, tags=tag,
    )  # fmt: skip
    with ctx.db.unit_of_work(readonly=True) as uow:
        page = incidents.list_incidents(uow, caller.actor, f, cursor=cursor, limit=limit)
        return ListOut(items=incidents_out(uow, page.items), next_cursor=page.next_cursor)


@router.post(
    BASE, response_model=IncidentOut, status_code=201, summary="Declare an incident (responder)"
)
def declare(
    body: IncidentCreate,
    response: Response,
    caller: Caller = Depends(api_caller(Role.RESPONDER)),
    ctx: AppContext = Depends(app_context),
) -> IncidentOut:
    with ctx.db.unit_of_work() as uow:
        incident = incidents.do_declare_incident(uow, caller.actor, body)
        uow.commit()
        response.headers["Location"] = f"/api/v1{BASE}/{incident.id}"
        return incident_out(uow, incident)


@router.get(ONE, response_model=IncidentOut, summary="Show an incident")
def show(
    incident_id: str,
    caller: Caller = Depends(api_caller(Role.VIEWER)),
    ctx: AppContext = Depends(app_context),
) -> IncidentOut:
    with ctx.db.unit_of_work(readonly=True) as uow:
        return incident_out(uow, incidents.get_incident(uow, caller.actor, incident_id))


@router.patch(ONE, response_model=IncidentOut, summary="Change fields (responder)")
def update(
    incident_id: str,
    body: IncidentUpdate,
    caller: Caller = Depends(api_caller(Role.RESPONDER)),
    ctx: AppContext = Depends(app_context),
) -> IncidentOut:
    with ctx.db.unit_of_work() as uow:
        incident = incidents.do_update_incident(uow, caller.actor, incident_id, body)
        uow.commit()
        return incident_out(uow, incident)


@router.post(
    ONE + "/transitions",
    response_model=IncidentOut,
    summary="Move to another status (responder); back to investigating reopens",
)
def transition(
    incident_id: str,
    body: TransitionIn,
    caller: Caller = Depends(api_caller(Role.RESPONDER)),
    ctx: AppContext = Depends(app_context),
) -> IncidentOut:
    with ctx.db.unit_of_work() as uow:
        incident = transitions.do_transition(
            uow, caller.actor, incident_id, body.status, note=body.note
        )
        uow.commit()
        return incident_out(uow, incident)


@router.post(
    ONE + "/timestamp-corrections",
    response_model=IncidentOut,
    summary="Correct when a phase began, with a reason (manager)",
)
def correct_timestamp(
    incident_id: str,
    body: TimestampCorrection,
    caller: Caller = Depends(api_caller(Role.MANAGER)),
    ctx: AppContext = Depends(app_context),
) -> IncidentOut:
    with ctx.db.unit_of_work() as uow:
        incident = transitions.do_correct_timestamp(uow, caller.actor, incident_id, body)
        uow.commit()
        return incident_out(uow, incident)
