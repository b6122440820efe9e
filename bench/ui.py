"""How fast the server-rendered pages answer on a seeded SQLite database.

Seeds 500 people, 200 teams (5 members each) and 1,000 services through the domain
commands, serves the real app with uvicorn on a free port of 127.0.0.1, signs in through
the login form and times each page. Prints the median and 95th percentile per page
against the target: under 100 ms.

    .venv/bin/python bench/ui.py [--users 500] [--teams 200] [--services 1000] [--requests 50]

The client runs in the same process as the server (one GIL), so figures include some
client overhead: they are an upper bound on the server's own time. The p95 of the heavier
pages is dominated by Python's full garbage collections, which walk every object the
imports created; ``--gc-freeze`` shows the figures with those objects frozen.
"""

from __future__ import annotations

import argparse
import gc
import socket
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

import httpx
import uvicorn

from muster.clock import SystemClock
from muster.config import Settings
from muster.db import migrate
from muster.db.engine import make_engine
from muster.db.uow import Database
from muster.domain.accounts import service as accounts
from muster.domain.accounts.schemas import MemberAdd, TeamCreate, UserCreate
from muster.domain.catalog import service as catalog
from muster.domain.catalog.schemas import ServiceCreate
from muster.domain.events.actor import Actor, Via
from muster.web.app import create_app
from muster.web.context import AppContext

TARGET_MS = 100.0
ADMIN_EMAIL = "admin@bench.example"
ADMIN_PASSWORD = "bench password 123"  # noqa: S105 (a throwaway database)
BENCH_SECRET = "bench-secret-key"  # noqa: S105
SEEDER = Actor.system(Via.SYSTEM, label="bench")


def seed(db: Database, users: int, teams: int, services: int) -> tuple[str, str]:
    """Fill the database; returns the id of one team and one service to time."""
    started = time.perf_counter()
    with db.unit_of_work() as uow:
        accounts.do_create_user(
            uow,
            SEEDER,
            UserCreate(
                email=ADMIN_EMAIL, name="Bench Admin", role="admin", password=ADMIN_PASSWORD
            ),
        )
        roles = ("viewer", "responder", "responder", "manager")
        people = [
            accounts.do_create_user(
                uow,
                SEEDER,
                UserCreate(
                    email=f"person{i:04}@bench.example",
                    name=f"Person {i:04}",
                    role=roles[i % len(roles)],
                    time_zone="Europe/Berlin",
                ),
            ).id
            for i in range(users)
        ]
        team_ids = []
        for t in range(teams):
            team = accounts.do_create_team(
                uow, SEEDER, TeamCreate(name=f"Team {t:03}", description=f"Team number {t}.")
            )
            team_ids.append(team.id)
            for k in range(5):
                member = people[(t * 5 + k) % len(people)]
                role = "manager" if k == 0 else "member"
                accounts.do_add_team_member(
                    uow, SEEDER, team.id, MemberAdd(user_id=member, role=role)
                )
        service_ids = [
            catalog.do_create_service(
                uow,
                SEEDER,
                ServiceCreate(
                    name=f"service-{s:04}",
                    description=f"Service {s}, owned by team {s % teams}.",
                    team_id=team_ids[s % teams],
                ),
            ).id
            for s in range(services)
        ]
        uow.commit()
    print(
        f"seeded {users} people, {teams} teams, {services} services "
        f"in {time.perf_counter() - started:.1f} s"
    )
    return team_ids[len(team_ids) // 2], service_ids[len(service_ids) // 2]


class Server:
    """The app under uvicorn in a background thread, on a socket bound here."""

    def __init__(self, ctx: AppContext) -> None:
        # proto=IPPROTO_TCP: asyncio sets TCP_NODELAY only on sockets that say they are TCP;
        # without it every keep-alive response waits ~40 ms (Nagle + delayed ACK).
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
        self.sock.bind(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self.sock.getsockname()[1]}"
        config = uvicorn.Config(create_app(ctx), log_level="warning", lifespan="off")
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(
            target=self.server.run, kwargs={"sockets": [self.sock]}, daemon=True
        )

    def __enter__(self) -> Server:
        self.thread.start()
        deadline = time.monotonic() + 15
        while not self.server.started:
            if time.monotonic() > deadline:
                raise RuntimeError("server did not start")
            time.sleep(0.02)
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)
        self.sock.close()


def measure(client: httpx.Client, path: str, n: int) -> tuple[float, float, int]:
    """(median ms, p95 ms, body bytes) over ``n`` GETs after a short warm-up."""
    for _ in range(3):
        client.get(path).raise_for_status()
    times = []
    size = 0
    for _ in range(n):
        start = time.perf_counter()
        response = client.get(path)
        times.append((time.perf_counter() - start) * 1000)
        response.raise_for_status()
        size = len(response.content)
    p95 = statistics.quantiles(times, n=20, method="inclusive")[18]
    return statistics.median(times), p95, size


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--users", type=int, default=500)
    parser.add_argument("--teams", type=int, default=200)
    parser.add_argument("--services", type=int, default=1000)
    parser.add_argument("--requests", type=int, default=50)
    parser.add_argument(
        "--gc-freeze",
        action="store_true",
        help="gc.freeze() once the server runs, so full collections skip import-time objects",
    )
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="muster-bench-") as tmp:
        url = f"sqlite:///{Path(tmp) / 'muster.db'}"
        migrate.upgrade(url)
        db = Database(make_engine(url), SystemClock())
        team_id, service_id = seed(db, args.users, args.teams, args.services)
        settings = Settings(database_url=url, var_dir=Path(tmp), secret_key=BENCH_SECRET)
        pages = [
            "/",
            "/users",
            "/teams",
            "/services",
            f"/services/{service_id}",
            f"/teams/{team_id}",
            "/audit",
        ]
        slow = 0
        ctx = AppContext(settings=settings, db=db, clock=db.clock)
        with Server(ctx) as server, httpx.Client(base_url=server.url, timeout=30) as client:
            if args.gc_freeze:
                gc.collect()
                gc.freeze()
            login = client.post(
                "/login", data={"email": ADMIN_EMAIL, "password": ADMIN_PASSWORD, "next": "/"}
            )
            if login.status_code != 303:
                raise RuntimeError(f"sign-in failed: {login.status_code}")
            print(f"\n{args.requests} requests per page, target: under {TARGET_MS:.0f} ms\n")
            print(f"{'page':<28} {'median ms':>10} {'p95 ms':>10} {'KiB':>8}  verdict")
            for path in pages:
                median, p95, size = measure(client, path, args.requests)
                ok = p95 < TARGET_MS
                slow += not ok
                label = path if len(path) < 28 else path[:24] + "…"
                print(
                    f"{label:<28} {median:>10.1f} {p95:>10.1f} {size / 1024:>8.1f}  "
                    f"{'ok' if ok else 'OVER TARGET'}"
                )
        db.dispose()
    print(f"\n{'all pages under target' if not slow else f'{slow} page(s) over target'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
