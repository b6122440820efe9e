"""Sends what is due in the outbox: claim, send outside any transaction, record.

``run_due`` runs in the runner's unit of work: it claims due rows there (marking them
``sending`` with a lease) and, once the runner has committed that short transaction,
sends the claimed messages in a small thread pool — no database transaction is open
while the network is slow — then records each outcome in its own short unit of work.
See :mod:`muster.domain.notify.delivery` for the life of a row.

By default the sends finish before ``run_due``'s pass goes on (``muster engine --once``,
tests). A long-running engine calls :meth:`Delivery.start_background` first: the sends then
go to threads of their own, so a slow channel (an SMTP relay taking its full timeout) does
not hold up the next pass's escalations. Claiming stops while every sender is busy, so no
claimed message waits behind a slow channel long enough for its lease to run out.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from functools import partial

from sqlalchemy import and_, or_, select

from muster.channels import Channels, build_channels
from muster.channels.base import Channel, failed
from muster.channels.base import Delivery as Sent
from muster.clock import Clock
from muster.config import Settings, load_settings
from muster.db.uow import Database, UnitOfWork
from muster.domain.notify.delivery import claim_due, record_outcome
from muster.domain.notify.health import admins_to_tell, tell_admins
from muster.domain.notify.jobs import Job, Options
from muster.domain.notify.models import OutboxMessage
from muster.engine.senders import Send, SenderPool

log = logging.getLogger(__name__)


class Delivery:
    name = "delivery"

    def __init__(
        self, settings: Settings | None = None, channels: Mapping[str, Channel] | None = None,
        *, workers: int = 8,
    ) -> None:  # fmt: skip
        """``settings`` default to the environment's, read when first needed;
        ``channels`` (tests) replace some or all of those the settings describe."""
        self._settings = settings
        self._extra = dict(channels or {})
        self._channels: Channels | None = None
        self._options: Options | None = None
        self.workers = workers
        self._senders = SenderPool(workers, "muster-send")

    def start_background(self) -> None:
        """Send from threads of this module's own from now on (see the module's doc)."""
        self._senders.start()

    def stop_background(self, timeout: float = 10.0) -> None:
        self._senders.stop(timeout)

    def _busy(self) -> bool:
        """Background mode with every sender taken: claim nothing more for now."""
        return self._senders.free() == 0

    def _ready(self, clock: Clock) -> tuple[Options, Channels]:
        if self._options is None or self._channels is None:
            settings = self._settings or load_settings()
            self._options = Options.from_settings(settings)
            base = (
                {}
                if set(self._extra) >= {"email", "sms", "voice", "push", "chat", "webhook"}
                else build_channels(settings, clock)
            )
            self._channels = {**base, **self._extra}
        return self._options, self._channels

    def pending(self, uow: UnitOfWork, now: datetime) -> bool:
        return (not self._busy() and _anything_due(uow, now)) or admins_to_tell(uow, now)

    def run_due(self, uow: UnitOfWork, now: datetime) -> int:
        told = tell_admins(uow, now)
        if self._busy() or not _anything_due(uow, now):
            return told
        options, channels = self._ready(uow.clock)
        jobs = claim_due(uow, options, now)
        if jobs:
            # On the same engine, so its writers queue with this process's others.
            db = Database(uow.session.get_bind(), uow.clock)  # type: ignore[arg-type]
            uow.after_commit(lambda: self._hand_over(db, channels, jobs))
        return told + len(jobs)

    def _hand_over(self, db: Database, channels: Channels, jobs: list[Job]) -> None:
        """Send ``jobs`` (claimed and committed) and record each outcome as it comes: in
        this pass, side by side, or from the senders' threads (background mode)."""
        sends = [partial(self._send_and_record, db, channels, job) for job in jobs]
        self._senders.run(sends, inline=self._side_by_side)

    def _send_and_record(self, db: Database, channels: Channels, job: Job) -> None:
        self._record(db, job, _send(channels, job))

    def _side_by_side(self, sends: list[Send]) -> None:
        if len(sends) == 1:
            sends[0]()
            return
        with ThreadPoolExecutor(max_workers=min(self.workers, len(sends))) as pool:
            for future in [pool.submit(send) for send in sends]:
                future.result()

    @staticmethod
    def _record(db: Database, job: Job, outcome: Sent) -> None:
        try:
            with db.unit_of_work() as uow:
                if not record_outcome(uow, job, outcome):
                    log.warning(
                        "outbox %s: claim lost before its outcome was recorded", job.row_ids[0]
                    )
                uow.commit()
        except Exception:  # the lease runs out and the row is sent again
            log.exception("outbox %s: recording the outcome failed", job.row_ids[0])


def _send(channels: Channels, job: Job) -> Sent:
    channel = channels.get(job.message.method_type)
    if channel is None:
        return failed(f"no channel for {job.message.method_type}", permanent=True)
    try:
        return channel.send(job.message)
    except Exception as exc:  # a channel bug must not lose the message: retry it
        log.exception("channel %s failed", job.message.method_type)
        return failed(f"{type(exc).__name__}: {exc}", permanent=False)


def _anything_due(uow: UnitOfWork, now: datetime) -> bool:
    return uow.session.scalar(
        select(OutboxMessage.id).where(or_(
            and_(OutboxMessage.status == "queued", OutboxMessage.next_attempt_at <= now),
            and_(OutboxMessage.status == "sending", OutboxMessage.claimed_until <= now),
        )).limit(1)
    ) is not None  # fmt: skip
