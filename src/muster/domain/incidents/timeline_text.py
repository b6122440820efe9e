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
    # Regulatory clocks, evidence, investigation records, exports.
    "incident.regime_applied": lambda d, _n: f"{d.get('regime_name') or d.get('regime')} applies: {short(d.get('reason'), 100)}",
    "incident.regime_removed": lambda d, _n: f"{d.get('regime')} no longer applies: {short(d.get('reason'), 100)}",
    "incident.compliance_fact_recorded": lambda d, _n: f"recorded {str(d.get('fact', 'a fact')).removesuffix('_at').replace('_', ' ')}" + (f" ({d['number']})" if d.get("number") is not None else "") + (f": {short(d.get('reason'), 90)}" if d.get("reason") else ""),
    "incident.clock_started": lambda d, _n: f"clock started: {_clock(d)}",
    "incident.clock_changed": lambda d, _n: f"deadline moved: {_clock(d)}",
    "incident.deadline_approaching": lambda d, _n: f"{_clock(d)}: {_left(d.get('minutes_left'))} left" + (" — paging" if d.get("page") else ""),
    "incident.deadline_missed": lambda d, _n: f"deadline missed: {_clock(d)}",
    "incident.deadline_miss_explained": lambda d, _n: f"reason for missing {d.get('deadline')}: {short(d.get('reason'), 100)}",
    "incident.report_submitted": lambda d, _n: f"submitted {_clock(d)} to {short(d.get('recipient'), 60)}" + (" (late)" if d.get("late") else "") + (f", ref. {short(d.get('reference'), 40)}" if d.get("reference") else ""),
    "incident.evidence_added": lambda d, _n: f"evidence {d.get('label')}: {short(d.get('title'), 100)}",
    "incident.evidence_superseded": lambda d, _n: f"evidence {d.get('label')} superseded by {d.get('by_label')}",
    "incident.evidence_deleted": lambda d, _n: f"evidence {d.get('label')} deleted: {short(d.get('reason'), 100)}",
    "incident.frigate_media_failed": lambda d, _n: f"Frigate {d.get('kind')} of {short(d.get('camera'), 60)} (review {short(d.get('review_id'), 40)}) could not be kept as evidence after {d.get('attempts')} attempts: {short(d.get('error'), 120)}",
    "incident.evidence_verification_failed": lambda d, _n: f"evidence {d.get('label')} FAILED verification: {short(d.get('detail') or 'hash mismatch', 100)}",
    "incident.legal_hold_placed": lambda d, _n: f"legal hold placed: {short(d.get('reason'), 100)}",
    "incident.legal_hold_released": lambda d, _n: f"legal hold released: {short(d.get('reason'), 100)}",
    "incident.retention_applied": lambda d, _n: f"retention ({d.get('retention_days')} days) removed {d.get('evidence', 0)} evidence files, {d.get('attachments', 0)} attachments, {d.get('messages', 0)} message bodies",
    "incident.observable_added": lambda d, _n: f"observable {d.get('kind')}: {short(d.get('value'), 100)}" + (f" (from {d['source']})" if d.get("source") not in (None, "manual") else ""),
    "incident.observable_changed": lambda d, _n: f"observable {short(d.get('value'), 100)} changed",
    "incident.observable_removed": lambda d, _n: f"observable {short(d.get('value'), 100)} removed",
    "incident.observable_sighted": lambda d, _n: "seen again in alert " + short(d.get("summary"), 80) + ": " + ", ".join(str(o.get("value")) for o in (d.get("observables") or [])[:3]) + (" (alert linked)" if d.get("linked") else ""),
    "incident.correlated": lambda d, _n: f"raised by correlation rule {short(d.get('rule'), 60)}: " + ", ".join(str(e.get("kind")) for e in (d.get("events") or [])[:5]) + (f" in {short(d.get('zone'), 40)}" if d.get("zone") else ""),
    "incident.correlation_joined": lambda d, _n: f"another {(d.get('event') or {}).get('kind')} joined correlation {short(d.get('rule'), 60)}",
    "incident.asset_added": lambda d, _n: f"affected {d.get('kind')}: {short(d.get('name'), 100)} ({_asset(d.get('status'))})",
    "incident.asset_status_changed": lambda d, _n: f"{d.get('kind')} {short(d.get('name'), 80)}: {_asset(d.get('previous'))} → {_asset(d.get('status'))}",
    "incident.technique_added": lambda d, _n: f"ATT&CK {d.get('technique_id')} {short(d.get('name'), 80)} ({d.get('tactic')})",
    "incident.technique_removed": lambda d, _n: f"removed ATT&CK {d.get('technique_id')}",
    "incident.site_set": lambda d, _n: (f"site: {short(d.get('site_name'), 100)}" if d.get("site_id") else "site cleared") + (" (from its alerts)" if d.get("source") == "alerts" else "") + (f" (was {short(d.get('previous_site_name'), 100)})" if d.get("previous_site_name") else ""),
    "incident.exported": lambda d, _n: f"exported as {str(d.get('format', '')).upper()}",
    "incident.review_created": lambda d, _n: "post-incident review started" + (f" (required, due {str(d.get('due_at') or '')[:10]})" if d.get("required") else ""),
    "incident.review_updated": lambda d, _n: f"review edited (version {d.get('version')})",
    "incident.review_status_changed": lambda d, _n: f"review {str(d.get('from', '')).replace('_', ' ')} → {str(d.get('to', '')).replace('_', ' ')}",
    "incident.review_owner_set": lambda d, n: f"review owner: {_who(d, n)}" if d.get("user_id") else "review owner cleared",
    "incident.review_meeting_set": lambda d, _n: f"review meeting: {str(d.get('meeting_at') or 'none')[:16].replace('T', ' ')}",
    "incident.review_reminded": lambda d, _n: f"review {'overdue' if d.get('overdue') else 'due soon'}: reminded {len(d.get('user_ids') or [])} people",
    "incident.feedback_given": lambda d, _n: f"response feedback given ({d.get('rating')}/5)",
    # Action items (muster.domain.reviews.actions).
    "incident.action_item_added": lambda d, _n: f"action item {d.get('key') or ''} ({d.get('priority')}, {d.get('kind')}): {short(d.get('title'), 100)}",
    "incident.action_item_updated": lambda d, _n: f"action item {d.get('key') or ''} {short(d.get('title'), 80)}: " + (f"status {str((d.get('changes') or {}).get('status', {}).get('to', '')).replace('_', ' ')}" if "status" in (d.get("changes") or {}) else "changed " + ", ".join(sorted(d.get("changes") or {}))),
    "incident.action_item_reminded": lambda d, _n: f"reminded {len(d.get('user_ids') or [])} of overdue action item {d.get('key') or ''} (due {d.get('due_on')})",
}  # fmt: skip


