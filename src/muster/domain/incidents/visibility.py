"""Who may see an incident. A restricted (need-to-know) incident is visible only to its
current participants, members of a security team and admins — through every door:
lists, search, API, live updates, status page, exports, notifications. To everyone else
it does not exist (:class:`NotFound`, never "forbidden")."""

from __future__ import annotations

from sqlalchemy import ColumnElement, false, or_, select, true

from muster.db.uow import UnitOfWork
from muster.domain.accounts.models import Team, TeamMember, User
from muster.domain.events.actor import Actor, Role
from muster.domain.incidents.models import Incident, Participant
from muster.errors import NotFound


def sees_all_restricted(uow: UnitOfWork, actor: Actor) -> bool:
    """Admins (and the engine) and members of a security team."""
    if actor.role >= Role.ADMIN:
        return True
    if actor.id is None:
        return False
    key = ("incidents.sees_all", actor.id)
    if key not in uow.memo:
        uow.memo[key] = bool(
            uow.session.scalar(
                select(TeamMember.id)
                .join(Team, Team.id == TeamMember.team_id)
                .where(
                    TeamMember.user_id == actor.id,
                    Team.sees_restricted.is_(True),
                    Team.archived_at.is_(None),
                )
                .limit(1)
            )
        )
    seen: bool = uow.memo[key]
    return seen


def participant_clause(user_id: str | None) -> ColumnElement[bool]:
    if user_id is None:
        return false()
    # Not correlated: the database reads the person's incidents once (by the user index)
    # instead of once per listed incident, which is slow for someone in thousands of them.
    return Incident.id.in_(
        select(Participant.incident_id).where(
            Participant.user_id == user_id,
            Participant.left_at.is_(None),
        )
    )


def visible_clause(uow: UnitOfWork, actor: Actor) -> ColumnElement[bool]:
    """A WHERE clause on :class:`Incident` keeping what ``actor`` may see."""
    if sees_all_restricted(uow, actor):
        return true()
    return or_(Incident.restricted.is_(False), participant_clause(actor.id))


def is_participant(uow: UnitOfWork, incident_id: str, user_id: str | None) -> bool:
    if user_id is None:
        return False
    return (
        uow.session.scalar(
            select(Participant.id)
            .where(
                Participant.incident_id == incident_id,
                Participant.user_id == user_id,
                Participant.left_at.is_(None),
            )
            .limit(1)
        )
        is not None
    )


def can_see(uow: UnitOfWork, actor: Actor, incident: Incident) -> bool:
    return (
        not incident.restricted
        or sees_all_restricted(uow, actor)
        or is_participant(uow, incident.id, actor.id)
    )


def user_can_see(uow: UnitOfWork, incident: Incident, user_id: str, role: Role) -> bool:
    """Whether a person (not the one acting) may see ``incident``: for deciding whom
    notifications and exports may tell about it."""
    actor = Actor(kind="user", id=user_id, label="", role=role, via=Actor.system().via)
    return can_see(uow, actor, incident)


def person_may_see(uow: UnitOfWork, incident: Incident, user: User | None) -> bool:
    """Whether ``user`` is an active person who may see ``incident`` (for deciding whom
    a message may tell about it)."""
    if user is None or user.archived_at is not None:
        return False
    return user_can_see(uow, incident, user.id, Role.parse(user.role))


def get_visible_incident(uow: UnitOfWork, actor: Actor, incident_id: str) -> Incident:
    """The incident if ``actor`` may see it; :class:`NotFound` otherwise."""
    incident = uow.session.get(Incident, incident_id)
    if incident is None or not can_see(uow, actor, incident):
        raise NotFound("no such incident")
    return incident


def participating_incident_ids(uow: UnitOfWork, user_id: str | None) -> list[str]:
    """The incidents ``user_id`` takes part in now."""
    if user_id is None:
        return []
    return list(
        uow.session.scalars(
            select(Participant.incident_id).where(
                Participant.user_id == user_id, Participant.left_at.is_(None)
            )
        )
    )
