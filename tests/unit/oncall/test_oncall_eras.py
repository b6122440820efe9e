"""Eras: layer order and zone that changed from some time. The resolver must answer, at
every instant, what a schedule with that era's ranks and zone (and no history) answers,
and give stretches that are maximal across era boundaries."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from muster.domain.oncall.resolve import final_shifts, gaps, layer_shifts, on_call_at
from muster.domain.oncall.spec import Era, Layer, Override, Rotation, ScheduleSpec

GRID = timedelta(minutes=15)
LO = datetime(2026, 3, 27, tzinfo=UTC)  # Europe/London and New York around their DST changes
HI = LO + timedelta(days=4)
USERS = ("ann", "bob", "cat")
H = timedelta(hours=1)


def always(rid: str, user: str, start: datetime = LO - timedelta(days=1)) -> Rotation:
    return Rotation(rid, (user,), start, 1, "days")


def test_reorder_from_t_keeps_the_past() -> None:
    t = LO + 30 * H
    layers = (Layer("A", 2, (always("ra", "ann"),)), Layer("B", 1, (always("rb", "bob"),)))
    spec = ScheduleSpec("UTC", (Layer("A", 1, layers[0].versions), Layer("B", 2, layers[1].versions)),
                        history=(Era(t, "UTC", (("A", 2), ("B", 1))),))  # fmt: skip
    before, after = on_call_at(spec, t - H), on_call_at(spec, t)
    assert before is not None
    assert after is not None
    assert (before.user_id, before.start, before.end) == ("ann", LO - timedelta(days=1), t)
    assert (after.user_id, after.start, after.end) == ("bob", t, None)
    assert [(s.user_id, s.start, s.end) for s in final_shifts(spec, LO, HI)] == [
        ("ann", LO, t), ("bob", t, HI)
    ]  # fmt: skip


def test_a_stretch_runs_on_across_an_era_that_changes_nothing_for_it() -> None:
    t = LO + 10 * H
    ann = Layer("A", 2, (always("ra", "ann"),))
    empty = Layer("B", 1, (Rotation("rb", ("bob",), HI + H, 1, "days"),))  # starts later
    spec = ScheduleSpec("UTC", (Layer("A", 1, ann.versions), Layer("B", 2, empty.versions)),
                        history=(Era(t, "UTC", (("A", 2), ("B", 1))),))  # fmt: skip
    answer = on_call_at(spec, LO)
    assert answer is not None
    assert (answer.user_id, answer.start, answer.end) == ("ann", LO - timedelta(days=1), HI + H)


def test_zone_change_keeps_past_handoffs() -> None:
    start = datetime(2026, 3, 2, 9, tzinfo=UTC)  # 09:00 in UTC and in London (winter)
    rot = Rotation("r", ("ann", "bob"), start, 1, "days")
    t = datetime(2026, 4, 1, tzinfo=UTC)  # the zone became Europe/London then
    spec = ScheduleSpec("Europe/London", (Layer("A", 1, (rot,)),), history=(Era(t, "UTC"),))
    starts = {s.start for s in final_shifts(spec, t - timedelta(days=3), t + timedelta(days=3))}
    assert datetime(2026, 3, 30, 9, tzinfo=UTC) in starts  # before t: 09:00 UTC as it was
    assert datetime(2026, 4, 2, 8, tzinfo=UTC) in starts  # after t: 09:00 BST
    plain = ScheduleSpec("Europe/London", (Layer("A", 1, (rot,)),))
    assert datetime(2026, 3, 30, 8, tzinfo=UTC) in {
        s.start for s in final_shifts(plain, t - timedelta(days=3), t)
    }


def test_eras_must_end_at_distinct_times() -> None:
    with pytest.raises(ValueError, match="distinct"):
        ScheduleSpec("UTC", (), history=(Era(LO, "UTC"), Era(LO, "UTC")))
    with pytest.raises(ValueError, match="ranks"):
        ScheduleSpec("UTC", (Layer("A", 1, ()), Layer("B", 2, ())),
                     history=(Era(LO, "UTC", (("A", 2),)),))  # fmt: skip


def grid(draw: st.DrawFn, lo: int, hi: int) -> datetime:
    return LO + GRID * draw(st.integers(lo, hi))


@st.composite
def schedules(draw: st.DrawFn) -> tuple[ScheduleSpec, list[tuple[datetime | None, ScheduleSpec]]]:
    """A spec with eras, and the same schedule as (era end, plain spec) pairs, made here."""
    span = int((HI - LO) / GRID)
    zone = draw(st.sampled_from(("UTC", "Europe/London", "America/New_York")))
    layers = []
    for n in range(draw(st.integers(1, 3))):
        unit = draw(st.sampled_from(("hours", "days")))
        people = tuple(draw(st.lists(st.sampled_from(USERS), min_size=1, max_size=3)))
        start = grid(draw, -200, span)
        rot = Rotation(f"r{n}", people, start, draw(st.integers(1, 8)), unit)  # type: ignore[arg-type]
        layers.append(Layer(f"L{n}", n + 1, (rot,)))
    overrides = [
        Override(f"o{n}", draw(st.sampled_from(USERS)), (a := grid(draw, 0, span)),
                 a + GRID * draw(st.integers(1, 40)), LO)
        for n in range(draw(st.integers(0, 2)))
    ]  # fmt: skip
    ends = sorted(set(draw(st.lists(st.integers(1, span - 1), min_size=1, max_size=3))))
    history, plain = [], []
    for end in ends:
        era_zone = draw(st.sampled_from(("UTC", "Europe/London", "America/New_York")))
        order = draw(st.permutations(range(1, len(layers) + 1)))
        ranks = tuple((layer.id, rank) for layer, rank in zip(layers, order, strict=True))
        history.append(Era(LO + GRID * end, era_zone, ranks))
        era_layers = tuple(
            Layer(x.id, r, x.versions) for x, (_, r) in zip(layers, ranks, strict=True)
        )
        plain.append((LO + GRID * end, ScheduleSpec(era_zone, era_layers, tuple(overrides))))
    plain.append((None, ScheduleSpec(zone, tuple(layers), tuple(overrides))))
    return ScheduleSpec(zone, tuple(layers), tuple(overrides), history=tuple(history)), plain


def plain_at(plain: list[tuple[datetime | None, ScheduleSpec]], t: datetime) -> ScheduleSpec:
    return next(spec for end, spec in plain if end is None or t < end)


@settings(max_examples=80, deadline=None, derandomize=True, database=None,
          suppress_health_check=list(HealthCheck))  # fmt: skip
@given(case=schedules())
def test_each_instant_reads_as_its_era_does(
    case: tuple[ScheduleSpec, list[tuple[datetime | None, ScheduleSpec]]],
) -> None:
    spec, plain = case
    points = [LO + GRID * i for i in range(int((HI - LO) / GRID))]
    values = []
    for t in points:
        answer = on_call_at(plain_at(plain, t), t)
        values.append(None if answer is None else (answer.user_id, answer.source))
    runs: list[tuple[object, datetime, datetime]] = []
    for t, v in zip(points, values, strict=True):
        if runs and runs[-1][0] == v:
            runs[-1] = (v, runs[-1][1], t + GRID)
        else:
            runs.append((v, t, t + GRID))
    shifts = final_shifts(spec, LO, HI)
    assert [((s.user_id, s.source), s.start, s.end) for s in shifts] == [r for r in runs if r[0]]
    assert gaps(spec, LO, HI) == [(a, b) for v, a, b in runs if v is None]
    for value, start, end in runs:
        for t in (start, end - GRID):
            now = on_call_at(spec, t)
            assert (None if now is None else (now.user_id, now.source)) == value
            if now is not None:
                assert now.start == start if start > LO else now.start <= LO
                assert now.end == end if end < HI else (now.end is None or now.end >= HI)
    bounds = [None, *(end for end, _ in plain[:-1])]
    for layer in spec.layers:
        got = layer_shifts(spec, layer.id, LO, HI)
        want = []
        for begin, (end, p) in zip(bounds, plain, strict=True):
            a, b = max(LO, begin or LO), min(HI, end or HI)
            if a < b:
                for x in layer_shifts(p, layer.id, a, b):
                    if want and want[-1][2] == x.start and want[-1][0] == x.user_id:
                        want[-1] = (x.user_id, want[-1][1], x.end)
                    else:
                        want.append((x.user_id, x.start, x.end))
        assert [(x.user_id, x.start, x.end) for x in got] == want
