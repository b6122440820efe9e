"""CEF over syslog: an opt-in UDP and TCP listener whose messages become alerts.

``muster serve --syslog-port N`` runs it inside the web node, ``muster syslog`` alone (scale
out). Both transports listen on the same port number. A UDP datagram is one message; a
TCP stream is split by RFC 6587 (octet counting ``LEN SP MSG``, else one message a line;
an oversized or malformed frame closes the connection). Headers are RFC 5424 or RFC 3164
(:mod:`muster.integrations.security.syslog_frames`); the message must hold a CEF record
(:mod:`muster.integrations.security.cef`).

Each message is routed to a live ``cef`` integration as
:mod:`muster.integrations.security.cef_routing` says (APP-NAME/TAG = integration key, else
the integration's vendor/product ``match``), checked against that integration's rate limit
and ingested in its own unit of work. Syslog has no replies, so what cannot be stored is
dropped and counted in ``muster_ingest_rejected_total{type="cef",reason=...}``
(``malformed``, ``unknown_key``, ``rate_limited``, ``unavailable``, ``overloaded``).

Database work runs on a small thread pool; past :data:`MAX_PENDING` messages waiting,
new ones are dropped (``overloaded``) rather than queued without bound.
"""

from __future__ import annotations

import asyncio
import logging
import socket
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Literal

from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError

from muster.db.uow import Database, UnitOfWork
from muster.domain.alerts.ingest import do_ingest
from muster.domain.alerts.integrations import find_live_integration
from muster.domain.alerts.models import Integration
from muster.domain.alerts.ratelimit import RateLimiter, check_rate
from muster.errors import RateLimited
from muster.integrations.fields import Problems
from muster.integrations.security.cef import CefRecord, cef_alert, read_cef
from muster.integrations.security.cef_routing import cef_matches
from muster.integrations.security.syslog_frames import TcpDeframer, read_syslog
from muster.metrics import INGEST_LATENCY, INGEST_RECEIVED, INGEST_REJECTED

log = logging.getLogger(__name__)

MAX_PENDING = 1000
WORKERS = 4
Result = Literal["stored", "malformed", "unknown_key", "rate_limited", "unavailable", "error"]


class SyslogIntake:
    """The blocking half: one message in, stored or refused (with the reason)."""

    def __init__(self, db: Database, *, limiter: RateLimiter | None = None) -> None:
        self.db = db
        self.limiter = limiter or RateLimiter()

    def deliver(self, data: bytes) -> Result:
        started = time.perf_counter()
        message = read_syslog(data)
        problems = Problems()
        record = read_cef(message.text, "message", problems)
        if record is None:
            log.debug("syslog message refused: %s", problems.errors[0].reason)
            return _refuse("malformed")
        try:
            result = self._store(message.app_name, record)
        except SQLAlchemyError as exc:
            log.warning("syslog message not stored, database unavailable: %s", exc)
            return _refuse("unavailable")
        except Exception:
            log.exception("syslog intake failed")
            return _refuse("error")
        if result == "stored":
            INGEST_LATENCY.labels("cef").observe(time.perf_counter() - started)
        return result

    def _store(self, app_name: str | None, record: CefRecord) -> Result:
        with self.db.unit_of_work() as uow:
            integration = route_cef(uow, app_name, record)
            if integration is None:
                return _refuse("unknown_key")
            try:
                check_rate(self.limiter, integration.id, integration.rate_limit_per_minute)
            except RateLimited:
                return _refuse("rate_limited")
            outcomes = do_ingest(uow, integration, [cef_alert(record)])
            uow.commit()
            for outcome in outcomes:
                INGEST_RECEIVED.labels(integration.id, "cef", outcome.result).inc()
        return "stored"


def route_cef(uow: UnitOfWork, app_name: str | None, record: CefRecord) -> Integration | None:
    """The live ``cef`` integration a message belongs to (see cef_routing), or None."""
    if app_name:
        by_key = find_live_integration(uow, app_name, type="cef")
        if by_key is not None:
            return by_key
    candidates = uow.session.scalars(
        select(Integration)
        .where(Integration.type == "cef", Integration.revoked_at.is_(None))
        .order_by(Integration.created_at, Integration.id)
    )
    for integration in candidates:
        if cef_matches(integration.config or {}, record.vendor, record.product):
            return integration
    return None


def _refuse(reason: Result) -> Result:
    INGEST_REJECTED.labels("cef", reason).inc()
    return reason