def _clock(data: Mapping[str, Any]) -> str:
    name, deadline = data.get("name"), data.get("deadline")
    return f"{name} ({deadline})" if name and deadline else str(name or deadline or "a deadline")


def _left(minutes: object) -> str:
    if not isinstance(minutes, int):
        return "little time"
    if minutes >= 2 * 24 * 60:
        return f"{minutes // (24 * 60)} days"
    if minutes >= 120:
        return f"{minutes // 60} hours"
    return f"{minutes} minutes"


def _asset(status: object) -> str:
    return "to be determined" if status in (None, "tbd") else str(status).replace("_", " ")


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
    if event_type.startswith(("incident.regime_", "incident.clock_", "incident.deadline_",
                              "incident.compliance_", "incident.report_submitted")):  # fmt: skip
        return f"/incidents/{incident_id}/compliance"
    if event_type.startswith(("incident.evidence_", "incident.legal_hold_")):
        return f"/incidents/{incident_id}/evidence"
    if event_type.startswith("incident.correlat") and data.get("match_id"):
        return f"/correlation/matches/{data['match_id']}"
    if event_type.startswith(("incident.observable_", "incident.asset_", "incident.technique_")):
        return f"/incidents/{incident_id}/investigation"
    if event_type.startswith("incident.playbook_") and data.get("run_id"):
        return f"/playbook-runs/{data['run_id']}"
    if subject_type == "alert":
        return f"/alerts/{subject_id}"
    if subject_type == "alert_group":
        return f"/alert-groups/{subject_id}"
    if data.get("group_id"):
        return f"/alert-groups/{data['group_id']}"
    return None
