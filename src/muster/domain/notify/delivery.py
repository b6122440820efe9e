"""The life of an outbox row, in two short transactions around each send.

::

    queued ──claim──> sending ──sent──────────────> sent
      ^  │              │  ├──transient, tries left──> queued (next_attempt_at = backoff)
      │  │              │  └──permanent / no tries──> failed (→ fall through, pages)
      │  └─cancel─> cancelled   (group acknowledged/resolved, method removed)
      └──lease expired (claimed_until passed, the worker died)──┘ (claimed again)

:func:`claim_due` (one unit of work, committed at once): takes due rows (``FOR UPDATE
SKIP LOCKED`` on PostgreSQL), cancels pages whose group is no longer triggered, holds
back rows a throttle would break (moving ``next_attempt_at``), bundles the due pages to
one method into one message, marks them ``sending`` with a lease and returns the jobs.
The caller sends each job **outside any transaction**, then :func:`record_outcome` (a
second short unit of work) writes what happened — only if the claim still holds.

Crash window: a worker that dies after sending but before recording leaves the row
``sending``; when its lease ends (``lease_seconds``, default 120 s) it is claimed and sent
again. The message carries the same idempotency key (``X-Muster-Idempotency-Key`` for
webhooks, the ``Message-ID`` of emails) so a receiver can drop the duplicate; SMS, voice
and Apprise targets have no such key and may get the message twice.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlalchemy import and_, or_, select

from muster.db.claim import claim
from muster.db.uow import UnitOfWork
from muster.domain.alerts.models import AlertGroup
from muster.domain.notify.compose import compose
from muster.domain.notify.health import note_outcome
from muster.domain.notify.incident_webhooks import PURPOSE as INCIDENT_WEBHOOK
from muster.domain.notify.incident_webhooks import unsendable as incident_webhook_unsendable
from muster.domain.notify.jobs import Job, Options, Outcome
from muster.domain.notify.models import ContactMethod, OutboxMessage
from muster.domain.notify.outbox import fall_through, timeline
from muster.domain.notify.throttle import limits_for, longest_window, next_allowed
from muster.ids import new_id

BACKOFF_BASE = timedelta(seconds=15)
BACKOFF_MAX = timedelta(minutes=10)
MAX_BUNDLE = 50


def backoff(attempts: int) -> timedelta:
    """The wait after the ``attempts``-th failed try: 15 s, 30 s, 1 min, ... up to 10 min."""
    return min(BACKOFF_BASE * (1 << max(0, attempts - 1)), BACKOFF_MAX)


def claim_due(uow: UnitOfWork, opts: Options, now: datetime, *, limit: int = 200) -> list[Job]:
    due = claim(
        uow,
        select(OutboxMessage)
        .where(
            or_(
                and_(OutboxMessage.status == "queued", OutboxMessage.next_attempt_at <= now),
                and_(OutboxMessage.status == "sending", OutboxMessage.claimed_until <= now),
            )
        )
        .order_by(OutboxMessage.next_attempt_at, OutboxMessage.id),
        limit=limit,
    )
    # Held until commit: the session keeps a loaded row only while something refers to it.
    uow.memo["notify.claimed"] = _prefetch(uow, due)
    live = [row for row in due if not _cancelled(uow, row, now)]
    batches: dict[tuple[str, ...], list[OutboxMessage]] = defaultdict(list)
    for row in live:
        if row.purpose == "page":
            batches[("page", row.contact_method_id or row.address)].append(row)
        else:
            batches[("one", row.id)].append(row)
    jobs = []
    for rows in batches.values():
        held_until = _throttled_until(uow, opts, rows[0], now)
        if held_until is not None:
            for row in rows[:MAX_BUNDLE]:
                row.status, row.next_attempt_at, row.updated_at = "queued", held_until, now
                row.claimed_until = row.claim_id = None
            continue
        # Bundles of MAX_BUNDLE; a throttled method gets one a pass (the rest stay queued).
        bundles = [rows[i : i + MAX_BUNDLE] for i in range(0, len(rows), MAX_BUNDLE)]
        if limits_for(opts.throttle, rows[0].method_type) and rows[0].purpose == "page":
            bundles = bundles[:1]
        jobs += [_start(uow, opts, bundle, now) for bundle in bundles]
    return jobs


def _prefetch(uow: UnitOfWork, rows: Sequence[OutboxMessage]) -> list[object]:
    """Load the rows' groups and methods in two queries (later lookups hit the session)."""
    loaded: list[object] = []
    for model, ids in (
        (AlertGroup, {r.group_id for r in rows if r.group_id}),
        (ContactMethod, {r.contact_method_id for r in rows if r.contact_method_id}),
    ):
        if ids:
            loaded += uow.session.scalars(select(model).where(model.id.in_(ids))).all()
    return loaded


