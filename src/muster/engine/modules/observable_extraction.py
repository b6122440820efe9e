"""Extracts observables from alerts and notes on incidents (cursor "observables"), for
every incident type; see :mod:`muster.domain.investigation.auto`.

Only the event types it reads are loaded (alerts triggering, alert groups linked, notes
added or corrected); the cursor steps past the others and moves in the same transaction
as the observables are added, so each event is read exactly once.
"""

from __future__ import annotations

from datetime import datetime

from muster.db.uow import UnitOfWork
from muster.domain.events.feed import advance_cursor_to, read_feed_of
from muster.domain.investigation.auto import EVENT_TYPES, react
from muster.engine.pending import events_after_cursor

CURSOR = "observables"
BATCH = 200
MAX_BATCHES = 10  # per pass, so one pass stays bounded however far behind the log is


class ObservableExtraction:
    name = "observable_extraction"

    def pending(self, uow: UnitOfWork, now: datetime) -> bool:
        return events_after_cursor(uow, CURSOR)

    def run_due(self, uow: UnitOfWork, now: datetime) -> int:
        """Returns how many observables were added."""
        added = 0
        for _ in range(MAX_BATCHES):
            batch = read_feed_of(uow, CURSOR, EVENT_TYPES, limit=BATCH)
            if batch.through is None:
                break
            added += react(uow, batch.events)
            advance_cursor_to(uow, CURSOR, batch.through)
            if not batch.full:
                break
        return added
