"""The alert list's text search over many alerts, without the page around it.

Seeds ``--alerts`` alerts (each in its own group; default 1,000,000, spread over 30 days
and 100 services; 1% triggered, 2% acknowledged, the rest resolved; the summaries and
sources of bench/ui.py), then times ``list_alerts`` - the query behind ``/alerts`` and
``/api/v1/alerts`` - for text searches over the open alerts (the page's default) and over
every status, and checks that each answer is what a plain scan answers. The page adds
its rendering (some 20-40 ms) to these figures; bench/ui.py times the pages themselves.

    .venv/bin/python bench/alert_search.py [--alerts 1000000] [--requests 30]
        [--database-url postgresql+psycopg://...]

SQLite by default (a fresh file); ``--database-url`` names an empty PostgreSQL database.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import select, text

sys.path.insert(0, str(Path(__file__).parent))
from _harness import bulk_insert, db_label, report, scaled
from muster.clock import SystemClock
from muster.db import migrate
from muster.db.engine import make_engine
from muster.db.uow import Database
from muster.domain.accounts.schemas import TeamCreate
from muster.domain.accounts.service import do_create_team
from muster.domain.alerts import service as alerts
from muster.domain.alerts.models import Alert, AlertGroup
from muster.domain.catalog.schemas import ServiceCreate
from muster.domain.catalog.service import do_create_service
from muster.domain.events.actor import Actor, Via
from muster.ids import new_id

TARGET_MS = 100.0  # the alert list's target (bench/ui.py)
SEEDER = Actor.system(Via.SYSTEM, label="bench")
SUMMARIES = [
    "Disk {n}% full on db-{h}", "HTTP 5xx above 2% on web-{h}", "Queue backlog over {n}k on worker-{h}",
    "Certificate expires in {n} days on lb-{h}", "p99 latency {n}0 ms on api-{h}",
    "Replication lag {n} s on pg-{h}", "Memory {n}% on cache-{h}",
]  # fmt: skip
OPEN = ("triggered", "acknowledged")
# (label, text, statuses): () is every status, as the page asks when all are ticked.
SEARCHES: list[tuple[str, str, tuple[str, ...]]] = [
    ("open, common word", "replication", OPEN),
    ("open, no match", "no-such-text", OPEN),
    ("all, common word", "replication", ()),
    ("all, no match", "no-such-text", ()),
    ("all, a source (~0.3%)", "host-17.eu", ()),
    ("all, one dedup key", "bench-123456", ()),
    ("all, mixed case, quote", 'LAG 5"', ()),
    ("all, two characters", "pg", ()),
]


def seed(db: Database, total: int) -> None:
    started = time.perf_counter()
    with db.unit_of_work() as uow:
        team = do_create_team(uow, SEEDER, TeamCreate(name="search bench"))
        services = [
            do_create_service(uow, SEEDER, ServiceCreate(name=f"svc-{i}", team_id=team.id)).id
            for i in range(100)
        ]
        uow.commit()
    rng = random.Random(7)
    now = datetime.now(UTC)
    chunk = 20_000
    for first in range(0, total, chunk):
        groups: list[dict[str, Any]] = []
        rows: list[dict[str, Any]] = []
        for n in range(first, min(total, first + chunk)):
            service_id = services[rng.randrange(len(services))]
            seen = now - timedelta(seconds=rng.randrange(30 * 86400))
            roll = rng.random()
            status = "triggered" if roll < 0.01 else "acknowledged" if roll < 0.03 else "resolved"
            summary = rng.choice(SUMMARIES).format(n=rng.randrange(10, 99), h=rng.randrange(1, 40))
            alert_id, group_id = new_id(), new_id()
            groups.append({"id": group_id, "service_id": service_id, "group_key": "alert:" + alert_id,
                           "status": status, "severity": "warning", "summary": summary, "alert_count": 1,
                           "pages": True, "first_seen": seen, "last_seen": seen, "acknowledged_at": None,
                           "acknowledged_by": None, "resolved_at": None, "resolved_by": None})  # fmt: skip
            rows.append({"id": alert_id, "service_id": service_id, "integration_id": None,
                         "group_id": group_id, "dedup_key": f"bench-{n}", "status": status,
                         "severity": "warning", "summary": summary, "details": "",
                         "source": f"host-{n % 300}.eu-west-1", "component": None, "group_name": None,
                         "class_name": None, "labels": {}, "custom_details": {}, "links": [],
                         "images": [], "occurrences": 1, "first_seen": seen, "last_seen": seen,
                         "occurred_at": seen, "acknowledged_at": None, "acknowledged_by": None,
                         "resolved_at": None, "resolved_by": None, "suppressed_reason": None,
                         "flapping": False, "raw": {}})  # fmt: skip
        with db.unit_of_work() as uow:
            bulk_insert(uow.session, AlertGroup, groups)
            bulk_insert(uow.session, Alert, rows)
            uow.commit()
    if db.dialect == "postgresql":  # what autovacuum soon does on a live installation
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("VACUUM ANALYZE"))
    else:
        with db.engine.connect() as conn:
            conn.execute(text("ANALYZE"))
            conn.commit()
    print(f"seeded {total} alerts in {time.perf_counter() - started:.1f} s")


def scanned(db: Database, f: alerts.AlertFilter) -> list[str]:
    """The first page as the plain condition finds it, with no index to narrow it."""
    query = alerts._filtered(select(Alert.id), f)
    with db.unit_of_work(readonly=True) as uow:
        rows = uow.session.scalars(
            query.order_by(Alert.last_seen.desc(), Alert.id.desc()).limit(100)
        )
        return list(rows)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--alerts", type=int, default=int(scaled(1_000_000, 1000)))
    parser.add_argument("--requests", type=int, default=int(scaled(30, 3)))
    parser.add_argument("--database-url", default=None, help="an empty PostgreSQL database")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="muster-bench-") as tmp:
        url = args.database_url or f"sqlite:///{Path(tmp) / 'muster.db'}"
        migrate.upgrade(url)
        db = Database(make_engine(url), SystemClock())
        seed(db, args.alerts)
        label = db_label(args.database_url)
        print(f"\nlist_alerts, first page of 100, {args.requests} times each; {label}; "
              f"{args.alerts} alerts; target under {TARGET_MS:.0f} ms (the page's)\n")  # fmt: skip
        print(f"{'search':<32} {'median ms':>10} {'p95 ms':>10} {'found':>6}  verdict")
        slow = wrong = 0
        for name, q, statuses in SEARCHES:
            f = alerts.AlertFilter(status=statuses, text=q)
            times = []
            found: list[str] = []
            for _ in range(args.requests + 2):
                started = time.perf_counter()
                with db.unit_of_work(readonly=True) as uow:
                    found = [a.id for a in alerts.list_alerts(uow, f, limit=100).items]
                times.append((time.perf_counter() - started) * 1000)
            times = times[2:]  # warmed up
            p95 = statistics.quantiles(times, n=20, method="inclusive")[18]
            same = found == scanned(db, f)
            slow += p95 >= TARGET_MS
            wrong += not same
            verdict = ("ok" if p95 < TARGET_MS else "OVER TARGET") + (
                "" if same else ", WRONG ANSWER"
            )
            print(
                f"{name:<32} {statistics.median(times):>10.1f} {p95:>10.1f} {len(found):>6}  {verdict}"
            )
            report(f"alert_search.{name}.p95", round(p95, 1), "ms", database=label,
                   offered_load=f"one caller, {args.requests} sequential queries",
                   data=f"{args.alerts} alerts", target=f"< {TARGET_MS:.0f}",
                   median_ms=round(statistics.median(times), 1), same_as_scan=same)  # fmt: skip
        db.dispose()
    print(f"\n{slow} search(es) over target; {wrong} answer(s) differing from a plain scan")
    return 1 if slow or wrong else 0


if __name__ == "__main__":
    sys.exit(main())
