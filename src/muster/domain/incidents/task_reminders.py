"""Reminding the owners of overdue tasks, once per due time.

A task is due a reminder when it is open, has an owner and a due time that has passed,
its incident is not closed, declined or merged, and it was not reminded since that due
time (``reminded_at`` is cleared when the owner or the due time changes). The reminder is
the ``incident.task_reminded`` event, which the notification reaction turns into a
message to the owner. Tasks are claimed with ``FOR UPDATE SKIP LOCKED``.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import lazyload

from muster.db.claim import claim
from muster.db.uow import UnitOfWork
from muster.domain.events.actor import Actor, Via
from muster.domain.incidents.lifecycle import FINAL
from muster.domain.incidents.models import Incident, Task
from muster.domain.incidents.record import record

ENGINE = Actor.system(Via.ENGINE, label="engine")
BATCH = 200


def due_for_reminder(now: datetime) -> Any:
    return (
        select(Task)
        .where(
            Task.status == "open",
            Task.owner_id.is_not(None),
            Task.due_at <= now,
            or_(Task.reminded_at.is_(None), Task.reminded_at < Task.due_at),
            Task.incident_id.in_(select(Incident.id).where(Incident.status.not_in(FINAL))),
        )
        .order_by(Task.due_at, Task.id)
        # No eager join of the owner: PostgreSQL cannot lock the nullable side of one.
        .options(lazyload(Task.owner))
    )


def do_remind_overdue_tasks(uow: UnitOfWork, now: datetime) -> int:
    """Remind each overdue task's owner; returns how many were reminded (a second call
    at the same ``now`` reminds nobody)."""
    due = claim(uow, due_for_reminder(now), limit=BATCH)
    for task in due:
        task.reminded_at = now
        incident = uow.session.get_one(Incident, task.incident_id)
        record(
            uow, ENGINE, incident, "incident.task_reminded", task_id=task.id, title=task.title,
            user_id=task.owner_id, due_at=task.due_at.isoformat() if task.due_at else None,
        )  # fmt: skip
    return len(due)
