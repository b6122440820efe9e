"""Overdue action items are reminded once a UTC day: the owner, else the team's
managers; the reminder becomes a message through the outbox; done items and items not
yet overdue are left alone."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from helpers import SYSTEM
from incident_people_support import incident_messages
from incident_support import Cast, build_cast, declare, incident_events
from muster.clock import ManualClock
from muster.db.uow import Database
from muster.domain.accounts.schemas import MemberAdd
from muster.domain.accounts.service import do_add_team_member
from muster.domain.reviews.action_schemas import ActionItemIn, ActionItemUpdate
from muster.domain.reviews.actions import do_create_action_item, do_update_action_item
from muster.engine.modules import default_modules
from muster.engine.modules.action_item_reminders import ActionItemReminders
from muster.engine.modules.notifications import Notifications
from muster.engine.runner import Runner

START = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)  # the clock fixture's start


@pytest.fixture
def cast(db: Database) -> Cast:
    return build_cast(db)


def add(db: Database, cast: Cast, incident: str, **fields: Any) -> str:
    data = {"title": "Alert on disk", "kind": "detect", "due_on": "2026-01-06", **fields}
    with db.unit_of_work() as uow:
        item = do_create_action_item(uow, cast.ic, incident, ActionItemIn.model_validate(data))
        uow.commit()
        return item.id


def reminders(db: Database, incident: str) -> list[dict[str, Any]]:
    return [e.data for e in incident_events(db, incident)
            if e.type == "incident.action_item_reminded"]  # fmt: skip


def run(db: Database) -> int:
    return Runner(db, [ActionItemReminders()]).run_until_idle().items.get("action_item_reminders", 0)  # fmt: skip


def test_the_module_is_registered() -> None:
    names = [m.name for m in default_modules()]
    assert names.index("action_item_reminders") < names.index("notifications")


def test_overdue_items_remind_the_owner_once_a_day(
    db: Database, clock: ManualClock, cast: Cast
) -> None:
    incident = declare(db, cast.ic, service_ids=[cast.service])
    item = add(db, cast, incident, owner_id=cast.resp.id)
    add(db, cast, incident, due_on="2026-01-09")  # not overdue in this test's days
    clock.set(datetime(2026, 1, 6, 23, 59, tzinfo=UTC))  # its due day: not yet overdue
    assert run(db) == 0
    clock.set(datetime(2026, 1, 7, 0, 1, tzinfo=UTC))
    assert run(db) == 1
    clock.advance(hours=20)  # the same UTC day
    assert run(db) == 0
    (first,) = reminders(db, incident)
    assert (first["action_item_id"], first["user_ids"]) == (item, [cast.resp.id])
    clock.set(datetime(2026, 1, 8, 8, 0, tzinfo=UTC))
    assert run(db) == 1
    with db.unit_of_work() as uow:
        do_update_action_item(uow, cast.ic, item, ActionItemUpdate(status="done"))
        uow.commit()
    clock.advance(days=1)
    assert run(db) == 0
    assert len(reminders(db, incident)) == 2


def test_without_an_owner_the_teams_managers_are_reminded(
    db: Database, clock: ManualClock, cast: Cast
) -> None:
    with db.unit_of_work() as uow:
        do_add_team_member(uow, SYSTEM, cast.team, MemberAdd(user_id=str(cast.boss.id), role="manager"))  # fmt: skip
        do_add_team_member(uow, SYSTEM, cast.team, MemberAdd(user_id=str(cast.outsider.id)))
        uow.commit()
    incident = declare(db, cast.ic, service_ids=[cast.service])
    add(db, cast, incident)  # team: the service's
    teamless = declare(db, cast.ic, title="No service")
    add(db, cast, teamless)
    clock.set(START + timedelta(days=3))
    assert run(db) == 1  # the teamless item reminds nobody (and is not re-read today)
    assert reminders(db, incident)[0]["user_ids"] == [cast.boss.id]
    assert reminders(db, teamless) == []
    assert run(db) == 0


def test_the_reminder_is_a_message_to_the_owner(
    db: Database, clock: ManualClock, cast: Cast
) -> None:
    incident = declare(db, cast.ic)
    add(db, cast, incident, owner_id=cast.resp.id, title="Rotate the keys")
    clock.set(START + timedelta(days=2))
    Runner(db, [ActionItemReminders(), Notifications()]).run_until_idle()
    (message,) = [m for m in incident_messages(db, user_id=cast.resp.id)
                  if m.payload["kind"] == "action_item_reminded"]  # fmt: skip
    assert "overdue action item AI-1: Rotate the keys" in message.payload["subject"]
    assert "was due on 2026-01-06" in message.payload["text"]
    assert message.payload["path"] == f"/incidents/{incident}/action-items"
    assert message.urgency == "low"


def test_no_message_about_a_restricted_incident_to_someone_who_cannot_see_it(
    db: Database, clock: ManualClock, cast: Cast
) -> None:
    with db.unit_of_work() as uow:
        do_add_team_member(uow, SYSTEM, cast.team, MemberAdd(user_id=str(cast.boss.id), role="manager"))  # fmt: skip
        uow.commit()
    incident = declare(db, cast.ic, restricted=True, service_ids=[cast.service])
    add(db, cast, incident)
    clock.set(START + timedelta(days=2))
    Runner(db, [ActionItemReminders(), Notifications()]).run_until_idle()
    assert reminders(db, incident)[0]["user_ids"] == [cast.boss.id]
    assert incident_messages(db, user_id=cast.boss.id) == []
