"""An engine module that reacts to the event log by a durable cursor, for reactions that
only matter while something listens (an enabled playbook, an active webhook).

With nobody listening the cursor jumps to the end of the log, so whatever starts
listening later hears of events from then on, not of the past. Reactions commit with the
cursor's move, so each event is handled exactly once.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import func, select

from muster.db.uow import UnitOfWork
from muster.domain.events.feed import advance_cursor, read_feed
from muster.domain.events.models import Event, EventCursor
from muster.engine.pending import events_after_cursor

BATCH = 500
MAX_BATCHES = 20  # per pass, so one pass stays bounded however far behind the log is


class FeedReaction:
    """Subclasses name the module and its ``cursor`` and define :meth:`listening` and
    :meth:`react`."""

    name: str
    cursor: str

    def listening(self, uow: UnitOfWork) -> bool:
        raise NotImplementedError

    def react(self, uow: UnitOfWork, events: Sequence[Event], now: datetime) -> int:
        raise NotImplementedError

    def pending(self, uow: UnitOfWork, now: datetime) -> bool:
        return events_after_cursor(uow, self.cursor)

    def run_due(self, uow: UnitOfWork, now: datetime) -> int:
        """Returns what :meth:`react` counted."""
        if not self.listening(uow):
            self._skip_to_end(uow)
            return 0
        done = 0
        for _ in range(MAX_BATCHES):
            events = read_feed(uow, self.cursor, limit=BATCH)
            if not events:
                break
            done += self.react(uow, events, now)
            advance_cursor(uow, self.cursor, events[-1])
            if len(events) < BATCH:
                break
        return done

    def _skip_to_end(self, uow: UnitOfWork) -> None:
        """Move the cursor to the newest event (locking it as reading would)."""
        if not read_feed(uow, self.cursor, limit=1):
            return  # at the end already, or another worker holds the cursor
        cursor = uow.session.get(EventCursor, self.cursor)
        last = uow.session.scalar(select(func.max(Event.position)))
        if self.listening(uow):  # one started listening meanwhile: read it next pass
            return
        if cursor is not None and last is not None and last > cursor.position:
            cursor.position = int(last)
            cursor.updated_at = uow.now
