"""Takes the due step of each escalation whose timer (``next_due_at``) has come.

Rows are claimed with ``FOR UPDATE SKIP LOCKED`` on PostgreSQL, so two workers never
step the same escalation; each step writes the next due time in the same transaction.

A step that raises rolls the whole pass back (nothing half-done, nothing lost); this
worker then leaves that escalation alone for a minute so the others are not held up
behind it, and retries it after.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select

from muster.db.claim import claim
from muster.db.uow import UnitOfWork
from muster.domain.alerts.models import AlertGroup
from muster.domain.escalation.models import Escalation
from muster.domain.escalation.steps import ENGINE, take_due_step

RETRY = timedelta(minutes=1)


class EscalationTimers:
    name = "escalation_timers"

    def __init__(self) -> None:
        self._failing: dict[str, datetime] = {}  # escalation id -> when to try it again

    def run_due(self, uow: UnitOfWork, now: datetime) -> int:
        self._failing = {k: until for k, until in self._failing.items() if until > now}
        query = select(Escalation).where(Escalation.next_due_at <= now)
        if self._failing:
            query = query.where(Escalation.id.not_in(list(self._failing)))
        due = claim(uow, query.order_by(Escalation.next_due_at, Escalation.id), limit=100)
        for esc in due:
            try:
                take_due_step(uow, ENGINE, esc, uow.session.get_one(AlertGroup, esc.group_id))
            except Exception:
                self._failing[esc.id] = now + RETRY
                raise
        return len(due)
