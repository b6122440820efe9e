"""/api/v1/severity-levels, /api/v1/incident-types and /api/v1/incident-role-types:
everyone reads them (the declare form shows the definitions); admins edit them."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Path, Response

from muster.domain.events.actor import Role
from muster.domain.incidents import settings
from muster.domain.incidents.roles import role_types
from muster.domain.incidents.service import incident_types, severity_levels
from muster.domain.incidents.settings_schemas import (
    IncidentTypeCreate,
    IncidentTypeOut,
    IncidentTypeUpdate,
    RoleTypeCreate,
    RoleTypeOut,
    RoleTypeUpdate,
    SeverityEdit,
    SeverityOut,
)
from muster.web.api.common import PROBLEM_RESPONSES, ListOut
from muster.web.auth import Caller, api_caller
from muster.web.context import AppContext, app_context

router = APIRouter(tags=["incident settings"], responses=PROBLEM_RESPONSES)
LEVELS = "/severity-levels"
TYPES = "/incident-types"
ROLES = "/incident-role-types"
Level = Path(ge=1, le=5, description="1 (SEV1) to 5 (SEV5)")

# ---------------------------------------------------------------- severity levels


@router.get(LEVELS, response_model=ListOut[SeverityOut], summary="List severity definitions")
def list_levels(
    caller: Caller = Depends(api_caller(Role.VIEWER)), ctx: AppContext = Depends(app_context)
) -> ListOut[SeverityOut]:
    with ctx.db.unit_of_work(readonly=True) as uow:
        return ListOut(items=[SeverityOut.model_validate(lv) for lv in severity_levels(uow)])


@router.get(LEVELS + "/{level}", response_model=SeverityOut, summary="Show a severity definition")
def show_level(
    level: int = Level,
    caller: Caller = Depends(api_caller(Role.VIEWER)),
    ctx: AppContext = Depends(app_context),
) -> SeverityOut:
    with ctx.db.unit_of_work(readonly=True) as uow:
        return SeverityOut.model_validate(settings.get_severity(uow, level))


@router.patch(
    LEVELS + "/{level}", response_model=SeverityOut, summary="Edit a severity definition (admin)"
)
def edit_level(
    body: SeverityEdit,
    level: int = Level,
    caller: Caller = Depends(api_caller(Role.ADMIN)),
    ctx: AppContext = Depends(app_context),
) -> SeverityOut:
    with ctx.db.unit_of_work() as uow:
        row = settings.do_update_severity(uow, caller.actor, level, body)
        uow.commit()
        return SeverityOut.model_validate(row)


# ---------------------------------------------------------------- incident types


@router.get(TYPES, response_model=ListOut[IncidentTypeOut], summary="List incident types")
def list_types(
    archived: bool = False,
    caller: Caller = Depends(api_caller(Role.VIEWER)),
    ctx: AppContext = Depends(app_context),
) -> ListOut[IncidentTypeOut]:
    """Built-in first; ``archived=true`` includes archived ones."""
    with ctx.db.unit_of_work(readonly=True) as uow:
        rows = incident_types(uow, include_archived=archived)
        return ListOut(items=[IncidentTypeOut.model_validate(t) for t in rows])


@router.post(
    TYPES, response_model=IncidentTypeOut, status_code=201, summary="Add an incident type (admin)"
)
def create_type(
    body: IncidentTypeCreate,
    response: Response,
    caller: Caller = Depends(api_caller(Role.ADMIN)),
    ctx: AppContext = Depends(app_context),
) -> IncidentTypeOut:
    with ctx.db.unit_of_work() as uow:
        row = settings.do_create_incident_type(uow, caller.actor, body)
        uow.commit()
        response.headers["Location"] = f"/api/v1{TYPES}/{row.id}"
        return IncidentTypeOut.model_validate(row)


@router.get(TYPES + "/{type_id}", response_model=IncidentTypeOut, summary="Show an incident type")
def show_type(
    type_id: str,
    caller: Caller = Depends(api_caller(Role.VIEWER)),
    ctx: AppContext = Depends(app_context),
) -> IncidentTypeOut:
    with ctx.db.unit_of_work(readonly=True) as uow:
        return IncidentTypeOut.model_validate(settings.get_incident_type(uow, type_id))


@router.patch(
    TYPES + "/{type_id}", response_model=IncidentTypeOut, summary="Edit an incident type (admin)"
)
def edit_type(
    type_id: str,
    body: IncidentTypeUpdate,
    caller: Caller = Depends(api_caller(Role.ADMIN)),
    ctx: AppContext = Depends(app_context),
) -> IncidentTypeOut:
    with ctx.db.unit_of_work() as uow:
        row = settings.do_update_incident_type(uow, caller.actor, type_id, body)
        uow.commit()
        return IncidentTypeOut.model_validate(row)


@router.post(
    TYPES + "/{type_id}/archive",
    response_model=IncidentTypeOut,
    summary="Archive an incident type (admin; not a built-in one)",
)
def archive_type(
    type_id: str,
    caller: Caller = Depends(api_caller(Role.ADMIN)),
    ctx: AppContext = Depends(app_context),
) -> IncidentTypeOut:
    with ctx.db.unit_of_work() as uow:
        row = settings.do_archive_incident_type(uow, caller.actor, type_id)
        uow.commit()
        return IncidentTypeOut.model_validate(row)


@router.post(
    TYPES + "/{type_id}/restore",
    response_model=IncidentTypeOut,
    summary="Restore an archived incident type (admin)",
)
def restore_type(
    type_id: str,
    caller: Caller = Depends(api_caller(Role.ADMIN)),
    ctx: AppContext = Depends(app_context),
) -> IncidentTypeOut:
    with ctx.db.unit_of_work() as uow:
        row = settings.do_restore_incident_type(uow, caller.actor, type_id)
        uow.commit()
        return IncidentTypeOut.model_validate(row)


# ---------------------------------------------------------------- role types


@router.get(ROLES, response_model=ListOut[RoleTypeOut], summary="List incident role types")
def list_roles(
    archived: bool = False,
    caller: Caller = Depends(api_caller(Role.VIEWER)),
    ctx: AppContext = Depends(app_context),
) -> ListOut[RoleTypeOut]:
    """In their listed order; ``archived=true`` includes archived ones."""
    with ctx.db.unit_of_work(readonly=True) as uow:
        rows = role_types(uow, include_archived=archived)
        return ListOut(items=[RoleTypeOut.model_validate(r) for r in rows])


@router.post(ROLES, response_model=RoleTypeOut, status_code=201, summary="Add a role type (admin)")
def create_role(
    body: RoleTypeCreate,
    response: Response,
    caller: Caller = Depends(api_caller(Role.ADMIN)),
    ctx: AppContext = Depends(app_context),
) -> RoleTypeOut:
    with ctx.db.unit_of_work() as uow:
        row = settings.do_create_role_type(uow, caller.actor, body)
        uow.commit()
        response.headers["Location"] = f"/api/v1{ROLES}/{row.id}"
        return RoleTypeOut.model_validate(row)


@router.get(ROLES + "/{role_type_id}", response_model=RoleTypeOut, summary="Show a role type")
def show_role(
    role_type_id: str,
    caller: Caller = Depends(api_caller(Role.VIEWER)),
    ctx: AppContext = Depends(app_context),
) -> RoleTypeOut:
    with ctx.db.unit_of_work(readonly=True) as uow:
        return RoleTypeOut.model_validate(settings.get_role_type(uow, role_type_id))


@router.patch(
    ROLES + "/{role_type_id}", response_model=RoleTypeOut, summary="Edit a role type (admin)"
)
def edit_role(
    role_type_id: str,
    body: RoleTypeUpdate,
    caller: Caller = Depends(api_caller(Role.ADMIN)),
    ctx: AppContext = Depends(app_context),
) -> RoleTypeOut:
    with ctx.db.unit_of_work() as uow:
        row = settings.do_update_role_type(uow, caller.actor, role_type_id, body)
        uow.commit()
        return RoleTypeOut.model_validate(row)


@router.post(
    ROLES + "/{role_type_id}/archive",
    response_model=RoleTypeOut,
    summary="Archive a role type (admin; not a built-in one)",
)
def archive_role(
    role_type_id: str,
    caller: Caller = Depends(api_caller(Role.ADMIN)),
    ctx: AppContext = Depends(app_context),
) -> RoleTypeOut:
    with ctx.db.unit_of_work() as uow:
        row = settings.do_archive_role_type(uow, caller.actor, role_type_id)
        uow.commit()
        return RoleTypeOut.model_validate(row)


@router.post(
    ROLES + "/{role_type_id}/restore",
    response_model=RoleTypeOut,
    summary="Restore an archived role type (admin)",
)
def restore_role(
    role_type_id: str,
    caller: Caller = Depends(api_caller(Role.ADMIN)),
    ctx: AppContext = Depends(app_context),
) -> RoleTypeOut:
    with ctx.db.unit_of_work() as uow:
        row = settings.do_restore_role_type(uow, caller.actor, role_type_id)
        uow.commit()
        return RoleTypeOut.model_validate(row)
