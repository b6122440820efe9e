"""The one way to append to the event log, and the queries over it.

Precondition for :func:`append_event`: called inside a unit of work that will commit the
rows the event describes; the event commits (or rolls back) with them.

Appended events are held by the unit of work and written together, in append order, in
one bulk insert at its next flush (before a query, or at commit): a command that appends
many events pays for one statement.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Table, bindparam, func, select

from muster.db.bulk import insert_rows
from muster.db.uow import UnitOfWork
from muster.db.upsert import insert_ignore
from muster.domain.events.actor import Actor
from muster.domain.events.hashing import GENESIS, event_hash
from muster.domain.events.models import Event, EventStream
from muster.ids import new_id

_EVENTS: Table = Event.__table__  # type: ignore[assignment]
_PENDING = "events.pending"
_HEAD = (
    select(EventStream)
    .where(EventStream.stream == bindparam("stream"))
    .with_for_update()
    .execution_options(populate_existing=True)
)


@dataclass(frozen=True, slots=True)
class AppendedEvent:
    """An event as appended (and as it will be stored; its ``position`` comes at write)."""

    id: str
    stream: str
    seq: int
    type: str
    occurred_at: datetime
    actor_type: str
    actor_id: str | None
    actor_label: str
    via: str
    token_id: str | None
    ip: str | None
    subject_type: str
    subject_id: str
    data: dict[str, Any]
    prev_hash: str
    hash: str


def append_event(
    uow: UnitOfWork,
    actor: Actor,
    type: str,
    *,
    subject_type: str,
    subject_id: str,
    data: dict[str, Any] | None = None,
    stream: str | None = None,
) -> AppendedEvent:
    """Append one event to the stream ``stream`` (default ``subject_type:subject_id``)."""
    stream = stream or f"{subject_type}:{subject_id}"
    payload = _json_safe(data or {})
    head = _lock_head(uow, stream)
    event_id, seq, now = new_id(), head.last_seq + 1, uow.now
    via = actor.via.value
    digest = event_hash(
        prev_hash=head.last_hash, stream=stream, seq=seq, event_id=event_id, type=type,
        occurred_at=now, actor_type=actor.kind, actor_id=actor.id, actor_label=actor.label,
        via=via, token_id=actor.token_id, ip=actor.ip, subject_type=subject_type,
        subject_id=subject_id, data=payload,
    )  # fmt: skip
    event = AppendedEvent(
        id=event_id, stream=stream, seq=seq, type=type, occurred_at=now, actor_type=actor.kind,
        actor_id=actor.id, actor_label=actor.label, via=via, token_id=actor.token_id, ip=actor.ip,
        subject_type=subject_type, subject_id=subject_id, data=payload,
        prev_hash=head.last_hash, hash=digest,
    )  # fmt: skip
    head.last_seq = seq
    head.last_hash = digest
    _pending(uow).append(event)
    uow.events.append(event)
    return event


def _pending(uow: UnitOfWork) -> list[AppendedEvent]:
    """Events appended since the last write; the unit of work writes them at its flush."""
    pending: list[AppendedEvent] | None = uow.memo.get(_PENDING)
    if pending is None:
        pending = uow.memo[_PENDING] = []
    if pending:
        return pending

    def write() -> None:
        rows = [_row(event) for event in pending]
        pending.clear()
        if rows:
            insert_rows(uow.session.connection(), _EVENTS, rows)

    uow.defer(_PENDING, write)
    return pending


def _row(event: AppendedEvent) -> dict[str, Any]:
    return {
        "id": event.id, "stream": event.stream, "seq": event.seq, "type": event.type,
        "occurred_at": event.occurred_at, "actor_type": event.actor_type,
        "actor_id": event.actor_id, "actor_label": event.actor_label, "via": event.via,
        "token_id": event.token_id, "ip": event.ip, "subject_type": event.subject_type,
        "subject_id": event.subject_id, "data": event.data, "prev_hash": event.prev_hash,
        "hash": event.hash,
    }  # fmt: skip


def _lock_head(uow: UnitOfWork, stream: str) -> EventStream:
    """The stream's head row, locked for this transaction (looked up once per transaction)."""
    key = ("event_stream_head", stream)
    head: EventStream | None = uow.memo.get(key)
    if head is not None:
        return head
    session = uow.session
    head = session.scalars(_HEAD, {"stream": stream}).one_or_none()
    if head is None:  # a new stream (another writer may be creating it too)
        insert_ignore(session, EventStream, {"stream": stream, "last_seq": 0, "last_hash": GENESIS})
        head = session.scalars(_HEAD, {"stream": stream}).one()
    uow.memo[key] = head
    return head


_PLAIN = (str, int, bool, type(None))


def _json_safe(data: dict[str, Any]) -> dict[str, Any]:
    """``data`` as it will read back from the log (so the hash matches on verify)."""
    if all(type(k) is str and type(v) in _PLAIN for k, v in data.items()):
        return dict(data)  # flat text, numbers, flags: already what JSON gives back
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
