"""Layer order and time zone take effect from a chosen time on both databases: who was on
call before that time never changes, and a later change replaces one scheduled after it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from helpers import SYSTEM
from muster.clock import ManualClock
from muster.db.uow import Database
from muster.domain.events.service import events_for
from muster.domain.oncall import service as oncall
from muster.domain.oncall.models import ScheduleEra
from muster.domain.oncall.schemas import LayerCreate, LayerOrder, RotationIn, ScheduleUpdate
from muster.errors import InvalidInput
from oncall_support import MONDAY, Crew, days, final, make_crew, weekly_schedule, who
from ui_support import count

H = timedelta(hours=1)
NOON = MONDAY + 3 * H


@pytest.fixture
def crew(db: Database) -> Crew:
    return make_crew(db)


def two_layers(db: Database, crew: Crew) -> tuple[str, str, str]:
    """alice always (bottom); bob on weekdays 10:00-18:00 (top). (schedule, base, top)"""
    sid, base = weekly_schedule(db, crew, [crew.alice])
    with db.unit_of_work() as uow:
        top = oncall.do_add_layer(uow, SYSTEM, sid, LayerCreate(name="Daytime"))
        oncall.do_set_rotation(uow, SYSTEM, sid, top.id, RotationIn(
            participants=[crew.bob], start=MONDAY, turn_length=1, turn_unit="days",
            restrictions=[{"days": [0, 1, 2, 3, 4], "start": "10:00", "end": "18:00"}]))  # type: ignore[list-item]  # fmt: skip
        uow.commit()
        return sid, base, top.id


def reorder(db: Database, sid: str, order: list[str], at: datetime | None = None) -> None:
    with db.unit_of_work() as uow:
        oncall.do_reorder_layers(uow, SYSTEM, sid, LayerOrder(layer_ids=order, effective_from=at))
        uow.commit()


def test_reorder_from_a_time_leaves_before_it_unchanged(
    db: Database, crew: Crew, clock: ManualClock
) -> None:
    sid, base, top = two_layers(db, crew)
    tuesday = MONDAY + days(1) - 9 * H  # Tuesday 00:00
    reorder(db, sid, [base, top], at=tuesday)
    assert who(db, sid, NOON) == crew.bob  # before the new order: as it was
    assert who(db, sid, NOON + days(1)) == crew.alice  # after: the base layer wins
    clock.advance(days(2))  # both days are now history: they stay as they were
    assert who(db, sid, NOON) == crew.bob
    assert who(db, sid, NOON + days(1)) == crew.alice
    with db.unit_of_work(readonly=True) as uow:
        event = events_for(uow, "schedule", sid)[-1]
    assert event.type == "schedule.layers_reordered"
    assert event.data["effective_from"] == "2026-01-06T00:00:00Z"
    assert event.data["order"] == {"from": [top, base], "to": [base, top]}


def test_reorder_now_keeps_the_morning(db: Database, crew: Crew, clock: ManualClock) -> None:
    sid, base, top = two_layers(db, crew)
    clock.advance(6 * H)  # Monday 15:00
    before = final(db, sid, MONDAY, MONDAY + 6 * H)
    reorder(db, sid, [base, top])
    assert final(db, sid, MONDAY, MONDAY + 6 * H) == before
    assert who(db, sid, NOON) == crew.bob
    assert who(db, sid, MONDAY + 7 * H) == crew.alice
    assert who(db, sid, NOON + days(1)) == crew.alice


def test_past_times_are_refused(db: Database, crew: Crew, clock: ManualClock) -> None:
    sid, base, top = two_layers(db, crew)
    clock.advance(days(1))
    with db.unit_of_work() as uow, pytest.raises(InvalidInput) as err:
        oncall.do_reorder_layers(
            uow, SYSTEM, sid, LayerOrder(layer_ids=[base, top], effective_from=MONDAY)
        )
    assert [e.field for e in err.value.errors] == ["effective_from"]
    assert count(db, ScheduleEra) == 0


def test_an_earlier_change_replaces_one_scheduled_later(
    db: Database, crew: Crew, clock: ManualClock
) -> None:
    sid, base, top = two_layers(db, crew)
    wednesday, tuesday = MONDAY + days(2) - 9 * H, MONDAY + days(1) - 9 * H
    reorder(db, sid, [base, top], at=wednesday)
    assert who(db, sid, NOON + days(1)) == crew.bob
    assert who(db, sid, NOON + days(2)) == crew.alice
    with db.unit_of_work() as uow:  # a layer added in between takes the top
        extra = oncall.do_add_layer(uow, SYSTEM, sid, LayerCreate(name="Extra"))
        uow.commit()
    reorder(db, sid, [top, extra.id, base], at=tuesday)
    assert who(db, sid, NOON) == crew.bob
    assert who(db, sid, NOON + days(1)) == crew.bob  # the new order from Tuesday on
    assert who(db, sid, NOON + days(2)) == crew.bob  # Wednesday's change was replaced
    assert count(db, ScheduleEra) == 1
    clock.advance(days(2) + 3 * H)  # Wednesday 12:00
    reorder(db, sid, [base, top, extra.id])
    for day in (0, 1, 2):  # the days gone by stay as they were
        assert who(db, sid, NOON - H + days(day)) == crew.bob, day
    assert who(db, sid, NOON + H + days(2)) == crew.alice
    assert count(db, ScheduleEra) == 2


def test_zone_change_keeps_past_handoffs(db: Database, crew: Crew, clock: ManualClock) -> None:
    # daily handoffs at 04:00 New York time (09:00 UTC in winter, 08:00 UTC from 8 March)
    sid, _ = weekly_schedule(
        db, crew, [crew.alice, crew.bob], zone="America/New_York", length=1, unit="days"
    )
    march = datetime(2026, 3, 10, tzinfo=UTC)
    clock.set(march + days(2) + 9 * H)
    starts = {s.start for s in final(db, sid, march, march + days(5))}
    assert march + 8 * H in starts
    with db.unit_of_work() as uow:
        oncall.do_update_schedule(uow, SYSTEM, sid, ScheduleUpdate(time_zone="UTC"))
        uow.commit()
    after = {s.start for s in final(db, sid, march, march + days(5))}
    assert march + 8 * H in after  # the past keeps New York's handoffs
    assert march + days(1) + 8 * H in after
    assert march + days(3) + 9 * H in after  # from now on: 09:00 UTC
    assert march + days(3) + 8 * H not in after
