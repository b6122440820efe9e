"""Processes for the fault tests: real ``muster serve`` / ``muster engine`` subprocesses
that can be killed with SIGKILL, databases of a test's own (SQLite file, or a fresh
PostgreSQL database), a paging world built through the domain, and alert senders."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from faults.world import World
from muster.clock import SystemClock
from muster.db import migrate
from muster.db.engine import make_engine, normalise_url
from muster.db.uow import Database

PG_URL = os.environ.get("MUSTER_TEST_DATABASE_URL")
REQUIRE_PG = os.environ.get("MUSTER_REQUIRE_POSTGRES") == "1"
BACKENDS = ["sqlite", "postgresql"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def need_postgres() -> str:
    """The test server's URL, or skip (fail under MUSTER_REQUIRE_POSTGRES=1)."""
    if PG_URL:
        return PG_URL
    reason = "MUSTER_TEST_DATABASE_URL is not set"
    if REQUIRE_PG:
        pytest.fail(f"PostgreSQL is required (MUSTER_REQUIRE_POSTGRES=1) but {reason}")
    print(f"skipped: {reason}")
    pytest.skip(reason)


@contextmanager
def postgres_database(server_url: str) -> Iterator[str]:
    """A fresh, migrated database of this test's own on ``server_url``'s server."""
    base = make_url(normalise_url(server_url))
    name = f"{base.database}_faults_{os.getpid()}_{uuid.uuid4().hex[:8]}"
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = base.set(database=name).render_as_string(hide_password=False)
    try:
        migrate.upgrade(url)
        yield url
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@contextmanager
def database_url(backend: str, tmp_path: Path) -> Iterator[str]:
    """A migrated database of the test's own on ``backend``."""
    if backend == "sqlite":
        url = f"sqlite:///{tmp_path / 'muster.db'}"
        migrate.upgrade(url)
        yield url
        return
    with postgres_database(need_postgres()) as url:
        yield url


@contextmanager
def opened(url: str) -> Iterator[Database]:
    db = Database(make_engine(url, pool_size=2), SystemClock())
    try:
        yield db
    finally:
        db.dispose()


# ------------------------------------------------------------------ processes


