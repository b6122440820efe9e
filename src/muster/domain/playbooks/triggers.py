"""Which events a playbook trigger answers (pure).

``matches(trigger, event_type, data)`` reads one event of the incident's timeline, or one
alert: for ``alert_matched``, ``event_type`` is one of :data:`ALERT_EVENTS` and ``data``
holds the alert's facts (``labels``, ``severity``, ``summary``, ``source``) rather than the
event's own data. The playbook's ``conditions`` are checked separately, over the
incident as it is (a trigger says *when* to look, conditions say *whether*).

``deadline_approaching`` answers ``incident.deadline_approaching`` {deadline, regime,
minutes_left}, which the compliance clocks append at 50 %, 75 % and 90 % of a clock and at
one hour left (:mod:`muster.engine.modules.compliance_clocks`). The trigger's ``deadline``
names one report (``gdpr-33/authority``) or every report of a regime (``nis2-23``); its
``minutes`` fires on the first of those events with at most that many minutes left.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from muster.domain.playbooks.conditions import holds
from muster.domain.playbooks.schemas import Trigger

# An alert seen on an incident: one arriving on a linked group, or in a group just linked.
ALERT_EVENTS = ("alert.triggered", "alert.retriggered", "alert.linked")
INCIDENT_EVENTS = (
    "incident.declared", "incident.updated", "incident.status_changed", "incident.reopened",
    "incident.task_updated", "incident.deadline_approaching",
)  # fmt: skip
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_UPDATE_FIELDS = {"type_key": "type", "service_ids": "services"}


def matches(
    trigger: Trigger, event_type: str, data: Mapping[str, Any], *, now: datetime | None = None
) -> bool:
    """Whether ``trigger`` answers this event (``now`` is for time conditions on alerts)."""
    raw = data.get("changes")
    changes: Mapping[str, Any] = raw if isinstance(raw, Mapping) else {}
    match trigger.event:
        case "incident_declared":
            return event_type == "incident.declared"
        case "severity_changed":
            return event_type == "incident.updated" and "severity" in changes
        case "type_changed":
            return event_type == "incident.updated" and "type" in changes
        case "field_changed":
            return event_type == "incident.updated" and _fields_changed(trigger, changes)
        case "status_changed":
            to = _new_status(event_type, data)
            return to is not None and (not trigger.to or to in trigger.to)
        case "phase_entered":
            to = _new_status(event_type, data)
            if event_type == "incident.declared":
                to = "triage"
            return to is not None and to == trigger.phase
        case "alert_matched":
            return event_type in ALERT_EVENTS and holds(trigger.condition, data, now or _EPOCH)
        case "task_completed":
            return _task_completed(trigger, event_type, data, changes)
        case "deadline_approaching":
            return _deadline(trigger, event_type, data)
    return False  # manual: only when someone runs it


def describe(trigger: Trigger) -> str:
    """The trigger in words, for a run's ``trigger`` and the UI."""
    match trigger.event:
        case "field_changed" if trigger.fields:
            return f"field changed ({', '.join(trigger.fields)})"
        case "status_changed" if trigger.to:
            return f"status changed to {', '.join(trigger.to)}"
        case "phase_entered":
            return f"phase entered: {trigger.phase}"
        case "task_completed" if trigger.title_contains:
            return f"task completed ({trigger.title_contains!r})"
        case "deadline_approaching":
            return f"deadline approaching: {trigger.deadline or 'any'}"
    return trigger.event.replace("_", " ")


def _fields_changed(trigger: Trigger, changes: Mapping[str, Any]) -> bool:
    names = {_UPDATE_FIELDS.get(k, k) for k in changes} | set(changes)
    return bool(changes) and (not trigger.fields or bool(names & set(trigger.fields)))


def _new_status(event_type: str, data: Mapping[str, Any]) -> str | None:
    if event_type == "incident.status_changed":
        to = data.get("to")
        return to if isinstance(to, str) else None
    if event_type == "incident.reopened":
        return "investigating"
    return None


def _task_completed(
    trigger: Trigger, event_type: str, data: Mapping[str, Any], changes: Mapping[str, Any]
) -> bool:
    status = changes.get("status")
    if event_type != "incident.task_updated" or not isinstance(status, Mapping):
        return False
    if status.get("to") != "done":
        return False
    wanted = (trigger.title_contains or "").casefold()
    return wanted in str(data.get("title", "")).casefold()


def _deadline(trigger: Trigger, event_type: str, data: Mapping[str, Any]) -> bool:
    if event_type != "incident.deadline_approaching":
        return False
    if trigger.deadline:
        wanted = trigger.deadline.casefold()
        names = {str(data.get("deadline", "")).casefold(), str(data.get("regime", "")).casefold()}
        if wanted not in names:
            return False
    left = data.get("minutes_left")
    if trigger.minutes is None or left is None:
        return True
    return isinstance(left, int | float) and left <= trigger.minutes
