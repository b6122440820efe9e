"""/settings/incidents: the admin's severity definitions, incident types and role types."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from muster.db.uow import UnitOfWork
from muster.domain.config_code.marks import is_managed
from muster.domain.events.actor import Role
from muster.domain.incidents import settings
from muster.domain.incidents.models import IncidentRoleType, IncidentType, SeverityLevel
from muster.domain.incidents.roles import role_types
from muster.domain.incidents.service import incident_types, severity_levels
from muster.domain.incidents.settings_schemas import (
    IncidentTypeCreate,
    IncidentTypeUpdate,
    RoleTypeCreate,
    RoleTypeUpdate,
    SeverityEdit,
)
from muster.errors import Conflict, InvalidInput
from muster.web.auth import Caller, ui_caller
from muster.web.context import AppContext, app_context
from muster.web.ui.forms import FormState, blank_form, failed_form, parse_form, posted, see_other
from muster.web.ui.render import render

router = APIRouter(include_in_schema=False)
BASE = "/settings/incidents"
ADMIN = Depends(ui_caller(Role.ADMIN))
LABELS = {
    "update_cadence_minutes": "Update cadence",
    "requires_commander": "Requires a Commander",
    "restricted_by_default": "Restricted by default",
}


def _checked(fields: dict[str, str], name: str) -> str:
    """A checkbox: ``"true"`` when ticked, ``"false"`` when left out of the post."""
    return "true" if fields.get(name) else "false"


def _form(values: dict[str, str], *, failed: Exception | None = None) -> FormState:
    if isinstance(failed, InvalidInput | Conflict):
        form = failed_form(values, failed)
    else:
        form = blank_form(**values)
    form.labels = LABELS
    return form


@router.get(BASE)
def overview(
    request: Request, caller: Caller = ADMIN, ctx: AppContext = Depends(app_context)
) -> Response:
    with ctx.db.unit_of_work(readonly=True) as uow:
        return render(
            request,
            "incident_settings.html",
            caller,
            levels=severity_levels(uow),
            types=incident_types(uow, include_archived=True),
            roles=role_types(uow, include_archived=True),
        )


# ---------------------------------------------------------------- severities


def _severity_values(row: SeverityLevel) -> dict[str, str]:
    return {
        "label": row.label,
        "description": row.description,
        "update_cadence_minutes": str(row.update_cadence_minutes or ""),
        "requires_commander": "1" if row.requires_commander else "",
    }


@router.get(BASE + "/severities/{level}")
def severity_page(
    request: Request, level: int, caller: Caller = ADMIN, ctx: AppContext = Depends(app_context)
) -> Response:
    with ctx.db.unit_of_work(readonly=True) as uow:
        row = settings.get_severity(uow, level)
        return _severity_form(request, caller, row, _form(_severity_values(row)))


@router.post(BASE + "/severities/{level}")
def edit_severity(
    request: Request,
    level: int,
    caller: Caller = ADMIN,
    fields: dict[str, str] = Depends(posted),
    ctx: AppContext = Depends(app_context),
) -> Response:
    cadence = fields.get("update_cadence_minutes", "").strip()
    data: dict[str, Any] = {
        "label": fields.get("label", ""),
        "description": fields.get("description", ""),
        "update_cadence_minutes": cadence or None,
        "requires_commander": _checked(fields, "requires_commander"),
    }
    try:
        with ctx.db.unit_of_work() as uow:
            settings.do_update_severity(uow, caller.actor, level, parse_form(SeverityEdit, data))
            uow.commit()
    except (InvalidInput, Conflict) as exc:
        with ctx.db.unit_of_work(readonly=True) as uow:
            row = settings.get_severity(uow, level)
            form = _form(fields, failed=exc)
            return _severity_form(request, caller, row, form, status_code=exc.status)
    return see_other(f"{BASE}#severities")


def _severity_form(
    request: Request, caller: Caller, row: SeverityLevel, form: FormState, *, status_code: int = 200
) -> Response:
    return render(
        request, "incident_settings_severity.html", caller, status_code=status_code,
        level=row, form=form,
    )  # fmt: skip


# ---------------------------------------------------------------- incident types


@router.get(BASE + "/types/new")
def new_type_page(request: Request, caller: Caller = ADMIN) -> Response:
    return _type_form(request, caller, None, _form({}))


@router.post(BASE + "/types/new")
def create_type(
    request: Request,
    caller: Caller = ADMIN,
    fields: dict[str, str] = Depends(posted),
    ctx: AppContext = Depends(app_context),
) -> Response:
    data = {
        "key": fields.get("key", ""), "name": fields.get("name", ""),
        "description": fields.get("description", ""),
        "restricted_by_default": _checked(fields, "restricted_by_default"),
    }  # fmt: skip
    try:
        with ctx.db.unit_of_work() as uow:
            body = parse_form(IncidentTypeCreate, data)
            settings.do_create_incident_type(uow, caller.actor, body)
            uow.commit()
    except (InvalidInput, Conflict) as exc:
        return _type_form(request, caller, None, _form(fields, failed=exc), status_code=exc.status)
    return see_other(f"{BASE}#types")


@router.get(BASE + "/types/{type_id}")
def type_page(
    request: Request, type_id: str, caller: Caller = ADMIN, ctx: AppContext = Depends(app_context)
) -> Response:
    with ctx.db.unit_of_work(readonly=True) as uow:
        row = settings.get_incident_type(uow, type_id)
        values = {
            "key": row.key, "name": row.name, "description": row.description,
            "restricted_by_default": "1" if row.restricted_by_default else "",
        }  # fmt: skip
        return _type_form(request, caller, row, _form(values))


@router.post(BASE + "/types/{type_id}")
def edit_type(
    request: Request,
    type_id: str,
    caller: Caller = ADMIN,
    fields: dict[str, str] = Depends(posted),
    ctx: AppContext = Depends(app_context),
) -> Response:
    data = {
        "name": fields.get("name", ""), "description": fields.get("description", ""),
        "restricted_by_default": _checked(fields, "restricted_by_default"),
    }  # fmt: skip
    try:
        with ctx.db.unit_of_work() as uow:
            body = parse_form(IncidentTypeUpdate, data)
            settings.do_update_incident_type(uow, caller.actor, type_id, body)
            uow.commit()
    except (InvalidInput, Conflict) as exc:
        with ctx.db.unit_of_work(readonly=True) as uow:
            row = settings.get_incident_type(uow, type_id)
            form = _form({**fields, "key": row.key}, failed=exc)
            return _type_form(request, caller, row, form, status_code=exc.status)
    return see_other(f"{BASE}#types")


@router.post(BASE + "/types/{type_id}/archive")
def archive_type(
    type_id: str, caller: Caller = ADMIN, ctx: AppContext = Depends(app_context)
) -> Response:
    with ctx.db.unit_of_work() as uow:
        settings.do_archive_incident_type(uow, caller.actor, type_id)
        uow.commit()
    return see_other(f"{BASE}#types")


@router.post(BASE + "/types/{type_id}/restore")
def restore_type(
    type_id: str, caller: Caller = ADMIN, ctx: AppContext = Depends(app_context)
) -> Response:
    with ctx.db.unit_of_work() as uow:
        settings.do_restore_incident_type(uow, caller.actor, type_id)
        uow.commit()
    return see_other(f"{BASE}#types")


def _type_form(
    request: Request, caller: Caller, row: IncidentType | None, form: FormState,
    *, status_code: int = 200,
) -> Response:  # fmt: skip
    return render(
        request, "incident_settings_type.html", caller, status_code=status_code,
        kind=row, form=form,
    )  # fmt: skip


# ---------------------------------------------------------------- role types


@router.get(BASE + "/roles/new")
def new_role_page(request: Request, caller: Caller = ADMIN) -> Response:
    return _role_form(request, caller, None, _form({"position": "100"}))


@router.post(BASE + "/roles/new")
def create_role(
    request: Request,
    caller: Caller = ADMIN,
    fields: dict[str, str] = Depends(posted),
    ctx: AppContext = Depends(app_context),
) -> Response:
    names = ("key", "name", "instructions", "position")
    try:
        with ctx.db.unit_of_work() as uow:
            body = parse_form(RoleTypeCreate, {n: fields.get(n, "") for n in names})
            settings.do_create_role_type(uow, caller.actor, body)
            uow.commit()
    except (InvalidInput, Conflict) as exc:
        return _role_form(request, caller, None, _form(fields, failed=exc), status_code=exc.status)
    return see_other(f"{BASE}#roles")


@router.get(BASE + "/roles/{role_type_id}")
def role_page(
    request: Request,
    role_type_id: str,
    caller: Caller = ADMIN,
    ctx: AppContext = Depends(app_context),
) -> Response:
    with ctx.db.unit_of_work(readonly=True) as uow:
        row = settings.get_role_type(uow, role_type_id)
        values = {
            "key": row.key, "name": row.name, "instructions": row.instructions,
            "position": str(row.position),
        }  # fmt: skip
        return _role_form(request, caller, row, _form(values), managed=_managed(uow, row))


@router.post(BASE + "/roles/{role_type_id}")
def edit_role(
    request: Request,
    role_type_id: str,
    caller: Caller = ADMIN,
    fields: dict[str, str] = Depends(posted),
    ctx: AppContext = Depends(app_context),
) -> Response:
    names = ("name", "instructions", "position")
    try:
        with ctx.db.unit_of_work() as uow:
            body = parse_form(RoleTypeUpdate, {n: fields.get(n, "") for n in names})
            settings.do_update_role_type(uow, caller.actor, role_type_id, body)
            uow.commit()
    except (InvalidInput, Conflict) as exc:
        with ctx.db.unit_of_work(readonly=True) as uow:
            row = settings.get_role_type(uow, role_type_id)
            form = _form({**fields, "key": row.key}, failed=exc)
            return _role_form(
                request, caller, row, form, status_code=exc.status, managed=_managed(uow, row)
            )
    return see_other(f"{BASE}#roles")


@router.post(BASE + "/roles/{role_type_id}/archive")
def archive_role(
    role_type_id: str, caller: Caller = ADMIN, ctx: AppContext = Depends(app_context)
) -> Response:
    with ctx.db.unit_of_work() as uow:
        settings.do_archive_role_type(uow, caller.actor, role_type_id)
        uow.commit()
    return see_other(f"{BASE}#roles")


@router.post(BASE + "/roles/{role_type_id}/restore")
def restore_role(
    role_type_id: str, caller: Caller = ADMIN, ctx: AppContext = Depends(app_context)
) -> Response:
    with ctx.db.unit_of_work() as uow:
        settings.do_restore_role_type(uow, caller.actor, role_type_id)
        uow.commit()
    return see_other(f"{BASE}#roles")


def _role_form(
    request: Request, caller: Caller, row: IncidentRoleType | None, form: FormState,
    *, status_code: int = 200, managed: str = "",
) -> Response:  # fmt: skip
    return render(
        request, "incident_settings_role.html", caller, status_code=status_code,
        role=row, form=form, managed=managed,
    )  # fmt: skip


def _managed(uow: UnitOfWork, row: IncidentRoleType) -> str:
    return "role" if is_managed(uow, "role_types", row.id) else ""
