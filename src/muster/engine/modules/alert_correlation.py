"""Correlates new security alerts by the observables they share, and with open
incidents' observables (cursor "alert_correlation"); see
:mod:`muster.domain.correlation.alert_grouping`.

Only the events that open alerts are loaded (an alert group opened, an alert joining
one); the cursor moves in the same transaction as the groupings are stored, so each
alert is read exactly once."""

from __future__ import annotations

from datetime import datetime

from muster.db.uow import UnitOfWork
from muster.domain.correlation.alert_grouping import react
from muster.domain.events.feed import advance_cursor_to, read_feed_of
from muster.engine.pending import events_after_cursor

CURSOR = "alert_correlation"
EVENT_TYPES = ("alert_group.opened", "alert.triggered")
BATCH = 200
MAX_BATCHES = 10  # per pass, so one pass stays bounded however far behind the log is


class AlertCorrelation:
    name = "alert_correlation"

    def pending(self, uow: UnitOfWork, now: datetime) -> bool:
        return events_after_cursor(uow, CURSOR)

    def run_due(self, uow: UnitOfWork, now: datetime) -> int:
        """Returns how many security alerts were read."""
        done = 0
        for _ in range(MAX_BATCHES):
            batch = read_feed_of(uow, CURSOR, EVENT_TYPES, limit=BATCH)
            if batch.through is None:
                break
            alert_ids = [
                str((e.data or {}).get("alert_id"))
                if e.type == "alert_group.opened"
                else str(e.subject_id)
                for e in batch.events
            ]
            done += react(uow, alert_ids)
            advance_cursor_to(uow, CURSOR, batch.through)
            if not batch.full:
                break
        return done
