"""Reminding people of overdue drill action items, by the rule review action items follow
(:mod:`muster.domain.reviews.action_reminders`, whose query and recipients this reuses).

An item is due a reminder when it is open or in progress, its due day (UTC) has passed
and it was not reminded today (``reminded_on``). Its owner is reminded; an item without
an active owner reminds the managers of the run's team; with neither, nobody (the day is
still marked). Each reminder is a ``drill.action_item_reminded`` event on the run
(``{item_id, number, user_ids}``) and one low-urgency notice to each person, queued
directly (drill items have no incident for the incident notices to hang on).
"""

from __future__ import annotations

from datetime import datetime

from muster.db.claim import claim
from muster.db.uow import UnitOfWork
from muster.domain.accounts.models import User
from muster.domain.drills.models import DrillActionItem, DrillRun
from muster.domain.events.actor import Actor, Via
from muster.domain.events.service import append_event
from muster.domain.notify.incident_updates import update_method
from muster.domain.notify.outbox import queue_notice
from muster.domain.reviews.action_reminders import BATCH, due_for_reminder, recipients_for

ENGINE = Actor.system(Via.ENGINE, label="engine")


def key_of(item: DrillActionItem) -> str:
    return f"DA-{item.number}"


def do_remind_overdue_drill_items(uow: UnitOfWork, now: datetime) -> int:
    """Remind about each overdue drill action item; returns how many were reminded (a
    second call on the same UTC day reminds nobody)."""
    count = 0
    for item in claim(uow, due_for_reminder(now, DrillActionItem), limit=BATCH):
        item.reminded_on = now.date()
        run = uow.session.get_one(DrillRun, item.run_id)
        user_ids = recipients_for(uow, item.owner_id, run.team_id)
        if not user_ids:
            continue
        append_event(uow, ENGINE, "drill.action_item_reminded", subject_type="drill_run",
                     subject_id=run.id,
                     data={"title": run.title, "item_id": item.id, "number": item.number,
                           "key": key_of(item), "item_title": item.title, "user_ids": user_ids,
                           "due_on": item.due_on.isoformat() if item.due_on else None})  # fmt: skip
        for user_id in user_ids:
            _notify(uow, run, item, user_id, owner=user_id == item.owner_id)
        count += 1
    return count


def _notify(
    uow: UnitOfWork, run: DrillRun, item: DrillActionItem, user_id: str, *, owner: bool
) -> None:
    user = uow.session.get(User, user_id)
    method = update_method(uow, user) if user is not None else None
    if method is None:
        return
    whose = "Your action item" if owner else "Your team's action item (no owner)"
    due = item.due_on.isoformat() if item.due_on else ""
    queue_notice(
        uow, method, "drill", f"drill-action:{item.id}:{uow.now.date().isoformat()}:{user_id}",
        subject=f"Overdue drill action item {key_of(item)}: {item.title}"[:200],
        text=f"{whose} {key_of(item)} “{item.title}” from the drill “{run.title}” was due on "
        f"{due} and is not done. Finish it, or mark it won't do with the reason.",
        extra={"path": f"/drills/runs/{run.id}/report"},
    )  # fmt: skip
