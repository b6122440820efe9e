"""The admin's incident settings: severity definitions (label, description, update
cadence, whether a Commander is required), incident types and role types.

Built-in types and roles can be edited but not archived; admin-defined ones can be
archived (kept for the incidents that use them, offered no more) and restored. Keys
never change: incidents and assignments refer to them. Every change is an event.
"""

from __future__ import annotations

from typing import Any, TypeVar

from sqlalchemy import func, select

from muster.db.uow import UnitOfWork
from muster.domain.accounts.permissions import require
from muster.domain.events.actor import Actor, Role
from muster.domain.events.service import append_event
from muster.domain.incidents.lifecycle import OPEN_STATUSES
from muster.domain.incidents.models import Incident, IncidentRoleType, IncidentType, SeverityLevel
from muster.domain.incidents.service import schedule_next_update
from muster.domain.incidents.settings_schemas import (
    IncidentTypeCreate,
    IncidentTypeUpdate,
    RoleTypeCreate,
    RoleTypeUpdate,
    SeverityEdit,
)
from muster.errors import Conflict, FieldError, NotFound

Setting = TypeVar("Setting", IncidentType, IncidentRoleType)

# ---------------------------------------------------------------- severities


def get_severity(uow: UnitOfWork, level: int) -> SeverityLevel:
    row = uow.session.get(SeverityLevel, level) if 1 <= level <= 5 else None
    if row is None:
        raise NotFound("no such severity level")
    return row


def do_update_severity(
    uow: UnitOfWork, actor: Actor, level: int, data: SeverityEdit
) -> SeverityLevel:
    """Change a severity's definition (the fields given). A new cadence reschedules the
    next update of every open incident of that severity.

    Preconditions: admin; the level is 1 to 5."""
    require(actor, Role.ADMIN)
    row = get_severity(uow, level)
    changes = _apply(row, data, data.model_fields_set)
    if not changes:
        return row
    row.updated_at = uow.now
    if "update_cadence_minutes" in changes:
        for incident in uow.session.scalars(
            select(Incident).where(Incident.severity == level, Incident.status.in_(OPEN_STATUSES))
        ):
            schedule_next_update(uow, incident)
    append_event(
        uow, actor, "severity_level.updated", subject_type="severity_level",
        subject_id=str(level), data={"level": level, "name": row.name, "changes": changes},
    )  # fmt: skip
    return row


def _apply(row: Any, data: Any, given: set[str]) -> dict[str, Any]:
    """Set each given field that differs; returns ``{field: {from, to}}``.
    (``None`` counts only where it is a value: the cadence.)"""
    changes: dict[str, Any] = {}
    for name in sorted(given):
        value = getattr(data, name)
        if value is None and name != "update_cadence_minutes":
            continue
        if value != getattr(row, name):
            changes[name] = {"from": getattr(row, name), "to": value}
            setattr(row, name, value)
    return changes


# ---------------------------------------------------------------- incident types


def get_incident_type(uow: UnitOfWork, type_id: str) -> IncidentType:
    row = uow.session.get(IncidentType, type_id)
    if row is None:
        raise NotFound("no such incident type")
    return row


def _check_unique(
    uow: UnitOfWork, model: Any, key: str | None, name: str, own_id: str | None
) -> None:
    if key is not None and uow.session.scalar(select(model.id).where(model.key == key)):
        raise Conflict("this key is taken", errors=[FieldError("key", f"{key!r} exists already")])
    clash = uow.session.scalar(
        select(model.id).where(func.lower(model.name) == name.lower(), model.archived_at.is_(None))
    )
    if clash is not None and clash != own_id:
        raise Conflict(
            "this name is taken", errors=[FieldError("name", f"{name!r} exists already")]
        )


def _event(uow: UnitOfWork, actor: Actor, kind: str, row: Any, **data: Any) -> None:
    subject = "incident_type" if isinstance(row, IncidentType) else "incident_role_type"
    append_event(
        uow, actor, f"{subject}.{kind}", subject_type=subject, subject_id=row.id,
        data={"key": row.key, "name": row.name, **data},
    )  # fmt: skip


def do_create_incident_type(
    uow: UnitOfWork, actor: Actor, data: IncidentTypeCreate
) -> IncidentType:
    """Add an incident type. Preconditions: admin; key and name not taken."""
    require(actor, Role.ADMIN)
    _check_unique(uow, IncidentType, data.key, data.name, None)
    row = IncidentType(
        key=data.key, name=data.name, description=data.description,
        restricted_by_default=data.restricted_by_default, builtin=False, created_at=uow.now,
    )  # fmt: skip
    uow.session.add(row)
    uow.flush()
    _event(uow, actor, "created", row, description=row.description,
           restricted_by_default=row.restricted_by_default)  # fmt: skip
    return row


