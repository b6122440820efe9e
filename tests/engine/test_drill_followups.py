"""After the drill: its action items are reminded when overdue by the same rule and
engine module as review action items (once a UTC day; the owner, else the team's
managers), and the shipped scenarios are installed on first start, once, never over an
edited one. Exercise MQTT integrations are never subscribed to."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from drill_support import SCENARIO, apply
from helpers import SYSTEM
from incident_support import Cast, build_cast
from muster.clock import ManualClock
from muster.db.uow import Database
from muster.domain.accounts.schemas import MemberAdd
from muster.domain.accounts.service import do_add_team_member
from muster.domain.drills.debrief import do_add_action_item, do_set_action_status
from muster.domain.drills.models import DrillActionItem, Scenario
from muster.domain.drills.runs import do_start_run
from muster.domain.drills.scenarios import (
    current_version,
    do_apply_scenario,
    do_install_shipped_once,
    get_scenario,
    shipped_sources,
)
from muster.domain.events.models import Event
from muster.domain.notify.models import OutboxMessage
from muster.engine.modules.action_item_reminders import ActionItemReminders


@pytest.fixture
def cast(db: Database) -> Cast:
    made = build_cast(db)
    with db.unit_of_work() as uow:
        do_add_team_member(uow, SYSTEM, made.team, MemberAdd(user_id=made.boss.id, role="manager"))
        uow.commit()
    return made


def _items(db: Database, cast: Cast, clock: ManualClock) -> dict[str, str]:
    due = (clock.now() + timedelta(days=2)).date()
    scenario_id = apply(db, cast.boss)
    with db.unit_of_work() as uow:
        run = do_start_run(uow, cast.boss, scenario_id, team_id=cast.team,
                           mode="tabletop", facilitator_id=cast.boss.id or "",
                           participants={})  # fmt: skip
        items = {
            "owned": do_add_action_item(uow, cast.ic, run.id, title="Fix paging",
                                        owner_id=cast.resp.id, due_on=due),
            "nobody": do_add_action_item(uow, cast.ic, run.id, title="Write runbook", due_on=due),
            "done": do_add_action_item(uow, cast.ic, run.id, title="Done already",
                                       owner_id=cast.resp.id, due_on=due),
            "later": do_add_action_item(uow, cast.ic, run.id, title="Later",
                                        owner_id=cast.resp.id, due_on=due + timedelta(days=9)),
        }  # fmt: skip
        do_set_action_status(uow, cast.ic, items["done"].id, "done")
        uow.commit()
        return {name: item.id for name, item in items.items()}


def _notices(db: Database) -> list[tuple[str | None, str]]:
    with db.unit_of_work(readonly=True) as uow:
        rows = uow.session.scalars(select(OutboxMessage).where(OutboxMessage.purpose == "drill"))
        return sorted((r.user_id, str(r.payload["subject"])) for r in rows)


def test_overdue_drill_action_items_are_reminded_once_a_day(
    db: Database, cast: Cast, clock: ManualClock
) -> None:
    ids = _items(db, cast, clock)
    module = ActionItemReminders()
    with db.unit_of_work() as uow:
        assert not module.pending(uow, clock.now())  # nothing due yet
    clock.advance(timedelta(days=3))
    with db.unit_of_work() as uow:
        assert module.pending(uow, clock.now())
        assert module.run_due(uow, clock.now()) == 2
        uow.commit()
    assert _notices(db) == sorted([
        (cast.resp.id, "Overdue drill action item DA-1: Fix paging"),
        (cast.boss.id, "Overdue drill action item DA-2: Write runbook"),
    ])  # fmt: skip
    with db.unit_of_work() as uow:
        assert not module.pending(uow, clock.now())
        assert module.run_due(uow, clock.now()) == 0  # not twice on the same day
        events = list(uow.session.scalars(
            select(Event).where(Event.type == "drill.action_item_reminded")
        ))  # fmt: skip
        assert sorted(e.data["key"] for e in events) == ["DA-1", "DA-2"]
        assert uow.session.get_one(DrillActionItem, ids["done"]).reminded_on is None
        assert uow.session.get_one(DrillActionItem, ids["later"]).reminded_on is None
    clock.advance(timedelta(days=1))
    with db.unit_of_work() as uow:
        assert module.run_due(uow, clock.now()) == 2  # the next day, again
        uow.commit()
    assert len(_notices(db)) == 4


def test_shipped_scenarios_install_on_first_start_only(db: Database, cast: Cast) -> None:
    with db.unit_of_work() as uow:
        assert len(do_install_shipped_once(uow)) == len(shipped_sources()) == 6
        uow.commit()
    edited = next(iter(shipped_sources().values())).replace("title: ", "title: Edited ", 1)
    with db.unit_of_work() as uow:
        scenario, created = do_apply_scenario(uow, cast.boss, edited)
        assert not created
        assert scenario.current_version == 2
        uow.commit()
        key = scenario.key
    with db.unit_of_work() as uow:
        assert do_install_shipped_once(uow) == []  # a later start changes nothing
        uow.commit()
    with db.unit_of_work(readonly=True) as uow:
        scenario = get_scenario(uow, key)
        assert current_version(uow, scenario).source == edited
        assert scenario.title.startswith("Edited ")
        assert len(list(uow.session.scalars(select(Scenario.id)))) == 6


def test_first_start_installs_nothing_when_scenarios_exist(db: Database, cast: Cast) -> None:
    apply(db, cast.boss, SCENARIO)
    with db.unit_of_work() as uow:
        assert do_install_shipped_once(uow) == []
        assert list(uow.session.scalars(select(Scenario.key))) == ["tiny-outage"]


def test_exercise_mqtt_integrations_are_not_subscribed(db: Database, cast: Cast) -> None:
    from muster.domain.drills.intake import integration_config
    from muster.domain.exercises.setup import exercise_integration, exercise_service
    from muster.domain.sites.schemas import SiteCreate
    from muster.domain.sites.service import do_create_site
    from muster.inbound.mqtt_supervisor import MqttIntake

    with db.unit_of_work() as uow:
        site = do_create_site(uow, SYSTEM, SiteCreate(name="S"))
        service = exercise_service(uow, SYSTEM, "run-1", team_id=cast.team, title="Drill")
        config = integration_config("frigate", preset=None, site_id=site.id)
        exercise_integration(uow, SYSTEM, service, "frigate", config=config)
        uow.commit()
    assert MqttIntake(db, "k" * 32)._wanted() == {}
