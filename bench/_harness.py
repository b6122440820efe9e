"""Shared by bench scripts: start a real Muster server, a lean keep-alive HTTP client, a
scratch PostgreSQL database, and :func:`report` for machine-readable figures.

Every figure a script measures goes through :func:`report`, which prints one line
``BENCH-JSON {...}`` (name, value, unit, target, conditions); ``bench/run_all.py`` collects
those lines into ``bench/results/<date>.json`` and a table. ``MUSTER_BENCH_SCALE`` (default
1; ``run_all.py --quick`` sets 0.01) shrinks every workload, to prove the scripts work
without the time and the quiet machine real figures need.
"""

from __future__ import annotations

import asyncio
import json
import os
import platform
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

ADMIN = ("bench@example.com", "bench password 123")
PG_ADMIN_URL = os.environ.get(
    "MUSTER_BENCH_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)
JSON_PREFIX = "BENCH-JSON "


def scale() -> float:
    """How much of each full workload to run (``MUSTER_BENCH_SCALE``, default 1)."""
    return float(os.environ.get("MUSTER_BENCH_SCALE", "1"))


def scaled(full: float, minimum: float) -> float:
    """``full`` times the scale, never under ``minimum``."""
    return max(minimum, full * scale())


def machine() -> dict[str, Any]:
    """What the figures were measured on."""
    model = ""
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        for line in cpuinfo.read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    return {
        "machine": f"{platform.machine()} {model}".strip(),
        "cores": os.cpu_count() or 0,
        "python": platform.python_version(),
        "load_average_1m": round(os.getloadavg()[0], 2),
    }


def report(
    name: str,
    value: float | None,
    unit: str,
    *,
    database: str,
    target: str | None = None,
    offered_load: str | None = None,
    **conditions: Any,
) -> None:
    """Print one figure as a ``BENCH-JSON`` line (the human lines are the script's own).

    ``target`` reads like ``">= 1500"`` or ``"<= 50"``; ``database`` and ``offered_load``
    are the conditions every figure states, with the machine and the scale added here.
    """
    met = None if target is None or value is None else _meets(value, target)
    record = {
        "name": name, "value": value, "unit": unit, "target": target, "met": met,
        "conditions": {**machine(), "database": database, "offered_load": offered_load,
                       "scale": scale(), **conditions},
    }  # fmt: skip
    print(JSON_PREFIX + json.dumps(record, separators=(",", ":")), flush=True)


def _meets(value: float, target: str) -> bool:
    op, bound = target.split()
    limit = float(bound.replace(",", ""))
    return {">=": value >= limit, "<=": value <= limit, "<": value < limit, ">": value > limit}[op]


@contextmanager
def pg_database(prefix: str = "muster_bench") -> Iterator[str]:
    """A PostgreSQL database of its own (on ``MUSTER_BENCH_PG_URL``'s server), dropped after;
    yields its SQLAlchemy URL."""
    import psycopg

    name = f"{prefix}_{os.getpid()}_{time.time_ns() % 10**9}"
    admin = PG_ADMIN_URL.replace("+psycopg", "")
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield PG_ADMIN_URL.rsplit("/", 1)[0] + "/" + name
    finally:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def bulk_insert(session: Any, model: Any, rows: list[dict[str, Any]]) -> None:
    """Insert ``rows`` (dicts with the same keys) into ``model``'s table as one DB-API
    ``executemany``: the Core path, without the ORM's per-row bookkeeping and batching by
    which values are None (several times faster for seeding)."""
    if rows:
        session.execute(model.__table__.insert(), rows)


def db_label(database_url: str | None) -> str:
    """The database a figure was measured on, as the results show it."""
    if database_url and database_url.startswith("postgres"):
        import psycopg

        with psycopg.connect(database_url.replace("+psycopg", "")) as conn:
            row = conn.execute("SHOW server_version").fetchone()
        version = str(row[0]).split()[0] if row else "?"
        host = "local" if "@127.0.0.1" in database_url or "@localhost" in database_url else "remote"
        return (
            f"postgresql {version} ({host}, same machine)"
            if host == "local"
            else f"postgresql {version}"
        )
    return "sqlite (WAL, synchronous=FULL)"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Server:
    base: str
    port: int
    token: str
    pid: int
    startup_seconds: float = 0.0

    @property
    def auth(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}

    def rss_mib(self) -> float:
        for line in Path(f"/proc/{self.pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
        return 0.0


@contextmanager
def muster_server(
    database_url: str | None = None,
    *,
    engine: bool = True,
    admin: tuple[str, str] = ADMIN,
    ready_timeout: float = 120.0,
) -> Iterator[Server]:
    """Start ``muster serve`` in a fresh var directory and yield it with an admin token.

    ``startup_seconds`` is from process start to the first 200 of ``/readyz`` (database
    reachable and migrated). ``admin`` signs in for the token: the first admin it creates
    on an empty database, or one already in ``database_url``.
    """
    tmp = Path(tempfile.mkdtemp(prefix="muster-bench-"))
    port = free_port()
    env = {**os.environ, "MUSTER_VAR_DIR": str(tmp), "MUSTER_PORT": str(port),
           "MUSTER_ADMIN_EMAIL": admin[0], "MUSTER_ADMIN_PASSWORD": admin[1]}  # fmt: skip
    if database_url:
        env["MUSTER_DATABASE_URL"] = database_url
    else:
        env.pop("MUSTER_DATABASE_URL", None)
    args = [sys.executable, "-m", "muster", "serve"] + ([] if engine else ["--no-engine"])
    started = time.perf_counter()
    log = (tmp / "serve.log").open("wb")
    proc = subprocess.Popen(args, env=env, cwd=tmp, stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        while True:
            try:
                if httpx.get(f"{base}/readyz").status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if proc.poll() is not None or time.perf_counter() - started > ready_timeout:
                tail = (tmp / "serve.log").read_text(errors="replace")[-3000:]
                raise RuntimeError(
                    f"muster serve did not become ready ({proc.returncode}):\n{tail}"
                )
            time.sleep(0.02)
        startup = time.perf_counter() - started
        yield Server(base, port, _token(base, admin), proc.pid, startup)
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()


def _csrf(html: str) -> str:
    return html.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]


def sign_in(client: httpx.Client, email: str, password: str) -> httpx.Response:
    """Post the sign-in form as a browser does: fetch the page (it sets the form's
    CSRF cookie), then post its token with the credentials."""
    token = _csrf(client.get("/login?password=1").text)
    data = {"csrf_token": token, "email": email, "password": password, "next": "/"}
    return client.post("/login", data=data)


def _token(base: str, admin: tuple[str, str]) -> str:
    with httpx.Client(base_url=base) as c:
        # Sign in as the first admin, then create a token through the API with the
        # session's CSRF token (as the browser would).
        sign_in(c, admin[0], admin[1])
        csrf = _csrf(c.get("/").text)
        r = c.post("/api/v1/tokens", json={"name": "bench"}, headers={"X-CSRF-Token": csrf})
        r.raise_for_status()
        token: str = r.json()["token"]
        return token


def setup_service(server: Server, name: str = "bench") -> str:
    with httpx.Client(base_url=server.base, headers=server.auth) as c:
        team = c.post("/api/v1/teams", json={"name": f"{name}-team"}).json()
        svc = c.post("/api/v1/services", json={"name": name, "team_id": team["id"]}).json()
        sid: str = svc["id"]
        return sid


def add_integration(server: Server, service_id: str, type: str) -> dict[str, Any]:
    with httpx.Client(base_url=server.base, headers=server.auth) as c:
        r = c.post(f"/api/v1/services/{service_id}/integrations",
                   json={"type": type, "rate_limit_per_minute": 1_000_000})  # fmt: skip
        r.raise_for_status()
        body: dict[str, Any] = r.json()
        return body


class Conn:
    """One keep-alive HTTP/1.1 connection; just enough protocol for POSTing JSON."""

    def __init__(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, port: int
    ) -> None:
        self.reader, self.writer, self.port = reader, writer, port

    @classmethod
    async def open(cls, port: int) -> Conn:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        return cls(reader, writer, port)

    async def post(self, path: str, body: bytes) -> int:
        head = (f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                f"Content-Length: {len(body)}\r\n\r\n").encode()  # fmt: skip
        self.writer.write(head + body)
        status_line = await self.reader.readline()
        if not status_line:  # the server closed an idle keep-alive connection: as clients do,
            self.writer.close()  # open a new one and send again
            self.reader, self.writer = await asyncio.open_connection("127.0.0.1", self.port)
            self.writer.write(head + body)
            status_line = await self.reader.readline()
        status = int(status_line.split()[1])
        length = 0
        while True:
            line = await self.reader.readline()
            if line in (b"\r\n", b""):
                break
            if line.lower().startswith(b"content-length:"):
                length = int(line.split(b":")[1])
        await self.reader.readexactly(length)
        return status

    def close(self) -> None:
        self.writer.close()


def percentile(values: list[float], p: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    k = min(len(ordered) - 1, max(0, round(p / 100 * (len(ordered) - 1))))
    return ordered[k]


def dumps(value: Any) -> bytes:
    return json.dumps(value, separators=(",", ":")).encode()
