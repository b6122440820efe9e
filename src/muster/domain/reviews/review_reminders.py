"""Reminders of reviews not yet published: when the due time is less than a day away
(due soon) and once it has passed (overdue), to the review's owner, else the incident's
Commander; at most once a day per review (``reviews.reminded_at`` is the state).

``incident.review_reminded`` names the people in ``user_ids``; the notification engine
tells them (:mod:`muster.domain.notify.incident_notices`)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlalchemy import Select, or_, select

from muster.db.claim import claim
from muster.db.uow import UnitOfWork
from muster.domain.events.actor import Actor
from muster.domain.incidents.models import Incident
from muster.domain.incidents.record import record
from muster.domain.incidents.roles import COMMANDER, holder
from muster.domain.reviews.models import Review

SOON = timedelta(days=1)  # "due soon" from this long before the due time
EVERY = timedelta(days=1)  # at most one reminder per review in this long


def reminders_due(now: datetime) -> Select[Review]:
    return (
        select(Review)
        .where(
            Review.status != "published",
            Review.due_at.is_not(None),
            Review.due_at <= now + SOON,
            or_(Review.reminded_at.is_(None), Review.reminded_at <= now - EVERY),
        )
        .order_by(Review.due_at, Review.id)
    )


def due_for_reminder(uow: UnitOfWork, now: datetime, *, limit: int = 200) -> Sequence[Review]:
    """Reviews to remind of now, locked for this transaction."""
    return claim(uow, reminders_due(now), limit=limit)


def review_reminder_recipients(uow: UnitOfWork, review: Review) -> list[str]:
    if review.owner_id:
        return [review.owner_id]
    commander = holder(uow, review.incident_id, COMMANDER)
    return [commander.user_id] if commander else []


def do_remind_review(uow: UnitOfWork, actor: Actor, review: Review) -> list[str]:
    """Record ``incident.review_reminded`` (``overdue`` or not) and mark it sent.

    Preconditions: ``review`` claimed by :func:`due_for_reminder` in this unit of work."""
    incident = uow.session.get_one(Incident, review.incident_id)
    users = review_reminder_recipients(uow, review)
    review.reminded_at = uow.now
    assert review.due_at is not None  # (selected on it)
    record(
        uow, actor, incident, "incident.review_reminded", review_id=review.id,
        user_ids=users, due_at=review.due_at, overdue=review.due_at <= uow.now,
        status=review.status,
    )  # fmt: skip
    return users