def _cancelled(uow: UnitOfWork, row: OutboxMessage, now: datetime) -> bool:
    why = None
    if row.purpose == "page" and row.group_id:
        group = uow.session.get(AlertGroup, row.group_id)
        if group is None or group.status != "triggered":
            why = f"not sent: the alert group was {group.status if group else 'removed'}"
    if row.contact_method_id and why is None:
        method = uow.session.get(ContactMethod, row.contact_method_id)
        if method is None or method.removed_at is not None:
            why = "not sent: the contact method was removed"
        elif row.purpose == "verify" and method.verified_at is not None:
            why = "not sent: already verified"
    if why is None and row.purpose == INCIDENT_WEBHOOK:
        why = incident_webhook_unsendable(uow, row)
    if why is None:
        return False
    row.status, row.last_error, row.updated_at = "cancelled", why, now
    row.claimed_until = row.claim_id = None
    row.payload = {}
    return True


def _throttled_until(
    uow: UnitOfWork, opts: Options, row: OutboxMessage, now: datetime
) -> datetime | None:
    """When a page to ``row``'s method may go, if not now (pages only: codes and tests
    have their own limits, and announcements go to rooms, not people)."""
    if row.purpose != "page" or row.contact_method_id is None:
        return None
    limits = limits_for(opts.throttle, row.method_type)
    if not limits:
        return None
    sent = uow.session.scalars(
        select(OutboxMessage.sent_at).where(
            OutboxMessage.contact_method_id == row.contact_method_id,
            OutboxMessage.sent_at > now - longest_window(limits),
            OutboxMessage.purpose == "page", OutboxMessage.bundle_id.is_(None),
        )
    ).all()  # fmt: skip
    allowed = next_allowed([t for t in sent if t is not None], limits, now)
    return allowed if allowed > now else None


def _start(uow: UnitOfWork, opts: Options, rows: list[OutboxMessage], now: datetime) -> Job:
    claim_id = new_id()
    carrier = rows[0]
    for row in rows:
        if row.status == "sending":  # the lease ran out: the last try's fate is unknown
            row.last_error = "lease expired before the outcome was recorded; sending again"
            timeline(uow, "notification.retrying", row, error=row.last_error, lease_expired=True)
        row.status, row.claim_id, row.claimed_until = "sending", claim_id, now + opts.lease
        row.attempts += 1
        row.bundle_id = None if row is carrier else carrier.id
        row.updated_at = now
    message = compose(uow, opts, rows, now)
    return Job(claim_id, tuple(r.id for r in rows), message)


def record_outcome(uow: UnitOfWork, job: Job, outcome: Outcome) -> bool:
    """Write what happened to ``job``; False (and nothing written) when its claim was
    lost meanwhile (the lease ran out and another worker took the rows)."""
    now = uow.now
    rows = _held(uow, job)
    if not rows:
        return False
    carrier = rows[0]
    if outcome.ok or not outcome.permanent:  # a bad address says nothing of the channel
        note_outcome(uow, carrier.method_type, ok=outcome.ok, error=outcome.error)
    for row in rows:
        row.claimed_until = row.claim_id = None
        row.updated_at = now
        if outcome.ok:
            _sent(uow, row, outcome, len(rows), now)
        elif not outcome.permanent and row.attempts < row.max_attempts:
            row.status = "queued"
            row.next_attempt_at = now + backoff(row.attempts)
            row.last_error = (outcome.error or "failed")[:1000]
            timeline(uow, "notification.retrying", row, error=row.last_error,
                     next_attempt_at=row.next_attempt_at)  # fmt: skip
        else:
            row.status = "failed"
            row.last_error = (outcome.error or "failed")[:1000]
            row.payload = {}
            nxt = fall_through(uow, row) if row.purpose == "page" else None
            timeline(uow, "notification.failed", row, error=row.last_error,
                     permanent=outcome.permanent, falls_through_to=nxt)  # fmt: skip
    return True


def _held(uow: UnitOfWork, job: Job) -> Sequence[OutboxMessage]:
    rows = uow.session.scalars(
        select(OutboxMessage)
        .where(
            OutboxMessage.id.in_(job.row_ids),
            OutboxMessage.claim_id == job.claim_id,
            OutboxMessage.status == "sending",
        )
        .execution_options(populate_existing=True)
    ).all()
    order = {row_id: i for i, row_id in enumerate(job.row_ids)}
    return sorted(rows, key=lambda r: order[r.id])


def _sent(
    uow: UnitOfWork, row: OutboxMessage, outcome: Outcome, bundled: int, now: datetime
) -> None:
    row.status, row.sent_at, row.last_error = "sent", now, None
    row.provider_message_id = outcome.provider_message_id
    row.payload = {}
    timeline(uow, "notification.sent", row, provider_message_id=outcome.provider_message_id,
             bundled=bundled, carrier_id=row.bundle_id or row.id)  # fmt: skip
