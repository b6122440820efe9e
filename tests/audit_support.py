"""Audit forwarding receivers for tests: real syslog collectors (UDP, TCP and TLS with
octet counting) and a webhook receiver on 127.0.0.1 that can be stopped and started
again on the same port, a destination that hangs, and a self-signed certificate for TLS."""

from __future__ import annotations

import datetime as dt
import ipaddress
import json
import re
import socket
import socketserver
import ssl
import struct
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from sqlalchemy import select

from muster.db.uow import Database
from muster.domain.audit.models import AuditForwarder
from muster.domain.events.models import Event

# <PRI>1 TIMESTAMP HOST APP PROCID MSGID [SD] BOM MSG
RFC5424 = re.compile(
    rb"^<(?P<pri>\d{1,3})>1 (?P<ts>\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d{1,6})?Z) "
    rb"(?P<host>\S+) (?P<app>\S+) (?P<procid>\S+) (?P<msgid>\S+) "
    rb"(?P<sd>\[muster@32473(?: [a-z_]+=\"(?:[^\"\\\]]|\\.)*\")*\]) \xef\xbb\xbf(?P<msg>.*)$",
    re.DOTALL,
)


def free_port(kind: int = socket.SOCK_STREAM) -> int:
    with socket.socket(socket.AF_INET, kind) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Collector:
    """A syslog collector; ``messages`` are the frames received, in order."""

    transport: str
    port: int
    context: ssl.SSLContext | None = None
    messages: list[bytes] = field(default_factory=list)
    _server: socketserver.BaseServer | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def start(self) -> None:
        collector = self

        class Stream(socketserver.BaseRequestHandler):
            def handle(self) -> None:
                conn = self.request
                if collector.context is not None:
                    conn = collector.context.wrap_socket(conn, server_side=True)
                buffer = b""
                while True:
                    try:
                        chunk = conn.recv(65536)
                    except (ssl.SSLError, OSError):
                        break
                    if not chunk:
                        break
                    buffer += chunk
                    buffer = collector._frames(buffer)

        class Datagram(socketserver.BaseRequestHandler):
            def handle(self) -> None:
                with collector._lock:
                    collector.messages.append(self.request[0])

        server: socketserver.BaseServer
        if self.transport == "udp":
            socketserver.ThreadingUDPServer.allow_reuse_address = True
            server = socketserver.ThreadingUDPServer(("127.0.0.1", self.port), Datagram)
        else:
            socketserver.ThreadingTCPServer.allow_reuse_address = True
            server = socketserver.ThreadingTCPServer(("127.0.0.1", self.port), Stream)
        server.daemon_threads = True  # type: ignore[attr-defined]
        self._server = server
        threading.Thread(target=server.serve_forever, daemon=True).start()

    def _frames(self, buffer: bytes) -> bytes:
        """Take the complete octet-counted frames off ``buffer``; return the rest."""
        while b" " in buffer:
            length, _, rest = buffer.partition(b" ")
            size = int(length)
            if len(rest) < size:
                break
            with self._lock:
                self.messages.append(rest[:size])
            buffer = rest[size:]
        return buffer

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()  # type: ignore[attr-defined]
            self._server = None

    def wait_for(self, count: int, timeout: float = 5.0) -> list[bytes]:
        deadline = time.monotonic() + timeout
        while len(self.messages) < count and time.monotonic() < deadline:
            time.sleep(0.02)
        return list(self.messages)


def self_signed(tmp: Path) -> tuple[ssl.SSLContext, str]:
    """A server context for 127.0.0.1 and the certificate (PEM) a client should trust."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "muster test collector")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=2))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_pem = cert.public_bytes(serialization.Encoding.PEM)
    key_pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    (tmp / "cert.pem").write_bytes(cert_pem)
    (tmp / "key.pem").write_bytes(key_pem)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(tmp / "cert.pem", tmp / "key.pem")
    return context, cert_pem.decode()


class Silent:
    """A destination that hangs: a TCP server that takes every connection and never reads
    from it nor answers. ``stop`` closes what it holds with a reset (as a collector that
    went away does), so a sender waiting on it fails at once."""

    def __init__(self, port: int) -> None:
        self.port = port
        self._held: list[socket.socket] = []
        self._lock = threading.Lock()
        self._stopped = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", self.port))
        listener.listen()
        listener.settimeout(0.05)
        self._stopped.clear()
        self._thread = threading.Thread(target=self._accept, args=(listener,), daemon=True)
        self._thread.start()

    def _accept(self, listener: socket.socket) -> None:
        with listener:
            while not self._stopped.is_set():
                try:
                    conn, _ = listener.accept()
                except TimeoutError:
                    continue
                with self._lock:
                    self._held.append(conn)

    def holding(self) -> int:
        """How many connections it holds unanswered."""
        with self._lock:
            return len(self._held)

    def stop(self) -> None:
        self._stopped.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None
        with self._lock:
            held, self._held = self._held, []
        for conn in held:
            conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            conn.close()


@dataclass
class WebhookCollector:
    """An audit webhook receiver on a given port (so it can take over from a :class:`Silent`
    one): answers 200 and keeps each batch's body, in order."""

    port: int
    bodies: list[dict[str, Any]] = field(default_factory=list)
    _server: ThreadingHTTPServer | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def start(self) -> None:
        collector = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("content-length", "0")))
                with collector._lock:
                    collector.bodies.append(json.loads(body))
                self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, format: str, *args: Any) -> None:
                pass

        server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        server.daemon_threads = True
        self._server = server
        threading.Thread(target=server.serve_forever, daemon=True).start()

    def ids(self) -> list[str]:
        with self._lock:
            return [str(e["id"]) for body in self.bodies for e in body["events"]]

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None


def log_after(db: Database, position: int) -> list[str]:
    """The ids of the events after ``position``, in log order."""
    with db.unit_of_work(readonly=True) as uow:
        query = select(Event.id).where(Event.position > position).order_by(Event.position)
        return list(uow.session.scalars(query))


def forwarder_state(db: Database, forwarder_id: str) -> AuditForwarder:
    with db.unit_of_work(readonly=True) as uow:
        row = uow.session.get(AuditForwarder, forwarder_id)
        assert row is not None
        return row
