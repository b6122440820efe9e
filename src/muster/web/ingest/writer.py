"""The ingest writer: one thread that commits inbound alerts in groups.

Requests hand their parsed alerts to the writer and wait. The writer takes whatever is
queued, looks up what the whole group needs at once, applies every request in one
transaction, commits once, and only then answers every request of the group. A sender is
thus answered 2xx only for what is durably stored, while the database sees one commit
for many requests. A request that fails part-way rolls the group back, and each request
is then applied alone, so one bad request never spoils the others.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import Future
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.exc import SQLAlchemyError

from muster.db.checkpoint import WalCheckpointer
from muster.db.failures import data_error_reason, is_data_error
from muster.db.uow import Database, UnitOfWork
from muster.domain.alerts.ingest import prepare_ingest
from muster.domain.alerts.integrations import find_live_integrations
from muster.domain.alerts.models import Integration
from muster.domain.alerts.ratelimit import RateLimiter, check_rate
from muster.domain.alerts.routing import Rule
from muster.domain.alerts.rules import load_rules
from muster.errors import FieldError, InvalidInput, MusterError, NotFound, Unavailable
from muster.integrations.normalized import InboundAlert
from muster.metrics import INGEST_BATCH
from muster.threads import start_thread

log = logging.getLogger(__name__)

Handler = Callable[[UnitOfWork, Integration, Sequence[Rule]], Any]


@dataclass
class Job:
    key: str
    type: str
    cost: int
    handler: Handler
    # The alerts the handler will ingest, when known before it runs: the writer looks up
    # what a whole batch of jobs needs at once (see prepare_ingest).
    alerts: Sequence[InboundAlert] = ()
    future: Future[Any] = field(default_factory=Future)
    charged: bool = False  # its cost was taken from the integration's rate limit


UNAVAILABLE = "the database is unavailable; retry shortly"


class IngestWriter:
    def __init__(
        self,
        db: Database,
        *,
        max_batch: int = 500,
        max_pending: int = 20_000,
        limiter: RateLimiter | None = None,
    ) -> None:
        self.db = db
        self.max_batch = max_batch
        self.max_pending = max_pending
        self.limiter = limiter or RateLimiter()
        self._queue: queue.SimpleQueue[Job | None] = queue.SimpleQueue()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()
        # SQLite: copy the write-ahead log into the database off this writer's commits.
        self._checkpointer = WalCheckpointer(db.engine)

    def submit(
        self,
        key: str,
        type: str,
        handler: Handler,
        *,
        cost: int = 1,
        alerts: Sequence[InboundAlert] = (),
    ) -> Future[Any]:
        """Queue ``handler`` to run on the live integration ``key`` of ``type``.

        The future fails with :class:`NotFound` for an unknown or revoked key,
        :class:`RateLimited` past the integration's limit, and :class:`Unavailable` when
        the queue is full or the database is down (so senders retry).
        """
        if self._queue.qsize() >= self.max_pending:
            raise Unavailable("Muster is overloaded; retry shortly")
        self._ensure_started()
        job = Job(key=key, type=type, cost=cost, handler=handler, alerts=alerts)
        self._queue.put(job)
        return job.future

    def _ensure_started(self) -> None:
        if self._thread is not None:
            return
        with self._lock:
            if self._thread is None:
                self._thread = start_thread(self._run, "muster-writer")
                self._checkpointer.start()

    def stop(self) -> None:
        if self._thread is not None:
            self._queue.put(None)
            self._thread.join(timeout=10)
            self._thread = None
        self._checkpointer.stop()

    def _run(self) -> None:
        while True:
            first = self._queue.get()
            if first is None:
                return
            batch = [first]
            while len(batch) < self.max_batch:
                try:
                    job = self._queue.get_nowait()
                except queue.Empty:
                    break
                if job is None:
                    self._process_safely(batch)
                    return
                batch.append(job)
            self._process_safely(batch)

    def _process_safely(self, batch: list[Job]) -> None:
        try:
            self._process(batch)
        except Exception as exc:  # a bug must fail its batch, not stop the writer
            log.exception("ingest writer failed a batch of %d", len(batch))
            for job in batch:
                if not job.future.done():
                    job.future.set_exception(exc)

    def _process(self, batch: list[Job]) -> None:
        """Apply the batch in one transaction; if anything in it fails unexpectedly, roll
        back and apply each job in a transaction of its own, so one bad job fails alone."""
        INGEST_BATCH.observe(len(batch))
        try:
            results = self._commit(batch)
        except SQLAlchemyError as exc:
            if not is_data_error(exc):
                log.warning("ingest batch of %d not stored: %s", len(batch), exc)
                for job in batch:
                    job.future.set_exception(Unavailable(UNAVAILABLE))
                time.sleep(0.2)  # do not spin against a database that is down
                return
            # A value refused (a constraint, a type): find whose, and store the others.
            log.warning("ingest batch of %d retried job by job: %s", len(batch), exc)
            if len(batch) == 1:
                results = [(batch[0], None, _refused(exc))]
            else:
                results = [self._alone(job) for job in batch]
        except _JobFailed:
            results = [self._alone(job) for job in batch]
        for job, value, error in results:
            if error is None:
                job.future.set_result(value)
            else:
                job.future.set_exception(error)

    def _commit(self, batch: list[Job]) -> list[tuple[Job, Any, BaseException | None]]:
        results: list[tuple[Job, Any, BaseException | None]] = []
        with self.db.unit_of_work() as uow:
            rules = load_rules(uow)
            live = find_live_integrations(uow, {job.key for job in batch})
            admitted: list[tuple[Job, Integration]] = []
            for job in batch:
                try:
                    admitted.append((job, self._admit(live, job)))
                except MusterError as exc:  # refused before it wrote anything
                    results.append((job, None, exc))
            prepare_ingest(uow, [(i, job.alerts) for job, i in admitted if job.alerts], rules)
            for job, integration in admitted:
                try:
                    results.append((job, job.handler(uow, integration, rules), None))
                except SQLAlchemyError:
                    raise
                except Exception as exc:
                    if len(batch) == 1:
                        results.append((job, None, exc))
                        uow.rollback()
                        return results
                    raise _JobFailed from exc
            uow.commit()
        return results

    def _alone(self, job: Job) -> tuple[Job, Any, BaseException | None]:
        """The job in a transaction of its own: a refused value fails it with 400 naming
        the database's reason; anything else with 503, for the sender to retry."""
        try:
            return self._commit([job])[0]
        except SQLAlchemyError as exc:
            return job, None, _refused(exc) if is_data_error(exc) else Unavailable(UNAVAILABLE)

    def _admit(self, live: dict[str, Integration], job: Job) -> Integration:
        """The job's live integration, within its rate limit; refuses without writing."""
        integration = live.get(job.key)
        if integration is None or integration.type != job.type:
            raise NotFound("no live integration has this key")
        if not job.charged:  # a job tried again alone is not charged twice
            check_rate(self.limiter, integration.id, integration.rate_limit_per_minute, job.cost)
            job.charged = True
        return integration


def _refused(exc: SQLAlchemyError) -> InvalidInput:
    reason = data_error_reason(exc)
    return InvalidInput(reason, errors=[FieldError("body", reason)])


class _JobFailed(Exception):
    """A handler failed part-way: the batch's transaction must not commit."""
