"""Escalation timing error: how late a due escalation step fires, with 10,000 running.

Seeds 10,000 triggered alert groups over 20 services, each with an active escalation
(bulk insert) whose first level was reached and whose second level falls due at a moment
spread evenly over the next 3 minutes (about 55 steps a second). Then runs the real
engine, ``muster engine`` in a process of its own with its default idle interval
(``MUSTER_ENGINE_INTERVAL``, 0.25 s), against the same database, and watches the rows.
The 50 people paged each have one webhook contact method, to a receiver in this script,
so the engine also queues and delivers the pages as it would (with the default throttle,
which bundles a person's pages of one minute into one message). Before the measured
steps, two sentinel escalations are made due one after the other, so the engine's first
pass (working through what seeding logged) is over when measuring starts.

Two figures per step, p50/p99/max over all of them:

* committed late: from the step's due time to when this script first sees the step's
  row committed (it polls every 50 ms, so this is an upper bound by up to 50 ms): what a
  person waiting for the page would see, before the message's own delivery;
* pass late: from the due time to the ``now`` of the engine pass that took the step
  (``escalations.updated_at``): the scheduling delay alone, without the pass's work.

It also checks that each step fired exactly once (one ``escalation.level_reached`` event
each). Usage: python bench/escalation.py [--escalations N] [--spread SECONDS]
[--postgres URL|auto]
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import bindparam, func, select, update

sys.path.insert(0, str(Path(__file__).parent))
from _harness import bulk_insert, db_label, percentile, report, scaled
from ingest import database
from muster.clock import SystemClock
from muster.db import migrate
from muster.db.engine import make_engine
from muster.db.uow import Database
from muster.domain.accounts.models import User
from muster.domain.alerts.models import AlertGroup
from muster.domain.escalation.models import Escalation
from muster.domain.events.models import Event
from muster.domain.notify import service as contacts
from muster.domain.notify.models import ContactMethod
from muster.domain.notify.schemas import MethodCreate
from muster.ids import new_id
from notify import Receiver
from ui import SEEDER, seed

POLL = 0.05
TARGET_P99_S = 1.0  # ours: a page a second late is not felt; the issue sets none


def seed_escalations(db: Database, total: int, hook_url: str) -> list[str]:
    """``total`` triggered groups, each with an active escalation at its second level (due
    far ahead until :func:`schedule` sets the real times); returns the escalation ids.
    Each person is reached by one webhook, at ``hook_url``."""
    started = time.perf_counter()
    _team, services = seed(db, users=50, teams=5, services=20)
    now = datetime.now(UTC)
    later = now + timedelta(days=1)
    ids: list[str] = []
    with db.unit_of_work() as uow:
        users = list(uow.session.scalars(select(User.id).where(User.role != "viewer")))
        uow.session.execute(update(ContactMethod).values(removed_at=now))
        for user_id in users:
            contacts.do_add_method(uow, SEEDER, user_id, MethodCreate(
                type="webhook", label="bench", address=hook_url, verified=True))  # fmt: skip
        for first in range(0, total, 5000):
            groups: list[dict[str, Any]] = []
            escalations: list[dict[str, Any]] = []
            for n in range(first, min(total, first + 5000)):
                group_id, esc_id, service_id = new_id(), new_id(), services[n % len(services)]
                levels = [{"delay_minutes": d, "targets": [{"type": "user", "id": users[(n + k) % len(users)]}]}
                          for k, d in enumerate((1, 30, 30))]  # fmt: skip
                groups.append({"id": group_id, "service_id": service_id, "group_key": f"bench:{n}",
                               "status": "triggered", "severity": "critical",
                               "summary": f"Replication stopped on pg-{n}", "alert_count": 1,
                               "pages": True, "first_seen": now, "last_seen": now,
                               "acknowledged_at": None, "acknowledged_by": None,
                               "resolved_at": None, "resolved_by": None})  # fmt: skip
                escalations.append({"id": esc_id, "group_id": group_id, "service_id": service_id,
                                    "policy_id": None, "level_index": 1, "loop": 0,
                                    "policy": {"policy_id": None, "name": "bench", "team_id": None,
                                               "repeat_count": 0, "ack_timeout_minutes": None,
                                               "levels": levels, "urgency_rules": {}},
                                    "reached_level_index": 0, "status": "active",
                                    "next_due_at": later, "ack_timeout_due_at": None,
                                    "snoozed_until": None, "held_until_support_hours": False,
                                    "created_at": now, "updated_at": now})  # fmt: skip
                ids.append(esc_id)
            bulk_insert(uow.session, AlertGroup, groups)
            bulk_insert(uow.session, Escalation, escalations)
        uow.commit()
    print(f"seeded {total} active escalations in {time.perf_counter() - started:.1f} s")
    return ids


def schedule(db: Database, ids: list[str], start: datetime, spread: float) -> dict[str, datetime]:
    """Set each escalation's next step due between ``start`` and ``start + spread``."""
    due = {esc_id: start + timedelta(seconds=spread * k / len(ids)) for k, esc_id in enumerate(ids)}
    table = Escalation.__table__
    statement = (
        update(Escalation)
        .where(table.c.id == bindparam("b_id"))
        .values(next_due_at=bindparam("due"))
    )
    with db.engine.begin() as conn:
        conn.execute(statement, [{"b_id": k, "due": v} for k, v in due.items()])
    return due


def start_engine(url: str, var_dir: Path) -> subprocess.Popen[bytes]:
    env = {**os.environ, "MUSTER_DATABASE_URL": url, "MUSTER_VAR_DIR": str(var_dir),
           "MUSTER_OUTBOUND_ALLOW": "127.0.0.1/32"}  # fmt: skip
    env.pop("MUSTER_ENGINE_INTERVAL", None)  # the default
    log = (var_dir / "engine.log").open("wb")
    return subprocess.Popen(
        [sys.executable, "-m", "muster", "engine"], env=env, stdout=log, stderr=subprocess.STDOUT
    )


