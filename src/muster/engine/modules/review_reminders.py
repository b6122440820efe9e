"""Reminds the owner of a review (else the incident's Commander) when it is due within
a day and when it is overdue, until it is published: ``incident.review_reminded``, at
most once a day per review (:mod:`muster.domain.reviews.review_reminders`)."""

from __future__ import annotations

from datetime import datetime

from muster.db.uow import UnitOfWork
from muster.domain.events.actor import Actor, Via
from muster.domain.reviews.review_reminders import do_remind_review, due_for_reminder, reminders_due

ENGINE = Actor.system(Via.ENGINE, label="engine")
BATCH = 200


class ReviewReminders:
    name = "review_reminders"

    def pending(self, uow: UnitOfWork, now: datetime) -> bool:
        return uow.session.scalars(reminders_due(now).limit(1)).first() is not None

    def run_due(self, uow: UnitOfWork, now: datetime) -> int:
        due = due_for_reminder(uow, now, limit=BATCH)
        for review in due:
            do_remind_review(uow, ENGINE, review)
        return len(due)
