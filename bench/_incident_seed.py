"""Seeding many incidents in bulk for the page benchmarks (bench/ui.py).

Each incident gets one or two services, a commander (every other one), its declarer and
commander as participants, and a ``incident.declared`` event; 3% are still open, 5% are
restricted security incidents; declarations spread over two years.
"""

from __future__ import annotations

import random
import time
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import select

from _harness import bulk_insert
from muster.db.uow import Database
from muster.domain.accounts.models import User
from muster.domain.events.models import Event
from muster.domain.incidents.models import (
    Incident,
    IncidentRoleType,
    IncidentService,
    Participant,
    RoleAssignment,
)
from muster.ids import new_id

TITLES = [
    "Checkout errors on {s}", "Elevated latency in {s}", "Data exposure suspected in {s}",
    "Door forced at site {n}", "Certificate expired on {s}", "Queue backlog in {s}",
    "Failed deploy of {s} v{n}", "Replication stopped for {s}",
]  # fmt: skip
TYPES = ["operational", "operational", "performance", "human_error", "security", "compliance"]
CLOSED = ["closed", "closed", "closed", "resolved", "in_review", "declined"]
OPEN = ["triage", "investigating", "contained", "recovering"]


def seed_incidents(db: Database, service_ids: list[str], total: int) -> str:
    """Insert ``total`` incidents; returns the id of an open one."""
    started = time.perf_counter()
    rng = random.Random(11)
    now = datetime.now(UTC)
    chunk = 5000
    open_id = ""
    with db.unit_of_work() as uow:
        users = list(uow.session.scalars(select(User.id).where(User.role != "viewer")))
        commander = uow.session.scalar(
            select(IncidentRoleType.id).where(IncidentRoleType.key == "commander")
        )
        for first in range(0, total, chunk):
            rows: list[dict[str, Any]] = []
            links: list[dict[str, Any]] = []
            roles: list[dict[str, Any]] = []
            people: list[dict[str, Any]] = []
            events: list[dict[str, Any]] = []
            for n in range(first, min(total, first + chunk)):
                incident_id = new_id()
                declared = now - timedelta(seconds=rng.randrange(730 * 86400))
                still_open = rng.random() < 0.03
                status = rng.choice(OPEN if still_open else CLOSED)
                kind = "security" if rng.random() < 0.05 else rng.choice(TYPES)
                services = rng.sample(service_ids, rng.choice((1, 1, 2)))
                done = declared + timedelta(minutes=rng.randrange(10, 600))
                ended = status in ("resolved", "in_review", "closed")
                rows.append({
                    "id": incident_id, "number": n + 1,
                    "title": rng.choice(TITLES).format(s=f"service-{n % 1000:04}", n=n % 97),
                    "summary": "Seeded by bench/ui.py.", "type_key": kind,
                    "severity": rng.choice((1, 2, 3, 3, 4, 4, 5)), "status": status, "impact": "",
                    "customer_facing": rng.random() < 0.3, "restricted": kind == "security",
                    "tags": ["bench"], "sites": [f"site-{n % 12}"],
                    "detected_at": declared - timedelta(minutes=5), "declared_at": declared,
                    "investigating_at": declared + timedelta(minutes=2),
                    "resolved_at": done if ended else None,
                    "closed_at": done if status == "closed" else None,
                    "declined_at": done if status == "declined" else None,
                    "in_review_at": done if status == "in_review" else None,
                    "declared_by": "bench", "updated_at": done,
                })  # fmt: skip
                links += [{"incident_id": incident_id, "service_id": s} for s in services]
                declarer = users[n % len(users)]
                people.append({"id": new_id(), "incident_id": incident_id, "user_id": declarer,
                               "joined_at": declared, "added_by": "bench"})  # fmt: skip
                if n % 2 == 0:
                    ic = users[(n * 7) % len(users)]
                    roles.append({"id": new_id(), "incident_id": incident_id,
                                  "role_type_id": commander, "user_id": ic,
                                  "started_at": declared, "assigned_by": "bench",
                                  "ended_at": done if ended else None})  # fmt: skip
                    if ic != declarer:
                        people.append({"id": new_id(), "incident_id": incident_id, "user_id": ic,
                                       "joined_at": declared, "added_by": "bench"})  # fmt: skip
                events.append({"id": new_id(), "stream": f"incident:{incident_id}", "seq": 1,
                               "type": "incident.declared", "occurred_at": declared,
                               "actor_type": "system", "actor_id": None, "actor_label": "bench",
                               "via": "system", "token_id": None, "ip": None,
                               "subject_type": "incident", "subject_id": incident_id,
                               "data": {"incident_id": incident_id, "restricted": kind == "security"},
                               "prev_hash": "0" * 64, "hash": "0" * 64})  # fmt: skip
                if status in OPEN:
                    open_id = incident_id
            bulk_insert(uow.session, Incident, rows)
            bulk_insert(uow.session, IncidentService, links)
            bulk_insert(uow.session, Participant, people)
            bulk_insert(uow.session, RoleAssignment, roles)
            bulk_insert(uow.session, Event, events)
        uow.commit()
    print(f"seeded {total} incidents in {time.perf_counter() - started:.1f} s")
    return open_id
