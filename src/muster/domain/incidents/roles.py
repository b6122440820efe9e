"""Incident roles: assign, hand off and relinquish, with history; fill a role from an
on-call schedule. One holder per role at a time; a holder is a participant."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select

from muster.db.uow import UnitOfWork
from muster.domain.accounts.permissions import require
from muster.domain.events.actor import Actor, Role
from muster.domain.incidents.lifecycle import OPEN_STATUSES
from muster.domain.incidents.models import COMMANDER as COMMANDER
from muster.domain.incidents.models import Incident, IncidentRoleType, RoleAssignment, SeverityLevel
from muster.domain.incidents.participants import add_participant
from muster.domain.incidents.record import record
from muster.domain.incidents.visibility import get_visible_incident
from muster.domain.oncall.load import on_call
from muster.errors import Conflict, FieldError, InvalidInput


def role_types(uow: UnitOfWork, *, include_archived: bool = False) -> Sequence[IncidentRoleType]:
    query = select(IncidentRoleType).order_by(IncidentRoleType.position, IncidentRoleType.name)
    if not include_archived:
        query = query.where(IncidentRoleType.archived_at.is_(None))
    return uow.session.scalars(query).all()


def check_role_type(uow: UnitOfWork, key: str) -> IncidentRoleType:
    row = uow.session.scalar(select(IncidentRoleType).where(IncidentRoleType.key == key))
    if row is None or row.archived_at is not None:
        raise InvalidInput("unknown role", errors=[FieldError("role", f"no role {key!r}")])
    return row


def current_roles(uow: UnitOfWork, incident_id: str) -> Sequence[RoleAssignment]:
    return current_roles_of(uow, [incident_id]).get(incident_id, [])


def current_roles_of(
    uow: UnitOfWork, incident_ids: Sequence[str]
) -> dict[str, list[RoleAssignment]]:
    """The roles held now in each of ``incident_ids``, in the roles' order (one query)."""
    if not incident_ids:
        return {}
    rows = uow.session.scalars(
        select(RoleAssignment)
        .join(IncidentRoleType, IncidentRoleType.id == RoleAssignment.role_type_id)
        .where(RoleAssignment.incident_id.in_(incident_ids), RoleAssignment.ended_at.is_(None))
        .order_by(IncidentRoleType.position, RoleAssignment.started_at)
    )
    held: dict[str, list[RoleAssignment]] = {}
    for row in rows:
        held.setdefault(row.incident_id, []).append(row)
    return held


def role_history(uow: UnitOfWork, incident_id: str) -> Sequence[RoleAssignment]:
    """Every assignment, oldest first: who held what, from when to when."""
    return uow.session.scalars(
        select(RoleAssignment)
        .where(RoleAssignment.incident_id == incident_id)
        .order_by(RoleAssignment.started_at, RoleAssignment.id)
    ).all()


def holder(uow: UnitOfWork, incident_id: str, key: str) -> RoleAssignment | None:
    return uow.session.scalar(
        select(RoleAssignment)
        .join(IncidentRoleType, IncidentRoleType.id == RoleAssignment.role_type_id)
        .where(
            RoleAssignment.incident_id == incident_id,
            RoleAssignment.ended_at.is_(None),
            IncidentRoleType.key == key,
        )
    )


def needs_commander(uow: UnitOfWork, incident: Incident) -> bool:
    """An open incident whose severity requires a Commander, with none assigned."""
    return lacks_commander(
        incident,
        uow.session.get(SeverityLevel, incident.severity),
        holder(uow, incident.id, COMMANDER) is not None,
    )


def lacks_commander(incident: Incident, level: SeverityLevel | None, has_commander: bool) -> bool:
    """:func:`needs_commander` from what the caller already loaded."""
    if incident.status not in OPEN_STATUSES:
        return False
    return bool(level and level.requires_commander) and not has_commander


def do_assign_role(
    uow: UnitOfWork, actor: Actor, incident_id: str, role: str, user_id: str
) -> RoleAssignment:
    """Give ``role`` to ``user_id``; a current holder hands it off (their assignment ends
    now). The new holder becomes a participant and is paged if newly added.

    Preconditions: responder role; the incident visible; the role and person exist; the
    person does not already hold the role."""
    require(actor, Role.RESPONDER)
    incident = get_visible_incident(uow, actor, incident_id)
    kind = check_role_type(uow, role)
    current = holder(uow, incident.id, kind.key)
    if current is not None and current.user_id == user_id:
        raise Conflict(
            "this person already holds the role", errors=[FieldError("user_id", "already holds it")]
        )
    add_participant(uow, actor, incident, user_id, page=user_id != actor.id)
    now = uow.now
    if current is not None:
        current.ended_at, current.ended_by = now, actor.label
    assignment = RoleAssignment(
        incident_id=incident.id, role_type_id=kind.id, user_id=user_id, started_at=now,
        assigned_by=actor.label,
    )  # fmt: skip
    uow.session.add(assignment)
    uow.flush()
    event = "incident.role_handed_off" if current is not None else "incident.role_assigned"
    record(
        uow, actor, incident, event, role=kind.key, role_name=kind.name, user_id=user_id,
        user_name=assignment.user.name, previous_user_id=current.user_id if current else None,
    )  # fmt: skip
    if kind.key == COMMANDER:
        incident.commander_paged_at = None
    return assignment


def do_relinquish_role(uow: UnitOfWork, actor: Actor, incident_id: str, role: str) -> Incident:
    """End the current holding of ``role`` (nobody holds it after).

    Preconditions: responder role; the incident visible; someone holds the role."""
    require(actor, Role.RESPONDER)
    incident = get_visible_incident(uow, actor, incident_id)
    kind = check_role_type(uow, role)
    current = holder(uow, incident.id, kind.key)
    if current is None:
        raise Conflict("nobody holds this role", errors=[FieldError("role", "not held")])
    current.ended_at, current.ended_by = uow.now, actor.label
    record(
        uow, actor, incident, "incident.role_relinquished", role=kind.key,
        role_name=kind.name, user_id=current.user_id,
    )  # fmt: skip
    return incident


def do_assign_role_from_schedule(
    uow: UnitOfWork, actor: Actor, incident_id: str, role: str, schedule_id: str
) -> RoleAssignment:
    """Give ``role`` to whoever is on call on ``schedule_id`` now.

    Preconditions: as :func:`do_assign_role`; somebody is on call."""
    now_on_call = on_call(uow, schedule_id, uow.now)
    if now_on_call is None:
        raise InvalidInput(
            "nobody is on call", errors=[FieldError("schedule_id", "nobody is on call now")]
        )
    return do_assign_role(uow, actor, incident_id, role, now_on_call.user_id)
