"""/api/v1/incidents/{id}: roles (assign, hand off, relinquish, from a schedule, history),
participants (join, add and page, leave) and linked alert groups."""

from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter, Depends
from pydantic import BaseModel, Field

from muster.domain.events.actor import Role
from muster.domain.incidents import links, participants, roles
from muster.domain.incidents import service as incidents
from muster.domain.incidents.schemas import IncidentOut
from muster.domain.incidents.views import incident_out
from muster.domain.incidents.visibility import get_visible_incident
from muster.errors import FieldError, InvalidInput
from muster.web.api.common import PROBLEM_RESPONSES
from muster.web.auth import Caller, api_caller
from muster.web.context import AppContext, app_context

router = APIRouter(tags=["incidents"], responses=PROBLEM_RESPONSES)
ONE = "/incidents/{incident_id}"


class RoleIn(BaseModel):
    user_id: str | None = Field(default=None, min_length=1, max_length=36)
    schedule_id: str | None = Field(
        default=None, min_length=1, max_length=36, description="Whoever is on call on it now"
    )


class RoleHistoryOut(BaseModel):
    role: str
    role_name: str
    user_id: str
    user_name: str
    started_at: datetime
    ended_at: datetime | None
    assigned_by: str
    ended_by: str | None


class ParticipantIn(BaseModel):
    user_id: str = Field(min_length=1, max_length=36)
    page: bool = Field(default=True, description="Page them through their contact methods")


class ParticipantOut(BaseModel):
    user_id: str
    user_name: str
    joined_at: datetime
    added_by: str


class GroupsIn(BaseModel):
    group_ids: list[str] = Field(min_length=1, max_length=50)


@router.put(
    ONE + "/roles/{role}",
    response_model=IncidentOut,
    summary="Give a role to a person or to whoever is on call (responder); hands it off",
)
def assign_role(
    incident_id: str,
    role: str,
    body: RoleIn,
    caller: Caller = Depends(api_caller(Role.RESPONDER)),
    ctx: AppContext = Depends(app_context),
) -> IncidentOut:
    if (body.user_id is None) == (body.schedule_id is None):
        raise InvalidInput(
            "name a person or a schedule",
            errors=[FieldError("user_id", "give exactly one of user_id and schedule_id")],
        )
    with ctx.db.unit_of_work() as uow:
        if body.schedule_id is not None:
            roles.do_assign_role_from_schedule(
                uow, caller.actor, incident_id, role, body.schedule_id
            )
        else:
            assert body.user_id is not None
            roles.do_assign_role(uow, caller.actor, incident_id, role, body.user_id)
        uow.commit()
        return incident_out(uow, incidents.get_incident(uow, caller.actor, incident_id))


@router.delete(
    ONE + "/roles/{role}", response_model=IncidentOut, summary="Relinquish a role (responder)"
)
def relinquish_role(
    incident_id: str,
    role: str,
    caller: Caller = Depends(api_caller(Role.RESPONDER)),
    ctx: AppContext = Depends(app_context),
) -> IncidentOut:
    with ctx.db.unit_of_work() as uow:
        incident = roles.do_relinquish_role(uow, caller.actor, incident_id, role)
        uow.commit()
        return incident_out(uow, incident)


@router.get(
    ONE + "/role-history",
    response_model=list[RoleHistoryOut],
    summary="Who held which role, from when to when",
)
def role_history(
    incident_id: str,
    caller: Caller = Depends(api_caller(Role.VIEWER)),
    ctx: AppContext = Depends(app_context),
) -> list[RoleHistoryOut]:
    with ctx.db.unit_of_work(readonly=True) as uow:
        get_visible_incident(uow, caller.actor, incident_id)
        return [
            RoleHistoryOut(
                role=a.role_type.key,
                role_name=a.role_type.name,
                user_id=a.user_id,
                user_name=a.user.name,
                started_at=a.started_at,
                ended_at=a.ended_at,
                assigned_by=a.assigned_by,
                ended_by=a.ended_by,
            )
            for a in roles.role_history(uow, incident_id)
        ]


@router.get(
    ONE + "/participants", response_model=list[ParticipantOut], summary="Who takes part now"
)
def list_participants(
    incident_id: str,
    caller: Caller = Depends(api_caller(Role.VIEWER)),
    ctx: AppContext = Depends(app_context),
) -> list[ParticipantOut]:
    with ctx.db.unit_of_work(readonly=True) as uow:
        get_visible_incident(uow, caller.actor, incident_id)
        return [
            ParticipantOut(
                user_id=p.user_id,
                user_name=p.user.name,
                joined_at=p.joined_at,
                added_by=p.added_by,
            )
            for p in participants.active_participants(uow, incident_id)
        ]


@router.post(
    ONE + "/participants",
    response_model=IncidentOut,
    status_code=201,
    summary="Add someone, and page them unless page is false (responder)",
)
def add_participant(
    incident_id: str,
    body: ParticipantIn,
    caller: Caller = Depends(api_caller(Role.RESPONDER)),
    ctx: AppContext = Depends(app_context),
) -> IncidentOut:
    with ctx.db.unit_of_work() as uow:
        incident = participants.do_add_participant(
            uow, caller.actor, incident_id, body.user_id, page=body.page
        )
        uow.commit()
        return incident_out(uow, incident)


@router.post(ONE + "/join", response_model=IncidentOut, summary="Join yourself (responder)")
def join(
    incident_id: str,
    caller: Caller = Depends(api_caller(Role.RESPONDER)),
    ctx: AppContext = Depends(app_context),
) -> IncidentOut:
    with ctx.db.unit_of_work() as uow:
        incident = participants.do_join(uow, caller.actor, incident_id)
        uow.commit()
        return incident_out(uow, incident)


@router.delete(
    ONE + "/participants/{user_id}",
    response_model=IncidentOut,
    summary="Leave (yourself) or remove someone (manager); their roles end",
)
def leave(
    incident_id: str,
    user_id: str,
    caller: Caller = Depends(api_caller(Role.RESPONDER)),
    ctx: AppContext = Depends(app_context),
) -> IncidentOut:
    with ctx.db.unit_of_work() as uow:
        incident = participants.do_leave(uow, caller.actor, incident_id, user_id)
        uow.commit()
        return incident_out(uow, incident)


@router.post(
    ONE + "/alert-groups",
    response_model=IncidentOut,
    summary="Link alert groups (responder)",
)
def link_groups(
    incident_id: str,
    body: GroupsIn,
    caller: Caller = Depends(api_caller(Role.RESPONDER)),
    ctx: AppContext = Depends(app_context),
) -> IncidentOut:
    with ctx.db.unit_of_work() as uow:
        incident = links.do_link_alert_groups(uow, caller.actor, incident_id, body.group_ids)
        uow.commit()
        return incident_out(uow, incident)
