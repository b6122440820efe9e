"""Pinned DST behaviour of wall-clock handoffs (see REFERENCE.md, on-call semantics)."""

from __future__ import annotations

import itertools
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from muster.domain.oncall.resolve import final_shifts, layer_shifts, on_call_at
from muster.domain.oncall.spec import Layer, Rotation, ScheduleSpec

CHICAGO = ZoneInfo("America/Chicago")
LORD_HOWE = ZoneInfo("Australia/Lord_Howe")
PEOPLE = ("ann", "bob", "cat")


def transitions(tz: ZoneInfo, year: int) -> list[datetime]:
    """UTC instants in ``year`` at which ``tz`` changes its offset (15-minute scan)."""
    found = []
    t = datetime(year, 1, 1, tzinfo=UTC)
    before = t.astimezone(tz).utcoffset()
    while t.year == year:
        t += timedelta(minutes=15)
        now = t.astimezone(tz).utcoffset()
        if now != before:
            found.append(t)
            before = now
    return found


def one_layer(zone: str, rot: Rotation) -> ScheduleSpec:
    return ScheduleSpec(zone, layers=(Layer("primary", 1, (rot,)),))


def local_starts(spec: ScheduleSpec, tz: ZoneInfo, lo: datetime, hi: datetime) -> list[datetime]:
    return [s.start.astimezone(tz) for s in layer_shifts(spec, "primary", lo, hi)]


def test_the_pinned_transition_dates_are_what_zoneinfo_says() -> None:
    chicago = [t.astimezone(CHICAGO) for t in transitions(CHICAGO, 2026)]
    assert [(t.date(), t.hour, t.utcoffset()) for t in chicago] == [
        (date(2026, 3, 8), 3, timedelta(hours=-5)),
        (date(2026, 11, 1), 1, timedelta(hours=-6)),
    ]
    howe = [t.astimezone(LORD_HOWE) for t in transitions(LORD_HOWE, 2026)]
    assert howe[1].date() == date(2026, 10, 4)
    assert (howe[1].hour, howe[1].minute) == (2, 30)
    assert howe[1].utcoffset() == timedelta(hours=11)


def test_chicago_daily_0230_handoff_happens_at_0300_cdt_on_spring_forward_day() -> None:
    rot = Rotation("r", PEOPLE, datetime(2026, 3, 1, 2, 30, tzinfo=CHICAGO), 1, "days")
    spec = one_layer("America/Chicago", rot)
    lo, hi = datetime(2026, 3, 7, tzinfo=CHICAGO), datetime(2026, 3, 10, tzinfo=CHICAGO)
    starts = local_starts(spec, CHICAGO, lo, hi)
    assert [(s.day, s.hour, s.minute, s.utcoffset()) for s in starts[1:]] == [
        (7, 2, 30, timedelta(hours=-6)),
        (8, 3, 0, timedelta(hours=-5)),  # 02:30 does not exist: first instant after the gap
        (9, 2, 30, timedelta(hours=-5)),
    ]
    handoff = datetime(2026, 3, 8, 8, 0, tzinfo=UTC)
    before = on_call_at(spec, handoff - timedelta(microseconds=1))
    assert before is not None
    assert before.user_id == "ann"
    now = on_call_at(spec, handoff)
    assert now is not None
    assert (now.user_id, now.start) == ("bob", handoff)


def test_chicago_hourly_shift_from_0100_on_spring_forward_day_lasts_one_real_hour() -> None:
    rot = Rotation("r", PEOPLE, datetime(2026, 3, 8, 1, 0, tzinfo=CHICAGO), 1, "hours")
    spec = one_layer("America/Chicago", rot)
    shifts = layer_shifts(spec, "primary", rot.start, rot.start + timedelta(hours=3))
    first = shifts[0]
    assert first.start == datetime(2026, 3, 8, 7, 0, tzinfo=UTC)  # 01:00 CST
    assert first.end == datetime(2026, 3, 8, 3, 0, tzinfo=CHICAGO)  # 03:00 CDT
    assert first.end - first.start == timedelta(hours=1)
    # the 02:00 turn lies wholly in the gap: it is empty, and the next turn starts at 03:00
    assert [s.user_id for s in shifts] == ["ann", "cat", "ann"]
    assert all(s.end - s.start == timedelta(hours=1) for s in shifts)


