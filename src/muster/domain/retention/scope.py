"""What a retention pass must not touch, and how far it may prune the event log.

Legal holds win: a held incident, an incident merged into or from one, and the alert
groups linked to them keep everything. The log is pruned only below every reader's
position (engine feed cursors, enabled audit forwarders), so nothing is removed before
it was reacted to or forwarded to the SIEM.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select

from muster.db.uow import UnitOfWork
from muster.domain.audit.models import AuditForwarder
from muster.domain.compliance.legal_hold import held_incident_ids
from muster.domain.events.models import EventCursor
from muster.domain.incidents.models import Incident, IncidentAlertGroup


@dataclass(frozen=True)
class Scope:
    held_incidents: frozenset[str]  # held, and merged into or from a held one
    held_groups: frozenset[str]  # alert groups linked to those
    log_floor: int | None  # events above this position are not yet read by all; None: no reader


def retention_scope(uow: UnitOfWork) -> Scope:
    held = held_incident_ids(uow)
    groups: set[str] = set()
    if held:
        targets = select(Incident.merged_into_id).where(
            Incident.id.in_(held), Incident.merged_into_id.is_not(None)
        )
        held |= {t for t in uow.session.scalars(targets) if t is not None}
        merged = select(Incident.id).where(Incident.merged_into_id.in_(held))
        held |= set(uow.session.scalars(merged))
        linked = select(IncidentAlertGroup.group_id).where(IncidentAlertGroup.incident_id.in_(held))
        groups = set(uow.session.scalars(linked))
    return Scope(frozenset(str(h) for h in held), frozenset(groups), _log_floor(uow))


def _log_floor(uow: UnitOfWork) -> int | None:
    cursors = uow.session.scalar(select(func.min(EventCursor.position)))
    forwarders = uow.session.scalar(
        select(func.min(AuditForwarder.position)).where(AuditForwarder.enabled.is_(True))
    )
    known = [int(p) for p in (cursors, forwarders) if p is not None]
    return min(known) if known else None
