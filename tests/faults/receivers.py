"""Real receivers that misbehave on demand: an HTTP webhook receiver (answering, slow,
answering garbage, failing) and an SMTP server (aiosmtpd) that can be slow or refuse.
Each records what it accepted, and when."""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session


@dataclass
class Hit:
    path: str
    key: str  # X-Muster-Idempotency-Key
    groups: list[str]  # the alert groups a page names
    at: float  # time.time() when accepted
    body: dict[str, Any]


@dataclass
class Webhooks:
    """``modes`` by path prefix: ``"ok"`` (default), ``"slow"`` (sleeps ``slow_seconds``
    before answering 200), ``"garbage"`` (bytes that are not HTTP, then hangs up),
    ``"status:N"`` (answers N)."""

    port: int = 0
    hits: list[Hit] = field(default_factory=list)
    tries: list[tuple[str, float]] = field(default_factory=list)  # (path, when) of every request
    modes: dict[str, str] = field(default_factory=dict)
    slow_seconds: float = 30.0
    delay: float = 0.0  # seconds every "ok" answer takes (time in flight)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def url(self, path: str = "") -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def mode(self, path: str) -> str:
        for prefix, mode in self.modes.items():
            if path.startswith(prefix):
                return mode
        return "ok"

    def accepted(self, prefix: str = "") -> list[Hit]:
        with self.lock:
            return [h for h in self.hits if h.path.startswith(prefix)]

    def tried(self, prefix: str = "") -> list[float]:
        with self.lock:
            return [t for p, t in self.tries if p.startswith(prefix)]


@contextmanager
def webhooks(**modes: str) -> Iterator[Webhooks]:
    sink = Webhooks(modes=dict(modes))

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_POST(self) -> None:
            length = int(self.headers.get("content-length", "0"))
            raw = self.rfile.read(length)
            with sink.lock:
                sink.tries.append((self.path, time.time()))
            mode = sink.mode(self.path)
            if mode == "garbage":
                self.wfile.write(b"\x00\xffTHIS IS NOT HTTP\r\n\r\n")
                self.close_connection = True
                return
            if mode == "slow":
                time.sleep(sink.slow_seconds)
            status = int(mode.split(":")[1]) if mode.startswith("status:") else 200
            if status < 300:
                time.sleep(sink.delay)
                body = json.loads(raw)
                hit = Hit(self.path, self.headers.get("x-muster-idempotency-key", ""),
                          [g["id"] for g in body.get("groups", [])], time.time(), body)  # fmt: skip
                with sink.lock:
                    sink.hits.append(hit)
            answer = b'{"ok":true}'
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(answer)))
            self.end_headers()
            self.wfile.write(answer)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    sink.port = int(server.server_address[1])
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield sink
    finally:
        server.shutdown()
        server.server_close()


# ------------------------------------------------------------------ SMTP


@dataclass
class Mailbox:
    port: int = 0
    accepted: list[tuple[list[str], float]] = field(default_factory=list)
    tries: list[float] = field(default_factory=list)
    mode: str = "ok"  # ok | slow | refuse (a 451: try again later)
    slow_seconds: float = 30.0


class _Handler:
    def __init__(self, box: Mailbox) -> None:
        self.box = box

    async def handle_RCPT(
        self, server: SMTP, session: Session, envelope: Envelope, address: str, options: Any
    ) -> str:
        if address.startswith("reject"):  # refused for good
            return "550 5.1.1 no such mailbox"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        import asyncio

        self.box.tries.append(time.time())
        if self.box.mode == "slow":
            await asyncio.sleep(self.box.slow_seconds)
        if self.box.mode == "refuse":
            return "451 4.3.0 try again later"
        self.box.accepted.append((list(envelope.rcpt_tos), time.time()))
        return "250 OK"


class SmtpPort:
    """One relay port whose behaviour can change between attempts: ``ok``, ``refuse``
    (451) and ``slow`` are a real aiosmtpd server; ``down`` closes the port (connection
    refused); ``garbage`` answers with bytes that are not SMTP."""

    def __init__(self, box: Mailbox) -> None:
        self.box = box
        self._controller: Controller | None = None
        self._garbage: Any = None
        self.set("ok")

    def set(self, mode: str) -> None:
        self.close()
        self.box.mode = mode
        if mode in ("ok", "refuse", "slow"):
            self._controller = Controller(_Handler(self.box), hostname="127.0.0.1",
                                          port=self.box.port)  # fmt: skip
            self._controller.start()
        elif mode == "garbage":
            self._garbage = garbage_server(self.box.port)
            self._garbage.__enter__()

    def close(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None
        if self._garbage is not None:
            self._garbage.__exit__(None, None, None)
            self._garbage = None


@contextmanager
def smtp_port() -> Iterator[SmtpPort]:
    box = Mailbox()
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        box.port = int(s.getsockname()[1])
    port = SmtpPort(box)
    try:
        yield port
    finally:
        port.close()


@contextmanager
def garbage_server(port: int = 0) -> Iterator[int]:
    """A TCP port that answers anything with bytes that are neither HTTP nor SMTP."""
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", port))
    sock.listen(16)
    stop = threading.Event()

    def run() -> None:
        sock.settimeout(0.2)
        while not stop.is_set():
            try:
                conn, _ = sock.accept()
            except OSError:
                continue
            with conn:
                conn.settimeout(2)
                try:
                    conn.sendall(b"\x16\x03\x01 garbage \xff\xfe\r\n")
                    conn.recv(1024)
                except OSError:
                    pass

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    try:
        yield int(sock.getsockname()[1])
    finally:
        stop.set()
        thread.join(timeout=5)
        sock.close()
