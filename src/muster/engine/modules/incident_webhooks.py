"""Queues incident webhook deliveries from the event log (cursor "incident_webhooks").

Each incident event is offered to every enabled webhook (see
:func:`muster.domain.incidents.webhooks.wants`); the deliveries go into the outbox in
the same transaction as the cursor moves, so each event is queued exactly once, and the
delivery module sends them. With no webhook enabled the cursor jumps to the end of the
log: a webhook created later hears of events from then on, not of the past.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select

from muster.db.uow import UnitOfWork
from muster.domain.events.feed import advance_cursor, read_feed
from muster.domain.events.models import Event, EventCursor
from muster.domain.incidents.webhooks import active_webhooks
from muster.domain.notify.incident_webhooks import queue_deliveries
from muster.engine.pending import events_after_cursor

CURSOR = "incident_webhooks"
BATCH = 500
MAX_BATCHES = 20  # per pass, so one pass stays bounded however far behind the log is


class IncidentWebhooks:
    name = "incident_webhooks"

    def pending(self, uow: UnitOfWork, now: datetime) -> bool:
        return events_after_cursor(uow, CURSOR)

    def run_due(self, uow: UnitOfWork, now: datetime) -> int:
        """Returns how many deliveries were queued."""
        if not active_webhooks(uow):
            _skip_to_end(uow)
            return 0
        queued = 0
        for _ in range(MAX_BATCHES):
            events = read_feed(uow, CURSOR, limit=BATCH)
            if not events:
                break
            queued += queue_deliveries(uow, events)
            advance_cursor(uow, CURSOR, events[-1])
            if len(events) < BATCH:
                break
        return queued


def _skip_to_end(uow: UnitOfWork) -> None:
    """Move the cursor to the newest event (locking it as reading would)."""
    if not read_feed(uow, CURSOR, limit=1):
        return  # at the end already, or another worker holds the cursor
    cursor = uow.session.get(EventCursor, CURSOR)
    last = uow.session.scalar(select(func.max(Event.position)))
    if active_webhooks(uow):  # one was created meanwhile: its events are read next pass
        return
    if cursor is not None and last is not None and last > cursor.position:
        cursor.position = int(last)
        cursor.updated_at = uow.now
