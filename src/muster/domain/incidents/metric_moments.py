"""The moments an incident's response times are measured from that are not its own
phase times: derived from its linked alerts, its roles and who declared it, and kept on
the incident (``impact_started_at``, ``first_acknowledged_at``, ``commander_engaged_at``)
so the metrics over 100,000 incidents read one table.

* **impact start**: the earliest moment the linked alerts say the problem began — the
  source's own start time (``Alert.occurred_at``) or, failing that, when Muster first saw
  the alert group (``AlertGroup.first_seen``). None without linked alerts.
* **first acknowledgement**: the earliest of a linked alert group acknowledged, a person
  taking any incident role, and the declaration itself when a person (not an
  integration, the engine or a script) declared it — ``declared_by`` is then that
  person's email.
* **Commander engaged**: the first Incident Commander assignment.

Kept fresh by :func:`mark_changed` — every incident event asks for a refresh at commit
(:func:`muster.domain.incidents.record.record`) — and, for what changes outside the
incident (an alert group acknowledged, a new alert in a linked group), by the engine
module ``incident_metric_moments``. Code that writes links or roles without commands (a
bulk import, a test fixture) calls :func:`refresh_moments` itself.
"""

from __future__ import annotations

from collections.abc import Collection, Iterator
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Select, case, func, select, update

from muster.db.uow import UnitOfWork
from muster.domain.accounts.models import User
from muster.domain.alerts.models import Alert, AlertGroup
from muster.domain.incidents.models import (
    COMMANDER,
    Incident,
    IncidentAlertGroup,
    IncidentRoleType,
    RoleAssignment,
)

CHUNK = 2000  # incidents refreshed per statement in bulk


def moments_query(where: ColumnElement[bool]) -> Select[Any]:
    """``Incident.id`` and the raw moments of every incident matching ``where``: earliest
    alert start, group first seen, group acknowledged, role, Commander, and the
    declaration when a person declared it."""
    alerts = (
        select(
            IncidentAlertGroup.incident_id.label("incident_id"),
            func.min(Alert.occurred_at).label("occurred"),
            func.min(AlertGroup.first_seen).label("first_seen"),
            func.min(AlertGroup.acknowledged_at).label("acknowledged"),
        )
        .join(AlertGroup, AlertGroup.id == IncidentAlertGroup.group_id)
        .outerjoin(Alert, Alert.group_id == AlertGroup.id)
        .group_by(IncidentAlertGroup.incident_id)
        .subquery()
    )
    commander = select(IncidentRoleType.id).where(IncidentRoleType.key == COMMANDER)
    roles = (
        select(
            RoleAssignment.incident_id.label("incident_id"),
            func.min(RoleAssignment.started_at).label("first_role"),
            func.min(
                case(
                    (
                        RoleAssignment.role_type_id.in_(commander.scalar_subquery()),
                        RoleAssignment.started_at,
                    ),
                    else_=None,
                )
            ).label("first_commander"),
        )
        .group_by(RoleAssignment.incident_id)
        .subquery()
    )
    # A person acts under their email (accounts.credentials.actor_for); an integration,
    # the engine or the CLI's system actor under another label.
    by_person = case((User.id.is_not(None), Incident.declared_at), else_=None)
    return (
        select(
            Incident.id,
            alerts.c.occurred,
            alerts.c.first_seen,
            alerts.c.acknowledged,
            roles.c.first_role,
            roles.c.first_commander,
            by_person,
        )
        .outerjoin(alerts, alerts.c.incident_id == Incident.id)
        .outerjoin(roles, roles.c.incident_id == Incident.id)
        .outerjoin(User, User.email == Incident.declared_by)
        .where(where)
    )


def _earliest(*moments: datetime | None) -> datetime | None:
    known = [m for m in moments if m is not None]
    return min(known) if known else None


def compute_moments(uow: UnitOfWork, where: ColumnElement[bool]) -> Iterator[dict[str, Any]]:
    """The moments of each incident matching ``where``, as update rows."""
    for row in uow.session.execute(moments_query(where)):
        incident_id, occurred, first_seen, acknowledged, first_role, commander, declared = row
        yield {
            "id": incident_id,
            "impact_started_at": _earliest(occurred, first_seen),
            "first_acknowledged_at": _earliest(acknowledged, first_role, declared),
            "commander_engaged_at": commander,
        }


def refresh_moments(uow: UnitOfWork, incident_ids: Collection[str]) -> int:
    """Recompute and store the moments of these incidents; returns how many changed."""
    ids = sorted(set(incident_ids))
    changed = 0
    for first in range(0, len(ids), CHUNK):
        chunk = ids[first : first + CHUNK]
        current = {
            row[0]: tuple(row[1:])
            for row in uow.session.execute(
                select(
                    Incident.id, Incident.impact_started_at, Incident.first_acknowledged_at,
                    Incident.commander_engaged_at,
                ).where(Incident.id.in_(chunk))
            )
        }  # fmt: skip
        rows = [
            moments
            for moments in compute_moments(uow, Incident.id.in_(chunk))
            if current.get(moments["id"])
            != (
                moments["impact_started_at"],
                moments["first_acknowledged_at"],
                moments["commander_engaged_at"],
            )
        ]
        if rows:  # an UPDATE by primary key per row, sent as one batch
            uow.session.execute(update(Incident), rows)
        changed += len(rows)
    return changed


def refresh_all(uow: UnitOfWork) -> int:
    """Every incident's moments (after a bulk import)."""
    ids = uow.session.scalars(select(Incident.id)).all()
    return refresh_moments(uow, ids)


def mark_changed(uow: UnitOfWork, incident_id: str) -> None:
    """Refresh ``incident_id``'s moments when ``uow`` commits (once per commit)."""

    def refresh() -> None:
        refresh_moments(uow, [incident_id])

    uow.before_commit(("incident-metric-moments", incident_id), refresh)


def incidents_of_groups(uow: UnitOfWork, group_ids: Collection[str]) -> list[str]:
    """The incidents these alert groups are linked to."""
    if not group_ids:
        return []
    return list(
        uow.session.scalars(
            select(IncidentAlertGroup.incident_id)
            .where(IncidentAlertGroup.group_id.in_(sorted(set(group_ids))))
            .distinct()
        )
    )
