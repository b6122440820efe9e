"""An incident's one timeline, read from the event log, in log order.

It gathers:

* the incident's own stream (``incident:<id>``), and the streams of incidents merged into
  it (recursively; only those the reader may see — a restricted duplicate stays hidden);
* events about its linked alert groups (opening, acknowledging, escalation steps, pages
  and their delivery) and about the alerts in them;
* notification events (``notification.*``) about its participants' pages for the
  incident itself (those naming the incident, or sent for one of its events).

Each entry is what a page needs for one line: when, who, what type, a short text, where a
click goes, whether it is a key event, and for notes the current (possibly corrected)
Markdown with its safe HTML. Pages run newest last; ask for older ones with ``before``
(the ``position`` of the oldest entry you have).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.orm import aliased

from muster.db.uow import UnitOfWork
from muster.domain.accounts.models import User
from muster.domain.alerts.models import Alert
from muster.domain.events.actor import Actor
from muster.domain.events.models import Event
from muster.domain.incidents.markdown import render_markdown
from muster.domain.incidents.models import (
    Incident,
    IncidentAlertGroup,
    KeyEvent,
    Note,
    Participant,
)
from muster.domain.incidents.record import stream_of
from muster.domain.incidents.timeline_text import describe, link_of
from muster.domain.incidents.visibility import can_see, get_visible_incident
from muster.domain.notify.models import OutboxMessage
from muster.errors import FieldError, InvalidInput

MAX_LIMIT = 500
NOTIFICATION_TYPES = ("notification.requested", "notification.sent", "notification.failed")


@dataclass(frozen=True, slots=True)
class TimelineEntry:
    """One line of the timeline.

    ``origin``: ``incident`` (its own stream), ``merged`` (an incident merged into it),
    ``alert`` (its alert groups and alerts, their escalation) or ``notification``.
    ``incident_id``: the incident whose stream holds it (None for alert/notification
    events). ``note_id``/``body``/``body_html``/``corrected`` are set on a note's entry:
    the note as it reads now. ``data`` is the event's own data."""

    event_id: str
    position: int
    at: datetime
    type: str
    actor: str  # the person's name, or the system's label
    actor_id: str | None
    origin: str
    incident_id: str | None
    text: str
    link: str | None
    key: bool
    note_id: str | None = None
    body: str | None = None
    body_html: str | None = None
    corrected: bool = False
    corrected_at: datetime | None = None
    data: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class TimelinePage:
    entries: list[TimelineEntry]
    older: int | None  # pass as ``before`` for the page before this one; None: no more


@dataclass(frozen=True)
class TimelineScope:
    """Where an incident's timeline comes from."""

    incident_id: str
    incident_ids: tuple[str, ...]  # itself first, then the visible merged ones
    group_ids: tuple[str, ...]
    participant_ids: tuple[str, ...]

    @property
    def streams(self) -> list[str]:
        return [stream_of(i) for i in self.incident_ids]


def timeline_scope(uow: UnitOfWork, actor: Actor, incident: Incident) -> TimelineScope:
    """The incidents, alert groups and people whose events make up ``incident``'s
    timeline as ``actor`` may see it."""
    ids = [incident.id]
    frontier, seen = [incident.id], {incident.id}
    while frontier:
        sources = [
            s
            for s in uow.session.scalars(
                select(Incident).where(Incident.merged_into_id.in_(frontier))
            )
            if s.id not in seen
        ]
        seen.update(s.id for s in sources)
        frontier = [s.id for s in sources]
        ids += [s.id for s in sources if can_see(uow, actor, s)]
    groups = uow.session.scalars(
        select(IncidentAlertGroup.group_id).where(IncidentAlertGroup.incident_id == incident.id)
    ).all()
    people = uow.session.scalars(
        select(Participant.user_id).where(Participant.incident_id.in_(ids)).distinct()
    ).all()
    return TimelineScope(incident.id, tuple(ids), tuple(groups), tuple(people))


def _branches(scope: TimelineScope) -> list[Select[Event]]:
    """One query per source, each able to use an index on the event log: a stream's
    events newest first by its (stream, seq) index, the others by subject."""
    queries = [
        select(Event).where(Event.stream == stream).order_by(Event.seq.desc())
        for stream in scope.streams
    ]
    if scope.group_ids:
        queries.append(
            select(Event)
            .where(Event.subject_type == "alert_group", Event.subject_id.in_(scope.group_ids))
            .order_by(Event.position.desc())
        )
        alert_ids = select(Alert.id).where(Alert.group_id.in_(scope.group_ids))
        queries.append(
            select(Event)
            .where(Event.subject_type == "alert", Event.subject_id.in_(alert_ids))
            .order_by(Event.position.desc())
        )
    if scope.participant_ids:
        own = aliased(Event)
        own_ids = select(own.id).where(own.stream.in_(scope.streams))
        # Messages for the incident: sent for one of its events, or naming it.
        sent_for = select(OutboxMessage.id).where(
            OutboxMessage.user_id.in_(scope.participant_ids),
            OutboxMessage.request_event_id.in_(own_ids)
            | OutboxMessage.payload["incident_id"].as_string().in_(scope.incident_ids),
        )
        queries.append(
            select(Event)
            .where(
                Event.type.in_(NOTIFICATION_TYPES),
                Event.subject_type == "user",
                Event.subject_id.in_(scope.participant_ids),
                Event.data["incident_id"].as_string().in_(scope.incident_ids)
                | Event.data["outbox_id"].as_string().in_(sent_for),
            )
            .order_by(Event.position.desc())
        )
    return queries


