"""Starts and follows escalations from the alert events in the log (cursor "escalation").

The cursor moves in the same transaction as the reactions, so each event is applied
exactly once; a failure rolls both back and the events are read again next pass. Only
the event types a reaction may act on are loaded; the cursor steps past the others.
"""

from __future__ import annotations

from datetime import datetime

from muster.db.uow import UnitOfWork
from muster.domain.escalation.reactions import TYPES, prefetch, react
from muster.domain.events.feed import advance_cursor_to, read_feed_of
from muster.engine.pending import events_after_cursor

CURSOR = "escalation"
BATCH = 500
MAX_BATCHES = 20  # per pass, so one pass stays bounded however far behind the log is


class EscalationReactions:
    name = "escalation_reactions"

    def pending(self, uow: UnitOfWork, now: datetime) -> bool:
        return events_after_cursor(uow, CURSOR)

    def run_due(self, uow: UnitOfWork, now: datetime) -> int:
        """Read the log to its end (within bounds); returns how many events started or
        changed an escalation, so events of no interest leave the engine idle."""
        acted = 0
        for _ in range(MAX_BATCHES):
            batch = read_feed_of(uow, CURSOR, TYPES, limit=BATCH)
            if batch.through is None:
                break
            prefetch(uow, batch.events)
            acted += sum(react(uow, event) for event in batch.events)
            advance_cursor_to(uow, CURSOR, batch.through)
            if not batch.full:
                break
        return acted
