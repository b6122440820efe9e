"""The server's own cost of an Alertmanager batch, without HTTP: parse + ingest writer.

Runs in one process and one thread (the writer's work is called directly), so the figure
is the CPU a batch of 100 alerts costs the server, and ``--profile`` shows where it goes.
Usage: python bench/ingest_profile.py [--batches N] [--per-commit K] [--resend]
       [--profile parse write] [--postgres URL]
Compare code versions by the CPU figures, taken one after the other (a shared machine's
speed varies; wall-clock rates here include every commit's fsync, in series).
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import gc
import os
import pstats
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import orjson

os.environ.setdefault("MUSTER_SECRET_KEY", "bench-secret-key")

from muster.domain.events.actor import Actor, Via  # (after the settings above)

SYSTEM_ACTOR = Actor.system(Via.SYSTEM, label="bench")


def _batch(b: int, firing: bool = True) -> bytes:
    alerts = [{"status": "firing" if firing else "resolved",
               "labels": {"alertname": "HighLoad", "instance": f"node-{b}-{j}", "severity": "warning"},
               "annotations": {"summary": f"Load high on node-{b}-{j}"},
               "startsAt": "2026-01-05T08:59:00Z", "endsAt": "0001-01-01T00:00:00Z",
               "fingerprint": f"{b:04x}{j:04x}"} for j in range(100)]  # fmt: skip
    return orjson.dumps({"version": "4", "groupKey": f"g{b}", "status": "firing", "receiver": "m",
                         "groupLabels": {}, "commonLabels": {}, "commonAnnotations": {},
                         "externalURL": "", "truncatedAlerts": 0, "alerts": alerts})  # fmt: skip


def _time_inside_the_driver(engine: Any) -> dict[str, float]:
    """Seconds spent in the DB-API's execute and commit calls (the database's own work:
    on SQLite, C code that releases the GIL), added up as they happen."""
    spent = {"execute": 0.0, "commit": 0.0}
    dialect = engine.dialect
    execute, commit = dialect.do_execute, dialect.do_commit

    def timed_execute(*args: Any, **kwargs: Any) -> Any:
        started = time.perf_counter()
        try:
            return execute(*args, **kwargs)
        finally:
            spent["execute"] += time.perf_counter() - started

    def timed_commit(connection: Any) -> None:
        started = time.perf_counter()
        try:
            commit(connection)
        finally:
            spent["commit"] += time.perf_counter() - started

    dialect.do_execute, dialect.do_commit = timed_execute, timed_commit
    return spent


def _calibrate() -> float:
    """CPU seconds of a fixed pure-Python workload (the best of five): a yardstick for a
    shared, busy machine."""
    best = float("inf")
    for _ in range(5):
        started, total = time.process_time(), 0
        for i in range(300_000):
            total += i
        best = min(best, time.process_time() - started)
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--batches", type=int, default=100)
    parser.add_argument("--per-commit", type=int, default=4, help="requests per writer commit")
    parser.add_argument("--resend", action="store_true", help="send every batch twice (dups)")
    parser.add_argument(
        "--profile",
        nargs="*",
        choices=["parse", "write"],
        default=None,
        help="profile these parts (cProfile)",
    )
    parser.add_argument("--postgres", metavar="URL")
    args = parser.parse_args()
    from muster.clock import SystemClock
    from muster.db import migrate
    from muster.db.engine import make_engine
    from muster.db.uow import Database
    from muster.domain.accounts.schemas import TeamCreate
    from muster.domain.accounts.service import do_create_team
    from muster.domain.alerts.integrations import do_create_integration
    from muster.domain.alerts.schemas import IntegrationCreate
    from muster.domain.catalog.schemas import ServiceCreate
    from muster.domain.catalog.service import do_create_service
    from muster.web.ingest.routes import ROUTES
    from muster.web.ingest.writer import IngestWriter, Job

    url = args.postgres or f"sqlite:///{Path(tempfile.mkdtemp()) / 'muster.db'}"
    migrate.upgrade(url)
    engine = make_engine(url)
    in_sqlite = _time_inside_the_driver(engine)
    pragmas = [p for p in os.environ.get("BENCH_PRAGMAS", "").split(";") if p]
    if pragmas:
        from sqlalchemy import event

        @event.listens_for(engine, "connect")
        def _pragmas(dbapi_connection: Any, _record: Any) -> None:
            for pragma in pragmas:
                dbapi_connection.execute(f"PRAGMA {pragma}")

    db = Database(engine, SystemClock())
    with db.unit_of_work() as uow:
        name = f"bench-{time.time_ns():x}"
        team = do_create_team(uow, SYSTEM_ACTOR, TeamCreate(name=name))
        svc = do_create_service(uow, SYSTEM_ACTOR, ServiceCreate(name=name, team_id=team.id))
        integ = do_create_integration(
            uow, SYSTEM_ACTOR, svc.id, IntegrationCreate(type="alertmanager")
        )
        uow.commit()
        key = integ.key
    writer = IngestWriter(db)
    endpoint = next(r.endpoint for r in ROUTES if "alertmanager" in r.path)
    bodies = [_batch(b) for b in range(args.batches)]
    if args.resend:
        bodies = [b for body in bodies for b in (body, body)]

    captured: list[Job] = []

    def submit(key: str, type: str, handler: Any, *, cost: int = 1, alerts: Any = ()) -> Any:
        job = Job(key=key, type=type, cost=cost, handler=handler, alerts=alerts)
        captured.append(job)
        job.future.set_result({})  # answered at once: the endpoint does not wait here
        return job.future

    writer.submit = submit  # type: ignore[method-assign]

    async def one(body: bytes) -> None:
        await endpoint(writer, key, body)

    profiler = cProfile.Profile() if args.profile else None
    spent = {"parse": 0.0, "write": 0.0}

    def timed(part: str, work: Any) -> None:
        started = time.process_time()
        if profiler and part in args.profile:
            profiler.enable()
        work()
        if profiler:
            profiler.disable()
        spent[part] += time.process_time() - started

    loop = asyncio.new_event_loop()
    # As `muster serve` does once started: what start-up made stays out of full collections.
    gc.collect()
    gc.freeze()

    def parse(chunk: list[bytes]) -> None:
        for body in chunk:
            loop.run_until_complete(one(body))

    start = time.perf_counter()
    for i in range(0, len(bodies), args.per_commit):
        captured.clear()
        timed("parse", lambda: parse(bodies[i : i + args.per_commit]))  # noqa: B023
        jobs = [Job(j.key, j.type, j.cost, j.handler, j.alerts) for j in captured]
        timed("write", lambda: writer._process(jobs))  # noqa: B023
        for j in jobs:
            j.future.result()
    elapsed = time.perf_counter() - start
    if profiler:
        pstats.Stats(profiler, stream=sys.stdout).sort_stats("tottime").print_stats(35)
        pstats.Stats(profiler, stream=sys.stdout).sort_stats("cumulative").print_stats(40)
    n = len(bodies) * 100
    calibration = _calibrate()
    print(
        f"(machine speed: a fixed pure-Python loop took {calibration * 1000:.0f} ms; "
        "compare figures taken at similar speeds)"
    )
    print(f"{n} alerts in {elapsed:.3f} s (in series); CPU per batch of 100: "
          f"parse {spent['parse'] / len(bodies) * 1000:.2f} ms, "
          f"write {spent['write'] / len(bodies) * 1000:.2f} ms")  # fmt: skip
    per_batch = {k: v / len(bodies) * 1000 for k, v in in_sqlite.items()}
    print(f"  of the write, inside the database driver (wall, GIL released): "
          f"{per_batch['execute'] + per_batch['commit']:.2f} ms per batch "
          f"(statements {per_batch['execute']:.2f}, commits {per_batch['commit']:.2f})")  # fmt: skip


if __name__ == "__main__":
    main()
