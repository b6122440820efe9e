"""Responders' notes on the timeline (Markdown), their corrections, and key events.

A note can be corrected only by its author; the note then reads as corrected, and every
earlier text stays in the event log (:func:`note_history`). Any entry of the timeline
can be marked as a key event (these feed the review later).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Annotated

from pydantic import StringConstraints
from sqlalchemy import select

from muster.db.uow import UnitOfWork
from muster.domain.accounts.permissions import require
from muster.domain.accounts.schemas import Strict
from muster.domain.events.actor import Actor, Role
from muster.domain.events.models import Event
from muster.domain.incidents.models import Incident, KeyEvent, Note
from muster.domain.incidents.record import record, stream_of
from muster.domain.incidents.timeline import (
    TimelineEntry,
    entries_for,
    in_scope,
    scoped_events_by_id,
    timeline_scope,
)
from muster.domain.incidents.visibility import get_visible_incident
from muster.errors import Conflict, FieldError, InvalidInput, NotFound, PermissionDenied
from muster.ids import new_id

MAX_NOTE = 20_000
NoteBody = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=MAX_NOTE)
]


class NoteIn(Strict):
    """A note's Markdown text (also the shape of a correction)."""

    body: NoteBody


def _check_body(body: str) -> str:
    text = body.strip()
    if not text or len(text) > MAX_NOTE:
        raise InvalidInput(
            "bad note", errors=[FieldError("body", f"1 to {MAX_NOTE} characters of text")]
        )
    return text


def _open_for_notes(incident: Incident) -> None:
    if incident.status == "merged":
        raise Conflict(
            "this incident was merged into another; write on the surviving incident",
            errors=[FieldError("incident_id", "merged")],
        )


def do_add_note(uow: UnitOfWork, actor: Actor, incident_id: str, body: str) -> Note:
    """Add a note to the timeline (``incident.note_added``).

    Preconditions: responder role; the incident visible and not merged; 1 to 20,000
    characters of Markdown."""
    require(actor, Role.RESPONDER)
    incident = get_visible_incident(uow, actor, incident_id)
    _open_for_notes(incident)
    text = _check_body(body)
    note_id = new_id()
    event = record(uow, actor, incident, "incident.note_added", note_id=note_id, body=text)
    note = Note(
        id=note_id, incident_id=incident.id, author_id=actor.id, author_label=actor.label,
        body=text, event_id=event.id, created_at=uow.now,
    )  # fmt: skip
    uow.session.add(note)
    uow.flush()
    return note


def _visible_note(uow: UnitOfWork, actor: Actor, note_id: str) -> tuple[Note, Incident]:
    note = uow.session.get(Note, note_id)
    if note is None:
        raise NotFound("no such note")
    try:
        incident = get_visible_incident(uow, actor, note.incident_id)
    except NotFound:
        raise NotFound("no such note") from None
    return note, incident


def do_correct_note(uow: UnitOfWork, actor: Actor, note_id: str, body: str) -> Note:
    """Replace a note's text (``incident.note_corrected`` keeps the previous text).

    Preconditions: responder role; the note's incident visible; the actor wrote the note
    (:class:`PermissionDenied` otherwise, even for admins: a note is its author's word);
    the new text differs and is 1 to 20,000 characters."""
    require(actor, Role.RESPONDER)
    note, incident = _visible_note(uow, actor, note_id)
    if actor.id is None or note.author_id != actor.id:
        raise PermissionDenied("only the author of a note may correct it")
    text = _check_body(body)
    if text == note.body:
        raise InvalidInput("nothing to correct", errors=[FieldError("body", "unchanged")])
    record(
        uow, actor, incident, "incident.note_corrected",
        note_id=note.id, body=text, previous=note.body, note_event_id=note.event_id,
    )  # fmt: skip
    note.body = text
    note.corrected_at = uow.now
    return note


@dataclass(frozen=True, slots=True)
class NoteVersion:
    body: str
    at: datetime
    by: str
    event_id: str


def note_history(uow: UnitOfWork, actor: Actor, note_id: str) -> list[NoteVersion]:
    """Every text the note has had, oldest first (the last is the current one).

    Precondition: the note's incident visible."""
    note, _incident = _visible_note(uow, actor, note_id)
    events = uow.session.scalars(
        select(Event)
        .where(
            Event.stream == stream_of(note.incident_id),
            Event.type.in_(("incident.note_added", "incident.note_corrected")),
        )
        .order_by(Event.seq)
    )
    return [
        NoteVersion(str(e.data.get("body")), e.occurred_at, e.actor_label, e.id)
        for e in events
        if (e.data or {}).get("note_id") == note.id
    ]


def do_mark_key_event(uow: UnitOfWork, actor: Actor, incident_id: str, event_id: str) -> bool:
    """Mark a timeline entry as a key event; False when it already was.

    Preconditions: responder role; the incident visible; the event on its timeline."""
    require(actor, Role.RESPONDER)
    incident = get_visible_incident(uow, actor, incident_id)
    scope = timeline_scope(uow, actor, incident)
    if in_scope(uow, scope, event_id) is None:
        raise InvalidInput(
            "not on this timeline", errors=[FieldError("event_id", "no such timeline entry")]
        )
    if uow.session.get(KeyEvent, (incident.id, event_id)) is not None:
        return False
    uow.session.add(
        KeyEvent(
            incident_id=incident.id, event_id=event_id, marked_at=uow.now, marked_by=actor.label
        )
    )
    record(uow, actor, incident, "incident.key_event_marked", event_id=event_id)
    uow.flush()
    return True


def do_unmark_key_event(uow: UnitOfWork, actor: Actor, incident_id: str, event_id: str) -> bool:
    """Remove the key-event mark; False when the entry was not marked.

    Preconditions: responder role; the incident visible."""
    require(actor, Role.RESPONDER)
    incident = get_visible_incident(uow, actor, incident_id)
    scope = timeline_scope(uow, actor, incident)
    rows = uow.session.scalars(
        select(KeyEvent).where(
            KeyEvent.incident_id.in_(scope.incident_ids), KeyEvent.event_id == event_id
        )
    ).all()
    if not rows:
        return False
    for row in rows:
        uow.session.delete(row)
    record(uow, actor, incident, "incident.key_event_unmarked", event_id=event_id)
    uow.flush()
    return True


def key_events(uow: UnitOfWork, actor: Actor, incident_id: str) -> list[TimelineEntry]:
    """The entries marked as key (on it or on incidents merged into it), in order.

    Precondition: the incident visible."""
    incident = get_visible_incident(uow, actor, incident_id)
    scope = timeline_scope(uow, actor, incident)
    ids = uow.session.scalars(
        select(KeyEvent.event_id).where(KeyEvent.incident_id.in_(scope.incident_ids))
    ).all()
    return entries_for(uow, scope, scoped_events_by_id(uow, scope, ids))


__all__ = [
    "NoteIn",
    "NoteVersion",
    "do_add_note",
    "do_correct_note",
    "do_mark_key_event",
    "do_unmark_key_event",
    "key_events",
    "note_history",
]
