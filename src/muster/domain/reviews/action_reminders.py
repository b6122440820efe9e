"""Reminding people of overdue action items, at most once a day.

An item is due a reminder when it is open or in progress, its due day (UTC) has passed,
and it was not reminded today (UTC; ``reminded_on``, cleared when the owner or due day
changes). Its owner is reminded; an item without an active owner reminds its
team's managers; with neither, nobody (the day is still marked, so it is not re-read
every pass). The reminder is the ``incident.action_item_reminded`` event
``{action_item_id, user_ids}``, which the notification reaction turns into a message to
each person named (:mod:`muster.domain.reviews.action_notices`). Items are claimed with
``FOR UPDATE SKIP LOCKED``."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import or_, select

from muster.db.claim import claim
from muster.db.uow import UnitOfWork
from muster.domain.accounts.models import Team, TeamMember, User
from muster.domain.events.actor import Actor, Via
from muster.domain.incidents.models import Incident
from muster.domain.incidents.record import record
from muster.domain.reviews.action_models import ActionItem
from muster.domain.reviews.actions import OPEN, key_of

ENGINE = Actor.system(Via.ENGINE, label="engine")
BATCH = 200


def due_for_reminder(now: datetime, model: Any = ActionItem) -> Any:
    """The items due a reminder at ``now``; ``model`` is any action-item table with
    ``status``, ``due_on`` and ``reminded_on`` (drill action items are reminded by the
    same rule: :mod:`muster.domain.drills.action_reminders`)."""
    today = now.date()
    return (
        select(model)
        .where(
            model.status.in_(OPEN),
            model.due_on < today,
            or_(model.reminded_on.is_(None), model.reminded_on < today),
        )
        .order_by(model.due_on, model.id)
    )


def recipients(uow: UnitOfWork, item: ActionItem) -> list[str]:
    """The owner if active; else the active managers of the item's (active) team."""
    return recipients_for(uow, item.owner_id, item.team_id)


def recipients_for(uow: UnitOfWork, owner_id: str | None, team_id: str | None) -> list[str]:
    """The owner if active; else the active managers of the (active) team."""
    if owner_id is not None:
        owner = uow.session.get(User, owner_id)
        if owner is not None and owner.archived_at is None:
            return [owner.id]
    if team_id is None:
        return []
    return list(
        uow.session.scalars(
            select(TeamMember.user_id)
            .join(Team, Team.id == TeamMember.team_id)
            .join(User, User.id == TeamMember.user_id)
            .where(
                TeamMember.team_id == team_id,
                TeamMember.role == "manager",
                Team.archived_at.is_(None),
                User.archived_at.is_(None),
            )
            .order_by(TeamMember.user_id)
        )
    )


def do_remind_overdue_action_items(uow: UnitOfWork, now: datetime) -> int:
    """Remind about each overdue item; returns how many items were reminded (a second
    call on the same UTC day reminds nobody)."""
    due = claim(uow, due_for_reminder(now), limit=BATCH)
    count = 0
    for item in due:
        item.reminded_on = now.date()
        user_ids = recipients(uow, item)
        if not user_ids:
            continue
        incident = uow.session.get_one(Incident, item.incident_id)
        record(
            uow, ENGINE, incident, "incident.action_item_reminded", action_item_id=item.id,
            key=key_of(item), title=item.title, user_ids=user_ids,
            owner=item.owner_id in user_ids,
            due_on=item.due_on.isoformat() if item.due_on else None,
        )  # fmt: skip
        count += 1
    return count
