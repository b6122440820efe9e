"""Read-only looks at whether an engine module has work, for :meth:`Runner` to skip the
idle ones without taking the write lock (see :mod:`muster.engine.runner`)."""

from __future__ import annotations

from sqlalchemy import func, select

from muster.db.uow import UnitOfWork
from muster.domain.events.models import Event, EventCursor


def events_after_cursor(uow: UnitOfWork, cursor_name: str) -> bool:
    """Whether the log has events the reaction reading by ``cursor_name`` has not read
    (a cursor not created yet starts at the beginning)."""
    read = (
        select(func.coalesce(func.max(EventCursor.position), 0))
        .where(EventCursor.name == cursor_name)
        .scalar_subquery()
    )
    return (
        uow.session.scalar(select(Event.position).where(Event.position > read).limit(1)) is not None
    )
