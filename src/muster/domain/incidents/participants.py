"""Who takes part in an incident: people join, are added (and paged) and leave; each
is an event. A participant sees the incident even when it is restricted."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select

from muster.db.uow import UnitOfWork
from muster.domain.accounts.permissions import require
from muster.domain.events.actor import Actor, Role
from muster.domain.incidents.models import Incident, Participant, RoleAssignment
from muster.domain.incidents.record import record
from muster.domain.incidents.visibility import get_visible_incident
from muster.domain.oncall.service import check_users_active
from muster.errors import Conflict, FieldError, InvalidInput


def active_participants(uow: UnitOfWork, incident_id: str) -> Sequence[Participant]:
    return uow.session.scalars(
        select(Participant)
        .where(Participant.incident_id == incident_id, Participant.left_at.is_(None))
        .order_by(Participant.joined_at)
    ).all()


def _active(uow: UnitOfWork, incident_id: str, user_id: str) -> Participant | None:
    return uow.session.scalar(
        select(Participant).where(
            Participant.incident_id == incident_id,
            Participant.user_id == user_id,
            Participant.left_at.is_(None),
        )
    )


def add_participant(
    uow: UnitOfWork, actor: Actor, incident: Incident, user_id: str, *, page: bool
) -> Participant | None:
    """Make ``user_id`` a participant (None if they already are). With ``page`` the
    event asks the notification engine to page them."""
    if _active(uow, incident.id, user_id) is not None:
        return None
    user = check_users_active(uow, [("user_id", user_id)])[user_id]
    row = Participant(
        incident_id=incident.id, user_id=user_id, joined_at=uow.now, added_by=actor.label
    )
    uow.session.add(row)
    uow.flush()
    kind = "incident.participant_joined" if user_id == actor.id else "incident.participant_added"
    record(uow, actor, incident, kind, user_id=user_id, user_name=user.name, page=page)
    return row


def do_join(uow: UnitOfWork, actor: Actor, incident_id: str) -> Incident:
    """Join the incident yourself. Preconditions: responder role; the incident visible."""
    require(actor, Role.RESPONDER)
    incident = get_visible_incident(uow, actor, incident_id)
    if actor.id is None:
        raise InvalidInput("only a person can join")
    if add_participant(uow, actor, incident, actor.id, page=False) is None:
        raise Conflict("you already take part in this incident")
    return incident


def do_add_participant(
    uow: UnitOfWork, actor: Actor, incident_id: str, user_id: str, *, page: bool = True
) -> Incident:
    """Add someone (and page them, unless ``page`` is False).

    Preconditions: responder role; the incident visible; the person active and not
    already a participant."""
    require(actor, Role.RESPONDER)
    incident = get_visible_incident(uow, actor, incident_id)
    if add_participant(uow, actor, incident, user_id, page=page) is None:
        raise Conflict(
            "this person already takes part",
            errors=[FieldError("user_id", "already a participant")],
        )
    return incident


def do_leave(
    uow: UnitOfWork, actor: Actor, incident_id: str, user_id: str | None = None
) -> Incident:
    """End someone's participation (yourself by default); the roles they hold end too.

    Preconditions: responder role to leave oneself, manager to remove someone else; the
    incident visible; the person a participant."""
    require(actor, Role.RESPONDER)
    target = user_id or actor.id
    if target is None:
        raise InvalidInput("name the person", errors=[FieldError("user_id", "required")])
    if target != actor.id:
        require(actor, Role.MANAGER)
    incident = get_visible_incident(uow, actor, incident_id)
    row = _active(uow, incident.id, target)
    if row is None:
        raise Conflict("this person does not take part", errors=[FieldError("user_id", "not a participant")])  # fmt: skip
    now = uow.now
    held = uow.session.scalars(
        select(RoleAssignment).where(
            RoleAssignment.incident_id == incident.id,
            RoleAssignment.user_id == target,
            RoleAssignment.ended_at.is_(None),
        )
    ).all()
    for assignment in held:
        assignment.ended_at, assignment.ended_by = now, actor.label
        record(
            uow, actor, incident, "incident.role_relinquished",
            role=assignment.role_type.key, role_name=assignment.role_type.name,
            user_id=target, reason="left the incident",
        )  # fmt: skip
    row.left_at = now
    record(
        uow, actor, incident, "incident.participant_left", user_id=target, user_name=row.user.name
    )
    return incident
