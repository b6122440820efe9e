"""Keeps incidents' metric moments fresh when something outside the incident changes them
(cursor "incident-metric-moments"): an alert group linked to an incident acknowledged, or
a new alert in such a group (its start may be the earliest). Changes to the incident
itself refresh them at commit (:mod:`muster.domain.incidents.metric_moments`).

Only those event types are loaded; the cursor moves in the same transaction as the
refresh, so each event is read once.
"""

from __future__ import annotations

from datetime import datetime

from muster.db.uow import UnitOfWork
from muster.domain.events.feed import advance_cursor_to, read_feed_of
from muster.domain.incidents.metric_moments import incidents_of_groups, refresh_moments
from muster.engine.pending import events_after_cursor

CURSOR = "incident-metric-moments"
EVENT_TYPES = ("alert_group.acknowledged", "alert.triggered", "alert.retriggered")
BATCH = 500
MAX_BATCHES = 10  # per pass, so one pass stays bounded however far behind the log is


class IncidentMetricMoments:
    name = "incident_metric_moments"

    def pending(self, uow: UnitOfWork, now: datetime) -> bool:
        return events_after_cursor(uow, CURSOR)

    def run_due(self, uow: UnitOfWork, now: datetime) -> int:
        """Returns how many incidents' moments changed."""
        changed = 0
        for _ in range(MAX_BATCHES):
            batch = read_feed_of(uow, CURSOR, EVENT_TYPES, limit=BATCH)
            if batch.through is None:
                break
            groups = {
                event.subject_id
                if event.subject_type == "alert_group"
                else event.data.get("group_id")
                for event in batch.events
            }
            incidents = incidents_of_groups(uow, {g for g in groups if isinstance(g, str)})
            changed += refresh_moments(uow, incidents)
            advance_cursor_to(uow, CURSOR, batch.through)
            if not batch.full:
                break
        return changed
