"""Incidents as the API and exports show them."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select

from muster.db.uow import UnitOfWork
from muster.domain.catalog.models import Service
from muster.domain.incidents.models import Incident, SeverityLevel
from muster.domain.incidents.roles import COMMANDER, current_roles_of, lacks_commander
from muster.domain.incidents.schemas import IncidentOut, RoleHolderOut, ServiceRef
from muster.domain.incidents.service import reference


def incident_url(incident: Incident) -> str:
    return f"/incidents/{incident.id}"


def incident_out(uow: UnitOfWork, incident: Incident) -> IncidentOut:
    return incidents_out(uow, [incident])[0]


def incidents_out(uow: UnitOfWork, incidents: Sequence[Incident]) -> list[IncidentOut]:
    service_ids = {s.service_id for i in incidents for s in i.services}
    rows = uow.session.execute(select(Service.id, Service.name).where(Service.id.in_(service_ids)))
    names = {r.id: r.name for r in rows}
    levels = {lv.level: lv for lv in uow.session.scalars(select(SeverityLevel))}
    held = current_roles_of(uow, [i.id for i in incidents])
    out = []
    for incident in incidents:
        level = levels.get(incident.severity)
        roles = [
            RoleHolderOut(
                role=a.role_type.key,
                role_name=a.role_type.name,
                user_id=a.user_id,
                user_name=a.user.name,
                since=a.started_at,
            )
            for a in held.get(incident.id, [])
        ]
        out.append(
            IncidentOut(
                id=incident.id,
                number=incident.number,
                reference=reference(incident),
                url=incident_url(incident),
                title=incident.title,
                summary=incident.summary,
                type=incident.type_key,
                severity=incident.severity,
                severity_name=level.name if level else f"SEV{incident.severity}",
                status=incident.status,
                impact=incident.impact,
                customer_facing=incident.customer_facing,
                restricted=incident.restricted,
                exercise_run_id=incident.exercise_run_id,
                tags=list(incident.tags),
                sites=list(incident.sites),
                site_id=incident.site_id,
                services=[
                    ServiceRef(id=s.service_id, name=names.get(s.service_id, ""))
                    for s in incident.services
                ],
                roles=roles,
                detected_at=incident.detected_at,
                declared_at=incident.declared_at,
                investigating_at=incident.investigating_at,
                contained_at=incident.contained_at,
                eradicated_at=incident.eradicated_at,
                recovering_at=incident.recovering_at,
                resolved_at=incident.resolved_at,
                in_review_at=incident.in_review_at,
                closed_at=incident.closed_at,
                declined_at=incident.declined_at,
                merged_at=incident.merged_at,
                reopened_at=incident.reopened_at,
                merged_into_id=incident.merged_into_id,
                declared_by=incident.declared_by,
                updated_at=incident.updated_at,
                next_update_due_at=incident.next_update_due_at,
                needs_commander=lacks_commander(
                    incident, level, any(r.role == COMMANDER for r in roles)
                ),
            )
        )
    return out
