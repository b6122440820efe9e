"""Attaching playbooks to incidents as events arrive (the engine's ``playbook_triggers``
reaction calls :func:`react`).

For each incident event, and each alert seen on an incident (arriving on a linked group,
or in a group just linked), every enabled playbook whose trigger answers and whose
conditions hold over the incident *now* starts — at most once per incident unless it is
repeatable. So a playbook for SEV1 outages, triggered on ``field_changed``, attaches when
the severity is raised to SEV1. A playbook hears only events after it was created.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select

from muster.db.uow import UnitOfWork
from muster.domain.alerts.models import Alert
from muster.domain.events.actor import Actor, Via
from muster.domain.events.models import Event
from muster.domain.incidents.lifecycle import FINAL
from muster.domain.incidents.models import Incident, IncidentAlertGroup
from muster.domain.playbooks.conditions import facts_of, holds
from muster.domain.playbooks.models import Playbook
from muster.domain.playbooks.runs import do_start_run
from muster.domain.playbooks.schemas import PlaybookDef
from muster.domain.playbooks.service import current_version, definition_of, enabled_playbooks
from muster.domain.playbooks.triggers import ALERT_EVENTS, INCIDENT_EVENTS, describe, matches

PLAYBOOKS = Actor.system(Via.ENGINE, label="playbooks")
MAX_ALERTS_PER_LINK = 50  # alerts of a newly linked group offered to alert triggers


@dataclass(frozen=True)
class Armed:
    playbook: Playbook
    definition: PlaybookDef

    @property
    def hears_alerts(self) -> bool:
        return any(t.event == "alert_matched" for t in self.definition.triggers)


def armed_playbooks(uow: UnitOfWork) -> list[Armed]:
    """Enabled playbooks with their current definitions."""
    return [Armed(p, definition_of(current_version(uow, p))) for p in enabled_playbooks(uow)]


def react(uow: UnitOfWork, events: Sequence[Event], now: datetime) -> int:
    """Start the runs ``events`` call for; returns how many started."""
    armed = armed_playbooks(uow)
    if not armed:
        return 0
    listen_alerts = any(a.hears_alerts for a in armed)
    groups = _incidents_of_groups(uow, events) if listen_alerts else {}
    started = 0
    for event in events:
        data: Mapping[str, Any] = event.data or {}
        if event.type in INCIDENT_EVENTS:
            incident = uow.session.get(Incident, data.get("incident_id") or event.subject_id)
            started += _offer(uow, armed, incident, event, event.type, data, now)
        elif listen_alerts and event.type in ("alert.triggered", "alert.retriggered"):
            incident_id = groups.get(str(data.get("group_id")))
            alert = uow.session.get(Alert, event.subject_id) if incident_id else None
            if alert is not None:
                incident = uow.session.get(Incident, incident_id)
                started += _offer(uow, armed, incident, event, event.type, _alert_facts(alert),
                                  now)  # fmt: skip
        elif listen_alerts and event.type == "incident.alert_group_linked":
            incident = uow.session.get(Incident, data.get("incident_id"))
            for alert in _alerts_of_group(uow, str(data.get("group_id"))):
                started += _offer(uow, armed, incident, event, ALERT_EVENTS[2],
                                  _alert_facts(alert), now)  # fmt: skip
    return started


def _offer(
    uow: UnitOfWork,
    armed: Sequence[Armed],
    incident: Incident | None,
    event: Event,
    event_type: str,
    data: Mapping[str, Any],
    now: datetime,
) -> int:
    if incident is None or incident.status in FINAL:
        return 0
    facts: dict[str, Any] | None = None
    started = 0
    for item in armed:
        if event.occurred_at < item.playbook.created_at:
            continue  # a playbook hears only what happens after it exists
        trigger = next(
            (t for t in item.definition.triggers if matches(t, event_type, data, now=now)), None
        )
        if trigger is None:
            continue
        facts = facts if facts is not None else facts_of(uow, incident)
        if not holds(item.definition.conditions, facts, now):
            continue
        run = do_start_run(uow, PLAYBOOKS, item.playbook, incident, trigger=describe(trigger),
                           event_id=event.id)  # fmt: skip
        started += run is not None
    return started


def _alert_facts(alert: Alert) -> dict[str, Any]:
    return {
        "labels": dict(alert.labels or {}),
        "severity": alert.severity,
        "summary": alert.summary,
        "source": alert.source,
    }


def _incidents_of_groups(uow: UnitOfWork, events: Sequence[Event]) -> dict[str, str]:
    """Incident ids by alert group id, for the groups of the alert events in the batch."""
    group_ids = {
        str(e.data.get("group_id"))
        for e in events
        if e.type in ("alert.triggered", "alert.retriggered") and e.data
    }
    if not group_ids:
        return {}
    rows = uow.session.execute(
        select(IncidentAlertGroup.group_id, IncidentAlertGroup.incident_id).where(
            IncidentAlertGroup.group_id.in_(group_ids)
        )
    )
    return {group: incident for group, incident in rows}


def _alerts_of_group(uow: UnitOfWork, group_id: str) -> Sequence[Alert]:
    return uow.session.scalars(
        select(Alert)
        .where(Alert.group_id == group_id)
        .order_by(Alert.first_seen, Alert.id)
        .limit(MAX_ALERTS_PER_LINK)
    ).all()
