"""Reminds people of overdue action items, once a day: review action items
(:mod:`muster.domain.reviews.action_reminders`) and drill action items, by the same rule
(:mod:`muster.domain.drills.action_reminders`)."""

from __future__ import annotations

from datetime import datetime

from muster.db.uow import UnitOfWork
from muster.domain.drills.action_reminders import do_remind_overdue_drill_items
from muster.domain.drills.models import DrillActionItem
from muster.domain.reviews.action_models import ActionItem
from muster.domain.reviews.action_reminders import (
    do_remind_overdue_action_items,
    due_for_reminder,
)


class ActionItemReminders:
    name = "action_item_reminders"

    def pending(self, uow: UnitOfWork, now: datetime) -> bool:
        return any(
            uow.session.scalars(due_for_reminder(now, model).limit(1)).first() is not None
            for model in (ActionItem, DrillActionItem)
        )

    def run_due(self, uow: UnitOfWork, now: datetime) -> int:
        return do_remind_overdue_action_items(uow, now) + do_remind_overdue_drill_items(uow, now)
