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


def median_ms(fn: Callable[[], object]) -> float:
    timings = []
    for _ in range(RUNS):
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


def main() -> None:
    specs = many_schedules(1000)
    instant = datetime(2026, 7, 15, 12, 34, tzinfo=UTC)
    lookup = median_ms(lambda: [on_call_at(spec, instant) for spec in specs])
    print(f"who is on call for 1,000 schedules at one instant: {lookup:.1f} ms (target 50 ms)")

    spec = year_schedule()
    year = median_ms(lambda: final_shifts(spec, YEAR_START, YEAR_END))
    count = len(final_shifts(spec, YEAR_START, YEAR_END))
    print(
        f"a year of final shifts, 10 people, 3 layers, 200 overrides: {year:.1f} ms "
        f"(target 200 ms; {count} shifts; layers weekly / daily office hours / "
        "2-hourly weekend days)"
    )
    hourly = year_schedule("hours", 1)
    stress = median_ms(lambda: final_shifts(hourly, YEAR_START, YEAR_END))
    print(f"  same with an hourly third layer: {stress:.1f} ms")
    plain = ScheduleSpec(
        "America/New_York",
        (Layer("h", 1, (Rotation("h", ("a", "b", "c"), YEAR_START, 1, "hours"),)),),
    )
    unrestricted = median_ms(lambda: final_shifts(plain, YEAR_START, YEAR_END))
    print(f"  one unrestricted hourly layer (8,760 turns): {unrestricted:.1f} ms")
    failed = lookup > 50 or year > 200
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
