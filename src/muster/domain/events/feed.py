"""Reading the log by a durable cursor, for reactions that run after commit.

On PostgreSQL positions are handed out before commit, so a reader ordered by position
alone could step past an event whose transaction commits late. The feed therefore orders
by (transaction id, position) and reads only transactions older than the oldest one
still running: everything it passes is final. On SQLite writers are serialised, so
position order is commit order.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select, text, tuple_

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
    query = select(Event)
    if uow.dialect == "postgresql":
        horizon = int(
            uow.session.execute(
                text("SELECT pg_snapshot_xmin(pg_current_snapshot())::text::bigint")
            ).scalar_one()
        )
        query = query.where(
            tuple_(Event.tx_id, Event.position) > tuple_(cursor.tx_id, cursor.position),
            Event.tx_id < horizon,
        ).order_by(Event.tx_id, Event.position)
    else:
        query = query.where(Event.position > cursor.position).order_by(Event.position)
    return uow.session.scalars(query.limit(limit)).all()


def advance_cursor(uow: UnitOfWork, cursor_name: str, last: Event) -> None:
    cursor = uow.session.get(EventCursor, cursor_name)
    assert cursor is not None, "advance_cursor needs read_feed first"
    cursor.tx_id = last.tx_id
    cursor.position = last.position
    cursor.updated_at = uow.now


def _lock_cursor(uow: UnitOfWork, name: str) -> EventCursor | None:
    """The cursor row, locked for this transaction; None if another worker holds it.

    A new cursor starts at the beginning of the log: a reaction sees every event.
    """
    insert_ignore(
        uow.session, EventCursor, {"name": name, "tx_id": 0, "position": 0, "updated_at": uow.now}
    )
    query = select(EventCursor).where(EventCursor.name == name)
    if uow.dialect == "postgresql":
        query = query.with_for_update(skip_locked=True)
    return uow.session.scalars(query.execution_options(populate_existing=True)).one_or_none()
