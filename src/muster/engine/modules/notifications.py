"""Queues messages from the events in the log (cursor "notifications"): each person's
steps for a ``notification.requested``, cancellations when a group is acknowledged or
resolved, announcements to team and service channels.

The cursor moves in the same transaction as the rows it queued: each event is applied
exactly once, and a failure rolls both back so the events are read again next pass.
"""

from __future__ import annotations

from datetime import datetime

from muster.db.uow import UnitOfWork
from muster.domain.events.feed import advance_cursor, read_feed
from muster.domain.notify.reactions import prefetch, react
from muster.engine.pending import events_after_cursor

CURSOR = "notifications"
BATCH = 500
MAX_BATCHES = 20  # per pass, so one pass stays bounded however far behind the log is


class Notifications:
    name = "notifications"

    def pending(self, uow: UnitOfWork, now: datetime) -> bool:
        return events_after_cursor(uow, CURSOR)

    def run_due(self, uow: UnitOfWork, now: datetime) -> int:
        """Read the log to its end (within bounds); returns how many outbox rows were
        queued or cancelled, so events of no interest leave the engine idle."""
        acted = 0
        for _ in range(MAX_BATCHES):
            events = read_feed(uow, CURSOR, limit=BATCH)
            if not events:
                break
            prefetch(uow, events)
            acted += sum(react(uow, event) for event in events)
            advance_cursor(uow, CURSOR, events[-1])
            if len(events) < BATCH:
                break
        return acted
