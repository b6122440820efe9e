"""Escalation driven by the clock: the engine pages level by level, follows the group's
status, and takes every step exactly once — across restarts and between two workers."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import update

from escalation_support import (
    World,
    build_world,
    escalation,
    events,
    group_status,
    make_policy,
    make_schedule,
    notified,
    trigger,
    user,
)  # fmt: skip
from helpers import SYSTEM
from muster.clock import ManualClock
from muster.db.engine import make_engine
from muster.db.uow import Database, UnitOfWork
from muster.domain.alerts.schemas import GroupingIn
from muster.domain.alerts.service import do_acknowledge_group, do_resolve_group
from muster.domain.alerts.settings import AlertSettingsIn, do_update_alert_settings
from muster.domain.escalation.actions import do_escalate_now, do_reassign, do_snooze
from muster.domain.escalation.models import Escalation
from muster.domain.escalation.schemas import LevelIn, ReassignIn, ServicePagingIn, UrgencyRulesIn
from muster.domain.escalation.service import do_assign_policy, do_set_levels
from muster.engine.modules import default_modules
from muster.engine.modules.escalation_timers import EscalationTimers
from muster.engine.runner import Runner


@pytest.fixture
def world(db: Database) -> World:
    return build_world(db)


def run(db: Database) -> None:
    result = Runner(db, default_modules()).run_until_idle()
    assert not result.errors, result.errors


def later(db: Database, clock: ManualClock, minutes: float) -> None:
    clock.advance(minutes=minutes)
    run(db)


def ack(db: Database, group_id: str) -> None:
    with db.unit_of_work() as uow:
        do_acknowledge_group(uow, SYSTEM, group_id)
        uow.commit()


def three_levels(db: Database, w: World, **extra: object) -> str:
    return make_policy(db, w, [[user(w.alice)], [user(w.bob)], [user(w.carol)]], **extra)  # type: ignore[arg-type]


def test_pages_level_by_level_until_acknowledged(
    db: Database, clock: ManualClock, world: World
) -> None:
    three_levels(db, world)
    group = trigger(db, world)
    run(db)
    assert notified(db) == [(world.alice, 1, 0, "escalation")]
    later(db, clock, 4.9)
    assert len(notified(db)) == 1
    later(db, clock, 0.1)
    assert notified(db)[1:] == [(world.bob, 2, 0, "escalation")]
    ack(db, group)
    run(db)
    assert escalation(db, group).status == "acknowledged"
    for _ in range(6):
        later(db, clock, 10)
    assert len(notified(db)) == 2
    stopped = events(db, "escalation.stopped", group)
    assert [e.data["reason"] for e in stopped] == ["acknowledged"]
    reached = events(db, "escalation.level_reached", group)
    assert [(e.data["level"], e.data["user_ids"]) for e in reached] == [
        (1, [world.alice]),
        (2, [world.bob]),
    ]
    assert events(db, "escalation.started", group)[0].data["levels"] == 3


def test_repeats_then_exhausts(db: Database, clock: ManualClock, world: World) -> None:
    make_policy(db, world, [[user(world.alice)], [user(world.bob)]], repeat_count=1)
    group = trigger(db, world)
    run(db)
    for _ in range(6):
        later(db, clock, 5)
    assert [(u, lv, lp) for u, lv, lp, _ in notified(db)] == [
        (world.alice, 1, 0), (world.bob, 2, 0), (world.alice, 1, 1), (world.bob, 2, 1),
    ]  # fmt: skip
    exhausted = events(db, "escalation.exhausted", group)
    assert len(exhausted) == 1
    assert exhausted[0].occurred_at == datetime(2026, 1, 5, 9, 20, tzinfo=UTC)
    assert exhausted[0].data["passes"] == 2
    assert escalation(db, group).status == "exhausted"
    assert escalation(db, group).next_due_at is None


def test_ack_timeout_retriggers_from_the_first_level(
    db: Database, clock: ManualClock, world: World
) -> None:
    three_levels(db, world, ack_timeout_minutes=30)
    group = trigger(db, world)
    run(db)
    later(db, clock, 2)
    ack(db, group)
    run(db)
    assert escalation(db, group).ack_timeout_due_at == datetime(2026, 1, 5, 9, 32, tzinfo=UTC)
    later(db, clock, 29.9)
    assert len(notified(db)) == 1
    later(db, clock, 0.1)
    assert notified(db)[1:] == [(world.alice, 1, 0, "ack_timeout")]
    assert group_status(db, group) == "triggered"
    assert escalation(db, group).status == "active"
    later(db, clock, 5)
    assert notified(db)[2:] == [(world.bob, 2, 0, "escalation")]


def test_resolving_stops_everything(db: Database, clock: ManualClock, world: World) -> None:
    three_levels(db, world, ack_timeout_minutes=10)
    group = trigger(db, world)
    run(db)
    later(db, clock, 5)
    with db.unit_of_work() as uow:
        do_resolve_group(uow, SYSTEM, group)
        uow.commit()
    run(db)
    for _ in range(5):
        later(db, clock, 10)
    assert [n[0] for n in notified(db)] == [world.alice, world.bob]
    assert escalation(db, group).status == "resolved"
    assert escalation(db, group).next_due_at is None


def test_nobody_on_call_skips_at_once_with_a_warning(
    db: Database, clock: ManualClock, world: World
) -> None:
    empty = make_schedule(db, world, "Nights", [], clock.now())
    make_policy(db, world, [[{"type": "schedule", "id": empty}], [user(world.bob)]])
    group = trigger(db, world)
    run(db)
    assert notified(db) == [(world.bob, 2, 0, "escalation")]
    skipped = events(db, "escalation.skipped_level", group)
    assert len(skipped) == 1
    assert skipped[0].data["level"] == 1
    assert "nobody to notify" in skipped[0].data["warning"]
    assert skipped[0].data["skipped"][0]["why"] == "nobody is on call on Nights"
    assert escalation(db, group).next_due_at == clock.now() + timedelta(minutes=5)


def test_schedule_level_pages_whoever_on_call_says(
    db: Database, clock: ManualClock, world: World
) -> None:
    now = clock.now()
    sched = make_schedule(db, world, "Primary", [world.alice, world.bob], now - timedelta(days=1),
                          overrides=((world.carol, now - timedelta(hours=1), now + timedelta(hours=1)),))  # fmt: skip
    make_policy(
        db,
        world,
        [
            [{"type": "schedule", "id": sched}, user(world.bob)],
            [{"type": "team", "id": world.team}],
        ],
    )
    trigger(db, world)
    run(db)
    assert [n[0] for n in notified(db)] == [world.carol, world.bob]  # the override wins
    later(db, clock, 5)
    # A team is its members; nobody twice in one level.
    assert sorted(n[0] for n in notified(db)[2:]) == sorted([world.alice, world.bob, world.maria])


def test_nobody_at_all_pages_the_team_managers(
    db: Database, clock: ManualClock, world: World
) -> None:
    empty = make_schedule(db, world, "Nights", [], clock.now())
    make_policy(
        db, world, [[{"type": "schedule", "id": empty}], [{"type": "schedule", "id": empty}]]
    )
    group = trigger(db, world)
    run(db)
    assert notified(db) == [(world.maria, None, 0, "fallback_team_managers")]
    fallback = events(db, "escalation.fallback_to_managers", group)
    assert fallback[0].data["user_ids"] == [world.maria]
    assert "no level" in fallback[0].data["why"]
    later(db, clock, 5)
    assert escalation(db, group).status == "exhausted"
    assert len(notified(db)) == 1


class CrashAfterStep:
    """Takes the steps, then dies before the runner commits."""

    name = "crash"

    def run_due(self, uow: UnitOfWork, now: datetime) -> int:
        EscalationTimers().run_due(uow, now)
        raise RuntimeError("worker killed")


def test_restart_mid_escalation_steps_on_time_exactly_once(
    db: Database, db_url: str, clock: ManualClock, world: World
) -> None:
    three_levels(db, world)
    trigger(db, world)
    first = Runner(db, default_modules())
    first.run_until_idle()
    assert len(notified(db)) == 1
    clock.advance(minutes=5)
    assert "crash" in Runner(db, [CrashAfterStep()]).run_once().errors
    assert len(notified(db)) == 1  # the dead worker's step left nothing behind
    restarted = Database(make_engine(db_url), clock)  # a new process on the same database
    try:
        assert not Runner(restarted, default_modules()).run_until_idle().errors
        assert not Runner(restarted, default_modules()).run_until_idle().errors
    finally:
        restarted.dispose()
    assert notified(db)[1:] == [(world.bob, 2, 0, "escalation")]
    reached = events(db, "escalation.level_reached")
    assert reached[1].occurred_at == datetime(2026, 1, 5, 9, 5, tzinfo=UTC)


def test_snooze_then_resume(db: Database, clock: ManualClock, world: World) -> None:
    three_levels(db, world)
    group = trigger(db, world)
    run(db)
    with db.unit_of_work() as uow:
        do_snooze(uow, SYSTEM, group, 30)
        uow.commit()
    run(db)
    assert group_status(db, group) == "acknowledged"
    assert escalation(db, group).status == "snoozed"
    later(db, clock, 29)
    assert len(notified(db)) == 1
    later(db, clock, 1)
    assert notified(db)[1:] == [(world.alice, 1, 0, "snooze_ended")]
    assert group_status(db, group) == "triggered"
    later(db, clock, 5)
    assert notified(db)[2:] == [(world.bob, 2, 0, "escalation")]


def test_escalate_now_pages_the_next_level_at_once(
    db: Database, clock: ManualClock, world: World
) -> None:
    three_levels(db, world)
    group = trigger(db, world)
    run(db)
    later(db, clock, 1)
    with db.unit_of_work() as uow:
        do_escalate_now(uow, SYSTEM, group)
        uow.commit()
    assert notified(db)[1:] == [(world.bob, 2, 0, "escalate_now")]
    run(db)
    later(db, clock, 4.9)
    assert len(notified(db)) == 2  # the next level waits its full delay from now
    later(db, clock, 0.1)
    assert notified(db)[2:] == [(world.carol, 3, 0, "escalation")]


def test_reassign_to_a_person_and_to_another_policy(
    db: Database, clock: ManualClock, world: World
) -> None:
    three_levels(db, world)
    other = make_policy(
        db, world, [[user(world.maria)], [user(world.alice)]], name="Managers", assign=False
    )
    group = trigger(db, world)
    run(db)
    ack(db, group)
    run(db)
    with db.unit_of_work() as uow:
        do_reassign(uow, SYSTEM, group, ReassignIn(user_id=world.carol))
        uow.commit()
    run(db)
    assert notified(db)[1:] == [(world.carol, 1, 0, "reassigned")]
    assert group_status(db, group) == "triggered"  # re-triggered for the new assignee
    with db.unit_of_work() as uow:
        do_reassign(uow, SYSTEM, group, ReassignIn(escalation_policy_id=other))
        uow.commit()
    assert notified(db)[2:] == [(world.maria, 1, 0, "reassigned")]
    later(db, clock, 5)
    assert notified(db)[3:] == [(world.alice, 2, 0, "escalation")]
    assert escalation(db, group).policy_id == other


def test_editing_the_policy_leaves_running_escalations_alone(
    db: Database, clock: ManualClock, world: World
) -> None:
    policy = three_levels(db, world)
    running = trigger(db, world, "first")
    run(db)
    with db.unit_of_work() as uow:
        do_set_levels(
            uow,
            SYSTEM,
            policy,
            [LevelIn(delay_minutes=5, targets=[{"type": "user", "id": world.carol}])],
        )  # type: ignore[list-item]
        uow.commit()
    later(db, clock, 5)
    assert [n[0] for n in notified(db, running)] == [world.alice, world.bob]
    fresh = trigger(db, world, "second")
    run(db)
    assert [n[0] for n in notified(db, fresh)] == [world.carol]


def test_a_new_alert_reopening_the_group_restarts_paging(
    db: Database, clock: ManualClock, world: World
) -> None:
    three_levels(db, world)
    with db.unit_of_work() as uow:
        do_update_alert_settings(uow, SYSTEM, world.service,
                                 AlertSettingsIn(grouping=GroupingIn(mode="labels", labels=["host"])))  # fmt: skip
        uow.commit()
    group = trigger(db, world, "cpu", host="a")
    run(db)
    ack(db, group)
    run(db)
    later(db, clock, 3)
    assert trigger(db, world, "disk", host="a") == group
    run(db)
    assert notified(db)[1:] == [(world.alice, 1, 0, "retriggered")]


def test_low_urgency_at_night_notifies_without_escalating(
    db: Database, clock: ManualClock, world: World
) -> None:
    three_levels(db, world)
    rules = UrgencyRulesIn.model_validate({"low_severities": ["warning"], "support_hours":
                                           {"zone": "Europe/Berlin", "days": [0, 1, 2, 3, 4], "start": "09:00", "end": "17:00"}})  # fmt: skip
    with db.unit_of_work() as uow:
        do_assign_policy(uow, SYSTEM, world.service, ServicePagingIn(urgency_rules=rules))
        uow.commit()
    clock.set(datetime(2026, 1, 5, 22, 0, tzinfo=UTC))  # Monday 23:00 in Berlin
    low = trigger(db, world, "slow", severity="warning")
    high = trigger(db, world, "down", severity="critical")
    run(db)
    for _ in range(6):
        later(db, clock, 30)
    assert notified(db, low) == [(world.alice, 1, 0, "escalation")]
    assert events(db, "notification.requested", low)[0].data["urgency"] == "low"
    assert [n[0] for n in notified(db, high)] == [world.alice, world.bob, world.carol]
    held = escalation(db, low)
    assert held.held_until_support_hours
    assert held.next_due_at == datetime(2026, 1, 6, 8, 0, tzinfo=UTC)  # Tuesday 09:00 Berlin
    clock.set(datetime(2026, 1, 6, 8, 0, tzinfo=UTC))
    run(db)
    assert notified(db, low)[1:] == [(world.alice, 1, 0, "support_hours")]
    later(db, clock, 5)
    assert notified(db, low)[2:] == [(world.bob, 2, 0, "escalation")]


def test_two_runners_notify_each_person_exactly_once(
    db: Database, clock: ManualClock, world: World
) -> None:
    make_policy(db, world, [[user(world.alice)], [user(world.bob)]])
    groups = [trigger(db, world, f"key-{i}") for i in range(30)]
    barrier = threading.Barrier(2)
    errors: list[dict[str, str]] = []

    def work() -> None:
        runner = Runner(db, default_modules())
        barrier.wait()
        errors.append(runner.run_until_idle().errors)

    for _ in range(2):  # level 1 (with the reactions racing too), then level 2
        threads = [threading.Thread(target=work) for _ in range(2)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        run(db)  # anything a runner left for the next pass
        clock.advance(minutes=5)
    assert errors == [{}, {}, {}, {}]
    sent = notified(db)
    assert len(sent) == 60
    assert (
        len({(e.subject_id, e.data["level"]) for e in events(db, "notification.requested")}) == 60
    )
    assert {g for g in groups} == {e.subject_id for e in events(db, "escalation.started")}
    assert len(events(db, "escalation.started")) == 30


def test_a_failing_step_holds_up_no_other_escalation(
    db: Database, clock: ManualClock, world: World
) -> None:
    three_levels(db, world)
    broken, fine = trigger(db, world, "broken"), trigger(db, world, "fine")
    runner = Runner(db, default_modules())
    runner.run_until_idle()
    with db.unit_of_work() as uow:  # a snapshot the step cannot read
        uow.session.execute(
            update(Escalation).where(Escalation.group_id == broken).values(policy={"levels": [{}]})
        )
        uow.commit()
    clock.advance(minutes=5)
    assert "escalation_timers" in runner.run_until_idle().errors
    assert not runner.run_until_idle().errors
    assert [n[0] for n in notified(db, fine)] == [world.alice, world.bob]
    assert [n[0] for n in notified(db, broken)] == [world.alice]
