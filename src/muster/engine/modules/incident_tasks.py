"""Reminds the owners of overdue incident tasks, once per due time. See
:mod:`muster.domain.incidents.task_reminders`."""

from __future__ import annotations

from datetime import datetime

from muster.db.uow import UnitOfWork
from muster.domain.incidents.task_reminders import do_remind_overdue_tasks, due_for_reminder


class IncidentTasks:
    name = "incident_tasks"

    def pending(self, uow: UnitOfWork, now: datetime) -> bool:
        return uow.session.scalars(due_for_reminder(now).limit(1)).first() is not None

    def run_due(self, uow: UnitOfWork, now: datetime) -> int:
        return do_remind_overdue_tasks(uow, now)
