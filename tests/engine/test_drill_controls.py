"""Drill runs under the facilitator's hand, clock-driven: a tabletop run advances only
when the facilitator fires (and pages nobody); pause and resume across an engine restart
keep drill time; skipping an inject releases the ones after it; ending early misses what
was not done; only the facilitator or a manager controls a run."""

from __future__ import annotations

from datetime import timedelta

import pytest

from drill_support import (
    DrillWorld,
    acknowledge_all,
    apply,
    drill_world,
    load_run,
    run_alerts,
    start,
)
from muster.clock import ManualClock
from muster.config import Settings
from muster.db.uow import Database
from muster.domain.drills.runs import do_end, do_fire, do_grade, do_pause, do_resume, do_skip
from muster.engine.modules import default_modules
from muster.engine.runner import Runner
from muster.errors import Conflict, PermissionDenied
from notify_support import notify_settings


@pytest.fixture
def world(db: Database, settings: Settings) -> DrillWorld:
    return drill_world(db, settings)


def statuses(db: Database, run_id: str) -> dict[str, str]:
    run = load_run(db, run_id)
    return {
        **{i.name: i.status for i in run.injects},
        **{e.name: e.status for e in run.expectations},
    }


def test_tabletop_advances_only_by_hand_and_pages_nobody(
    db: Database, world: DrillWorld, clock: ManualClock
) -> None:
    cast = world.cast
    run_id = start(world, apply(db, cast.boss), mode="tabletop")
    world.later(clock, 30)
    assert statuses(db, run_id)["page"] == "pending"  # time alone fires nothing
    with db.unit_of_work() as uow:
        fired = do_fire(uow, cast.boss, run_id)
        uow.commit()
        assert fired.name == "page"
    world.run()
    assert [a.summary for a in run_alerts(db, run_id)] == ["Checkout is down"]
    assert world.sent() == []  # the tabletop service pages nobody
    with db.unit_of_work() as uow:
        assert do_fire(uow, cast.boss, run_id).name == "hint"
        uow.commit()
    # The next one waits for a Commander; the facilitator may still fire it by hand.
    with db.unit_of_work() as uow:
        assert do_fire(uow, cast.boss, run_id).name == "escalate"
        uow.commit()
    state = statuses(db, run_id)
    assert (state["page"], state["hint"], state["escalate"]) == ("fired", "fired", "fired")
    with db.unit_of_work() as uow, pytest.raises(Conflict):
        do_fire(uow, cast.boss, run_id)


def test_pause_and_resume_across_an_engine_restart_keep_drill_time(
    db: Database, world: DrillWorld, clock: ManualClock, settings: Settings
) -> None:
    cast = world.cast
    run_id = start(world, apply(db, cast.boss))
    world.run()
    world.later(clock, 1)
    with db.unit_of_work() as uow:
        do_pause(uow, cast.boss, run_id)
        uow.commit()
    # The engine goes away; an hour passes; a new engine starts.
    clock.advance(timedelta(hours=1))
    restarted = Runner(db, default_modules(notify_settings(settings), channels=world.channels))
    assert not restarted.run_until_idle().errors
    state = statuses(db, run_id)
    assert state["hint"] == "pending"  # due at minute 3 of drill time: only 1 has passed
    assert state["ack"] == "pending"  # its 5 minutes do not run while paused
    with db.unit_of_work() as uow:
        do_resume(uow, cast.boss, run_id)
        uow.commit()
    world.runner = restarted
    world.later(clock, 1.5)
    assert statuses(db, run_id)["hint"] == "pending"  # 2:30 of drill time
    world.later(clock, 1)
    assert statuses(db, run_id)["hint"] == "fired"
    hint = next(i for i in load_run(db, run_id).injects if i.name == "hint")
    assert hint.fired_offset == 210  # 3:30 of drill time, though 63:30 passed on the wall
    acknowledge_all(db, cast.ic, run_id)
    world.run()
    assert statuses(db, run_id)["ack"] == "met"  # at 3:30 of drill time: within 5 minutes
    assert load_run(db, run_id).status == "running"


def test_skip_releases_dependents_and_end_early_misses_the_rest(
    db: Database, world: DrillWorld, clock: ManualClock
) -> None:
    cast = world.cast
    run_id = start(world, apply(db, cast.boss))
    world.run()
    with db.unit_of_work() as uow:
        do_skip(uow, cast.boss, run_id, "hint")
        uow.commit()
    assert statuses(db, run_id)["hint"] == "skipped"
    with db.unit_of_work() as uow, pytest.raises(Conflict):
        do_skip(uow, cast.boss, run_id, "hint")  # not pending any more
    with db.unit_of_work() as uow:
        do_end(uow, cast.boss, run_id)
        uow.commit()
    run = load_run(db, run_id)
    assert run.status == "ended"
    assert run.end_reason == "ended_early"
    assert statuses(db, run_id)["ack"] == "missed"
    assert statuses(db, run_id)["escalate"] == "pending"  # never fired
    assert run.score == 0.0
    with db.unit_of_work() as uow:
        do_grade(uow, cast.boss, run_id, "talk", "met", "fine")
        uow.commit()
    assert load_run(db, run_id).score == pytest.approx(33.3)
    with db.unit_of_work() as uow, pytest.raises(Conflict):
        do_grade(uow, cast.boss, run_id, "ack", "met")  # automatic: decided by the log


def test_only_the_facilitator_or_a_manager_controls_a_run(db: Database, world: DrillWorld) -> None:
    cast = world.cast
    run_id = start(world, apply(db, cast.boss))
    for command in (do_pause, do_end):
        with db.unit_of_work() as uow, pytest.raises(PermissionDenied):
            command(uow, cast.resp, run_id)
    assert load_run(db, run_id).status == "running"
