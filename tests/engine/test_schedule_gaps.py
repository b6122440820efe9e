"""Gap warnings: the engine warns once per gap, when it begins less than 7 days ahead."""

from __future__ import annotations

from datetime import timedelta

from helpers import SYSTEM
from muster.clock import ManualClock
from muster.db.uow import Database
from muster.domain.oncall import overrides as changes
from muster.domain.oncall.schemas import OverrideCreate, TemporaryCreate
from muster.engine.modules import default_modules
from muster.engine.modules.schedule_gaps import ScheduleGaps
from muster.engine.runner import Runner
from oncall_support import MONDAY, days, make_crew, weekly_schedule
from ui_support import events_of_type

GAP = "schedule.gap_ahead"


def test_gap_is_warned_once_when_it_comes_within_seven_days(
    db: Database, clock: ManualClock
) -> None:
    crew = make_crew(db)
    sid, _ = weekly_schedule(db, crew, [crew.alice])
    hole = MONDAY + days(10)
    with db.unit_of_work() as uow:  # nobody from day 10 to day 11
        changes.do_create_temporary(
            uow, SYSTEM, sid, TemporaryCreate(start=hole, end=hole + days(1))
        )
        uow.commit()
    runner = Runner(db, default_modules())
    assert runner.run_until_idle().items["schedule_gaps"] == 0  # 10 days ahead: not yet
    clock.advance(days(3) + timedelta(hours=1))  # now 6 days 23 hours ahead
    result = runner.run_until_idle()
    assert result.items["schedule_gaps"] == 1, result
    assert not result.errors
    warned = events_of_type(db, GAP)
    assert [(e.subject_id, e.data["gap_start"], e.data["gap_end"]) for e in warned] == [
        (sid, "2026-01-15T09:00:00Z", "2026-01-16T09:00:00Z")
    ]
    assert warned[0].actor_label == "engine"
    assert warned[0].data["open_ended"] is False
    # Not twice: later passes, a fresh runner (a restart), and the gap under way.
    for step in (timedelta(minutes=2), days(1), days(3)):
        clock.advance(step)
        assert Runner(db, default_modules()).run_until_idle().items["schedule_gaps"] == 0
    assert len(events_of_type(db, GAP)) == 1


def test_a_gap_under_way_is_warned_by_its_true_start(db: Database, clock: ManualClock) -> None:
    crew = make_crew(db)
    sid, _ = weekly_schedule(db, crew, [crew.alice])
    with db.unit_of_work() as uow:
        changes.do_add_override(uow, SYSTEM, sid, OverrideCreate(
            user_id=crew.bob, start=MONDAY + days(1), end=MONDAY + days(2)))  # fmt: skip
        uow.commit()
    clock.advance(days(20))  # nothing looked for 20 days; the schedule has no gap at all
    with db.unit_of_work() as uow:
        assert ScheduleGaps().run_due(uow, uow.now) == 0
    empty, _ = weekly_schedule(db, crew, [crew.carol], name="Later", start=clock.now() + days(3))
    clock.advance(timedelta(hours=5))
    module = ScheduleGaps()
    for _ in range(3):  # the gap from creation to the rotation's start: once
        with db.unit_of_work() as uow:
            module.run_due(uow, uow.now)
            uow.commit()
        clock.advance(timedelta(hours=7))
    warned = [e for e in events_of_type(db, GAP) if e.subject_id == empty]
    assert len(warned) == 1
    assert warned[0].data["gap_start"] == "2026-01-25T09:00:00Z"  # when it was created
    assert warned[0].data["under_way"] is True


def test_schedule_without_gaps_and_archived_schedules_are_quiet(
    db: Database, clock: ManualClock
) -> None:
    crew = make_crew(db)
    weekly_schedule(db, crew, [crew.alice])
    runner = Runner(db, [ScheduleGaps()])
    assert runner.run_until_idle().total == 0
    clock.advance(days(30))
    assert Runner(db, [ScheduleGaps()]).run_until_idle().total == 0
