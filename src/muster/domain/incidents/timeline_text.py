"""One short line of plain text, and where a click should go, for each kind of event
an incident's timeline shows (incident, alert, escalation and notification events).

Pure: the caller passes the people's names it looked up (``names``: user id → name).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from muster.domain.incidents.lifecycle import STATUS_LABELS

MAX_TEXT = 160
Names = Mapping[str, str]
Describer = Callable[[Mapping[str, Any], Names], str]


def short(text: object, limit: int = MAX_TEXT) -> str:
    """The first line of ``text``, cut to ``limit`` characters with an ellipsis."""
    line = " ".join(str(text or "").split("\n", 1)[0].split())
    return line if len(line) <= limit else line[: limit - 1].rstrip() + "…"


def _who(data: Mapping[str, Any], names: Names, key: str = "user_id") -> str:
    user_id = data.get(key)
    if not isinstance(user_id, str):
        return "someone"
    return names.get(user_id) or str(data.get("user_name") or "someone")


def _status(value: object) -> str:
    return STATUS_LABELS.get(str(value), str(value))


def _updated(data: Mapping[str, Any], _names: Names) -> str:
    changes = data.get("changes") or {}
    parts = []
    for name, change in changes.items():
        if name == "severity" and isinstance(change, dict):
            parts.append(f"severity SEV{change.get('from')} → SEV{change.get('to')}")
        elif name in ("title", "type") and isinstance(change, dict):
            parts.append(f"{name} → {change.get('to')}")
        elif name == "restricted" and isinstance(change, dict):
            parts.append("restricted" if change.get("to") else "no longer restricted")
        else:
            parts.append(name.replace("_ids", "s").replace("_", " "))
    return "changed " + (", ".join(parts) or "details")


def _status_changed(data: Mapping[str, Any], _names: Names) -> str:
    text = f"status {_status(data.get('from'))} → {_status(data.get('to'))}"
    return f"{text}: {data['note']}" if data.get("note") else text


def _split(data: Mapping[str, Any], _names: Names) -> str:
    if data.get("incident_id") == data.get("new_incident_id"):
        return f"split off from {data.get('source_ref') or 'another incident'}"
    return f"alert group split off into {data.get('new_ref') or 'a new incident'}"


def _task(verb: str) -> Describer:
    def describe(data: Mapping[str, Any], names: Names) -> str:
        title = short(data.get("title") or "a task", 100)
        changes = data.get("changes") or {}
        if verb == "reminded":
            return f"reminded {_who(data, names)} of the task {title}"
        status = changes.get("status") if isinstance(changes, dict) else None
        if isinstance(status, dict) and status.get("to"):
            return f"task {title}: {status['to']}"
        if changes:
            fields = ", ".join(str(n).removesuffix("_id").replace("_", " ") for n in changes)
            return f"task {title}: changed {fields}"
        return f"{verb} {title}"

    return describe


def _notification(data: Mapping[str, Any], names: Names, verb: str) -> str:
    via = f" by {data['method_type']}" if data.get("method_type") else ""
    return f"{verb}{via} to {_who(data, names)}"


def _escalation(kind: str) -> Describer:
    def describe(data: Mapping[str, Any], _names: Names) -> str:
        level = data.get("level")
        suffix = f" (level {level})" if level is not None else ""
        return f"escalation {kind.replace('_', ' ')}{suffix}"

    return describe


_TEXTS: dict[str, Describer] = {
    "incident.declared": lambda d, _n: f"declared: {short(d.get('title'), 120)} (SEV{d.get('severity')})",
    "incident.updated": _updated,
    "incident.status_changed": _status_changed,
    "incident.reopened": lambda d, _n: f"reopened (was {_status(d.get('from'))})",
    "incident.timestamp_corrected": lambda d, _n: (
        f"corrected {str(d.get('field', 'a time')).replace('_at', '').replace('_', ' ')} time: "
        f"{short(d.get('reason'), 100)}"
    ),
    "incident.participant_joined": lambda d, n: f"{_who(d, n)} joined",
    "incident.participant_added": lambda d, n: f"added {_who(d, n)}" + (" (paged)" if d.get("page") else ""),
    "incident.participant_left": lambda d, n: f"{_who(d, n)} left",
    "incident.role_assigned": lambda d, n: f"{_who(d, n)} is {d.get('role_name') or d.get('role')}",
    "incident.role_handed_off": lambda d, n: f"{d.get('role_name') or d.get('role')} handed to {_who(d, n)}",
    "incident.role_relinquished": lambda d, n: (
        f"{_who(d, n)} no longer {d.get('role_name') or d.get('role')}"
        + (f" ({d['reason']})" if d.get("reason") else "")
    ),
    "incident.alert_group_linked": lambda d, _n: f"linked alerts: {short(d.get('summary') or 'an alert group', 120)}",
    "incident.alert_group_unlinked": lambda d, _n: "unlinked an alert group",
    "incident.note_added": lambda d, _n: short(d.get("body")),
    "incident.note_corrected": lambda d, _n: "corrected a note",
    "incident.key_event_marked": lambda d, _n: "marked a key event",
    "incident.key_event_unmarked": lambda d, _n: "unmarked a key event",
    "incident.attachment_added": lambda d, _n: (
        f"attached {short(d.get('name'), 120)}" if d.get("kind") == "file"
        else f"linked {short(d.get('name'), 120)}"
    ),
    "incident.task_created": _task("new task:"),
    "incident.task_updated": _task("updated task"),
    "incident.task_reminded": _task("reminded"),
    "incident.update_posted": lambda d, _n: f"posted {'an internal' if d.get('kind') == 'internal' else 'a public'} status update",
    "incident.update_due": lambda d, _n: "a status update is due",
    "incident.commander_needed": lambda d, _n: "no Incident Commander: paging for one",
    "incident.merged": lambda d, _n: f"merged into {d.get('target_ref') or 'another incident'}",
    "incident.absorbed": lambda d, _n: f"{d.get('source_ref') or 'an incident'} merged into this one",
    "incident.split": _split,
    "incident.subscribed": lambda d, _n: f"{d.get('subscriber_name') or 'a stakeholder'} subscribed",
    "incident.unsubscribed": lambda d, _n: f"{d.get('subscriber_name') or 'a stakeholder'} unsubscribed",
    "alert_group.opened": lambda d, _n: f"alerts opened: {short(d.get('summary'), 120)} ({d.get('severity')})",
    "alert_group.acknowledged": lambda d, _n: "alert group acknowledged",
    "alert_group.resolved": lambda d, _n: "alert group resolved",
    "alert_group.triggered": lambda d, _n: "alert group triggered again",
    "alert.triggered": lambda d, _n: f"alert: {short(d.get('summary'), 120)} ({d.get('severity')})",
    "alert.acknowledged": lambda d, _n: "alert acknowledged",
    "alert.resolved": lambda d, _n: "alert resolved",
    "alert.retriggered": lambda d, _n: "alert triggered again",
    "notification.requested": lambda d, n: f"paging {_who(d, n)}" + (f" (level {d['level']})" if d.get("level") is not None else ""),
    "notification.sent": lambda d, n: _notification(d, n, "sent"),
    "notification.failed": lambda d, n: _notification(d, n, "failed") + (f": {short(d.get('error'), 80)}" if d.get("error") else ""),
    "incident.playbook_started": lambda d, _n: f"playbook {short(d.get('name'), 80)} started ({short(d.get('trigger'), 60)})",
    "incident.playbook_step": lambda d, _n: f"playbook {short(d.get('name'), 60)}, step {d.get('step')}: {d.get('status')}" + (f" — {short(d.get('detail'), 90)}" if d.get("detail") else ""),
    "incident.playbook_finished": lambda d, _n: f"playbook {short(d.get('name'), 80)} {d.get('status')}" + (f": {short(d.get('error'), 90)}" if d.get("error") else ""),
    "incident.playbook_decided": lambda d, _n: f"{d.get('decision')} step {d.get('step')} of playbook {short(d.get('name'), 80)}",
    "incident.playbook_paged": lambda d, _n: f"playbook {short(d.get('name'), 60)} paged {len(d.get('user_ids') or [])} ({d.get('target')} {short(d.get('ref'), 60)})",
}  # fmt: skip


def describe(event_type: str, data: Mapping[str, Any], names: Names) -> str:
    """One line of plain text saying what happened (the actor is shown beside it)."""
    texts = _TEXTS.get(event_type)
    if texts is None and event_type.startswith("escalation."):
        texts = _escalation(event_type.removeprefix("escalation."))
    if texts is None:
        return event_type.replace(".", " ").replace("_", " ")
    return texts(data, names)


def link_of(
    event_type: str, subject_type: str, subject_id: str, data: Mapping[str, Any]
) -> str | None:
    """Where the entry leads: the incident, alert, alert group or file it is about."""
    incident_id = data.get("incident_id")
    if event_type == "incident.merged" and data.get("target_id"):
        return f"/incidents/{data['target_id']}"
    if event_type == "incident.absorbed" and data.get("source_id"):
        return f"/incidents/{data['source_id']}"
    if event_type == "incident.split":
        other = (
            data.get("source_id")
            if incident_id == data.get("new_incident_id")
            else data.get("new_incident_id")
        )
        return f"/incidents/{other}" if other else None
    if event_type == "incident.attachment_added":
        if data.get("kind") == "link":
            return str(data.get("url") or "") or None
        return f"/incidents/{incident_id}/attachments/{data.get('attachment_id')}"
    if event_type == "incident.note_corrected" and data.get("note_event_id"):
        return f"/incidents/{incident_id}#ev-{data['note_event_id']}"
    if event_type.startswith("incident.key_event_") and data.get("event_id"):
        return f"/incidents/{incident_id}#ev-{data['event_id']}"
    if event_type.startswith("incident.task_") and data.get("task_id"):
        return f"/incidents/{incident_id}#task-{data['task_id']}"
    if event_type.startswith("incident.alert_group_") and data.get("group_id"):
        return f"/alert-groups/{data['group_id']}"
    if event_type.startswith("incident.playbook_") and data.get("run_id"):
        return f"/playbook-runs/{data['run_id']}"
    if subject_type == "alert":
        return f"/alerts/{subject_id}"
    if subject_type == "alert_group":
        return f"/alert-groups/{subject_id}"
    if data.get("group_id"):
        return f"/alert-groups/{data['group_id']}"
    return None
