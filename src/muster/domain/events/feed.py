"""Reading the log by a durable cursor, for reactions that run after commit.

Writing transactions run one at a time (see :meth:`muster.db.uow.Database.unit_of_work`),
so positions become visible in order: a reader that has seen position P will never later
find a committed event below P.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select

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


def advance_cursor(uow: UnitOfWork, cursor_name: str, last: Event) -> None:
    cursor = uow.session.get(EventCursor, cursor_name)
    assert cursor is not None, "advance_cursor needs read_feed first"
    cursor.position = last.position
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