def do_update_incident_type(
    uow: UnitOfWork, actor: Actor, type_id: str, data: IncidentTypeUpdate
) -> IncidentType:
    """Rename or redescribe a type, or change whether its incidents start restricted.
    Preconditions: admin; the type exists; a new name not taken."""
    require(actor, Role.ADMIN)
    row = get_incident_type(uow, type_id)
    if data.name is not None:
        _check_unique(uow, IncidentType, None, data.name, row.id)
    changes = _apply(row, data, data.model_fields_set)
    if changes:
        _event(uow, actor, "updated", row, changes=changes)
    return row


def do_archive_incident_type(uow: UnitOfWork, actor: Actor, type_id: str) -> IncidentType:
    """Offer the type no more (incidents of it keep it). Preconditions: admin; not
    built-in; not archived already."""
    require(actor, Role.ADMIN)
    return _archive(uow, actor, get_incident_type(uow, type_id))


def do_restore_incident_type(uow: UnitOfWork, actor: Actor, type_id: str) -> IncidentType:
    """Offer an archived type again. Preconditions: admin; archived; its name not taken."""
    require(actor, Role.ADMIN)
    return _restore(uow, actor, get_incident_type(uow, type_id))


# ---------------------------------------------------------------- role types


def get_role_type(uow: UnitOfWork, role_type_id: str) -> IncidentRoleType:
    row = uow.session.get(IncidentRoleType, role_type_id)
    if row is None:
        raise NotFound("no such role type")
    return row


def do_create_role_type(uow: UnitOfWork, actor: Actor, data: RoleTypeCreate) -> IncidentRoleType:
    """Add a role with instructions for whoever takes it. Preconditions: admin; key and
    name not taken."""
    require(actor, Role.ADMIN)
    _check_unique(uow, IncidentRoleType, data.key, data.name, None)
    row = IncidentRoleType(
        key=data.key, name=data.name, instructions=data.instructions, position=data.position,
        builtin=False, created_at=uow.now,
    )  # fmt: skip
    uow.session.add(row)
    uow.flush()
    _event(uow, actor, "created", row, instructions=row.instructions, position=row.position)
    return row


def do_update_role_type(
    uow: UnitOfWork, actor: Actor, role_type_id: str, data: RoleTypeUpdate
) -> IncidentRoleType:
    """Rename a role, change its instructions or its place in lists. Preconditions:
    admin; the role exists; a new name not taken."""
    require(actor, Role.ADMIN)
    row = get_role_type(uow, role_type_id)
    if data.name is not None:
        _check_unique(uow, IncidentRoleType, None, data.name, row.id)
    changes = _apply(row, data, data.model_fields_set)
    if changes:
        _event(uow, actor, "updated", row, changes=changes)
    return row


def do_archive_role_type(uow: UnitOfWork, actor: Actor, role_type_id: str) -> IncidentRoleType:
    """Offer the role no more (current holders keep it until they hand it off).
    Preconditions: admin; not built-in; not archived already."""
    require(actor, Role.ADMIN)
    return _archive(uow, actor, get_role_type(uow, role_type_id))


def do_restore_role_type(uow: UnitOfWork, actor: Actor, role_type_id: str) -> IncidentRoleType:
    """Offer an archived role again. Preconditions: admin; archived; its name not taken."""
    require(actor, Role.ADMIN)
    return _restore(uow, actor, get_role_type(uow, role_type_id))


# ---------------------------------------------------------------- archive / restore


def _archive(uow: UnitOfWork, actor: Actor, row: Setting) -> Setting:
    if row.builtin:
        raise Conflict(
            "built-in entries can be edited but not archived",
            errors=[FieldError("builtin", "built-in")],
        )
    if row.archived_at is not None:
        raise Conflict("already archived", errors=[FieldError("archived_at", "already archived")])
    row.archived_at = uow.now
    _event(uow, actor, "archived", row)
    return row


def _restore(uow: UnitOfWork, actor: Actor, row: Setting) -> Setting:
    if row.archived_at is None:
        raise Conflict("not archived", errors=[FieldError("archived_at", "not archived")])
    _check_unique(uow, type(row), None, row.name, row.id)
    row.archived_at = None
    _event(uow, actor, "restored", row)
    return row
