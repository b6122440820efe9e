"""Observables extracted automatically from what arrives on an incident (the engine's
``observable_extraction`` reaction calls :func:`react`): the alerts of an alert group
when it is linked, alerts arriving later in a linked group, notes and their
corrections. Idempotent: a value already on the incident is left as it is."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import select

from muster.db.uow import UnitOfWork
from muster.domain.alerts.models import Alert
from muster.domain.events.actor import Actor, Via
from muster.domain.events.models import Event
from muster.domain.incidents.models import Incident, IncidentAlertGroup
from muster.domain.investigation.extract import extract_payload, extract_text
from muster.domain.investigation.observables import add_found

EXTRACTOR = Actor.system(Via.ENGINE, label="observables")
MAX_ALERTS_PER_LINK = 50  # alerts of a newly linked group read
ALERT_EVENTS = ("alert.triggered", "alert.retriggered")
NOTE_EVENTS = ("incident.note_added", "incident.note_corrected")
EVENT_TYPES = (*ALERT_EVENTS, *NOTE_EVENTS, "incident.alert_group_linked")


def alert_values(alert: Alert) -> list[Any]:
    """What of an alert is read: summary, details, source, labels and custom details
    (where annotations are kept)."""
    return [alert.summary, alert.details, alert.source, alert.labels, alert.custom_details]


def _open_incident(uow: UnitOfWork, incident_id: object) -> Incident | None:
    incident = uow.session.get(Incident, str(incident_id)) if incident_id else None
    if incident is None or incident.status == "merged":  # takes no more records
        return None
    return incident


def _from_alert(uow: UnitOfWork, incident: Incident, alert: Alert) -> int:
    found = extract_payload(*alert_values(alert))
    return add_found(uow, EXTRACTOR, incident, found, source="alert", source_ref=alert.id)


def _groups_to_incidents(uow: UnitOfWork, events: Sequence[Event]) -> dict[str, str]:
    group_ids = {str(e.data.get("group_id")) for e in events if e.type in ALERT_EVENTS and e.data}
    if not group_ids:
        return {}
    rows = uow.session.execute(
        select(IncidentAlertGroup.group_id, IncidentAlertGroup.incident_id).where(
            IncidentAlertGroup.group_id.in_(group_ids)
        )
    )
    return {group: incident for group, incident in rows}


def react(uow: UnitOfWork, events: Sequence[Event]) -> int:
    """Add the observables ``events`` bring; returns how many were new."""
    groups = _groups_to_incidents(uow, events)
    added = 0
    for event in events:
        data = event.data or {}
        if event.type in NOTE_EVENTS:
            incident = _open_incident(uow, data.get("incident_id"))
            if incident is not None:
                found = extract_text(str(data.get("body") or ""))
                added += add_found(uow, EXTRACTOR, incident, found, source="note",
                                   source_ref=str(data.get("note_id") or "") or None)  # fmt: skip
        elif event.type == "incident.alert_group_linked":
            incident = _open_incident(uow, data.get("incident_id"))
            if incident is not None:
                alerts = uow.session.scalars(
                    select(Alert)
                    .where(Alert.group_id == str(data.get("group_id")))
                    .order_by(Alert.first_seen, Alert.id)
                    .limit(MAX_ALERTS_PER_LINK)
                )
                added += sum(_from_alert(uow, incident, alert) for alert in alerts)
        elif event.type in ALERT_EVENTS:
            incident = _open_incident(uow, groups.get(str(data.get("group_id"))))
            alert = uow.session.get(Alert, event.subject_id) if incident else None
            if incident is not None and alert is not None:
                added += _from_alert(uow, incident, alert)
    return added
