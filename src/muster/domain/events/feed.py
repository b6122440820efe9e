"""Reading the log by a durable cursor, for reactions that run after commit.

Writing transactions run one at a time (see :meth:`muster.db.uow.Database.unit_of_work`),
so positions become visible in order: a reader that has seen position P will never later
find a committed event below P.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass

from sqlalchemy import func, select

from muster.db.uow import UnitOfWork
from muster.db.upsert import insert_ignore
from muster.domain.events.models import Event, EventCursor


def read_feed(uow: UnitOfWork, cursor_name: str, *, limit: int = 500) -> Sequence[Event]:
    """Lock the cursor ``cursor_name`` and return the events after it, oldest first.

    Returns nothing when another worker holds the cursor (PostgreSQL ``SKIP LOCKED``), so
    two workers never react to the same event. Call :func:`advance_cursor` in the same
    unit of work after reacting.
    """
    cursor = _lock_cursor(uow, cursor_name)
    if cursor is None:
        return []
    query = select(Event).where(Event.position > cursor.position).order_by(Event.position)
    return uow.session.scalars(query.limit(limit)).all()


@dataclass(frozen=True)
class FeedBatch:
    """Events of the types asked for, and how far the log was read to find them."""

    events: Sequence[Event]
    # Every event up to this position was returned or is of no interest (None: nothing new).
    through: int | None
    full: bool  # the batch reached its limit: more may follow


def read_feed_of(
    uow: UnitOfWork, cursor_name: str, types: Collection[str], *, limit: int = 500
) -> FeedBatch:
    """Like :func:`read_feed`, but only events whose type is in ``types``: the others are
    filtered out by the database, not loaded. Move the cursor with :func:`advance_cursor_to`
    to ``through``, so it steps past the skipped events too.

    The end of the log is read first and the events are looked for up to it, so moving
    to ``through`` never skips an event of interest committed meanwhile (on PostgreSQL
    each statement sees what had committed when it began).
    """
    cursor = _lock_cursor(uow, cursor_name)
    if cursor is None:
        return FeedBatch((), None, full=False)
    after = cursor.position
    end = uow.session.scalar(select(func.max(Event.position)))
    if end is None or end <= after:
        return FeedBatch((), None, full=False)
    query = (
        select(Event)
        .where(Event.position > after, Event.position <= end, Event.type.in_(list(types)))
        .order_by(Event.position)
        .limit(limit)
    )
    events = uow.session.scalars(query).all()
    if len(events) >= limit:
        return FeedBatch(events, events[-1].position, full=True)
    return FeedBatch(events, end, full=False)


def advance_cursor(uow: UnitOfWork, cursor_name: str, last: Event) -> None:
    advance_cursor_to(uow, cursor_name, last.position)


def advance_cursor_to(uow: UnitOfWork, cursor_name: str, position: int) -> None:
    """Move the cursor (locked by :func:`read_feed` or :func:`read_feed_of`) to
    ``position``: every event up to it has been reacted to."""
    cursor = uow.session.get(EventCursor, cursor_name)
    assert cursor is not None, "advance_cursor needs read_feed first"
    cursor.position = position
    cursor.updated_at = uow.now


def _lock_cursor(uow: UnitOfWork, name: str) -> EventCursor | None:
    """The cursor row, locked for this transaction; None if another worker holds it.

    A new cursor starts at the beginning of the log: a reaction sees every event.
    """
    insert_ignore(uow.session, EventCursor, {"name": name, "position": 0, "updated_at": uow.now})
    query = select(EventCursor).where(EventCursor.name == name)
    if uow.dialect == "postgresql":
        query = query.with_for_update(skip_locked=True)
    return uow.session.scalars(query.execution_options(populate_existing=True)).one_or_none()
