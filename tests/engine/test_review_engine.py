"""Reviews made by the engine when an incident is resolved (by policy, exactly once,
with reopen), and reminders of reviews due soon / overdue, driven by the clock."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import select

from incident_support import Cast, build_cast, declare, incident_events
from muster.clock import ManualClock
from muster.db.uow import Database
from muster.domain.events.actor import Actor
from muster.domain.incidents.transitions import do_transition
from muster.domain.notify.models import OutboxMessage
from muster.domain.reviews.models import Review
from muster.domain.reviews.review_service import do_set_review_owner, do_set_review_status
from muster.engine.modules import default_modules
from muster.engine.modules.review_creation import ReviewCreation
from muster.engine.modules.review_reminders import ReviewReminders
from muster.engine.runner import Runner


@pytest.fixture
def cast(db: Database) -> Cast:
    return build_cast(db)


def move(db: Database, actor: Actor, incident_id: str, to: str) -> None:
    with db.unit_of_work() as uow:
        do_transition(uow, actor, incident_id, to)
        uow.commit()


def reviews(db: Database) -> list[Review]:
    with db.unit_of_work(readonly=True) as uow:
        return list(uow.session.scalars(select(Review)))


def run(db: Database, *modules: Any) -> dict[str, int]:
    return dict(
        Runner(db, list(modules) or [ReviewCreation(), ReviewReminders()]).run_until_idle().items
    )


def events_of(db: Database, incident_id: str, kind: str) -> list[dict[str, Any]]:
    return [e.data for e in incident_events(db, incident_id) if e.type == kind]


def test_the_modules_are_registered() -> None:
    names = [m.name for m in default_modules()]
    assert "review_creation" in names
    assert "review_reminders" in names
    assert names.index("review_creation") < names.index("notifications")


def test_a_sev2_gets_one_required_review_on_resolve_even_when_reopened(
    db: Database, cast: Cast
) -> None:
    incident = declare(db, cast.ic, severity=2, commander_id=cast.ic.id)
    run(db)
    assert reviews(db) == []  # not resolved yet
    move(db, cast.ic, incident, "resolved")
    assert run(db).get("review_creation") == 1
    (review,) = reviews(db)
    assert review.incident_id == incident
    assert review.required
    assert review.status == "draft"
    # Monday 09:00 + 5 business days: the end of Monday the 12th.
    assert review.due_at == datetime(2026, 1, 13, tzinfo=UTC)
    assert "# Post-incident review: INC-" in review.body
    assert "Checkout is down" in review.body
    (created,) = events_of(db, incident, "incident.review_created")
    assert created["review_id"] == review.id
    assert created["user_ids"] == [cast.ic.id]
    move(db, cast.ic, incident, "investigating")
    move(db, cast.ic, incident, "resolved")
    assert run(db).get("review_creation", 0) == 0
    assert [r.id for r in reviews(db)] == [review.id]
    assert len(events_of(db, incident, "incident.review_created")) == 1


def test_a_sev3_operational_incident_gets_no_review_but_security_sev4_does(
    db: Database, cast: Cast
) -> None:
    ops = declare(db, cast.ic, severity=3)
    sec = declare(db, cast.sec, severity=4, type="security", title="Phishing")
    move(db, cast.ic, ops, "resolved")
    move(db, cast.sec, sec, "resolved")
    run(db)
    assert [r.incident_id for r in reviews(db)] == [sec]


def test_resolutions_from_long_ago_are_passed_over(
    db: Database, clock: ManualClock, cast: Cast
) -> None:
    old = declare(db, cast.ic, severity=1)
    move(db, cast.ic, old, "resolved")
    clock.advance(days=15)  # the engine (or reviews) arrived later than that
    assert run(db, ReviewCreation()).get("review_creation", 0) == 0
    assert reviews(db) == []


def test_participants_are_asked_for_feedback_through_the_outbox(db: Database, cast: Cast) -> None:
    incident = declare(db, cast.ic, severity=1, commander_id=cast.ic.id)
    move(db, cast.ic, incident, "resolved")
    Runner(db, default_modules()).run_until_idle()
    (asked,) = [e for e in incident_events(db, incident) if e.type == "incident.review_created"]
    with db.unit_of_work(readonly=True) as uow:
        sent = uow.session.scalars(
            select(OutboxMessage).where(OutboxMessage.request_event_id == asked.id)
        ).all()
    assert [(m.user_id, m.urgency) for m in sent] == [(cast.ic.id, "low")]


def test_reminders_due_soon_then_overdue_at_most_daily_to_the_owner_else_commander(
    db: Database, clock: ManualClock, cast: Cast
) -> None:
    incident = declare(db, cast.ic, severity=1, commander_id=cast.ic.id)
    move(db, cast.ic, incident, "resolved")
    run(db, ReviewCreation())
    # Due 2026-01-13 00:00; "due soon" starts a day before.
    clock.set(datetime(2026, 1, 11, 23, 59, tzinfo=UTC))
    assert run(db, ReviewReminders()).get("review_reminders", 0) == 0
    clock.set(datetime(2026, 1, 12, 0, 0, tzinfo=UTC))
    assert run(db, ReviewReminders()) == {"review_reminders": 1}
    (soon,) = events_of(db, incident, "incident.review_reminded")
    assert soon["user_ids"] == [cast.ic.id]
    assert soon["overdue"] is False
    clock.set(datetime(2026, 1, 12, 23, 0, tzinfo=UTC))
    assert run(db, ReviewReminders()).get("review_reminders", 0) == 0  # once a day at most
    with db.unit_of_work() as uow:
        do_set_review_owner(uow, cast.ic, incident, cast.resp.id)
        uow.commit()
    clock.set(datetime(2026, 1, 13, 0, 0, tzinfo=UTC))
    assert run(db, ReviewReminders()) == {"review_reminders": 1}
    overdue = events_of(db, incident, "incident.review_reminded")[-1]
    assert overdue["user_ids"] == [cast.resp.id]
    assert overdue["overdue"] is True
    # Published: no more reminders.
    with db.unit_of_work() as uow:
        for to, who in (("in_review", cast.ic), ("approved", cast.boss), ("published", cast.boss)):
            do_set_review_status(uow, who, incident, to)
        uow.commit()
    clock.set(datetime(2026, 1, 20, tzinfo=UTC))
    assert run(db, ReviewReminders()).get("review_reminders", 0) == 0
    assert len(events_of(db, incident, "incident.review_reminded")) == 2
