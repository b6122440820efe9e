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
from datetime import datetime
from typing import Any, NamedTuple

from sqlalchemy import Table, bindparam, func, select

from muster.db.bulk import insert_rows
from muster.db.uow import UnitOfWork
from muster.db.upsert import insert_ignore
from muster.domain.events.actor import Actor
from muster.domain.events.hashing import GENESIS, event_hash, link_hash
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


class AppendedEvent(NamedTuple):
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


NewEvent = tuple[str, str, str, dict[str, Any]]  # type, subject type, subject id, data


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
    payload, floats = _json_safe(data or {})
    pending = _pending(uow)
    head = pending.heads.get(stream) or _lock_head(uow, pending, stream)
    event_id, seq, now = new_id(), head.seq + 1, uow.now
    via = actor.via.value
    digest = event_hash(
        prev_hash=head.hash, stream=stream, seq=seq, event_id=event_id, type=type,
        occurred_at=now, actor_type=actor.kind, actor_id=actor.id, actor_label=actor.label,
        via=via, token_id=actor.token_id, ip=actor.ip, subject_type=subject_type,
        subject_id=subject_id, data=payload, floats=floats,
    )  # fmt: skip
    event = AppendedEvent(
        id=event_id, stream=stream, seq=seq, type=type, occurred_at=now, actor_type=actor.kind,
        actor_id=actor.id, actor_label=actor.label, via=via, token_id=actor.token_id, ip=actor.ip,
        subject_type=subject_type, subject_id=subject_id, data=payload,
        prev_hash=head.hash, hash=digest,
    )  # fmt: skip
    head.seq, head.hash = seq, digest
    pending.events.append(event)
    if not pending.scheduled:
        pending.scheduled = True
        uow.defer(_PENDING, pending.write)
    uow.events.append(event)
    return event


def append_events(
    uow: UnitOfWork, actor: Actor, stream: str, events: Sequence[NewEvent]
) -> list[AppendedEvent]:
    """Append ``events`` (type, subject type, subject id, data), in order, to ``stream``:
    what as many calls of :func:`append_event` would append, for less work per event."""
    if not events:
        return []
    pending = _pending(uow)
    head = pending.heads.get(stream) or _lock_head(uow, pending, stream)
    now, via, seq, prev = uow.now, actor.via.value, head.seq, head.hash
    people = [actor.kind, actor.id, actor.label, via, actor.token_id, actor.ip]
    appended: list[AppendedEvent] = []
    for type, subject_type, subject_id, data in events:
        payload, floats = _json_safe(data)
        event_id, seq = new_id(), seq + 1
        digest = link_hash(prev, stream, seq, event_id, type, now, people, subject_type,
                           subject_id, payload, floats)  # fmt: skip
        appended.append(AppendedEvent(event_id, stream, seq, type, now, actor.kind, actor.id,
                                      actor.label, via, actor.token_id, actor.ip, subject_type,
                                      subject_id, payload, prev, digest))  # fmt: skip
        prev = digest
    head.seq, head.hash = seq, prev
    pending.events += appended
    if not pending.scheduled:
        pending.scheduled = True
        uow.defer(_PENDING, pending.write)
    uow.events += appended
    return appended


class _Head:
    """A stream's head as this transaction moves it; the locked row learns it at write."""

    __slots__ = ("hash", "row", "seq")

    def __init__(self, row: EventStream) -> None:
        self.row, self.seq, self.hash = row, row.last_seq, row.last_hash


class _Pending:
    """Events appended since the last write, and the heads this transaction holds; the
    unit of work writes them at its next flush."""

    def __init__(self, uow: UnitOfWork) -> None:
        self.uow = uow
        self.events: list[AppendedEvent] = []
        self.heads: dict[str, _Head] = {}
        self.scheduled = False

    def write(self) -> None:
        self.scheduled = False
        rows = [_row(event) for event in self.events]
        self.events.clear()
        for head in self.heads.values():
            if head.row.last_seq != head.seq:
                head.row.last_seq, head.row.last_hash = head.seq, head.hash
        if rows:
            insert_rows(self.uow.session.connection(), _EVENTS, rows)


def _pending(uow: UnitOfWork) -> _Pending:
    pending: _Pending | None = uow.memo.get(_PENDING)
    if pending is None:
        pending = uow.memo[_PENDING] = _Pending(uow)
    return pending


def _row(event: AppendedEvent) -> dict[str, Any]:
    return event._asdict()


def _lock_head(uow: UnitOfWork, pending: _Pending, stream: str) -> _Head:
    """The stream's head row, locked for this transaction (looked up once per transaction)."""
    session = uow.session
    row = session.scalars(_HEAD, {"stream": stream}).one_or_none()
    if row is None:  # a new stream (another writer may be creating it too)
        insert_ignore(session, EventStream, {"stream": stream, "last_seq": 0, "last_hash": GENESIS})
        row = session.scalars(_HEAD, {"stream": stream}).one()
    head = pending.heads[stream] = _Head(row)
    return head


_PLAIN = (str, int, bool, type(None))


def _json_safe(data: dict[str, Any]) -> tuple[dict[str, Any], bool | None]:
    """``data`` as it will read back from the log (so the hash matches on verify), and
    False when it surely holds no float (None: it may)."""
    for key, value in data.items():
        if type(key) is not str or type(value) not in _PLAIN:
            break
    else:
        return dict(data), False  # flat text, numbers, flags: already what JSON gives back
    result: dict[str, Any] = json.loads(json.dumps(data, default=str))
    return result, None


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
