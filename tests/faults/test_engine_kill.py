"""``kill -9`` of ``muster engine`` again and again while escalations step and pages go
out to a real webhook receiver: after the last restart every due step was taken once,
every person asked once per step, and every page delivered - twice only when the
worker died between the receiver's acceptance and our record of it (the window is
measured and printed)."""

from __future__ import annotations

import random
import threading
import time
from pathlib import Path

import pytest
from sqlalchemy import func, select

from faults.checks import check_pages_delivered, check_steps_once
from faults.receivers import Webhooks, webhooks
from faults.support import BACKENDS, audit_verify, database_url, engine, opened
from faults.world import build_world, pull_timers_forward, settled, trigger_groups
from muster.db.uow import Database
from muster.domain.events.models import Event

GROUPS = 30
LEVELS, PASSES = 2, 2  # 4 steps each, 2 people a step: 120 steps, 240 pages
KILLS = 4
PAGES = GROUPS * LEVELS * PASSES * 2
LEASE = "6"  # seconds before a dead worker's claimed pages are claimed again


def progress(db: Database, hooks: Webhooks) -> tuple[int, int]:
    with db.unit_of_work(readonly=True) as uow:
        steps = uow.session.scalar(
            select(func.count()).select_from(Event).where(Event.type == "escalation.level_reached")
        )
    return int(steps or 0), len(hooks.tried())


@pytest.mark.xdist_group("faults")
@pytest.mark.parametrize("backend", BACKENDS)
def test_kill_9_of_the_engine_takes_each_step_once(backend: str, tmp_path: Path) -> None:
    rng = random.Random(8)
    with database_url(backend, tmp_path) as url, opened(url) as db, webhooks() as hooks:
        world = build_world(db, users=6, hook_base=hooks.url("/hook"), levels=LEVELS,
                            repeat=PASSES - 1, per_level=2)  # fmt: skip
        hooks.delay = 0.05
        groups: list[str] = []
        worker = engine(url, tmp_path, "engine", MUSTER_NOTIFY_LEASE_SECONDS=LEASE)
        kills: list[float] = []
        stop = threading.Event()

        def time_passes() -> None:  # new alerts; every step due soon after the one before
            while not stop.wait(0.15):
                if len(groups) < GROUPS:
                    groups.extend(trigger_groups(db, world, 1))
                pull_timers_forward(db)

        clock = threading.Thread(target=time_passes, daemon=True)
        try:
            worker.start()
            clock.start()
            for _ in range(KILLS):
                # Once the restarted worker has taken a step or sent a page, at a random point
                # (a fast machine may finish everything first: then no more kills are due).
                mark = progress(db, hooks)
                deadline = time.monotonic() + 60
                while progress(db, hooks) == mark and not settled(db, GROUPS, PAGES):
                    assert time.monotonic() < deadline, "the engine does nothing"
                    time.sleep(0.02)
                if settled(db, GROUPS, PAGES):
                    break
                time.sleep(rng.uniform(0.0, 0.5))
                worker.kill()
                kills.append(time.time())
                worker.start()
            deadline = time.monotonic() + 90
            while not settled(db, GROUPS, PAGES):
                assert time.monotonic() < deadline, "the engine did not finish after the kills"
                time.sleep(0.3)
        except BaseException:
            print(worker.tail())
            raise
        finally:
            stop.set()
            clock.join()
            worker.stop()
        assert len(kills) >= 2, f"only {len(kills)} kills landed before the work was done"
        steps = check_steps_once(db, groups, LEVELS, PASSES)
        figures = check_pages_delivered(db, hooks.accepted(), kills)
        print(f"\n{backend}: {steps} steps once each after {len(kills)} kills; {figures}; "
              f"{audit_verify(url, tmp_path)}")  # fmt: skip
        assert figures["pages"] == PAGES
