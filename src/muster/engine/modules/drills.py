"""Drill runs as time passes and as responders act: each running run is moved on
(:func:`muster.domain.drills.progress.tick`) when its timer (``next_check_at``) is due or
when the event log has grown since the last pass — a responder's action may meet an
expectation or release an inject.

Runs are claimed (``SKIP LOCKED`` on PostgreSQL), so two workers never fire the same
inject; everything a tick decides is read back from rows and the log, so a restart (or a
pause across one) loses nothing.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, or_, select

from muster.db.claim import claim
from muster.db.uow import UnitOfWork
from muster.domain.drills.models import DrillRun
from muster.domain.drills.progress import tick
from muster.domain.events.actor import Actor, Via
from muster.domain.events.feed import advance_cursor_to, read_feed
from muster.domain.events.models import Event
from muster.engine.pending import events_after_cursor

ENGINE = Actor.system(Via.ENGINE, label="engine")
CURSOR = "drills"
BATCH = 50


class Drills:
    name = "drills"

    def pending(self, uow: UnitOfWork, now: datetime) -> bool:
        running = select(DrillRun.id).where(DrillRun.status == "running")
        if uow.session.scalar(running.limit(1)) is None:
            return False
        due = running.where(DrillRun.next_check_at <= now)
        return uow.session.scalar(due.limit(1)) is not None or events_after_cursor(uow, CURSOR)

    def run_due(self, uow: UnitOfWork, now: datetime) -> int:
        grown = bool(read_feed(uow, CURSOR, limit=1))
        if grown:
            last = uow.session.scalar(select(func.max(Event.position)))
            if last is not None:
                advance_cursor_to(uow, CURSOR, int(last))
        query = select(DrillRun).where(DrillRun.status == "running").order_by(DrillRun.started_at)
        if not grown:
            query = query.where(
                or_(DrillRun.next_check_at <= now, DrillRun.next_check_at.is_(None))
            )
        return sum(tick(uow, ENGINE, run) for run in claim(uow, query, limit=BATCH))