class SyslogListener:
    """UDP and TCP syslog on one port, served by an asyncio loop in a thread of its own.

    Precondition: ``db`` is migrated. ``port=0`` picks a free port (the same for both
    transports); :attr:`port` then says which.
    """

    def __init__(
        self,
        db: Database,
        *,
        host: str = "127.0.0.1",
        port: int = 514,
        limiter: RateLimiter | None = None,
    ) -> None:
        self.intake = SyslogIntake(db, limiter=limiter)
        self.host = host
        self.port = port
        self.processed = 0
        self._done = threading.Condition()
        self._pending = 0
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._pool: ThreadPoolExecutor | None = None
        self._closers: list[Callable[[], object]] = []

    def start(self) -> None:
        """Bind both sockets and serve; returns once listening. Raises OSError when a
        port cannot be bound."""
        tcp, udp = self._bind()
        self._pool = ThreadPoolExecutor(WORKERS, thread_name_prefix="syslog-intake")
        loop = asyncio.new_event_loop()
        ready = threading.Event()
        failed: list[BaseException] = []

        async def serve() -> None:
            server = await loop.create_server(lambda: _TcpProtocol(self), sock=tcp)
            datagrams, _ = await loop.create_datagram_endpoint(lambda: _UdpProtocol(self), sock=udp)
            self._closers = [server.close, datagrams.close]

        def run() -> None:
            asyncio.set_event_loop(loop)
            try:
                loop.run_until_complete(serve())
            except BaseException as exc:
                failed.append(exc)
                ready.set()
                return
            ready.set()
            loop.run_forever()
            loop.close()

        self._loop = loop
        self._thread = threading.Thread(target=run, name="syslog-listener", daemon=True)
        self._thread.start()
        ready.wait(10)
        if failed:
            self.stop()
            raise OSError(f"cannot serve syslog: {failed[0]}")

    def stop(self) -> None:
        """Stop listening and wait for messages being stored."""
        loop, self._loop = self._loop, None
        if loop is not None and loop.is_running():

            async def close() -> None:
                for closer in self._closers:
                    closer()
                for task in asyncio.all_tasks(loop):
                    if task is not asyncio.current_task():
                        task.cancel()
                loop.stop()

            asyncio.run_coroutine_threadsafe(close(), loop)
        if self._thread is not None:
            self._thread.join(10)
            self._thread = None
        if self._pool is not None:
            self._pool.shutdown(wait=True)
            self._pool = None

    def wait_processed(self, count: int, timeout: float = 10.0) -> bool:
        """Wait until ``count`` messages have been handled (stored or refused)."""
        with self._done:
            return self._done.wait_for(lambda: self.processed >= count, timeout)

    def submit(self, data: bytes) -> None:
        """Hand one message to the pool (called on the loop's thread)."""
        if self._pool is None:
            return
        with self._done:
            overloaded = self._pending >= MAX_PENDING
            if not overloaded:
                self._pending += 1
        if overloaded:
            _refuse_overloaded()
            self._mark_done()
            return
        future = self._pool.submit(self.intake.deliver, data)
        future.add_done_callback(lambda _: self._finished())

    def _finished(self) -> None:
        with self._done:
            self._pending -= 1
        self._mark_done()

    def _mark_done(self) -> None:
        with self._done:
            self.processed += 1
            self._done.notify_all()

    def _bind(self) -> tuple[socket.socket, socket.socket]:
        family = socket.AF_INET6 if ":" in self.host else socket.AF_INET
        for _ in range(20):  # port 0: find a number free for both transports
            tcp = socket.create_server((self.host, self.port), family=family)
            port = int(tcp.getsockname()[1])
            udp = socket.socket(family, socket.SOCK_DGRAM)
            try:
                udp.bind((self.host, port))
            except OSError:
                tcp.close()
                udp.close()
                if self.port:
                    raise
                continue
            tcp.setblocking(False)
            udp.setblocking(False)
            self.port = port
            return tcp, udp
        raise OSError("no port free for both UDP and TCP")


def _refuse_overloaded() -> None:
    INGEST_REJECTED.labels("cef", "overloaded").inc()


class _UdpProtocol(asyncio.DatagramProtocol):
    def __init__(self, listener: SyslogListener) -> None:
        self.listener = listener

    def datagram_received(self, data: bytes, addr: tuple[str | object, int]) -> None:
        if data.strip():
            self.listener.submit(data)


class _TcpProtocol(asyncio.Protocol):
    def __init__(self, listener: SyslogListener) -> None:
        self.listener = listener
        self.deframer = TcpDeframer()
        self.transport: asyncio.Transport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport

    def data_received(self, data: bytes) -> None:
        for message in self.deframer.feed(data):
            self.listener.submit(message)
        if self.deframer.broken is not None and self.transport is not None:
            log.info("syslog TCP connection closed: %s", self.deframer.broken)
            INGEST_REJECTED.labels("cef", "malformed").inc()
            self.transport.close()

    def eof_received(self) -> bool | None:
        rest = bytes(self.deframer.buffer)
        if rest.strip() and self.deframer.broken is None:
            self.listener.submit(rest)  # a last line without its newline
        return None
