"""Streams the event log to each audit forwarder (a SIEM), in order, never skipping an
event: see :mod:`muster.domain.audit.forwarding`.

``run_due`` leases the due forwarders and reads their batches in the runner's short
transaction; the sends run once it has committed, outside any transaction, and each
outcome is recorded in a unit of work of its own.
"""

from __future__ import annotations

import logging
import socket
from collections.abc import Callable
from datetime import datetime
from urllib.parse import urlsplit

from muster.channels import outbound_policy
from muster.channels.http import Policy
from muster.clock import Clock
from muster.config import Settings, load_settings
from muster.db.uow import Database, UnitOfWork
from muster.domain.audit.forwarding import (
    Batch,
    Outcome,
    anything_due,
    claim_batches,
    record_outcome,
)
from muster.domain.audit.transport import send_batch

log = logging.getLogger(__name__)
Sender = Callable[[Batch, Policy, Clock, str], Outcome]


class AuditForwarding:
    name = "audit_forwarding"

    def __init__(self, settings: Settings | None = None, *, sender: Sender = send_batch) -> None:
        """``settings`` (default: the environment's, read when first needed) give the
        outbound policy and the host name syslog messages carry."""
        self._settings = settings
        self._sender = sender
        self._ready: tuple[Policy, str] | None = None

    def _policy(self) -> tuple[Policy, str]:
        if self._ready is None:
            settings = self._settings or load_settings()
            hostname = urlsplit(settings.base_url).hostname or socket.gethostname()
            self._ready = (outbound_policy(settings), hostname)
        return self._ready

    def pending(self, uow: UnitOfWork, now: datetime) -> bool:
        return anything_due(uow, now)

    def run_due(self, uow: UnitOfWork, now: datetime) -> int:
        """How many batches were taken to send."""
        batches = claim_batches(uow, now)
        if batches:
            db = Database(uow.session.get_bind(), uow.clock)  # type: ignore[arg-type]
            uow.after_commit(lambda: self._send(db, batches))
        return len(batches)

    def _send(self, db: Database, batches: list[Batch]) -> None:
        policy, hostname = self._policy()
        for batch in batches:
            try:
                outcome = self._sender(batch, policy, db.clock, hostname)
            except Exception as exc:  # a bug in a send must not leave the lease to expire
                log.exception("audit forwarder %s: send failed", batch.name)
                outcome = Outcome(None, 0, f"{type(exc).__name__}: {exc}")
            with db.unit_of_work() as uow:
                record_outcome(uow, batch, outcome, uow.now)
                uow.commit()
