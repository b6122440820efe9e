"""Alert groups linked to an incident: at declaration (an incident escalated from an
alert group) or later. A group belongs to at most one incident."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select

from muster.db.uow import UnitOfWork
from muster.domain.accounts.permissions import require
from muster.domain.alerts.models import AlertGroup
from muster.domain.events.actor import Actor, Role
from muster.domain.exercises.tagging import check_joins
from muster.domain.incidents.models import Incident, IncidentAlertGroup
from muster.domain.incidents.record import record
from muster.domain.incidents.visibility import get_visible_incident
from muster.errors import Conflict, FieldError, InvalidInput


def linked_groups(uow: UnitOfWork, incident_id: str) -> Sequence[AlertGroup]:
    return uow.session.scalars(
        select(AlertGroup)
        .join(IncidentAlertGroup, IncidentAlertGroup.group_id == AlertGroup.id)
        .where(IncidentAlertGroup.incident_id == incident_id)
        .order_by(AlertGroup.first_seen)
    ).all()


def incident_of_group(uow: UnitOfWork, group_id: str) -> Incident | None:
    """The incident an alert group is linked to, if any (visibility not checked)."""
    return uow.session.scalar(
        select(Incident)
        .join(IncidentAlertGroup, IncidentAlertGroup.incident_id == Incident.id)
        .where(IncidentAlertGroup.group_id == group_id)
    )


def do_link_alert_groups(
    uow: UnitOfWork, actor: Actor, incident_id: str, group_ids: Sequence[str]
) -> Incident:
    """Link alert groups to the incident; their alerts show on its timeline.

    Preconditions: responder role; the incident visible; each group exists and is not
    linked to another incident (one already linked to this one is left as it is)."""
    require(actor, Role.RESPONDER)
    incident = get_visible_incident(uow, actor, incident_id)
    wanted = list(dict.fromkeys(group_ids))
    groups = {
        g.id: g for g in uow.session.scalars(select(AlertGroup).where(AlertGroup.id.in_(wanted)))
    }
    links = {
        row.group_id: row.incident_id
        for row in uow.session.scalars(
            select(IncidentAlertGroup).where(IncidentAlertGroup.group_id.in_(wanted))
        )
    }
    errors = []
    for i, group_id in enumerate(wanted):
        if group_id not in groups:
            errors.append(FieldError(f"group_ids.{i}", "no alert group has this id"))
        elif links.get(group_id, incident.id) != incident.id:
            errors.append(FieldError(f"group_ids.{i}", "already linked to another incident"))
    if not errors:  # real and exercise alert groups never join (409)
        check_joins(uow, incident.exercise_run_id, group_ids=wanted)
    if errors:
        bad_ids = any(e.reason.startswith("no ") for e in errors)
        raise (InvalidInput if bad_ids else Conflict)(
            "cannot link these alert groups", errors=errors
        )
    for group_id in wanted:
        if group_id in links:
            continue
        group = groups[group_id]
        uow.session.add(
            IncidentAlertGroup(
                group_id=group_id, incident_id=incident.id, linked_at=uow.now,
                linked_by=actor.label,
            )
        )  # fmt: skip
        record(
            uow, actor, incident, "incident.alert_group_linked", group_id=group_id,
            summary=group.summary, severity=group.severity, service_id=group.service_id,
        )  # fmt: skip
    uow.flush()
    return incident
