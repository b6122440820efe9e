"""On-call resolver benchmark: prints median timings against their targets.

Run: .venv/bin/python bench/oncall.py
"""

from __future__ import annotations

import random
import statistics
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from datetime import time as clock
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))
sys.path.insert(0, str(Path(__file__).parent))

from _harness import report
from muster.domain.oncall.resolve import final_shifts, on_call_at
from muster.domain.oncall.spec import (
    Layer,
    Override,
    Restriction,
    Rotation,
    ScheduleSpec,
    TurnUnit,
)

RUNS = 7
YEAR_START = datetime(2026, 1, 1, tzinfo=UTC)
YEAR_END = datetime(2027, 1, 1, tzinfo=UTC)
ZONES = ["America/New_York", "Europe/London", "Australia/Lord_Howe", "Asia/Kolkata", "UTC"]
WEEKDAYS = frozenset(range(5))


def median_ms(fn: Callable[[], object], runs: int = RUNS) -> float:
    timings = []
    for _ in range(runs):
        began = time.perf_counter()
        fn()
        timings.append((time.perf_counter() - began) * 1000)
    return statistics.median(timings)


def random_overrides(rng: random.Random, people: list[str], count: int) -> tuple[Override, ...]:
    out = []
    for n in range(count):
        start = YEAR_START + timedelta(minutes=15 * rng.randrange(4 * 24 * 365))
        length = timedelta(minutes=15 * rng.randrange(4, 4 * 48))
        created = YEAR_START - timedelta(minutes=rng.randrange(100_000))
        out.append(Override(f"o{n}", rng.choice(people), start, start + length, created))
    return tuple(out)


def year_schedule(fast_layer: TurnUnit = "hours", fast_length: int = 2) -> ScheduleSpec:
    rng = random.Random(7)
    people = [f"user{n}" for n in range(10)]
    zone = "America/New_York"
    start = datetime(2025, 12, 29, 14, tzinfo=UTC)  # a Monday, 09:00 in New York

    def rot(rid: str, length: int, unit: TurnUnit, *windows: Restriction) -> Rotation:
        shuffled = tuple(rng.sample(people, len(people)))
        return Rotation(rid, shuffled, start, length, unit, windows)

    weekend_days = Restriction(frozenset({5, 6}), clock(8), clock(20))
    office = Restriction(WEEKDAYS, clock(9), clock(18))
    layers = (
        Layer("weekly", 1, (rot("w", 1, "weeks"),)),
        Layer("daily", 2, (rot("d", 1, "days", office),)),
        Layer("fast", 3, (rot("f", fast_length, fast_layer, weekend_days),)),
    )
    return ScheduleSpec(zone, layers, random_overrides(rng, people, 200))


def many_schedules(count: int) -> list[ScheduleSpec]:
    rng = random.Random(11)
    units: list[TurnUnit] = ["hours", "days", "weeks"]
    specs = []
    for n in range(count):
        people = [f"u{n}-{k}" for k in range(rng.randint(2, 12))]
        layers = []
        for rank in range(rng.randint(1, 3)):
            unit = rng.choice(units)
            length = {"hours": rng.choice([1, 4, 8, 12]), "days": rng.randint(1, 3), "weeks": 1}[
                unit
            ]
            start = YEAR_START - timedelta(days=rng.randrange(2000), minutes=15 * rng.randrange(96))
            windows: tuple[Restriction, ...] = ()
            if rng.random() < 0.4:
                windows = (
                    Restriction(WEEKDAYS, clock(rng.randrange(24)), clock(rng.randrange(24))),
                )
            rotation = Rotation(f"r{rank}", tuple(people), start, length, unit, windows)
            layers.append(Layer(f"L{rank}", rank, (rotation,)))
        overrides = random_overrides(rng, people, rng.randint(0, 5))
        specs.append(ScheduleSpec(rng.choice(ZONES), tuple(layers), overrides))
    return specs


def db_figures(specs: list[ScheduleSpec], instant: datetime) -> None:
    """The same 1,000 schedules stored in SQLite, asked through the loader every door uses
    (rows -> spec -> resolver), each run in a fresh unit of work."""
    import tempfile

    from muster.clock import ManualClock
    from muster.db import migrate
    from muster.db.engine import make_engine
    from muster.db.uow import Database
    from muster.domain.oncall import load
    from muster.domain.oncall.gap_warnings import do_warn_gaps

    url = f"sqlite:///{Path(tempfile.mkdtemp(prefix='muster-bench-')) / 'oncall.db'}"
    migrate.upgrade(url)
    db = Database(make_engine(url), ManualClock(YEAR_START))
    ids = store(db, specs)
    expected = [on_call_at(spec, instant) for spec in specs]

    def one_by_one() -> list[object]:
        with db.unit_of_work(readonly=True) as uow:
            return [load.on_call(uow, sid, instant) for sid in ids]

    def batched() -> list[object]:
        with db.unit_of_work(readonly=True) as uow:
            answers = load.on_call_many(uow, load.get_schedules(uow, ids), instant)
            return [answers[sid] for sid in ids]

    got = one_by_one()
    assert [_who(a) for a in got] == [_who(e) for e in expected], "loader and resolver differ"
    assert [_who(a) for a in batched()] == [_who(e) for e in expected]
    single = median_ms(one_by_one, runs=3)
    batch = median_ms(batched)
    sqlite = "sqlite (WAL, synchronous=FULL)"
    report("oncall.db_1000_schedules_one_by_one", round(single, 1), "ms", database=sqlite,
           offered_load="one caller")  # fmt: skip
    report("oncall.db_1000_schedules_batched", round(batch, 1), "ms", database=sqlite,
           offered_load="one caller")  # fmt: skip
    print(
        f"who is on call for 1,000 schedules through load.on_call on SQLite: {single:.0f} ms "
        f"one schedule at a time ({single / 1000:.1f} ms each), {batch:.0f} ms batched "
        f"(load.on_call_many, as /api/v1/oncall and the pages ask)"
    )

    def sweep(commit: bool = False) -> int:
        with db.unit_of_work() as uow:
            count = do_warn_gaps(uow, instant)
            if commit:
                uow.commit()
            return count

    began = time.perf_counter()
    warned = sweep(commit=True)
    first = (time.perf_counter() - began) * 1000
    steady = median_ms(sweep, runs=3)
    print(f"  the engine's gap sweep over them (7 days ahead), once a minute: {steady:.0f} ms "
          f"when all is warned; {first:.0f} ms the first time ({warned} gaps warned)")  # fmt: skip
    report("oncall.gap_sweep_1000_schedules", round(steady, 1), "ms", database=sqlite,
           offered_load="one engine pass", first_pass_ms=round(first, 1))  # fmt: skip
    db.dispose()


