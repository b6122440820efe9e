"""Email intake over SMTP: mail to ``<integration key>@<email domain>`` becomes alerts.

The listener is aiosmtpd's threaded controller: an asyncio loop in a thread of its own,
listening on a socket bound here (port 0 picks a free port). Its hooks answer:

* ``RCPT``: 250 for the address of a live email integration on our domain; 550 for any
  other address, saying nothing of whether the key is unknown, revoked or of another
  type; 451 when the database cannot be reached, or when the integration is over its
  rate limit (the same per-integration limit as HTTP intake,
  :mod:`muster.domain.alerts.ratelimit`; each accepted recipient spends one alert): the
  sender retries later.
* ``DATA``: the message is parsed (:mod:`muster.integrations.email`, with each
  integration's own rule) and ingested for every accepted recipient in **one** unit of
  work; 250 only after that commit. 552 past :data:`MAX_EMAIL_BYTES`; 550 with the
  reason for a message that cannot be read; 451 when the database is down.

Database work runs in the loop's thread pool, so one slow commit never stalls the other
SMTP sessions.
"""

from __future__ import annotations

import asyncio
import logging
import socket
import time
from collections import Counter
from collections.abc import Awaitable, Callable, Sequence
from typing import Any, TypeVar

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session
from sqlalchemy.exc import SQLAlchemyError

from muster.db.uow import Database
from muster.domain.alerts.ingest import do_ingest
from muster.domain.alerts.integrations import find_live_integration
from muster.domain.alerts.ratelimit import RateLimiter, check_rate
from muster.domain.notify.replies import do_handle_reply, is_reply_address
from muster.errors import MusterError, RateLimited, TooLarge
from muster.integrations.email import (
    MAX_EMAIL_BYTES,
    integration_key,
    parse_email,
    parse_message,
    read_message,
    rule_from_config,
)  # fmt: skip
from muster.metrics import INGEST_LATENCY, INGEST_RECEIVED, INGEST_REJECTED

log = logging.getLogger(__name__)

T = TypeVar("T")

MAX_RECIPIENTS = 20
NO_SUCH_RECIPIENT = "550 5.1.1 No such recipient here"
TRY_LATER = "451 4.3.0 Temporarily unable to store the message; try again later"


class IntakeHandler:
    """The aiosmtpd handler: its ``handle_*`` hooks run on the listener's loop.

    ``accept_recipient`` and ``deliver`` are the blocking halves, callable directly.
    """

    def __init__(
        self, db: Database, domain: str, *, max_bytes: int = MAX_EMAIL_BYTES,
        reply_secret: str | None = None, limiter: RateLimiter | None = None,
    ) -> None:  # fmt: skip
        self.db = db
        self.domain = domain.strip().lower()
        self.max_bytes = max_bytes
        self.limiter = limiter or RateLimiter()
        # Replies to pages (``act+<token>@domain``) acknowledge or resolve; see
        # muster.domain.notify.replies. None: such addresses are refused like any other.
        self.reply_secret = reply_secret

    async def handle_RCPT(
        self,
        server: SMTP,
        session: Session,
        envelope: Envelope,
        address: str,
        rcpt_options: list[str],
    ) -> str:
        if len(envelope.rcpt_tos) >= MAX_RECIPIENTS:
            return "452 4.5.3 Too many recipients"
        status = await _in_thread(self.accept_recipient, address)
        if status.startswith("250"):
            envelope.rcpt_tos.append(address)
            envelope.rcpt_options.extend(rcpt_options)
        return status

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        raw = envelope.original_content or b""
        replies = [a for a in envelope.rcpt_tos if is_reply_address(a)]
        if replies:
            answer = await _in_thread(self.take_replies, replies, raw)
            if len(replies) == len(envelope.rcpt_tos):
                return answer
        keys = list(
            dict.fromkeys(integration_key(a) for a in envelope.rcpt_tos if a not in replies)
        )
        return await _in_thread(self.deliver, keys, raw)

    def accept_recipient(self, address: str) -> str:
        """The RCPT reply for ``address``: 250, 550 (not ours) or 451 (database down, or
        the integration over its rate limit)."""
        if address.rpartition("@")[2].lower() != self.domain:
            INGEST_REJECTED.labels("email", "unknown_key").inc()
            return NO_SUCH_RECIPIENT
        if self.reply_secret and is_reply_address(address):
            return "250 2.1.5 OK"
        try:
            key = integration_key(address)
            with self.db.unit_of_work(readonly=True) as uow:
                integration = find_live_integration(uow, key, type="email")
                live = integration is not None
                if integration is not None:
                    check_rate(self.limiter, integration.id, integration.rate_limit_per_minute)
        except RateLimited as exc:
            INGEST_REJECTED.labels("email", "rate_limited").inc()
            return f"451 4.7.1 Too much mail for this address; try again in {exc.retry_after} s"
        except MusterError:  # no key in the local part
            live = False
        except SQLAlchemyError as exc:
            log.warning("email recipient not checked, database unavailable: %s", exc)
            INGEST_REJECTED.labels("email", "unavailable").inc()
            return TRY_LATER
        if not live:
            INGEST_REJECTED.labels("email", "unknown_key").inc()
            return NO_SUCH_RECIPIENT
        return "250 2.1.5 OK"

    def take_replies(self, addresses: Sequence[str], raw: bytes) -> str:
        """Act on a reply to a page (acknowledge / resolve); returns the DATA reply."""
        try:
            text = read_message(parse_message(raw, max_bytes=self.max_bytes)).body_text
            outcomes = []
            for address in addresses:
                with self.db.unit_of_work() as uow:
                    outcomes.append(do_handle_reply(uow, self.reply_secret or "", address, text))
                    uow.commit()
        except MusterError as exc:
            return f"550 5.6.0 {_reason(exc)}"
        except SQLAlchemyError as exc:
            log.warning("reply not taken, database unavailable: %s", exc)
            return TRY_LATER
        if not all(o.ok for o in outcomes):
            problem = next(o.message for o in outcomes if not o.ok)
            return f"550 5.7.1 {_reason(MusterError(problem))}"
        return f"250 2.0.0 {outcomes[0].message}"

    def deliver(self, keys: Sequence[str], raw: bytes) -> str:
        """Store ``raw`` as an alert event for each live email integration in ``keys``
        (keys accepted at RCPT time), all in one transaction; returns the DATA reply."""
        started = time.perf_counter()
        try:
            stored = self._store(keys, raw)
        except TooLarge as exc:
            return _refuse("too_large", f"552 5.3.4 {exc.detail}")
        except MusterError as exc:
            return _refuse("malformed", f"550 5.6.0 {_reason(exc)}")
        except SQLAlchemyError as exc:
            log.warning("email not stored, database unavailable: %s", exc)
            return _refuse("unavailable", TRY_LATER)
        except Exception:  # a bug: keep the message with the sender, who will retry
            log.exception("email intake failed")
            return _refuse("error", TRY_LATER)
        if not stored:  # every recipient was revoked since RCPT
            return _refuse("unknown_key", NO_SUCH_RECIPIENT)
        counts: Counter[str] = Counter()
        for integration_id, results in stored:
            for result in results:
                INGEST_RECEIVED.labels(integration_id, "email", result).inc()
                counts[result] += 1
        INGEST_LATENCY.labels("email").observe(time.perf_counter() - started)
        summary = ", ".join(f"{n} {result}" for result, n in sorted(counts.items()))
        return f"250 2.0.0 Accepted: {summary}"

    def _store(self, keys: Sequence[str], raw: bytes) -> list[tuple[str, list[str]]]:
        message = parse_message(raw, max_bytes=self.max_bytes)
        stored: list[tuple[str, list[str]]] = []
        with self.db.unit_of_work() as uow:
            for key in keys:
                integration = find_live_integration(uow, key, type="email")
                if integration is None:
                    continue
                alert = parse_email(message, rule_from_config(integration.config))
                outcomes = do_ingest(uow, integration, [alert])
                stored.append((integration.id, [o.result for o in outcomes]))
            if stored:
                uow.commit()
        return stored


