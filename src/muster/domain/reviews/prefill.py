"""A new review's first text: the template's ``{{placeholders}}`` filled from what
Muster knows of the incident — key events of the timeline (else its status changes),
phase durations, responders and their roles, linked alerts and their acknowledgement,
the notifications sent, status updates and regulatory submissions.

Unknown placeholders stay as written, so a template may carry its own braces."""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import select

from muster.db.uow import UnitOfWork
from muster.domain.accounts.models import User
from muster.domain.compliance.submissions import submissions_of
from muster.domain.events.models import Event
from muster.domain.incidents.lifecycle import STATUS_LABELS, phase_spans
from muster.domain.incidents.links import linked_groups
from muster.domain.incidents.models import (
    Incident,
    IncidentType,
    KeyEvent,
    SeverityLevel,
    StatusUpdate,
)
from muster.domain.incidents.record import stream_of
from muster.domain.incidents.roles import role_history
from muster.domain.incidents.service import reference
from muster.domain.incidents.timeline_text import describe
from muster.domain.notify.models import OutboxMessage
from muster.domain.reviews.metrics import incident_metrics

PLACEHOLDER = re.compile(r"\{\{\s*([a-z_]+)\s*\}\}")
NONE = "_None recorded._"
TIMELINE_TYPES = (
    "incident.declared", "incident.status_changed", "incident.role_assigned",
    "incident.severity_changed", "incident.alert_groups_linked",
)  # fmt: skip
MAX_LINES = 200


