"""Scale-out on one PostgreSQL: three ``muster serve --no-engine`` nodes take alerts from
clients spread over all of them, two ``muster engine`` workers escalate and page a real
webhook receiver. Each step is taken and each page sent exactly once; then one worker
is killed (-9) mid-load and the other carries on: still everything exactly once (a page
twice only if the dead worker had it in flight, as in test_engine_kill)."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest
from sqlalchemy import select

from faults.checks import check_alerts_whole, check_pages_delivered, check_steps_once
from faults.receivers import webhooks
from faults.support import (
    Senders,
    audit_verify,
    engine,
    need_postgres,
    opened,
    postgres_database,
    running,
    serve,
)
from faults.world import build_world, pull_timers_forward, settled
from muster.domain.alerts.models import AlertGroup

LEVELS, PASSES, PER_LEVEL = 2, 1, 2
BEFORE_KILL, AFTER_KILL = 100, 100  # alerts acknowledged before and after the kill


@pytest.mark.xdist_group("faults")
def test_three_nodes_two_workers_each_step_and_page_once(tmp_path: Path) -> None:
    with postgres_database(need_postgres()) as url, opened(url) as db, webhooks() as hooks:
        world = build_world(db, users=8, hook_base=hooks.url("/hook"), levels=LEVELS,
                            repeat=PASSES - 1, per_level=PER_LEVEL)  # fmt: skip
        nodes = [serve(url, tmp_path, f"node{i}", engine=False) for i in range(3)]
        workers = [
            engine(url, tmp_path, f"worker{i}", MUSTER_NOTIFY_LEASE_SECONDS="3") for i in range(2)
        ]
        stop = threading.Event()

        def time_passes() -> None:
            while not stop.wait(0.3):
                pull_timers_forward(db)

        clock = threading.Thread(target=time_passes, daemon=True)
        t0 = time.monotonic()
        with running(*nodes, *workers):
            print(f"\nstarted in {time.monotonic() - t0:.1f}s")
            clock.start()
            try:
                with Senders(world, lambda: [n.base for n in nodes], threads=3, batch=2,
                             pause=0.02) as senders:  # fmt: skip
                    senders.wait_acknowledged(BEFORE_KILL)
                    assert all(w.popen and w.popen.poll() is None for w in workers)
                    workers[0].kill()
                    killed_at = time.time()
                    senders.wait_acknowledged(BEFORE_KILL + AFTER_KILL)
                print(f"sent by {time.monotonic() - t0:.1f}s")
                with db.unit_of_work(readonly=True) as uow:
                    groups = list(uow.session.scalars(select(AlertGroup.id)))
                deadline = time.monotonic() + 120
                while not settled(db, len(groups), len(groups) * LEVELS * PASSES * PER_LEVEL):
                    assert time.monotonic() < deadline, "the surviving worker did not finish"
                    time.sleep(0.3)
                print(f"settled by {time.monotonic() - t0:.1f}s")
            finally:
                stop.set()
                clock.join()
        used = {s.dedup_key.split("-")[0] for s in senders.acknowledged()}
        assert used == {"am", "ev"}
        check_alerts_whole(db, world.service, senders.acknowledged())
        steps = check_steps_once(db, groups, LEVELS, PASSES)
        figures = check_pages_delivered(db, hooks.accepted(), [killed_at])
        assert figures["pages"] == len(groups) * LEVELS * PASSES * PER_LEVEL
        print(f"\n{len(senders.acknowledged())} alerts over 3 nodes, {len(groups)} escalations, "
              f"{steps} steps once each, one worker killed; {figures}; {audit_verify(url, tmp_path)}")  # fmt: skip
