"""Schedule commands on both databases: the past is kept, overrides and swaps win where
they say, temporary schedules replace layers, and every change is an event."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from helpers import SYSTEM
from muster.clock import ManualClock
from muster.db.uow import Database
from muster.domain.events.actor import Actor, Role, Via
from muster.domain.events.service import events_for
from muster.domain.oncall import overrides as changes
from muster.domain.oncall import queries
from muster.domain.oncall import service as oncall
from muster.domain.oncall.schemas import (
    LayerCreate,
    LayerOrder,
    LayerRename,
    OverrideCreate,
    RotationIn,
    ScheduleCreate,
    ScheduleUpdate,
    SwapCreate,
    TemporaryCreate,
)
from muster.errors import Conflict, InvalidInput, PermissionDenied
from oncall_support import MONDAY, Crew, answer_at, days, final, make_crew, weekly_schedule, who

H = timedelta(hours=1)


@pytest.fixture
def crew(db: Database) -> Crew:
    return make_crew(db)


def _as(crew: Crew, role: Role = Role.MANAGER) -> Actor:
    return Actor(kind="user", id=crew.maria, label="maria@example.com", role=role, via=Via.API)


def test_create_edit_archive_and_events(db: Database, crew: Crew) -> None:
    with db.unit_of_work() as uow:
        schedule = oncall.do_create_schedule(
            uow, _as(crew), ScheduleCreate(name="Ops", team_id=crew.team, time_zone="Europe/Berlin")
        )
        oncall.do_update_schedule(
            uow, _as(crew), schedule.id, ScheduleUpdate(name="Ops primary", description="24/7")
        )
        oncall.do_archive_schedule(uow, _as(crew), schedule.id)
        uow.commit()
    with db.unit_of_work(readonly=True) as uow:
        trail = events_for(uow, "schedule", schedule.id)
        assert [e.type for e in trail] == [
            "schedule.created",
            "schedule.updated",
            "schedule.archived",
        ]
        assert {e.actor_label for e in trail} == {"maria@example.com"}
        assert trail[1].data["name"] == {"from": "Ops", "to": "Ops primary"}
    with db.unit_of_work() as uow, pytest.raises(Conflict):
        oncall.do_add_layer(uow, _as(crew), schedule.id, LayerCreate(name="late"))
    assert who(db, schedule.id, MONDAY) is None


def test_viewers_and_responders_cannot_edit(db: Database, crew: Crew) -> None:
    sid, _ = weekly_schedule(db, crew, [crew.alice])
    for role in (Role.VIEWER, Role.RESPONDER):
        with db.unit_of_work() as uow, pytest.raises(PermissionDenied):
            oncall.do_add_layer(uow, _as(crew, role), sid, LayerCreate(name="x"))
        with db.unit_of_work() as uow, pytest.raises(PermissionDenied):
            changes.do_add_override(uow, _as(crew, role), sid, OverrideCreate(
                user_id=crew.bob, start=MONDAY + H, end=MONDAY + 2 * H))  # fmt: skip


def test_rotation_edit_from_a_time_keeps_history(
    db: Database, crew: Crew, clock: ManualClock
) -> None:
    sid, layer = weekly_schedule(db, crew, [crew.alice, crew.bob], length=1, unit="days")
    clock.advance(days(3))  # Thursday 09:00: carol joins from Friday 09:00
    before = final(db, sid, MONDAY, MONDAY + days(3))
    assert [s.user_id for s in before] == [crew.alice, crew.bob, crew.alice]
    friday = MONDAY + days(4)
    with db.unit_of_work() as uow:
        oncall.do_set_rotation(uow, SYSTEM, sid, layer, RotationIn(
            participants=[crew.carol], start=friday, turn_length=1, turn_unit="days",
            effective_from=friday))  # fmt: skip
        uow.commit()
    assert final(db, sid, MONDAY, MONDAY + days(3)) == before  # yesterday unchanged
    assert who(db, sid, friday - H) == crew.bob  # Thursday's turn still Bob's
    assert who(db, sid, friday + H) == crew.carol
    # A second edit from now drops the Friday version that never took effect.
    with db.unit_of_work() as uow:
        oncall.do_set_rotation(uow, SYSTEM, sid, layer, RotationIn(
            participants=[crew.alice], start=MONDAY, turn_length=1, turn_unit="weeks"))  # fmt: skip
        uow.commit()
        schedule = oncall.find_schedule(uow, "primary")
        spans = [(v.effective_from, v.effective_until) for v in schedule.layers[0].versions]
    assert spans == [(MONDAY, clock.now()), (clock.now(), None)]
    assert who(db, sid, friday + H) == crew.alice
    assert final(db, sid, MONDAY, MONDAY + days(3)) == before


def test_rotation_effective_from_in_the_past_is_refused(db: Database, crew: Crew) -> None:
    sid, layer = weekly_schedule(db, crew, [crew.alice])
    with db.unit_of_work() as uow, pytest.raises(InvalidInput) as err:
        oncall.do_set_rotation(uow, SYSTEM, sid, layer, RotationIn(
            participants=[crew.bob], start=MONDAY, turn_length=1, turn_unit="weeks",
            effective_from=MONDAY - days(1)))  # fmt: skip
    assert err.value.errors[0].field == "effective_from"


def test_unknown_participant_is_named(db: Database, crew: Crew) -> None:
    sid, layer = weekly_schedule(db, crew, [crew.alice])
    with db.unit_of_work() as uow, pytest.raises(InvalidInput) as err:
        oncall.do_set_rotation(uow, SYSTEM, sid, layer, RotationIn(
            participants=[crew.alice, "nobody"], start=MONDAY, turn_length=1,
            turn_unit="weeks"))  # fmt: skip
    assert [e.field for e in err.value.errors] == ["participants.1"]


def test_layers_add_rename_reorder_remove(db: Database, crew: Crew, clock: ManualClock) -> None:
    sid, base = weekly_schedule(db, crew, [crew.alice])
    with db.unit_of_work() as uow:
        top = oncall.do_add_layer(uow, SYSTEM, sid, LayerCreate(name="Office hours"))
        oncall.do_set_rotation(uow, SYSTEM, sid, top.id, RotationIn(
            participants=[crew.bob], start=MONDAY, turn_length=1, turn_unit="days",
            restrictions=[{"days": [0, 1, 2, 3, 4], "start": "10:00", "end": "18:00"}]))  # type: ignore[list-item]  # fmt: skip
        oncall.do_rename_layer(uow, SYSTEM, sid, top.id, LayerRename(name="Daytime"))
        uow.commit()
        top_id = top.id
    noon = MONDAY + 3 * H
    assert who(db, sid, noon) == crew.bob  # the higher layer hides the lower one
    assert who(db, sid, MONDAY + 10 * H) == crew.alice  # 19:00: only the base layer
    with db.unit_of_work() as uow:
        oncall.do_reorder_layers(uow, SYSTEM, sid, LayerOrder(layer_ids=[base, top_id]))
        uow.commit()
    assert who(db, sid, noon) == crew.alice
    with db.unit_of_work() as uow, pytest.raises(InvalidInput):
        oncall.do_reorder_layers(uow, SYSTEM, sid, LayerOrder(layer_ids=[base]))
    clock.advance(days(1))
    with db.unit_of_work() as uow:
        oncall.do_remove_layer(uow, SYSTEM, sid, base)
        uow.commit()
    assert who(db, sid, noon) == crew.alice  # yesterday stays as it was
    assert who(db, sid, noon + days(1)) == crew.bob
    assert who(db, sid, MONDAY + days(1) + 10 * H) is None
    with db.unit_of_work(readonly=True) as uow:
        types = [e.type for e in events_for(uow, "schedule", sid)]
    assert types[-4:] == ["schedule.rotation_set", "schedule.layer_renamed",
                          "schedule.layers_reordered", "schedule.layer_removed"]  # fmt: skip


def test_overlapping_overrides_latest_created_wins(
    db: Database, crew: Crew, clock: ManualClock
) -> None:
    sid, _ = weekly_schedule(db, crew, [crew.alice])
    with db.unit_of_work() as uow:
        first = changes.do_add_override(uow, SYSTEM, sid, OverrideCreate(
            user_id=crew.bob, start=MONDAY + 2 * H, end=MONDAY + 8 * H))  # fmt: skip
        uow.commit()
    clock.advance(minutes=1)
    with db.unit_of_work() as uow:
        second = changes.do_add_override(uow, SYSTEM, sid, OverrideCreate(
            user_id=crew.carol, start=MONDAY + 4 * H, end=MONDAY + 6 * H))  # fmt: skip
        uow.commit()
        out = changes.overrides_out(uow, [second])[0]
    assert out.overlaps == [first.id]
    shifts = final(db, sid, MONDAY + H, MONDAY + 10 * H)
    assert [(s.user_id, s.start - MONDAY) for s in shifts] == [
        (crew.alice, H), (crew.bob, 2 * H), (crew.carol, 4 * H), (crew.bob, 6 * H),
        (crew.alice, 8 * H),
    ]  # fmt: skip
    assert shifts[2].source == f"override:{second.id}"


def test_override_in_the_past_starts_now_and_cancel_ends_now(
    db: Database, crew: Crew, clock: ManualClock
) -> None:
    sid, _ = weekly_schedule(db, crew, [crew.alice])
    with db.unit_of_work() as uow:
        o = changes.do_add_override(uow, SYSTEM, sid, OverrideCreate(
            user_id=crew.bob, start=MONDAY - days(1), end=MONDAY + 4 * H))  # fmt: skip
        uow.commit()
    assert o.starts_at == MONDAY
    with db.unit_of_work() as uow, pytest.raises(InvalidInput) as err:
        changes.do_add_override(uow, SYSTEM, sid, OverrideCreate(
            user_id=crew.bob, start=MONDAY + 4 * H, end=MONDAY + H))  # fmt: skip
    assert err.value.errors[0].field == "end"
    clock.advance(hours=1)
    with db.unit_of_work() as uow:
        changes.do_cancel_override(uow, SYSTEM, sid, o.id)
        uow.commit()
    assert who(db, sid, MONDAY + H / 2) == crew.bob  # the hour it covered is kept
    assert who(db, sid, MONDAY + 2 * H) == crew.alice
    clock.advance(hours=5)
    with db.unit_of_work() as uow, pytest.raises(Conflict):
        changes.do_cancel_override(uow, SYSTEM, sid, o.id)


def test_swap_is_two_overrides_sharing_a_swap_id(db: Database, crew: Crew) -> None:
    sid, _ = weekly_schedule(db, crew, [crew.alice, crew.bob])
    week2 = MONDAY + days(7)
    data = SwapCreate.model_validate({
        "first": {"user_id": crew.alice, "start": MONDAY + days(1), "end": MONDAY + days(2)},
        "second": {"user_id": crew.bob, "start": week2 + days(1), "end": week2 + days(2)},
    })  # fmt: skip
    with db.unit_of_work() as uow:
        a, b = changes.do_swap_shifts(uow, SYSTEM, sid, data)
        uow.commit()
    assert a.swap_id == b.swap_id is not None
    assert who(db, sid, MONDAY + days(1.5)) == crew.bob
    assert who(db, sid, week2 + days(1.5)) == crew.alice
    assert who(db, sid, MONDAY + days(3)) == crew.alice  # the rest of the week unchanged
    with db.unit_of_work() as uow:
        cancelled = changes.do_cancel_override(uow, SYSTEM, sid, b.id)
        uow.commit()
    assert {o.cancelled_at for o in cancelled} == {MONDAY}
    assert who(db, sid, MONDAY + days(1.5)) == crew.alice  # both halves went
    bad = data.model_copy(update={"second": data.first.model_copy(update={"user_id": crew.bob})})
    with db.unit_of_work() as uow, pytest.raises(InvalidInput) as err:
        changes.do_swap_shifts(uow, SYSTEM, sid, bad)
    assert err.value.errors[0].field == "second.start"


def test_temporary_schedule_replaces_layers_and_overrides_still_win(
    db: Database, crew: Crew, clock: ManualClock
) -> None:
    sid, _ = weekly_schedule(db, crew, [crew.alice])
    start, end = MONDAY + days(1), MONDAY + days(3)
    data = TemporaryCreate.model_validate({"start": start, "end": end, "shifts": [
        {"user_id": crew.bob, "start": start, "end": start + days(1)},
        {"user_id": crew.carol, "start": start + days(1) + 2 * H, "end": end},
    ]})  # fmt: skip
    with db.unit_of_work() as uow:
        temporary = changes.do_create_temporary(uow, SYSTEM, sid, data)
        changes.do_add_override(uow, SYSTEM, sid, OverrideCreate(
            user_id=crew.alice, start=start + 2 * H, end=start + 3 * H))  # fmt: skip
        uow.commit()
    assert who(db, sid, start + H) == crew.bob
    assert who(db, sid, start + 2 * H) == crew.alice
    assert who(db, sid, start + days(1) + H) is None  # inside it, nobody outside its shifts
    assert who(db, sid, start + days(1.5)) == crew.carol
    assert who(db, sid, end + H) == crew.alice
    with db.unit_of_work() as uow, pytest.raises(Conflict):
        changes.do_create_temporary(uow, SYSTEM, sid, data)
    clock.set(start + days(1) + 3 * H)  # in carol's temporary shift
    with db.unit_of_work() as uow:
        changes.do_cancel_temporary(uow, SYSTEM, sid, temporary.id)
        uow.commit()
    assert who(db, sid, start + H) == crew.bob  # kept
    assert who(db, sid, start + days(1) + 2.5 * H) == crew.carol  # kept up to the cancel
    assert who(db, sid, start + days(1.5)) == crew.alice


def test_temporary_shift_errors_name_the_shift(db: Database, crew: Crew) -> None:
    sid, _ = weekly_schedule(db, crew, [crew.alice])
    start = MONDAY + days(1)
    data = TemporaryCreate.model_validate({"start": start, "end": start + days(1), "shifts": [
        {"user_id": crew.bob, "start": start, "end": start + days(2)},
        {"user_id": crew.bob, "start": start + H, "end": start + 2 * H},
    ]})  # fmt: skip
    with db.unit_of_work() as uow, pytest.raises(InvalidInput) as err:
        changes.do_create_temporary(uow, SYSTEM, sid, data)
    assert {e.field for e in err.value.errors} == {"shifts.0.start", "shifts.1.start"}


def test_on_call_stretch_is_exact_with_distant_overrides(db: Database, crew: Crew) -> None:
    """A single-person layer has no turns; an override a month ahead ends the stretch."""
    sid, _ = weekly_schedule(db, crew, [crew.alice])
    far = MONDAY + days(30)
    with db.unit_of_work() as uow:
        changes.do_add_override(uow, SYSTEM, sid, OverrideCreate(
            user_id=crew.bob, start=far, end=far + H))  # fmt: skip
        uow.commit()
    answer = answer_at(db, sid, MONDAY + days(2))
    assert answer is not None
    assert (answer.user_id, answer.start, answer.end) == (crew.alice, MONDAY, far)
    after = answer_at(db, sid, far + 2 * H)
    assert after is not None
    assert (after.start, after.end) == (far + H, None)


def test_user_shifts_across_schedules(db: Database, crew: Crew) -> None:
    primary, _ = weekly_schedule(db, crew, [crew.alice, crew.bob])
    nights, _ = weekly_schedule(db, crew, [crew.carol], name="Nights")
    with db.unit_of_work() as uow:
        changes.do_add_override(uow, SYSTEM, nights, OverrideCreate(
            user_id=crew.alice, start=MONDAY + days(1), end=MONDAY + days(1) + 2 * H))  # fmt: skip
        uow.commit()
        shifts = queries.user_shifts(uow, crew.alice, MONDAY, MONDAY + days(14))
    assert [(s.schedule_name, s.kind, s.start - MONDAY) for s in shifts] == [
        ("Primary", "layer", timedelta(0)), ("Nights", "override", days(1)),
    ]  # fmt: skip
    assert shifts[0].end == MONDAY + days(7)  # then Bob's week; Alice's next is week 3
    assert shifts[0].schedule_id == primary
    assert shifts[1].schedule_id == nights


def test_on_call_page_and_gaps(db: Database, crew: Crew) -> None:
    a, _ = weekly_schedule(db, crew, [crew.alice], name="A")
    b, _ = weekly_schedule(db, crew, [crew.bob], name="B", start=MONDAY + days(2))
    with db.unit_of_work(readonly=True) as uow:
        rows = queries.on_call_everywhere(uow, MONDAY + H)
        gaps = queries.upcoming_gaps(uow, b, MONDAY, 7)
    assert [(r.schedule_name, r.user_id) for r in rows] == [("A", crew.alice), ("B", None)]
    assert [(g.start, g.end) for g in gaps] == [(MONDAY, MONDAY + days(2))]
    assert a


def test_duplicate_names_and_unknown_team(db: Database, crew: Crew) -> None:
    weekly_schedule(db, crew, [crew.alice], name="Ops")
    with db.unit_of_work() as uow, pytest.raises(Conflict):
        oncall.do_create_schedule(uow, SYSTEM, ScheduleCreate(name="ops", team_id=crew.team,
                                                               time_zone="UTC"))  # fmt: skip
    with db.unit_of_work() as uow, pytest.raises(InvalidInput) as err:
        oncall.do_create_schedule(uow, SYSTEM, ScheduleCreate(name="X", team_id="nope",
                                                              time_zone="UTC"))  # fmt: skip
    assert err.value.errors[0].field == "team_id"


def test_now_is_the_clock(clock: ManualClock) -> None:
    assert clock.now() == datetime(2026, 1, 5, 9, tzinfo=UTC) == MONDAY


def test_on_call_through_the_loader_equals_the_resolver_on_everything(
    db: Database, crew: Crew
) -> None:
    """The loader reads overrides near the instant and widens where the stretch reaches
    further: its answer (stretch included) is the resolver's on the whole schedule."""
    import random

    from muster.domain.oncall.load import get_schedule, load_spec, on_call
    from muster.domain.oncall.resolve import on_call_at

    rng = random.Random(5)
    sid, _ = weekly_schedule(db, crew, [crew.alice, crew.bob], length=3, unit="days")
    people = [crew.alice, crew.bob, crew.carol]
    with db.unit_of_work() as uow:
        for _ in range(25):
            start = MONDAY + timedelta(hours=rng.randrange(24 * 60))
            length = timedelta(hours=rng.choice([1, 6, 30, 24 * 12]))
            changes.do_add_override(uow, SYSTEM, sid, OverrideCreate(
                user_id=rng.choice(people), start=start, end=start + length))  # fmt: skip
        uow.commit()
    with db.unit_of_work(readonly=True) as uow:
        whole = load_spec(uow, get_schedule(uow, sid))
        for _ in range(200):
            at = MONDAY + timedelta(minutes=rng.randrange(60 * 24 * 70))
            assert on_call(uow, sid, at) == on_call_at(whole, at), at
