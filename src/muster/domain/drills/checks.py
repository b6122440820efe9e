"""Checks over a run's event log: has a responder done X (and when)?

A run's world is its exercise service: the alert events of that service (their stream
is ``alerts:<service>``) and the timelines of the incidents over it (by service or by a
linked alert group of it). A check is met by the first event of that world, at or after
a given time, that matches it.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import or_, select

from muster.db.uow import UnitOfWork
from muster.domain.alerts.lifecycle import alert_stream
from muster.domain.alerts.models import AlertGroup
from muster.domain.drills.models import DrillRun
from muster.domain.drills.schemas import CheckSpec
from muster.domain.events.models import Event
from muster.domain.incidents.models import IncidentAlertGroup, IncidentService
from muster.domain.incidents.record import stream_of

Match = Callable[[dict[str, Any], Any], bool]


def _changed_to(data: dict[str, Any], field: str) -> Any:
    change = (data.get("changes") or {}).get(field)
    return change.get("to") if isinstance(change, dict) else None


def _severity(data: dict[str, Any], value: Any) -> bool:
    return bool(data.get("severity") == value or _changed_to(data, "severity") == value)


def _task_done(data: dict[str, Any], value: Any) -> bool:
    title = str(data.get("title") or "").lower()
    return _changed_to(data, "status") == "done" and (not value or str(value).lower() in title)


def _clock(data: dict[str, Any], value: Any) -> bool:
    deadline = str(data.get("deadline") or "")
    return deadline == value or deadline.startswith(f"{value}/")


# check -> (event types, test of the event's data against the check's value)
CHECKS: dict[str, tuple[tuple[str, ...], Match]] = {
    "alert_acknowledged": (("alert.acknowledged",), lambda d, v: True),
    "incident_declared": (("incident.declared",), lambda d, v: True),
    "commander_assigned": (
        ("incident.role_assigned", "incident.role_handed_off"),
        lambda d, v: d.get("role") == "commander",
    ),
    "severity_set": (("incident.declared", "incident.updated"), _severity),
    "task_done": (("incident.task_updated",), _task_done),
    "clock_started": (("incident.clock_started",), _clock),
    "stakeholder_update_sent": (
        ("incident.update_posted",),
        lambda d, v: not v or d.get("kind") == v,
    ),
    "playbook_approval_given": (
        ("incident.playbook_decided",),
        lambda d, v: d.get("decision") == "approved",
    ),
    "status_reached": (("incident.status_changed",), lambda d, v: d.get("to") == v),
}


def run_incident_ids(uow: UnitOfWork, run: DrillRun) -> list[str]:
    """The incidents over the run's exercise service (directly or by an alert group)."""
    if run.service_id is None:
        return []
    by_service = select(IncidentService.incident_id).where(
        IncidentService.service_id == run.service_id
    )
    by_group = (
        select(IncidentAlertGroup.incident_id)
        .join(AlertGroup, AlertGroup.id == IncidentAlertGroup.group_id)
        .where(AlertGroup.service_id == run.service_id)
    )
    ids = set(uow.session.scalars(by_service)) | set(uow.session.scalars(by_group))
    return sorted(ids)


def run_streams(uow: UnitOfWork, run: DrillRun) -> list[str]:
    if run.service_id is None:
        return []
    return [alert_stream(run.service_id), *(stream_of(i) for i in run_incident_ids(uow, run))]


def first_match(
    uow: UnitOfWork, streams: Sequence[str], spec: CheckSpec, since: datetime
) -> Event | None:
    """The first event of ``streams`` at or after ``since`` that meets ``spec``."""
    if not streams:
        return None
    types, test = CHECKS[spec.check]
    query = (
        select(Event)
        .where(Event.stream.in_(list(streams)), Event.type.in_(types), Event.occurred_at >= since)
        .order_by(Event.position)
    )
    for event in uow.session.scalars(query):
        if test(event.data or {}, spec.value):
            return event
    return None


def run_events(uow: UnitOfWork, run: DrillRun, *, limit: int = 2000) -> Sequence[Event]:
    """The run's own events and its world's, oldest first (the report's timeline)."""
    streams = run_streams(uow, run)
    clauses = [Event.subject_id == run.id]
    if streams:
        clauses.append(Event.stream.in_(streams))
    query = select(Event).where(or_(*clauses)).order_by(Event.position).limit(limit)
    return uow.session.scalars(query).all()