def wait_steady(
    db: Database, engine: subprocess.Popen[bytes], log: Path, sentinels: list[str]
) -> None:
    """Until the engine has finished its first pass (which works through what seeding
    logged): each sentinel escalation is made due now, one after the other, and waited
    for; the second one fires only in a later pass than the first."""
    deadline = time.monotonic() + 180
    for sentinel in sentinels:
        due = schedule(db, [sentinel], datetime.now(UTC), 0)
        while not watch(db, due, timeout=0.5):
            if engine.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"the engine did not start: {log.read_text()[-2000:]}")


def watch(db: Database, due: dict[str, datetime], timeout: float) -> dict[str, tuple[float, float]]:
    """Poll until every step is seen committed; (committed late, pass late) in seconds.

    Each poll asks only for steps taken since the earliest due time not yet seen (a step's
    ``updated_at`` is never before its due time), so the watcher stays light."""
    seen: dict[str, tuple[float, float]] = {}
    order = sorted(due, key=due.__getitem__)
    deadline = time.monotonic() + timeout
    while len(seen) < len(due) and time.monotonic() < deadline:
        since = next(due[k] for k in order if k not in seen)
        query = select(Escalation.id, Escalation.updated_at).where(
            Escalation.level_index >= 2, Escalation.updated_at >= since
        )
        polled = datetime.now(UTC)
        with db.unit_of_work(readonly=True) as uow:
            rows = uow.session.execute(query).all()
        for esc_id, updated in rows:
            if esc_id in due and esc_id not in seen:
                at = due[esc_id]
                seen[esc_id] = ((polled - at).total_seconds(), (updated - at).total_seconds())
        time.sleep(POLL)
    return seen


def rss_peak_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return 0.0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--escalations", type=int, default=int(scaled(10_000, 50)))
    parser.add_argument("--spread", type=float, default=scaled(180.0, 5.0))
    parser.add_argument("--postgres", metavar="URL", help="PostgreSQL ('auto': a scratch one)")
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="muster-bench-"))
    with database(args.postgres) as pg:
        label = db_label(pg)
        url = pg or f"sqlite:///{tmp / 'muster.db'}"
        migrate.upgrade(url)
        db = Database(make_engine(url), SystemClock())
        receiver = Receiver()
        hook = f"http://127.0.0.1:{receiver.port}/hook"
        ids = seed_escalations(db, args.escalations + 2, hook)
        ids, sentinels = ids[:-2], ids[-2:]
        engine = start_engine(url, tmp)
        try:
            wait_steady(db, engine, tmp / "engine.log", sentinels)
            # Lead time for the update itself (10,000 rows), so no step is due before it lands.
            start = datetime.now(UTC) + timedelta(seconds=2 + len(ids) / 2000)
            due = schedule(db, ids, start, args.spread)
            if datetime.now(UTC) > start:
                print("  (scheduling the steps took longer than its lead time: the first "
                      "steps' lateness includes part of it)")  # fmt: skip
            seen = watch(db, due, timeout=args.spread + 120)
            engine_rss = rss_peak_mib(engine.pid)
        finally:
            engine.send_signal(signal.SIGINT)
            try:
                engine.wait(timeout=20)
            except subprocess.TimeoutExpired:
                engine.kill()
            receiver.close()
        with db.unit_of_work(readonly=True) as uow:
            fired = (
                uow.session.scalar(
                    select(func.count())
                    .select_from(Event)
                    .where(Event.type == "escalation.level_reached")
                )
                or 0
            ) - len(sentinels)
        db.dispose()
    committed = [c for c, _ in seen.values()]
    passed = [p for _, p in seen.values()]
    missing = len(ids) - len(seen)
    load = (
        f"{len(ids)} active escalations, steps due evenly over {args.spread:.0f} s "
        f"({len(ids) / args.spread:.0f} steps/s); engine interval 0.25 s (default)"
    )
    print(f"Escalation timing error — {label}, real `muster engine` process; {load}")

    def ms(values: list[float], p: float) -> float:
        return round(percentile(values, p) * 1000, 1)

    for name, values in (("committed late", committed), ("pass late", passed)):
        print(f"  {name + ':':<16} p50 {ms(values, 50)} ms, p99 {ms(values, 99)} ms, "
              f"max {round(max(values, default=float('nan')) * 1000, 1)} ms")  # fmt: skip
    print(f"  steps fired: {len(seen)} of {len(ids)} (never: {missing}); level_reached events: "
          f"{fired} (exactly once each: {'yes' if fired == len(seen) else 'NO'}); "
          f"engine peak RSS {engine_rss:.1f} MiB; {receiver.messages} webhook messages")  # fmt: skip
    key = "postgresql" if pg else "sqlite"
    for name, values in (("committed_late", committed), ("pass_late", passed)):
        for p in (50, 99, 100):
            report(
                f"escalation.{key}.{name}_{f'p{p}' if p < 100 else 'max'}",
                ms(values, p),
                "ms",
                database=label,
                offered_load=load,
                target=f"<= {TARGET_P99_S * 1000:.0f}" if p == 99 else None,
                never_fired=missing,
                fired_twice=fired - len(seen),
            )
    report(f"escalation.{key}.engine_peak_rss", round(engine_rss, 1), "MiB",
           database=label, offered_load=load)  # fmt: skip
    return 0 if missing == 0 and fired == len(seen) else 1


if __name__ == "__main__":
    sys.exit(main())
