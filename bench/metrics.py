"""How fast the incident metrics page and its API answer over many incidents.

Seeds people, teams and services (bench/ui.py's ``seed``), 100,000 incidents over two
years (bench/_incident_seed.py) and, for every other incident, a linked alert group
with one alert that began 1-30 minutes before detection and was acknowledged 0-20
minutes after it (so time to detect and to acknowledge have data). Then starts a real
``muster serve --no-engine`` on that database, signs in as an admin (who sees every
incident: the largest scan) and times each metrics URL from this process.

Prints median and 95th percentile per URL against the target: under 500 ms (issue 10).
``MUSTER_BENCH_SCALE`` scales the incidents (and the people).

    .venv/bin/python bench/metrics.py [--incidents 100000] [--requests 20]
        [--database-url postgresql+psycopg://...]
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import select

from _harness import bulk_insert, db_label, muster_server, report, scaled, sign_in
from _incident_seed import seed_incidents
from muster.clock import SystemClock
from muster.db import migrate
from muster.db.engine import make_engine
from muster.db.uow import Database
from muster.domain.alerts.models import Alert, AlertGroup
from muster.domain.incidents.metric_moments import refresh_all
from muster.domain.incidents.models import Incident, IncidentAlertGroup, IncidentService
from muster.ids import new_id
from ui import ADMIN_EMAIL, ADMIN_PASSWORD, measure, seed

TARGET_MS = 500.0


def link_alerts(db: Database) -> int:
    """A linked alert group (one alert) for every other incident; returns how many."""
    started = time.perf_counter()
    rng = random.Random(13)
    chunk = 5000
    with db.unit_of_work(readonly=True) as uow:
        rows = uow.session.execute(
            select(Incident.id, Incident.detected_at, IncidentService.service_id)
            .join(IncidentService, IncidentService.incident_id == Incident.id)
            .order_by(Incident.number)
        ).all()
    seen: set[str] = set()
    wanted = []
    for incident_id, detected, service_id in rows:
        if incident_id not in seen:
            seen.add(incident_id)
            if len(seen) % 2 == 0:
                wanted.append((incident_id, detected, service_id))
    for first in range(0, len(wanted), chunk):
        groups: list[dict[str, Any]] = []
        alerts: list[dict[str, Any]] = []
        links: list[dict[str, Any]] = []
        for incident_id, detected, service_id in wanted[first : first + chunk]:
            began = detected - timedelta(minutes=rng.randrange(1, 30))
            acked = detected + timedelta(minutes=rng.randrange(0, 20))
            group_id = new_id()
            groups.append({"id": group_id, "service_id": service_id, "group_key": group_id,
                           "status": "resolved", "severity": "critical", "summary": "bench",
                           "alert_count": 1, "pages": True, "first_seen": began,
                           "last_seen": began, "acknowledged_at": acked,
                           "acknowledged_by": "bench", "resolved_at": acked,
                           "resolved_by": "bench"})  # fmt: skip
            alerts.append({"id": new_id(), "service_id": service_id, "integration_id": None,
                           "group_id": group_id, "dedup_key": group_id, "status": "resolved",
                           "severity": "critical", "summary": "bench", "details": "",
                           "source": "", "component": None, "group_name": None,
                           "class_name": None, "labels": {}, "custom_details": {}, "links": [],
                           "images": [], "occurrences": 1, "first_seen": began,
                           "last_seen": began, "occurred_at": began, "acknowledged_at": acked,
                           "acknowledged_by": "bench", "resolved_at": acked,
                           "resolved_by": "bench", "suppressed_reason": None,
                           "flapping": False, "raw": {}})  # fmt: skip
            links.append({"group_id": group_id, "incident_id": incident_id,
                          "linked_at": detected, "linked_by": "bench"})  # fmt: skip
        with db.unit_of_work() as uow:
            bulk_insert(uow.session, AlertGroup, groups)
            bulk_insert(uow.session, Alert, alerts)
            bulk_insert(uow.session, IncidentAlertGroup, links)
            uow.commit()
    # Links written in bulk, not by commands: the incidents' metric moments are filled as
    # any bulk import must (muster.domain.incidents.metric_moments).
    with db.unit_of_work() as uow:
        refresh_all(uow)
        uow.commit()
    print(f"linked {len(wanted)} alert groups in {time.perf_counter() - started:.1f} s")
    return len(wanted)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--users", type=int, default=int(scaled(500, 20)))
    parser.add_argument("--teams", type=int, default=int(scaled(200, 5)))
    parser.add_argument("--services", type=int, default=int(scaled(1000, 20)))
    parser.add_argument("--incidents", type=int, default=int(scaled(100_000, 1000)))
    parser.add_argument("--requests", type=int, default=int(scaled(20, 5)))
    parser.add_argument("--database-url", default=None, help="an empty PostgreSQL database")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="muster-bench-") as tmp:
        url = args.database_url or f"sqlite:///{Path(tmp) / 'muster.db'}"
        migrate.upgrade(url)
        db = Database(make_engine(url), SystemClock())
        team_id, service_ids = seed(db, args.users, args.teams, args.services)
        service_id = service_ids[len(service_ids) // 2]
        seed_incidents(db, service_ids, args.incidents)
        link_alerts(db)
        db.dispose()
        paths = [
            "/metrics/incidents",
            "/metrics/incidents?severity=2",
            f"/metrics/incidents?team={team_id}",
            f"/metrics/incidents?service={service_id}",
            "/metrics/incidents/per-week.csv",
            "/api/v1/metrics/incidents",
            "/api/v1/metrics/incidents/times",
        ]
        label = db_label(args.database_url)
        size = f"{args.incidents} incidents, {args.services} services"
        load = f"one client, {args.requests} sequential requests per URL"
        slow = 0
        with (
            muster_server(url, engine=False, admin=(ADMIN_EMAIL, ADMIN_PASSWORD)) as server,
            httpx.Client(base_url=server.base, timeout=120) as client,
        ):
            login = sign_in(client, ADMIN_EMAIL, ADMIN_PASSWORD)
            if login.status_code != 303:
                raise RuntimeError(f"sign-in failed: {login.status_code}")
            print(f"\n{args.requests} requests per URL, target: p95 under {TARGET_MS:.0f} ms; "
                  f"{label}; {size}\n")  # fmt: skip
            print(f"{'url':<44} {'median ms':>10} {'p95 ms':>10} {'KiB':>8}  verdict")
            for path in paths:
                median, p95, body = measure(client, path, args.requests)
                ok = p95 < TARGET_MS
                slow += not ok
                print(f"{path[:43]:<44} {median:>10.1f} {p95:>10.1f} {body / 1024:>8.1f}  "
                      f"{'ok' if ok else 'OVER TARGET'}")  # fmt: skip
                name = path.replace(team_id, "{team}").replace(service_id, "{service}")
                report(f"metrics.page {name}.p95", round(p95, 1), "ms", database=label,
                       offered_load=load, data=size, target=f"< {TARGET_MS:.0f}",
                       median_ms=round(median, 1), kib=round(body / 1024, 1))  # fmt: skip
    return 1 if slow else 0


if __name__ == "__main__":
    sys.exit(main())
