"""The one way to append to the event log, and the queries over it.

Precondition for :func:`append_event`: called inside a unit of work that will commit the
rows the event describes; the event commits (or rolls back) with them.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from sqlalchemy import func, select

from muster.db.uow import UnitOfWork
from muster.db.upsert import insert_ignore
from muster.domain.events.actor import Actor
from muster.domain.events.hashing import GENESIS, event_hash
from muster.domain.events.models import Event, EventStream
from muster.ids import new_id


def append_event(
    uow: UnitOfWork,
    actor: Actor,
    type: str,
    *,
    subject_type: str,
    subject_id: str,
    data: dict[str, Any] | None = None,
    stream: str | None = None,
) -> Event:
    """Append one event to the stream ``stream`` (default ``subject_type:subject_id``)."""
    stream = stream or f"{subject_type}:{subject_id}"
    payload = _json_safe(data or {})
    session = uow.session
    head = _lock_head(uow, stream)
    event = Event(
        id=new_id(),
        stream=stream,
        seq=head.last_seq + 1,
        type=type,
        occurred_at=uow.now,
        actor_type=actor.kind,
        actor_id=actor.id,
        actor_label=actor.label,
        via=actor.via.value,
        token_id=actor.token_id,
        ip=actor.ip,
        subject_type=subject_type,
        subject_id=subject_id,
        data=payload,
        prev_hash=head.last_hash,
    )
    event.hash = event_hash(
        prev_hash=event.prev_hash,
        stream=stream,
        seq=event.seq,
        event_id=event.id,
        type=type,
        occurred_at=event.occurred_at,
        actor_type=event.actor_type,
        actor_id=event.actor_id,
        actor_label=event.actor_label,
        via=event.via,
        token_id=event.token_id,
        ip=event.ip,
        subject_type=subject_type,
        subject_id=subject_id,
        data=payload,
    )
    head.last_seq = event.seq
    head.last_hash = event.hash
    session.add(event)
    uow.events.append(event)
    return event


def _lock_head(uow: UnitOfWork, stream: str) -> EventStream:
    """The stream's head row, locked for this transaction (looked up once per transaction)."""
    key = ("event_stream_head", stream)
    head: EventStream | None = uow.memo.get(key)
    if head is not None:
        return head
    session = uow.session
    insert_ignore(session, EventStream, {"stream": stream, "last_seq": 0, "last_hash": GENESIS})
    head = session.scalars(
        select(EventStream)
        .where(EventStream.stream == stream)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).one()
    uow.memo[key] = head
    return head


def _json_safe(data: dict[str, Any]) -> dict[str, Any]:
    result: dict[str, Any] = json.loads(json.dumps(data, default=str))
    return result


def events_for(
    uow: UnitOfWork, subject_type: str, subject_id: str, *, limit: int = 200
) -> Sequence[Event]:
    """The latest ``limit`` events about one subject, oldest first (a timeline)."""
    newest = uow.session.scalars(
        select(Event)
        .where(Event.subject_type == subject_type, Event.subject_id == subject_id)
        .order_by(Event.position.desc())
        .limit(limit)
    ).all()
    return list(reversed(newest))


def recent_events(
    uow: UnitOfWork, *, limit: int = 50, before: int | None = None, subject_type: str | None = None
) -> Sequence[Event]:
    """The newest events first (the audit view), optionally before a position."""
    query = select(Event).order_by(Event.position.desc()).limit(limit)
    if before is not None:
        query = query.where(Event.position < before)
    if subject_type:
        query = query.where(Event.subject_type == subject_type)
    return uow.session.scalars(query).all()


def count_events(uow: UnitOfWork) -> int:
    return int(uow.session.scalar(select(func.count()).select_from(Event)) or 0)
