"""Pinned rules: restrictions, layers, overrides, temporary schedules, versions."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

import pytest

from muster.domain.oncall import layers
from muster.domain.oncall.resolve import (
    final_shifts,
    gaps,
    layer_shifts,
    on_call_at,
    user_shifts,
)
from muster.domain.oncall.spec import (
    Layer,
    Override,
    Restriction,
    Rotation,
    ScheduleSpec,
    Shift,
    TemporarySchedule,
    TemporaryShift,
)

MON = datetime(2026, 6, 1, tzinfo=UTC)  # a Monday; the schedules below run in UTC
H = timedelta(hours=1)
WEEKDAYS = frozenset(range(5))


def daily(rid: str, people: tuple[str, ...], **kw: object) -> Rotation:
    return Rotation(rid, people, MON + 9 * H, 1, "days", **kw)  # type: ignore[arg-type]


def spec_of(*layers: Layer, **kw: object) -> ScheduleSpec:
    return ScheduleSpec("UTC", layers=layers, **kw)  # type: ignore[arg-type]


def who(spec: ScheduleSpec, at: datetime) -> tuple[str, str] | None:
    now = on_call_at(spec, at)
    return None if now is None else (now.user_id, now.source)


def timeline(spec: ScheduleSpec, lo: datetime, hi: datetime) -> list[tuple[str, float, float]]:
    """Final shifts as (user, start hour, end hour) counted from MON."""
    return [(s.user_id, (s.start - MON) / H, (s.end - MON) / H) for s in final_shifts(spec, lo, hi)]


def test_weekday_night_window_wraps_past_midnight_and_leaves_nobody_outside() -> None:
    nights = Restriction(WEEKDAYS, time(18), time(9))
    spec = spec_of(Layer("nights", 1, (daily("r", ("ann",), restrictions=(nights,)),)))
    assert who(spec, MON + 20 * H) == ("ann", "layer:nights")  # Mon 20:00
    assert who(spec, MON + 24 * H + 8 * H) == ("ann", "layer:nights")  # Tue 08:00
    assert who(spec, MON + 24 * H + 9 * H) is None  # Tue 09:00
    assert who(spec, MON + 5 * 24 * H + 8 * H) == ("ann", "layer:nights")  # Sat 08:00 (Fri's)
    assert who(spec, MON + 5 * 24 * H + 20 * H) is None  # Sat 20:00
    assert who(spec, MON + 3 * H) is None  # Mon 03:00: Sunday has no window
    got = gaps(spec, MON, MON + 7 * 24 * H)
    assert [((a - MON) / H, (b - MON) / H) for a, b in got] == [
        (0, 18),
        (33, 42),
        (57, 66),
        (81, 90),
        (105, 114),
        (129, 168),
    ]
    now = on_call_at(spec, MON + 20 * H)
    assert now is not None
    assert (now.start, now.end) == (MON + 18 * H, MON + 33 * H)


def test_restriction_clips_turns_and_does_not_extend_the_person_before() -> None:
    evenings = Restriction(frozenset(range(7)), time(18), time(22))
    rot = daily("r", ("ann", "bob"), restrictions=(evenings,))
    spec = spec_of(Layer("L", 1, (rot,)))
    assert timeline(spec, MON, MON + 48 * H) == [("ann", 18, 22), ("bob", 42, 46)]


def test_higher_layer_wins_where_it_has_someone_and_lower_fills_the_rest() -> None:
    days = Restriction(WEEKDAYS, time(9), time(17))
    base = Layer("base", 1, (daily("b", ("ann", "bob")),))
    office = Layer("office", 5, (daily("o", ("cat",), restrictions=(days,)),))
    spec = spec_of(base, office)
    assert who(spec, MON + 10 * H) == ("cat", "layer:office")
    assert who(spec, MON + 18 * H) == ("ann", "layer:base")
    assert timeline(spec, MON + 9 * H, MON + 33 * H + 9 * H) == [
        ("cat", 9, 17),
        ("ann", 17, 33),
        ("cat", 33, 41),
        ("bob", 41, 42),
    ]
    # on_call_at bounds stop where the higher layer takes over again
    now = on_call_at(spec, MON + 30 * H)
    assert now is not None
    assert (now.user_id, now.start, now.end) == ("ann", MON + 17 * H, MON + 33 * H)


def test_equal_ranks_are_refused() -> None:
    with pytest.raises(ValueError, match="ranks"):
        spec_of(Layer("a", 1, (daily("x", ("ann",)),)), Layer("b", 1, (daily("y", ("bob",)),)))


def test_partial_override_splits_a_shift() -> None:
    spec = spec_of(
        Layer("L", 1, (daily("r", ("ann",)),)),
        overrides=(Override("o1", "bob", MON + 12 * H, MON + 14 * H, MON),),
    )
    assert timeline(spec, MON + 9 * H, MON + 33 * H) == [
        ("ann", 9, 12),
        ("bob", 12, 14),
        ("ann", 14, 33),
    ]
    now = on_call_at(spec, MON + 20 * H)
    assert now is not None
    assert (now.start, now.end) == (MON + 14 * H, None)  # one person for ever after


def test_overlapping_overrides_latest_created_wins_with_partial_overlaps() -> None:
    early = Override("early", "bob", MON + 10 * H, MON + 20 * H, MON)
    late = Override("late", "cat", MON + 12 * H, MON + 14 * H, MON + H)
    later_but_wider = Override("wide", "dan", MON + 13 * H, MON + 22 * H, MON + 2 * H)
    spec = spec_of(Layer("L", 1, (daily("r", ("ann",)),)), overrides=(later_but_wider, early, late))
    assert timeline(spec, MON + 9 * H, MON + 24 * H) == [
        ("ann", 9, 10),
        ("bob", 10, 12),
        ("cat", 12, 13),
        ("dan", 13, 22),
        ("ann", 22, 24),
    ]
    assert who(spec, MON + 12 * H + timedelta(minutes=30)) == ("cat", "override:late")
    now = on_call_at(spec, MON + 11 * H)
    assert now is not None
    assert (now.user_id, now.start, now.end) == ("bob", MON + 10 * H, MON + 12 * H)


def test_override_spanning_several_shifts_ends_exactly_where_it_says() -> None:
    # GoAlert #4362: an override covering several shifts ran on past its end
    end = MON + 3 * 24 * H + 15 * H + timedelta(minutes=7)
    spec = spec_of(
        Layer("L", 1, (daily("r", ("ann", "bob", "cat")),)),
        overrides=(Override("o", "dan", MON + 20 * H, end, MON),),
    )
    shifts = final_shifts(spec, MON, MON + 5 * 24 * H)
    covering = [s for s in shifts if s.user_id == "dan"]
    assert covering == [Shift("dan", MON + 20 * H, end, "override:o")]
    assert who(spec, end - timedelta(microseconds=1)) == ("dan", "override:o")
    assert who(spec, end) == ("ann", "layer:L")  # Thursday's turn resumes at once
    now = on_call_at(spec, MON + 40 * H)
    assert now is not None
    assert now.end == end


def test_temporary_schedule_replaces_all_layers_and_overrides_still_beat_it() -> None:
    temp = TemporarySchedule(
        "t",
        MON + 24 * H,
        MON + 48 * H,
        (
            TemporaryShift("eve", MON + 24 * H, MON + 30 * H),
            TemporaryShift("eve", MON + 30 * H, MON + 36 * H),
            TemporaryShift("fay", MON + 40 * H, MON + 48 * H),
        ),
    )
    spec = spec_of(
        Layer("L", 1, (daily("r", ("ann",)),)),
        Layer(
            "top",
            2,
            (daily("q", ("bob",), restrictions=(Restriction(WEEKDAYS, time(12), time(13)),)),),
        ),
        overrides=(Override("o", "dan", MON + 44 * H, MON + 50 * H, MON),),
        temporary=(temp,),
    )
    assert timeline(spec, MON + 12 * H, MON + 60 * H) == [
        ("bob", 12, 13),
        ("ann", 13, 24),
        ("eve", 24, 36),  # touching shifts of one user merge; bob's 12:00 window is replaced
        ("fay", 40, 44),
        ("dan", 44, 50),
        ("ann", 50, 60),
    ]
    assert who(spec, MON + 38 * H) is None  # inside the temporary schedule, outside its shifts
    now = on_call_at(spec, MON + 25 * H)
    assert now is not None
    assert (now.user_id, now.source, now.start, now.end) == (
        "eve",
        "temporary:t",
        MON + 24 * H,
        MON + 36 * H,
    )
    now = on_call_at(spec, MON + 41 * H)
    assert now is not None
    assert (now.start, now.end) == (MON + 40 * H, MON + 44 * H)


def test_editing_a_rotation_from_a_time_keeps_the_past() -> None:
    edit = MON + 3 * 24 * H + 15 * H  # Thursday 15:00, mid-turn
    old = daily("v1", ("ann", "bob"))
    before = spec_of(Layer("L", 1, (old,)))
    ended = daily("v1", ("ann", "bob"), effective_until=edit)
    new = Rotation("v2", ("cat", "dan"), MON + 9 * H, 1, "days", effective_from=edit)
    after = spec_of(Layer("L", 1, (new, ended)))
    assert final_shifts(after, MON, edit) == final_shifts(before, MON, edit)
    assert who(after, edit - H) == ("bob", "layer:L")
    assert who(after, edit) == ("dan", "layer:L")
    assert who(after, MON + 4 * 24 * H + 10 * H) == ("cat", "layer:L")
    with pytest.raises(ValueError, match="overlap"):
        Layer("L", 1, (old, new))


def test_edit_that_keeps_the_same_person_does_not_split_the_shift() -> None:
    edit = MON + 15 * H
    ended = daily("v1", ("ann", "bob"), effective_until=edit)
    new = daily("v2", ("ann", "cat"), effective_from=edit)
    spec = spec_of(Layer("L", 1, (ended, new)))
    assert timeline(spec, MON + 9 * H, MON + 57 * H) == [
        ("ann", 9, 33),
        ("cat", 33, 57),
    ]
    now = on_call_at(spec, MON + 10 * H)
    assert now is not None
    assert (now.start, now.end) == (MON + 9 * H, MON + 33 * H)


def test_a_user_listed_twice_takes_two_turns_per_cycle() -> None:
    spec = spec_of(Layer("L", 1, (daily("r", ("ann", "bob", "ann")),)))
    assert timeline(spec, MON + 9 * H, MON + 9 * H + 5 * 24 * H) == [
        ("ann", 9, 33),
        ("bob", 33, 57),
        ("ann", 57, 105),  # ann's second turn then the next cycle's first: one shift
        ("bob", 105, 129),
    ]
    now = on_call_at(spec, MON + 60 * H)
    assert now is not None
    assert (now.start, now.end) == (MON + 57 * H, MON + 105 * H)


def test_layer_and_user_views_use_the_same_resolution() -> None:
    spec = spec_of(
        Layer("L", 1, (daily("r", ("ann", "bob")),)),
        overrides=(Override("o", "bob", MON + 12 * H, MON + 14 * H, MON),),
    )
    lo, hi = MON + 9 * H, MON + 57 * H
    assert [(s.user_id, s.start, s.end) for s in layer_shifts(spec, "L", lo, hi)] == [
        ("ann", lo, MON + 33 * H),
        ("bob", MON + 33 * H, hi),
    ]
    assert user_shifts(spec, "bob", lo, hi) == [
        Shift("bob", MON + 12 * H, MON + 14 * H, "override:o"),
        Shift("bob", MON + 33 * H, hi, "layer:L"),
    ]
    with pytest.raises(ValueError, match="no layer"):
        layer_shifts(spec, "nope", lo, hi)


def test_before_the_rotation_starts_nobody_is_on_call() -> None:
    spec = spec_of(Layer("L", 1, (daily("r", ("ann", "bob")),)))
    assert who(spec, MON) is None
    assert gaps(spec, MON, MON + 10 * H) == [(MON, MON + 9 * H)]


def test_naive_datetimes_are_refused() -> None:
    naive = datetime(2026, 6, 1, 9, 0)  # noqa: DTZ001 - the point of the test
    spec = spec_of(Layer("L", 1, (daily("r", ("ann",)),)))
    with pytest.raises(ValueError, match="aware"):
        on_call_at(spec, naive)
    with pytest.raises(ValueError, match="aware"):
        final_shifts(spec, naive, MON)
    with pytest.raises(ValueError, match="aware"):
        Rotation("r", ("ann",), naive, 1, "days")
    with pytest.raises(ValueError, match="aware"):
        Override("o", "ann", MON, naive, MON)


def test_bad_values_are_refused() -> None:
    with pytest.raises(ValueError, match="zone"):
        ScheduleSpec("Mars/Olympus_Mons")
    with pytest.raises(ValueError, match="participants"):
        Rotation("r", (), MON, 1, "days")
    with pytest.raises(ValueError, match="turn_length"):
        Rotation("r", ("ann",), MON, 0, "days")
    with pytest.raises(ValueError, match="before end"):
        Override("o", "ann", MON, MON, MON)
    with pytest.raises(ValueError, match="days"):
        Restriction(frozenset({7}), time(1), time(2))
    with pytest.raises(ValueError, match="before start"):
        final_shifts(spec_of(), MON, MON - H)


def test_lookups_far_from_the_rotation_start_do_not_walk_the_turns(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    calls = 0
    real = layers.wall_to_instant

    def counting(tz: object, wall: datetime) -> datetime:
        nonlocal calls
        calls += 1
        return real(tz, wall)  # type: ignore[arg-type]

    monkeypatch.setattr(layers, "wall_to_instant", counting)
    origin = datetime(1976, 1, 1, tzinfo=UTC)
    people = tuple("abcdefg")
    spec = spec_of(Layer("L", 1, (Rotation("r", people, origin, 1, "hours"),)))
    at = datetime(2026, 6, 1, 12, 30, tzinfo=UTC)
    hours = int((at - origin) / H)
    now = on_call_at(spec, at)
    assert now is not None
    assert (now.user_id, now.start, now.end) == (people[hours % 7], at - H / 2, at + H / 2)
    day = final_shifts(spec, at, at + 24 * H)
    assert len(day) == 25
    assert calls < 40  # 438,000 turns since the start: arithmetic, not enumeration
