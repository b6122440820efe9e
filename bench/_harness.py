"""Shared by bench scripts: start a real Muster server, and a lean keep-alive HTTP client."""

from __future__ import annotations

import asyncio
import json
import os
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

    @property
    def auth(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}

    def rss_mib(self) -> float:
        for line in Path(f"/proc/{self.pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
        return 0.0


@contextmanager
def muster_server(database_url: str | None = None, *, engine: bool = True) -> Iterator[Server]:
    """Start ``muster serve`` in a fresh var directory and yield it with an admin token."""
    tmp = Path(tempfile.mkdtemp(prefix="muster-bench-"))
    port = free_port()
    env = {**os.environ, "MUSTER_VAR_DIR": str(tmp), "MUSTER_PORT": str(port),
           "MUSTER_ADMIN_EMAIL": ADMIN[0], "MUSTER_ADMIN_PASSWORD": ADMIN[1]}  # fmt: skip
    if database_url:
        env["MUSTER_DATABASE_URL"] = database_url
    else:
        env.pop("MUSTER_DATABASE_URL", None)
    args = [sys.executable, "-m", "muster", "serve"] + ([] if engine else ["--no-engine"])
    started = time.perf_counter()
    proc = subprocess.Popen(
        args, env=env, cwd=tmp, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(300):
            try:
                if httpx.get(f"{base}/readyz").status_code == 200:
                    break
            except httpx.TransportError:
                pass
            time.sleep(0.05)
        startup = time.perf_counter() - started
        token = _token(base)
        server = Server(base, port, token, proc.pid)
        server.startup_seconds = startup  # type: ignore[attr-defined]
        yield server
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()


def _token(base: str) -> str:
    with httpx.Client(base_url=base) as c:
        # Sign in as the first admin, then create a token through the API with the
        # session's CSRF token (as the browser would).
        c.post("/login", data={"email": ADMIN[0], "password": ADMIN[1]})
        html = c.get("/").text
        csrf = html.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]
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

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader, self.writer = reader, writer

    @classmethod
    async def open(cls, port: int) -> Conn:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        return cls(reader, writer)

    async def post(self, path: str, body: bytes) -> int:
        head = (f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                f"Content-Length: {len(body)}\r\n\r\n").encode()  # fmt: skip
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