@dataclass
class Proc:
    """One ``muster`` subprocess; its output goes to ``log``."""

    args: list[str]
    env: dict[str, str]
    log: Path
    port: int | None = None
    popen: subprocess.Popen[bytes] | None = None

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, *, wait: bool = True) -> Proc:
        with self.log.open("ab") as out:
            self.popen = subprocess.Popen(
                [sys.executable, "-m", "muster", *self.args],
                env=self.env, cwd=self.env["MUSTER_VAR_DIR"], stdout=out, stderr=out,
            )  # fmt: skip
        if wait and self.port is not None:
            self.wait_ready()
        return self

    def wait_ready(self, timeout: float = 120.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            assert self.popen is not None
            if self.popen.poll() is not None:
                raise RuntimeError(f"muster {self.args[0]} exited:\n{self.tail()}")
            try:
                if httpx.get(f"{self.base}/readyz", timeout=2).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            time.sleep(0.1)
        raise RuntimeError(f"muster {self.args[0]} did not get ready:\n{self.tail()}")

    def kill(self) -> None:
        """SIGKILL: no shutdown code runs."""
        assert self.popen is not None
        self.popen.send_signal(signal.SIGKILL)
        self.popen.wait(timeout=10)

    def stop(self) -> None:
        if self.popen is None or self.popen.poll() is not None:
            return
        self.popen.send_signal(signal.SIGINT)
        try:
            self.popen.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.popen.kill()
            self.popen.wait(timeout=10)

    def tail(self, lines: int = 40) -> str:
        text_ = self.log.read_text(errors="replace") if self.log.exists() else ""
        return "\n".join(text_.splitlines()[-lines:])


def muster_env(url: str, var_dir: Path, **extra: str) -> dict[str, str]:
    var_dir.mkdir(parents=True, exist_ok=True)
    env = {k: v for k, v in os.environ.items() if not k.startswith("MUSTER_")}
    env.update(
        MUSTER_DATABASE_URL=url, MUSTER_VAR_DIR=str(var_dir), MUSTER_SECRET_KEY="faults-secret",
        MUSTER_PASSWORD_HASH_PROFILE="test", MUSTER_ENGINE_INTERVAL="0.05",
        MUSTER_OUTBOUND_ALLOW="127.0.0.1/32", MUSTER_NOTIFY_THROTTLE="",
        MUSTER_BASE_URL="http://muster.test",
    )  # fmt: skip
    env.update(extra)
    return env


def serve(url: str, tmp: Path, name: str, *, engine: bool = True, **extra: str) -> Proc:
    port = free_port()
    args = ["serve", "--no-migrate", "--port", str(port)] + ([] if engine else ["--no-engine"])
    env = muster_env(url, tmp / name, **extra)
    return Proc(args, env, tmp / f"{name}.log", port)


def engine(url: str, tmp: Path, name: str, **extra: str) -> Proc:
    return Proc(["engine"], muster_env(url, tmp / name, **extra), tmp / f"{name}.log")


@contextmanager
def running(*procs: Proc) -> Iterator[None]:
    """Start ``procs`` side by side (each takes seconds to import); stop whatever is still
    running at the end (and show their logs when the test failed)."""
    try:
        for proc in procs:
            proc.start(wait=False)
        for proc in procs:
            if proc.port is not None:
                proc.wait_ready()
        yield
    except BaseException:
        for proc in procs:
            print(f"--- {proc.log.name}\n{proc.tail()}")
        raise
    finally:
        for proc in procs:
            proc.stop()


def audit_verify(url: str, tmp: Path) -> str:
    """``muster audit verify``: every hash chain intact (exit 0)."""
    result = subprocess.run(
        [sys.executable, "-m", "muster", "audit", "verify"], env=muster_env(url, tmp / "audit"),
        capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout.strip()


# ------------------------------------------------------------------ senders


@dataclass
class Sent:
    dedup_key: str
    kind: str  # alertmanager | events
    status: int | None  # None: no answer (connection refused or cut)
    headers: dict[str, str] = field(default_factory=dict)
    body: Any = None


def alertmanager_body(keys: list[str]) -> dict[str, Any]:
    return {
        "version": "4", "status": "firing", "receiver": "muster", "groupKey": keys[0],
        "alerts": [{"status": "firing", "fingerprint": k,
                    "labels": {"alertname": "DiskFull", "instance": k, "severity": "critical"},
                    "annotations": {"summary": f"disk full on {k}"}} for k in keys],
    }  # fmt: skip


def events_body(routing_key: str, key: str) -> dict[str, Any]:
    return {"routing_key": routing_key, "event_action": "trigger", "dedup_key": key,
            "payload": {"summary": f"latency high on {key}", "source": key,
                        "severity": "critical"}}  # fmt: skip


class Senders:
    """``threads`` clients posting alerts with unique keys to the bases ``targets()``
    names (each picks in turn), until stopped; every answer is recorded."""

    def __init__(
        self, world: World, targets: Callable[[], list[str]], *, threads: int = 4,
        batch: int = 5, pause: float = 0.0,
    ) -> None:  # fmt: skip
        self.world, self.targets, self.batch, self.pause = world, targets, batch, pause
        self.sent: list[Sent] = []
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._threads = [
            threading.Thread(target=self._run, args=(n,), daemon=True) for n in range(threads)
        ]

    def __enter__(self) -> Senders:
        for t in self._threads:
            t.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def stop(self) -> None:
        self._stop.set()
        for t in self._threads:
            t.join(timeout=30)

    def acknowledged(self) -> list[Sent]:
        with self._lock:
            return [s for s in self.sent if s.status is not None and 200 <= s.status < 300]

    def wait_acknowledged(self, count: int, timeout: float = 60.0) -> None:
        deadline = time.monotonic() + timeout
        while len(self.acknowledged()) < count:
            assert time.monotonic() < deadline, f"only {len(self.acknowledged())} acknowledged"
            time.sleep(0.02)

    def _run(self, n: int) -> None:
        i = 0
        with httpx.Client(timeout=httpx.Timeout(20.0, connect=2.0)) as client:
            while not self._stop.is_set():
                i += 1
                bases = self.targets()
                base = bases[(n + i) % len(bases)]
                if i % 2:
                    keys = [f"am-{n}-{i}-{k}-{uuid.uuid4().hex[:6]}" for k in range(self.batch)]
                    self._post(client, f"{base}/ingest/alertmanager/{self.world.alertmanager_key}",
                               alertmanager_body(keys), keys, "alertmanager")  # fmt: skip
                else:
                    key = f"ev-{n}-{i}-{uuid.uuid4().hex[:6]}"
                    self._post(client, f"{base}/v2/enqueue",
                               events_body(self.world.pagerduty_key, key), [key], "events")  # fmt: skip
                if self.pause:
                    time.sleep(self.pause)

    def _post(self, client: httpx.Client, url: str, body: Any, keys: list[str], kind: str) -> None:
        try:
            r = client.post(url, json=body)
            answer: tuple[int | None, dict[str, str], Any] = (
                r.status_code, dict(r.headers), _json_or_text(r))  # fmt: skip
        except httpx.ConnectError:  # nobody listening: never reached the server
            time.sleep(0.05)
            return
        except httpx.TransportError:  # cut off mid-request: its fate is unknown
            answer = (None, {}, None)
        with self._lock:
            self.sent += [Sent(k, kind, *answer) for k in keys]


def _json_or_text(r: httpx.Response) -> Any:
    try:
        return r.json()
    except ValueError:
        return r.text