class SmtpListener:
    """The intake SMTP server for one process: start it, stop it.

    Precondition: ``db`` is migrated. ``port=0`` picks a free port; :attr:`port` then
    says which.
    """

    def __init__(
        self,
        db: Database,
        *,
        domain: str,
        host: str = "127.0.0.1",
        port: int = 25,
        max_bytes: int = MAX_EMAIL_BYTES,
        reply_secret: str | None = None,
        limiter: RateLimiter | None = None,
    ) -> None:
        self.handler = IntakeHandler(
            db, domain, max_bytes=max_bytes, reply_secret=reply_secret, limiter=limiter
        )
        self.host = host
        self.port = port
        self.max_bytes = max_bytes
        self._controller: _BoundController | None = None

    def start(self) -> None:
        """Bind and listen; returns once the server answers connections."""
        family = socket.AF_INET6 if ":" in self.host else socket.AF_INET
        sock = socket.create_server((self.host, self.port), family=family)
        self.port = int(sock.getsockname()[1])
        controller = _BoundController(
            self.handler,
            sock,
            server_hostname=self.handler.domain,
            data_size_limit=self.max_bytes,
        )
        try:
            controller.start()
        except BaseException:
            sock.close()
            raise
        self._controller = controller

    def stop(self) -> None:
        """Stop listening; sessions in progress are cut."""
        if self._controller is not None:
            self._controller.stop()
            self._controller = None


class _BoundController(Controller):
    """aiosmtpd's threaded controller, listening on a socket bound beforehand (so port 0
    works and no other process can take the port between choosing and listening)."""

    def __init__(self, handler: IntakeHandler, sock: socket.socket, **kwargs: Any) -> None:
        host, port = sock.getsockname()[:2]
        super().__init__(handler, hostname=host, port=port, **kwargs)
        self._sock = sock

    def _create_server(self) -> Awaitable[asyncio.AbstractServer]:
        return self.loop.create_server(self._factory_invoker, sock=self._sock, ssl=self.ssl_context)


async def _in_thread(fn: Callable[..., T], *args: object) -> T:
    return await asyncio.get_running_loop().run_in_executor(None, fn, *args)


def _refuse(reason: str, reply: str) -> str:
    INGEST_REJECTED.labels("email", reason).inc()
    return reply


def _reason(exc: MusterError) -> str:
    """One short ASCII line: an SMTP reply cannot hold more."""
    text = "; ".join([exc.detail, *(f"{e.field}: {e.reason}" for e in exc.errors)])
    return " ".join(text.split()).encode("ascii", "replace").decode("ascii")[:300]
