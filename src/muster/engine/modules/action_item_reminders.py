"""Reminds people of overdue action items, once a day. See
:mod:`muster.domain.reviews.action_reminders`."""

from __future__ import annotations

from datetime import datetime

from muster.db.uow import UnitOfWork
from muster.domain.reviews.action_reminders import (
    do_remind_overdue_action_items,
    due_for_reminder,
)


class ActionItemReminders:
    name = "action_item_reminders"

    def pending(self, uow: UnitOfWork, now: datetime) -> bool:
        return uow.session.scalars(due_for_reminder(now).limit(1)).first() is not None

    def run_due(self, uow: UnitOfWork, now: datetime) -> int:
        return do_remind_overdue_action_items(uow, now)
