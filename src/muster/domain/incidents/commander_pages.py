"""Finding an Incident Commander: an open incident whose severity requires one and has
none pages the affected services' escalation policies for one, and again every
:data:`REPAGE_EVERY` until someone takes the role.

Whom: for each affected service with an escalation policy, the people its first level
reaches now (a level reaching nobody — nobody on call, an archived person — is skipped
for the next, as escalation does); when no level of any policy reaches anyone, the
managers of the services' teams. Of a restricted incident only those who may see it are
paged. The page itself is the ``incident.commander_needed`` event, which the
notification reaction turns into messages (:mod:`muster.domain.notify.incident_notices`).

``Incident.commander_paged_at`` is the timer: None means due now (never paged, or a
Commander was assigned since), else due :data:`REPAGE_EVERY` later. Incidents are
claimed with ``FOR UPDATE SKIP LOCKED`` so two engine workers never page for the same one.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import exists, or_, select

from muster.db.claim import claim
from muster.db.uow import UnitOfWork
from muster.domain.accounts.models import User
from muster.domain.catalog.models import Service
from muster.domain.escalation.models import EscalationPolicy
from muster.domain.escalation.targets import active_members, first_level_reached
from muster.domain.events.actor import Actor, Role, Via
from muster.domain.incidents.lifecycle import OPEN_STATUSES
from muster.domain.incidents.models import (
    Incident,
    IncidentRoleType,
    RoleAssignment,
    SeverityLevel,
)
from muster.domain.incidents.record import record
from muster.domain.incidents.roles import COMMANDER
from muster.domain.incidents.visibility import user_can_see

ENGINE = Actor.system(Via.ENGINE, label="engine")
REPAGE_EVERY = timedelta(minutes=10)
BATCH = 100


@dataclass
class Candidates:
    """The people to page for a Commander, and what could not be reached and why."""

    user_ids: list[str] = field(default_factory=list)
    skipped: list[dict[str, Any]] = field(default_factory=list)
    withheld: int = 0  # people who may not see the (restricted) incident
    fallback: bool = False  # nobody through the policies: the teams' managers

    def add(self, user_id: str) -> None:
        if user_id not in self.user_ids:
            self.user_ids.append(user_id)


def _commander_held() -> Any:
    return exists(
        select(RoleAssignment.id)
        .join(IncidentRoleType, IncidentRoleType.id == RoleAssignment.role_type_id)
        .where(
            RoleAssignment.incident_id == Incident.id,
            RoleAssignment.ended_at.is_(None),
            IncidentRoleType.key == COMMANDER,
        )
    )


def due_for_commander_page(now: datetime) -> Any:
    """Open incidents needing a Commander whose (re-)page is due at ``now``."""
    requires = select(SeverityLevel.level).where(SeverityLevel.requires_commander.is_(True))
    return (
        select(Incident)
        .where(
            Incident.status.in_(OPEN_STATUSES),
            Incident.severity.in_(requires),
            or_(
                Incident.commander_paged_at.is_(None),
                Incident.commander_paged_at <= now - REPAGE_EVERY,
            ),
            ~_commander_held(),
        )
        .order_by(Incident.declared_at, Incident.id)
    )


def commander_candidates(uow: UnitOfWork, incident: Incident, now: datetime) -> Candidates:
    """Whom to page for ``incident``'s Commander at ``now`` (see the module docstring)."""
    found = Candidates()
    service_ids = [s.service_id for s in incident.services]
    services = list(
        uow.session.scalars(
            select(Service).where(Service.id.in_(service_ids)).order_by(Service.name)
        )
    )
    if not services:
        found.skipped.append({"why": "no affected service"})
    for service in services:
        policy = (
            uow.session.get(EscalationPolicy, service.escalation_policy_id)
            if service.escalation_policy_id
            else None
        )
        if policy is None or policy.archived_at is not None:
            found.skipped.append(
                {"service_id": service.id, "why": f"{service.name} has no escalation policy"}
            )
            continue
        reached = first_level_reached(uow, policy.id, now)
        found.skipped += [{"service_id": service.id, **s} for s in reached.skipped]
        for user_id in reached.user_ids:
            found.add(user_id)
    if not found.user_ids:
        for team_id in dict.fromkeys(s.team_id for s in services):
            for user_id in active_members(uow, team_id, role="manager"):
                found.fallback = True
                found.add(user_id)
    if incident.restricted:
        _keep_those_who_see(uow, incident, found)
    return found


def _keep_those_who_see(uow: UnitOfWork, incident: Incident, found: Candidates) -> None:
    rows = uow.session.execute(select(User.id, User.role).where(User.id.in_(found.user_ids)))
    roles: dict[str, str] = {user_id: role for user_id, role in rows}
    allowed = [
        u
        for u in found.user_ids
        if u in roles and user_can_see(uow, incident, u, Role.parse(roles[u]))
    ]
    found.withheld = len(found.user_ids) - len(allowed)
    found.user_ids = allowed


def page_for_commander(uow: UnitOfWork, incident: Incident, now: datetime) -> bool:
    """Record ``incident.commander_needed`` for the people to page and set the next
    re-page time. When nobody can be paged the event is recorded the first time only
    (the incident page shows the banner either way). Returns whether it was recorded."""
    first = incident.commander_paged_at is None
    found = commander_candidates(uow, incident, now)
    incident.commander_paged_at = now
    if not found.user_ids and not first:
        return False
    record(
        uow, ENGINE, incident, "incident.commander_needed", user_ids=found.user_ids,
        skipped=found.skipped[:20], withheld=found.withheld, fallback=found.fallback,
        severity=incident.severity, repeat=not first,
    )  # fmt: skip
    return True


def do_page_for_commanders(uow: UnitOfWork, now: datetime) -> int:
    """Page for a Commander for every incident due at ``now``; returns how many were
    looked at (each gets its next re-page time, so a second call does nothing)."""
    due = claim(uow, due_for_commander_page(now), limit=BATCH)
    for incident in due:
        page_for_commander(uow, incident, now)
    return len(due)
