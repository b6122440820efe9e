"""Takes the due step of each escalation whose timer (``next_due_at``) has come.

Rows are claimed with ``FOR UPDATE SKIP LOCKED`` on PostgreSQL, so two workers never
step the same escalation; each step writes the next due time in the same transaction.
Up to :data:`BATCH` escalations a pass; their groups and the people their levels name
are looked up together first (a storm opens hundreds of groups paging the same people).

A step that raises rolls the whole pass back (nothing half-done, nothing lost); this
worker then leaves that escalation alone for a minute so the others are not held up
behind it, and retries it after.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from sqlalchemy import Select, select

from muster.db.claim import claim
from muster.db.uow import UnitOfWork
from muster.domain.alerts.models import AlertGroup
from muster.domain.escalation.models import Escalation
from muster.domain.escalation.snapshot import targets_named
from muster.domain.escalation.steps import ENGINE, take_due_step
from muster.domain.escalation.targets import know_targets

log = logging.getLogger(__name__)

RETRY = timedelta(minutes=1)
BATCH = 500


class EscalationTimers:
    name = "escalation_timers"

    def __init__(self) -> None:
        self._failing: dict[str, datetime] = {}  # escalation id -> when to try it again

    def _due(self, now: datetime) -> Select[Escalation]:
        self._failing = {k: until for k, until in self._failing.items() if until > now}
        query = select(Escalation).where(Escalation.next_due_at <= now)
        if self._failing:
            query = query.where(Escalation.id.not_in(list(self._failing)))
        return query

    def pending(self, uow: UnitOfWork, now: datetime) -> bool:
        return uow.session.scalar(self._due(now).limit(1)) is not None

    def run_due(self, uow: UnitOfWork, now: datetime) -> int:
        query = self._due(now).order_by(Escalation.next_due_at, Escalation.id)
        due = claim(uow, query, limit=BATCH)
        if not due:
            return 0
        # Held until commit, so each step finds its group in the session.
        uow.memo["escalation.due_groups"] = uow.session.scalars(
            select(AlertGroup).where(AlertGroup.id.in_({esc.group_id for esc in due}))
        ).all()
        try:
            with uow.session.begin_nested():
                know_targets(uow, [t for esc in due for t in targets_named(esc.policy)], now)
        except Exception:  # each step then looks up its own, and fails alone
            log.exception("looking up the targets of %d escalations failed", len(due))
        for esc in due:
            try:
                take_due_step(uow, ENGINE, esc, uow.session.get_one(AlertGroup, esc.group_id))
            except Exception:
                self._failing[esc.id] = now + RETRY
                raise
        return len(due)
