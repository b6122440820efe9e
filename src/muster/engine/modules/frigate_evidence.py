"""Attaches Frigate snapshots and clips to incidents as evidence (cursor
"frigate_evidence"); see :mod:`muster.domain.physical.frigate_evidence`.

It reads ``incident.declared`` and ``incident.alert_group_linked`` from the event log.
``run_due`` (in the runner's unit of work) works out the files each event brings that are
neither kept nor given up on, moves the cursor up to the first event with such files,
and hands those files over; once that short transaction has committed they are fetched
(no transaction open while Frigate is slow) and each is recorded in a short unit of work
of its own. The cursor passes the event only when every file of it is settled, so a
crash or restart fetches again what was not recorded, and nothing is recorded twice
(the file name per incident says what is kept).

Attempts are rows (``frigate_media_fetches``), so a restarted engine, or another worker,
goes on counting where the last left off. Handing a file over counts an attempt and holds
the file for :data:`HOLD` (a worker that dies mid-fetch leaves it to be tried again
then). A failed fetch is tried again after :data:`BACKOFF`; after the configured
attempts (:data:`ATTEMPTS` by default), or at once for a file that can never be fetched
(refused by the outbound guard, over the size limit), it is noted on the incident's
timeline. Files are at most :data:`MAX_BYTES` (and the evidence limit,
``MUSTER_EVIDENCE_MAX_BYTES``).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlalchemy import select

from muster.channels import outbound_policy
from muster.channels.http import Policy
from muster.config import Settings, load_settings
from muster.db.uow import Database, UnitOfWork
from muster.domain.alerts.models import Integration
from muster.domain.compliance.evidence_store import EvidenceStore, evidence_store
from muster.domain.events.feed import advance_cursor_to, read_feed_of
from muster.domain.physical.frigate_evidence import (
    EVENT_TYPES,
    MediaJob,
    do_claim,
    do_fetch_failed,
    do_keep_media,
    do_put_off,
    due,
    jobs_for,
    unsettled,
)  # fmt: skip
from muster.engine.pending import events_after_cursor
from muster.errors import TooLarge
from muster.integrations.frigate_media import (
    FrigateDown,
    MediaRefused,
    MediaUnavailable,
    open_media,
)  # fmt: skip

log = logging.getLogger(__name__)

CURSOR = "frigate_evidence"
BATCH = 200
MAX_BATCHES = 10
PER_PASS = 20  # files fetched per pass
ATTEMPTS = 3
BACKOFF = (timedelta(seconds=30), timedelta(minutes=2), timedelta(minutes=5))
HOLD = timedelta(minutes=30)  # a pass's fetches end well before; then another may try
MAX_BYTES = 200 * 1024 * 1024


class FrigateEvidence:
    name = "frigate_evidence"

    def __init__(
        self, settings: Settings | None = None, store: EvidenceStore | None = None,
        *, attempts: int = ATTEMPTS, max_bytes: int = MAX_BYTES,
    ) -> None:  # fmt: skip
        """``settings`` give the evidence store, its size limit and the outbound policy
        (default: the environment's, read when there is first something to fetch);
        ``store`` replaces the store (tests)."""
        self._settings = settings
        self._store = store
        self.attempts = attempts
        self.max_bytes = max_bytes

    def pending(self, uow: UnitOfWork, now: datetime) -> bool:
        return events_after_cursor(uow, CURSOR)

    def run_due(self, uow: UnitOfWork, now: datetime) -> int:
        """Returns how many files were handed over for fetching."""
        todo: list[MediaJob] = []
        for _ in range(MAX_BATCHES):
            batch = read_feed_of(uow, CURSOR, EVENT_TYPES, limit=BATCH)
            if batch.through is None:
                break
            if not _any_frigate(uow):
                advance_cursor_to(uow, CURSOR, batch.through)
                break
            blocked_at: int | None = None
            for event in batch.events:
                jobs = unsettled(uow, jobs_for(uow, event))
                if not jobs:
                    continue
                blocked_at = blocked_at or event.position
                todo.extend(due(uow, jobs, now))
                if len(todo) >= PER_PASS:
                    break
            advance_cursor_to(uow, CURSOR, batch.through if blocked_at is None else blocked_at - 1)
            if blocked_at is not None or not batch.full:
                break
        todo = list({job.key: job for job in todo}.values())[:PER_PASS]  # events share files
        if todo:
            do_claim(uow, todo, now, HOLD)
            db = Database(uow.session.get_bind(), uow.clock)  # type: ignore[arg-type]
            uow.after_commit(lambda: self.fetch_all(db, todo))
        return len(todo)

    # -------------------------------------------------------------- outside transactions

    def _ready(self) -> tuple[EvidenceStore, Policy, int]:
        if self._settings is None:
            self._settings = load_settings()
        if self._store is None:
            self._store = evidence_store(self._settings)
        limit = min(self.max_bytes, self._settings.evidence.max_bytes)
        return self._store, outbound_policy(self._settings), limit

    def fetch_all(self, db: Database, jobs: Sequence[MediaJob]) -> None:
        """Fetch and record each of ``jobs`` (claimed by a committed pass)."""
        store, policy, limit = self._ready()
        down: set[str] = set()  # Frigates unreachable in this pass: their files wait
        for job in jobs:
            if job.base in down:
                self._later(db, job)
                continue
            try:
                self._fetch(db, job, store, policy, limit)
            except FrigateDown as exc:
                down.add(job.base)
                self._failed(db, job, str(exc), permanent=False)
            except Exception as exc:  # one file's trouble must not stop the others
                log.exception("Frigate evidence %s for incident %s", job.url, job.incident_id)
                self._failed(db, job, f"{type(exc).__name__}: {exc}", permanent=False)

    def _fetch(
        self, db: Database, job: MediaJob, store: EvidenceStore, policy: Policy, limit: int
    ) -> None:
        try:
            with open_media(job.url, base=job.base, policy=policy, limit=limit) as (kind, chunks):
                stored = store.put(chunks, limit=limit)
        except FrigateDown:
            raise
        except MediaUnavailable as exc:
            self._failed(db, job, str(exc), permanent=False)
            return
        except (MediaRefused, TooLarge) as exc:
            self._failed(db, job, str(exc) or exc.__class__.__name__, permanent=True)
            return
        if stored.size == 0:
            store.delete(stored.key)
            self._failed(db, job, "Frigate sent an empty file", permanent=False)
            return
        kept = None
        try:
            with db.unit_of_work() as uow:
                kept = do_keep_media(uow, job, stored, kind or None)
                uow.commit()
        finally:
            if kept is None:
                store.delete(stored.key)

    def _later(self, db: Database, job: MediaJob) -> None:
        """Not tried in this pass (its Frigate is down): wait as after a failure, without
        counting an attempt."""
        try:
            with db.unit_of_work() as uow:
                do_put_off(uow, job, uow.now + BACKOFF[0])
                uow.commit()
        except Exception:  # the claim's hold runs out instead
            log.exception("Frigate evidence %s: putting it off failed", job.url)

    def _failed(self, db: Database, job: MediaJob, error: str, *, permanent: bool) -> None:
        try:
            with db.unit_of_work() as uow:
                spent = do_fetch_failed(uow, job, error, permanent=permanent,
                                        attempts=self.attempts, backoff=BACKOFF)  # fmt: skip
                uow.commit()
        except Exception:  # the claim's hold runs out, and it is tried (and counted) again
            log.exception("Frigate evidence %s: recording the failure failed", job.url)
            return
        if spent is not None:
            log.warning("Frigate evidence %s: attempt %d failed: %s", job.url, spent, error)


def _any_frigate(uow: UnitOfWork) -> bool:
    return uow.session.scalar(
        select(Integration.id).where(Integration.type == "frigate").limit(1)
    ) is not None  # fmt: skip