def test_chicago_hourly_shift_through_the_repeated_hour_lasts_two_real_hours() -> None:
    rot = Rotation("r", PEOPLE, datetime(2026, 11, 1, 0, 0, tzinfo=CHICAGO), 1, "hours")
    spec = one_layer("America/Chicago", rot)
    shifts = layer_shifts(spec, "primary", rot.start, rot.start + timedelta(hours=5))
    lengths = [s.end - s.start for s in shifts]
    assert lengths == [timedelta(hours=h) for h in (1, 2, 1, 1)]
    repeated = shifts[1]
    assert repeated.start == datetime(2026, 11, 1, 6, 0, tzinfo=UTC)  # 01:00 CDT, first occurrence
    assert repeated.end == datetime(2026, 11, 1, 8, 0, tzinfo=UTC)  # 02:00 CST
    second_0130 = datetime(2026, 11, 1, 1, 30, fold=1, tzinfo=CHICAGO)
    now = on_call_at(spec, second_0130)
    assert now is not None
    assert (now.user_id, now.start, now.end) == (repeated.user_id, repeated.start, repeated.end)


@pytest.mark.parametrize("weeks", [1, 4])
def test_weekly_and_28_day_rotations_keep_0130_local_across_both_changes(weeks: int) -> None:
    # 2026-01-04 is a Sunday; so is 2026-11-01, the fall-back day (01:30 is ambiguous there)
    rot = Rotation("r", PEOPLE, datetime(2026, 1, 4, 1, 30, tzinfo=CHICAGO), weeks, "weeks")
    spec = one_layer("America/Chicago", rot)
    lo, hi = rot.start, datetime(2027, 1, 1, tzinfo=UTC)
    shifts = layer_shifts(spec, "primary", lo, hi)
    for s in shifts[1:]:
        local = s.start.astimezone(CHICAGO)
        assert (local.hour, local.minute, local.weekday()) == (1, 30, 6)
        assert local.fold == 0  # ambiguous wall time: first occurrence
    assert all(b.start == a.end for a, b in itertools.pairwise(shifts))
    days = [s.start.astimezone(CHICAGO).date() for s in shifts[1:]]
    assert all((b - a).days == 7 * weeks for a, b in itertools.pairwise(days))
    if weeks == 1:
        fall = next(s for s in shifts if s.start.astimezone(CHICAGO).date() == date(2026, 11, 1))
        assert fall.start == datetime(2026, 11, 1, 6, 30, tzinfo=UTC)  # 01:30 CDT


def test_lord_howe_daily_0215_lands_at_0230_on_change_day_and_returns_next_day() -> None:
    rot = Rotation("r", PEOPLE, datetime(2026, 9, 1, 2, 15, tzinfo=LORD_HOWE), 1, "days")
    spec = one_layer("Australia/Lord_Howe", rot)
    lo, hi = datetime(2026, 10, 3, tzinfo=LORD_HOWE), datetime(2026, 10, 6, 12, tzinfo=LORD_HOWE)
    starts = local_starts(spec, LORD_HOWE, lo, hi)[1:]
    assert [(s.day, s.hour, s.minute) for s in starts] == [
        (3, 2, 15),
        (4, 2, 30),
        (5, 2, 15),
        (6, 2, 15),
    ]
    assert [s.utcoffset() for s in starts] == [timedelta(hours=h) for h in (10.5, 11, 11, 11)]


def test_daily_0900_shift_across_spring_forward_is_23_hours_not_moved_or_shortened() -> None:
    # Grafana OnCall #3261 (shift moved an hour) and #5455 (shortened shift)
    rot = Rotation("r", PEOPLE, datetime(2026, 3, 1, 9, 0, tzinfo=CHICAGO), 1, "days")
    spec = one_layer("America/Chicago", rot)
    lo, hi = datetime(2026, 3, 6, 9, tzinfo=CHICAGO), datetime(2026, 3, 10, 9, tzinfo=CHICAGO)
    shifts = final_shifts(spec, lo, hi)
    assert [s.end - s.start for s in shifts] == [timedelta(hours=h) for h in (24, 23, 24, 24)]
    assert {s.start.astimezone(CHICAGO).hour for s in shifts} == {9}


@pytest.mark.parametrize("month", [3, 10])
def test_weekly_shift_has_no_gap_or_overlap_at_either_change(month: int) -> None:
    # Grafana OnCall #5247 (a weekly shift got a gap at DST end, an overlap at DST start)
    tz = ZoneInfo("Europe/London")
    rot = Rotation("r", PEOPLE, datetime(2026, 1, 5, 10, 0, tzinfo=tz), 1, "weeks")
    spec = one_layer("Europe/London", rot)
    lo, hi = datetime(2026, month, 1, tzinfo=UTC), datetime(2026, month + 1, 15, tzinfo=UTC)
    shifts = final_shifts(spec, lo, hi)
    assert shifts[0].start == lo
    assert shifts[-1].end == hi
    assert all(b.start == a.end for a, b in itertools.pairwise(shifts))
    assert {s.start.astimezone(tz).hour for s in shifts[1:]} == {10}