def _who(answer: object) -> object:
    return None if answer is None else (answer.user_id, answer.start, answer.end)  # type: ignore[attr-defined]


def store(db: object, specs: list[ScheduleSpec]) -> list[str]:
    """Write the specs as rows (people become users) in one transaction; schedule ids."""
    from muster.domain.accounts.models import Team, User
    from muster.domain.oncall.models import (
        RotationVersion,
        Schedule,
        ScheduleLayer,
        ScheduleOverride,
    )

    ids: list[str] = []
    with db.unit_of_work() as uow:  # type: ignore[attr-defined]
        now = uow.now
        session = uow.session
        team = Team(name="bench", description="", created_at=now, updated_at=now)
        session.add(team)
        session.flush()
        users: dict[str, str] = {}

        def user(name: str) -> str:
            if name not in users:
                row = User(email=f"{name}@bench", name=name, time_zone="UTC", role="responder",
                           created_at=now, updated_at=now)  # fmt: skip
                session.add(row)
                session.flush()
                users[name] = row.id
            return users[name]

        for n, spec in enumerate(specs):
            schedule = Schedule(name=f"s{n}", description="", team_id=team.id,
                                time_zone=spec.zone, created_at=now, updated_at=now)  # fmt: skip
            session.add(schedule)
            session.flush()
            ids.append(schedule.id)
            for layer in spec.layers:
                row = ScheduleLayer(schedule_id=schedule.id, name=layer.id, rank=layer.rank,
                                    created_at=now)  # fmt: skip
                session.add(row)
                session.flush()
                for r in layer.versions:
                    session.add(RotationVersion(
                        layer_id=row.id, participants=[user(p) for p in r.participants],
                        start=r.start, turn_length=r.turn_length, turn_unit=r.turn_unit,
                        restrictions=[{"days": sorted(w.days), "start": w.start.strftime("%H:%M"),
                                       "end": w.end.strftime("%H:%M")} for w in r.restrictions],
                        effective_from=None, effective_until=None, created_at=now))  # fmt: skip
            for o in spec.overrides:
                session.add(ScheduleOverride(schedule_id=schedule.id, user_id=user(o.user_id),
                                             starts_at=o.start, ends_at=o.end,
                                             created_at=o.created_at, created_by="bench"))  # fmt: skip
        uow.commit()
    # The resolver's user ids are the people's names; the rows hold user ids: map back.
    for spec in specs:
        for layer in spec.layers:
            for r in layer.versions:
                object.__setattr__(r, "participants", tuple(users[p] for p in r.participants))
        for o in spec.overrides:
            object.__setattr__(o, "user_id", users[o.user_id])
    return ids


def main() -> None:
    specs = many_schedules(1000)
    instant = datetime(2026, 7, 15, 12, 34, tzinfo=UTC)
    lookup = median_ms(lambda: [on_call_at(spec, instant) for spec in specs])
    print(f"who is on call for 1,000 schedules at one instant: {lookup:.1f} ms (target 50 ms)")
    report("oncall.who_1000_schedules", round(lookup, 1), "ms", database="none (in memory)",
           target="<= 50", offered_load="one caller")  # fmt: skip

    spec = year_schedule()
    year = median_ms(lambda: final_shifts(spec, YEAR_START, YEAR_END))
    count = len(final_shifts(spec, YEAR_START, YEAR_END))
    print(
        f"a year of final shifts, 10 people, 3 layers, 200 overrides: {year:.1f} ms "
        f"(target 200 ms; {count} shifts; layers weekly / daily office hours / "
        "2-hourly weekend days)"
    )
    report("oncall.year_of_final_shifts", round(year, 1), "ms", database="none (in memory)",
           target="<= 200", offered_load="one caller", shifts=count)  # fmt: skip
    hourly = year_schedule("hours", 1)
    stress = median_ms(lambda: final_shifts(hourly, YEAR_START, YEAR_END))
    print(f"  same with an hourly third layer: {stress:.1f} ms")
    plain = ScheduleSpec(
        "America/New_York",
        (Layer("h", 1, (Rotation("h", ("a", "b", "c"), YEAR_START, 1, "hours"),)),),
    )
    unrestricted = median_ms(lambda: final_shifts(plain, YEAR_START, YEAR_END))
    print(f"  one unrestricted hourly layer (8,760 turns): {unrestricted:.1f} ms")
    db_figures(specs, instant)
    failed = lookup > 50 or year > 200
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
