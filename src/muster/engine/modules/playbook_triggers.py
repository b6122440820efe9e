"""Starts playbook runs from the event log (cursor "playbooks"): incident events and
alerts seen on incidents, offered to every enabled playbook (see
:mod:`muster.domain.playbooks.attach`). Runs start in the same transaction as the cursor
moves, so each event is considered exactly once. With no playbook enabled the cursor
jumps to the end of the log: playbooks hear only what happens after they exist.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select

from muster.db.uow import UnitOfWork
from muster.domain.events.feed import advance_cursor, read_feed
from muster.domain.events.models import Event, EventCursor
from muster.domain.playbooks.attach import react
from muster.domain.playbooks.service import enabled_playbooks
from muster.engine.pending import events_after_cursor

CURSOR = "playbooks"
BATCH = 500
MAX_BATCHES = 20  # per pass, so one pass stays bounded however far behind the log is


class PlaybookTriggers:
    name = "playbook_triggers"

    def pending(self, uow: UnitOfWork, now: datetime) -> bool:
        return events_after_cursor(uow, CURSOR)

    def run_due(self, uow: UnitOfWork, now: datetime) -> int:
        """Returns how many runs started."""
        if not enabled_playbooks(uow):
            _skip_to_end(uow)
            return 0
        started = 0
        for _ in range(MAX_BATCHES):
            events = read_feed(uow, CURSOR, limit=BATCH)
            if not events:
                break
            started += react(uow, events, now)
            advance_cursor(uow, CURSOR, events[-1])
            if len(events) < BATCH:
                break
        return started


def _skip_to_end(uow: UnitOfWork) -> None:
    """Move the cursor to the newest event (locking it as reading would)."""
    if not read_feed(uow, CURSOR, limit=1):
        return  # at the end already, or another worker holds the cursor
    cursor = uow.session.get(EventCursor, CURSOR)
    last = uow.session.scalar(select(func.max(Event.position)))
    if enabled_playbooks(uow):  # one was enabled meanwhile: its events are read next pass
        return
    if cursor is not None and last is not None and last > cursor.position:
        cursor.position = int(last)
        cursor.updated_at = uow.now
