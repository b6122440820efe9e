"""Streams the event log to each audit forwarder (a SIEM), in order, never skipping an
event: see :mod:`muster.domain.audit.forwarding`.

``run_due`` leases the due forwarders and reads their batches in the runner's short
transaction; the sends run once it has committed, outside any transaction, and each
outcome is recorded in a unit of work of its own.

As delivery does (:mod:`muster.engine.modules.delivery`): by default the sends finish
before the pass goes on (``muster engine --once``, tests). A long-running engine calls
:meth:`AuditForwarding.start_background` first: the sends then go to threads of this
module's own, so a destination that hangs (a SIEM that takes the connection and never
answers) holds up neither the next passes — escalations, pages — nor the other
forwarders. Only as many batches are claimed as there are senders free: a claimed batch
never waits behind a hanging one while its lease runs out.
"""

from __future__ import annotations

import logging
import socket
from collections.abc import Callable
from datetime import datetime
from functools import partial
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
from muster.engine.senders import SenderPool

log = logging.getLogger(__name__)
Sender = Callable[[Batch, Policy, Clock, str], Outcome]


class AuditForwarding:
    name = "audit_forwarding"

    def __init__(
        self, settings: Settings | None = None, *, sender: Sender = send_batch, workers: int = 4
    ) -> None:
        """``settings`` (default: the environment's, read when first needed) give the
        outbound policy and the host name syslog messages carry; ``workers``: how many
        batches may be under way at once in background mode."""
        self._settings = settings
        self._sender = sender
        self._ready: tuple[Policy, str] | None = None
        self.workers = workers
        self._senders = SenderPool(workers, "muster-audit")

    def start_background(self) -> None:
        """Send from threads of this module's own from now on (see the module's doc)."""
        self._senders.start()

    def stop_background(self, timeout: float = 10.0) -> None:
        """Wait up to ``timeout`` seconds for the sends handed over; the forwarders of
        those not begun by then are taken again when the lease runs out, as after a
        crash, and the batch is sent again: at least once."""
        self._senders.stop(timeout)

    def _policy(self) -> tuple[Policy, str]:
        if self._ready is None:
            settings = self._settings or load_settings()
            hostname = urlsplit(settings.base_url).hostname or socket.gethostname()
            self._ready = (outbound_policy(settings), hostname)
        return self._ready

    def pending(self, uow: UnitOfWork, now: datetime) -> bool:
        return self._senders.free() != 0 and anything_due(uow, now)

    def run_due(self, uow: UnitOfWork, now: datetime) -> int:
        """How many batches were taken to send."""
        free = self._senders.free()
        if free == 0:
            return 0
        batches = claim_batches(uow, now, limit=free)
        if batches:
            policy, hostname = self._policy()
            # On the same engine, so its writers queue with this process's others.
            db = Database(uow.session.get_bind(), uow.clock)  # type: ignore[arg-type]
            uow.after_commit(lambda: self._hand_over(db, policy, hostname, batches))
        return len(batches)

    def _hand_over(self, db: Database, policy: Policy, hostname: str, batches: list[Batch]) -> None:
        """Send ``batches`` now (default) or from the senders' threads (background mode)."""
        self._senders.run(partial(self._send, db, policy, hostname, batch) for batch in batches)

    def _send(self, db: Database, policy: Policy, hostname: str, batch: Batch) -> None:
        try:
            outcome = self._sender(batch, policy, db.clock, hostname)
        except Exception as exc:  # a bug in a send must not leave the lease to expire
            log.exception("audit forwarder %s: send failed", batch.name)
            outcome = Outcome(None, 0, f"{type(exc).__name__}: {exc}")
        try:
            with db.unit_of_work() as uow:
                if not record_outcome(uow, batch, outcome, uow.now):
                    log.warning("audit forwarder %s: lease lost before the outcome was "
                                "recorded", batch.name)  # fmt: skip
                uow.commit()
        except Exception:  # the lease runs out and the batch is sent again
            log.exception("audit forwarder %s: recording the outcome failed", batch.name)