def duration_words(seconds: float) -> str:
    """``2 h 05 min``, ``3 d 4 h``, ``45 s``."""
    total = int(max(seconds, 0))
    days, rest = divmod(total, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    if days:
        return f"{days} d {hours} h"
    if hours:
        return f"{hours} h {minutes:02d} min"
    if minutes:
        return f"{minutes} min"
    return f"{secs} s"


def _at(value: datetime | None) -> str:
    return f"{value:%Y-%m-%d %H:%M} UTC" if value else "—"


def _lines(items: Iterable[str]) -> str:
    out = [f"- {item}" for item in list(items)[:MAX_LINES]]
    return "\n".join(out) if out else NONE


def _names(uow: UnitOfWork, ids: set[str]) -> dict[str, str]:
    if not ids:
        return {}
    rows = uow.session.execute(select(User.id, User.name).where(User.id.in_(ids)))
    return {uid: name for uid, name in rows}


def _timeline(uow: UnitOfWork, incident: Incident) -> str:
    keys = select(KeyEvent.event_id).where(KeyEvent.incident_id == incident.id)
    query = select(Event).where(Event.stream == stream_of(incident.id))
    events = list(uow.session.scalars(query.where(Event.id.in_(keys)).order_by(Event.seq)))
    if not events:
        picked = query.where(Event.type.in_(TIMELINE_TYPES)).order_by(Event.seq)
        events = list(uow.session.scalars(picked.limit(MAX_LINES)))
    ids = {str(e.data.get("user_id")) for e in events if e.data.get("user_id")}
    names = _names(uow, ids)
    return _lines(
        f"{_at(e.occurred_at)} — {describe(e.type, e.data or {}, names)} ({e.actor_label})"
        for e in events
    )


def _phases(incident: Incident, now: datetime) -> str:
    return _lines(
        f"{STATUS_LABELS.get(s.phase, s.phase)}: entered {_at(s.started_at)}, "
        f"{duration_words(s.seconds(now))}"
        for s in phase_spans(incident)
    )


def _metrics(uow: UnitOfWork, incident: Incident) -> str:
    """The response's times (:func:`muster.domain.reviews.metrics.incident_metrics`)."""
    m = incident_metrics(uow, incident)
    lines = [
        f"{name.replace('_', ' ')}: {duration_words(value)}"
        for name, value in m.times.items()
        if value is not None
    ]
    lines.append(f"pages sent: {m.pages}, people paged: {m.people_paged}")
    return "\n\nResponse times:\n\n" + _lines(lines)


def _detection(incident: Incident) -> str:
    lag = (incident.declared_at - incident.detected_at).total_seconds()
    return (
        f"Detected {_at(incident.detected_at)}, declared {_at(incident.declared_at)} "
        f"({duration_words(lag)} later) by {incident.declared_by}."
    )


def _responders(uow: UnitOfWork, incident: Incident) -> str:
    return _lines(
        f"{a.user.name} — {a.role_type.name} ({_at(a.started_at)} to "
        f"{_at(a.ended_at) if a.ended_at else 'the end'})"
        for a in role_history(uow, incident.id)
    )


def _alerts(uow: UnitOfWork, incident: Incident) -> str:
    def line(g: Any) -> str:
        ack = (
            f"acknowledged after {duration_words((g.acknowledged_at - g.first_seen).total_seconds())}"
            f" by {g.acknowledged_by}"
            if g.acknowledged_at
            else "never acknowledged"
        )
        return f"{g.summary} ({g.alert_count} alerts, first {_at(g.first_seen)}; {ack})"

    return _lines(line(g) for g in linked_groups(uow, incident.id))


def _notifications(uow: UnitOfWork, incident: Incident) -> str:
    asked = select(Event.id).where(Event.stream == stream_of(incident.id))
    rows = uow.session.scalars(
        select(OutboxMessage)
        .where(OutboxMessage.request_event_id.in_(asked))
        .order_by(OutboxMessage.next_attempt_at)
    ).all()
    names = _names(uow, {r.user_id for r in rows if r.user_id})
    return _lines(
        f"{names.get(r.user_id or '', r.address)} by {r.method_type} "
        f"({'page' if r.urgency == 'high' else 'notice'}, step {r.step}): {r.status}"
        for r in rows
    )


def _updates(uow: UnitOfWork, incident: Incident) -> str:
    def line(u: Any) -> str:
        text = u.body or "; ".join(x for x in (u.conditions, u.actions, u.needs) if x)
        return f"{_at(u.posted_at)} {u.kind} by {u.author_label}: {text.splitlines()[0] if text else ''}"

    return _lines(
        line(u)
        for u in uow.session.scalars(
            select(StatusUpdate)
            .where(StatusUpdate.incident_id == incident.id)
            .order_by(StatusUpdate.posted_at)
        )
    )


def _submissions(uow: UnitOfWork, incident: Incident) -> str:
    return _lines(
        f"{_at(s.submitted_at)} to {s.recipient}"
        + (f" (ref. {s.reference})" if s.reference else "")
        for s in submissions_of(uow, incident.id)
    )


def facts_of(uow: UnitOfWork, incident: Incident, now: datetime) -> dict[str, str]:
    """Every placeholder's text for ``incident``."""
    level = uow.session.get(SeverityLevel, incident.severity)
    kind = uow.session.scalar(select(IncidentType).where(IncidentType.key == incident.type_key))
    end = incident.resolved_at or now
    return {
        "reference": reference(incident),
        "title": incident.title,
        "summary": incident.summary or "_What happened, in two or three sentences._",
        "impact": incident.impact or "_to fill in_",
        "severity": level.name if level else f"SEV{incident.severity}",
        "type": kind.name if kind else incident.type_key,
        "duration": duration_words((end - incident.detected_at).total_seconds()),
        "detection": _detection(incident),
        "phases": _phases(incident, now) + _metrics(uow, incident),
        "timeline": _timeline(uow, incident),
        "responders": _responders(uow, incident),
        "alerts": _alerts(uow, incident),
        "notifications": _notifications(uow, incident),
        "updates": _updates(uow, incident),
        "submissions": _submissions(uow, incident),
    }


def fill(body: str, facts: dict[str, str]) -> str:
    return PLACEHOLDER.sub(lambda m: facts.get(m.group(1), m.group(0)), body)