def check_limit(limit: int, before: int | None) -> None:
    if not 1 <= limit <= MAX_LIMIT:
        raise InvalidInput(
            "limit out of range", errors=[FieldError("limit", f"must be 1 to {MAX_LIMIT}")]
        )
    if before is not None and before < 1:
        raise InvalidInput(
            "bad cursor", errors=[FieldError("before", "a position this timeline gave")]
        )


def scoped_events(
    uow: UnitOfWork, scope: TimelineScope, *, limit: int, before: int | None = None
) -> list[Event]:
    """The newest ``limit`` events of the scope before position ``before``, oldest first."""
    found: dict[int, Event] = {}
    for query in _branches(scope):
        if before is not None:
            query = query.where(Event.position < before)
        for event in uow.session.scalars(query.limit(limit)):
            found[event.position] = event
    newest = sorted(found, reverse=True)[:limit]
    return [found[p] for p in reversed(newest)]


def scoped_events_by_id(
    uow: UnitOfWork, scope: TimelineScope, event_ids: Sequence[str]
) -> list[Event]:
    """Those of ``event_ids`` that are on this timeline, oldest first."""
    found: dict[int, Event] = {}
    for query in _branches(scope):
        for event in uow.session.scalars(query.where(Event.id.in_(event_ids))):
            found[event.position] = event
    return [found[p] for p in sorted(found)]


def in_scope(uow: UnitOfWork, scope: TimelineScope, event_id: str) -> Event | None:
    """The event if it is on this timeline, else None."""
    for query in _branches(scope):
        event = uow.session.scalar(query.where(Event.id == event_id))
        if event is not None:
            return event
    return None


def timeline_page(
    uow: UnitOfWork, actor: Actor, incident_id: str, *, limit: int = 100, before: int | None = None
) -> TimelinePage:
    """The newest ``limit`` entries before ``before`` (newest last), and the cursor for
    the page before them.

    Preconditions: the incident visible to ``actor`` (:class:`NotFound` otherwise);
    ``limit`` 1 to :data:`MAX_LIMIT`; ``before`` a position."""
    check_limit(limit, before)
    incident = get_visible_incident(uow, actor, incident_id)
    scope = timeline_scope(uow, actor, incident)
    events = scoped_events(uow, scope, limit=limit + 1, before=before)
    older = events[1].position if len(events) > limit else None
    return TimelinePage(entries_for(uow, scope, events[-limit:]), older)


def timeline(
    uow: UnitOfWork, actor: Actor, incident_id: str, *, limit: int = 100, before: int | None = None
) -> list[TimelineEntry]:
    """The entries of :func:`timeline_page` (newest last)."""
    return timeline_page(uow, actor, incident_id, limit=limit, before=before).entries


def _origin(scope: TimelineScope, event: Event) -> str:
    if event.stream == stream_of(scope.incident_id):
        return "incident"
    if event.stream.startswith("incident:"):
        return "merged"
    if event.type in NOTIFICATION_TYPES:
        return "notification"
    return "alert"


def _user_ids(events: Iterable[Event]) -> set[str]:
    ids: set[str] = set()
    for event in events:
        if event.actor_type == "user" and event.actor_id:
            ids.add(event.actor_id)
        data = event.data or {}
        for key in ("user_id", "previous_user_id"):
            if isinstance(data.get(key), str):
                ids.add(data[key])
    return ids


def entries_for(
    uow: UnitOfWork, scope: TimelineScope, events: Sequence[Event]
) -> list[TimelineEntry]:
    """``events`` (of ``scope``) as timeline entries, in the same order."""
    if not events:
        return []
    user_ids = _user_ids(events)
    names: dict[str, str] = {}
    if user_ids:
        rows = uow.session.execute(select(User.id, User.name).where(User.id.in_(user_ids)))
        names = {user_id: name for user_id, name in rows}
    event_ids = [e.id for e in events]
    keys = set(
        uow.session.scalars(
            select(KeyEvent.event_id).where(
                KeyEvent.incident_id.in_(scope.incident_ids), KeyEvent.event_id.in_(event_ids)
            )
        )
    )
    note_ids = [
        str(e.data["note_id"])
        for e in events
        if e.type == "incident.note_added" and (e.data or {}).get("note_id")
    ]
    notes = {
        n.id: n for n in uow.session.scalars(select(Note).where(Note.id.in_(note_ids)))
    } if note_ids else {}  # fmt: skip
    entries = []
    for event in events:
        data = dict(event.data or {})
        note = notes.get(str(data.get("note_id"))) if event.type == "incident.note_added" else None
        text = describe(event.type, data, names)
        if note is not None:
            text = describe(event.type, {"body": note.body}, names)
        entries.append(
            TimelineEntry(
                event_id=event.id, position=event.position, at=event.occurred_at,
                type=event.type, actor=names.get(event.actor_id or "", event.actor_label),
                actor_id=event.actor_id, origin=_origin(scope, event),
                incident_id=data.get("incident_id") if event.stream.startswith("incident:") else None,
                text=text, link=link_of(event.type, event.subject_type, event.subject_id, data),
                key=event.id in keys, note_id=note.id if note else None,
                body=note.body if note else None,
                body_html=render_markdown(note.body) if note else None,
                corrected=bool(note and note.corrected_at), corrected_at=note.corrected_at if note else None,
                data=data,
            )
        )  # fmt: skip
    return entries
