"""Forwarding the log, batch by batch, with nothing skipped.

Each forwarder keeps its own ``position``. :func:`claim_batches` (in the engine's short
writing transaction) reads, per due forwarder, the events after its position up to the
log's end as read at that moment, and leases the forwarder; the sends happen after
commit, outside any transaction (in a long-running engine on threads of the engine
module's own, so a hanging destination holds up nothing else: see
:mod:`muster.engine.modules.audit_forwarding`); :func:`record_outcome` then moves the
position only past what the destination accepted. A failed send keeps the position, so
the same events go again after a backoff; a crash mid-send leaves the lease to run out,
and the batch is sent again (at least once: receivers deduplicate by event ``id``).

Why no event is skipped: writing transactions run one at a time on both databases (see
:meth:`muster.db.uow.Database.unit_of_work`), so positions become visible in commit
order; an event below the log's end as read now is already committed. Positions a
rolled-back transaction used are gaps (PostgreSQL sequences do not go back): the
forwarder reads ``position > p``, never ``p + 1``, so a gap costs nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import or_, select

from muster.db.claim import claim
from muster.db.uow import UnitOfWork
from muster.domain.audit.export import event_record
from muster.domain.audit.forwarders import destination, log_end
from muster.domain.audit.models import AuditForwarder
from muster.domain.audit.query import like_prefix, token_names
from muster.domain.events.actor import Actor, Via
from muster.domain.events.models import Event
from muster.domain.events.service import append_event
from muster.ids import new_id

BATCH = 200
LEASE = timedelta(minutes=2)
FIRST_RETRY = timedelta(seconds=5)
LONGEST_RETRY = timedelta(minutes=5)
ACTOR = Actor.system(Via.ENGINE, label="audit forwarding")


@dataclass(frozen=True)
class Batch:
    """Events one forwarder is to send, and how far the log was read to find them."""

    forwarder_id: str
    claim: str
    name: str
    kind: str
    url: str | None
    host: str | None
    port: int | None
    transport: str | None
    tls_ca_pem: str | None
    secret: str | None
    records: tuple[dict[str, Any], ...]
    through: int  # every event up to here is in ``records`` or did not match the filter


@dataclass(frozen=True)
class Outcome:
    """What a destination accepted: up to ``sent_through`` (None: nothing), and why it
    stopped, if it did."""

    sent_through: int | None
    sent: int
    error: str | None = None


def _due(now: datetime) -> Any:
    return (
        AuditForwarder.enabled.is_(True),
        or_(AuditForwarder.claimed_until.is_(None), AuditForwarder.claimed_until <= now),
        or_(AuditForwarder.retry_at.is_(None), AuditForwarder.retry_at <= now),
    )


def anything_due(uow: UnitOfWork, now: datetime) -> bool:
    """Whether some forwarder may send now (read-only; for the engine's idle check)."""
    end = log_end(uow)
    query = select(AuditForwarder.id).where(*_due(now), AuditForwarder.position < end).limit(1)
    return uow.session.scalar(query) is not None


def claim_batches(uow: UnitOfWork, now: datetime, *, limit: int | None = None) -> list[Batch]:
    """Lease each due forwarder that has events to send and return its batch, at most
    ``limit`` batches (the rest wait, unleased, for a later pass); a forwarder whose new
    events all miss its filter just moves on (nothing to send)."""
    end = log_end(uow)
    due = select(AuditForwarder).where(*_due(now), AuditForwarder.position < end)
    # Who sent longest ago first, so that with a limit every forwarder gets its turn.
    hooks = claim(uow, due.order_by(AuditForwarder.last_forwarded_at.asc().nulls_first(),
                                    AuditForwarder.id))  # fmt: skip
    batches: list[Batch] = []
    for hook in hooks:
        if limit is not None and len(batches) >= limit:
            break
        query = select(Event).where(Event.position > hook.position, Event.position <= end)
        if hook.type_prefixes:
            likes = [Event.type.like(like_prefix(str(p)), escape="\\") for p in hook.type_prefixes]
            query = query.where(or_(*likes))
        events = uow.session.scalars(query.order_by(Event.position).limit(BATCH)).all()
        through = events[-1].position if len(events) >= BATCH else end
        if not events:
            hook.position = through
            continue
        tokens = token_names(uow, events)
        hook.claim, hook.claimed_until = new_id(), now + LEASE
        batches.append(Batch(
            forwarder_id=hook.id, claim=hook.claim, name=hook.name, kind=hook.kind,
            url=hook.url, host=hook.host, port=hook.port, transport=hook.transport,
            tls_ca_pem=hook.tls_ca_pem, secret=hook.secret,
            records=tuple(event_record(e, tokens) for e in events), through=through,
        ))  # fmt: skip
    return batches


def backoff(failures: int) -> timedelta:
    """5 s, 10 s, 20 s, ... up to 5 minutes."""
    delay: timedelta = FIRST_RETRY * (2 ** min(max(failures - 1, 0), 10))
    return min(delay, LONGEST_RETRY)


def record_outcome(uow: UnitOfWork, batch: Batch, outcome: Outcome, now: datetime) -> bool:
    """Move the forwarder past what was accepted and release its lease; on an error,
    retry after a backoff. False (and nothing changed) when the lease was lost meanwhile
    (the forwarder was deleted, or its lease ran out and another worker took it)."""
    hook = uow.session.scalar(
        select(AuditForwarder).where(AuditForwarder.id == batch.forwarder_id).with_for_update()
    )
    if hook is None or hook.claim != batch.claim:
        return False
    if outcome.sent_through is not None and outcome.sent_through > hook.position:
        hook.position = outcome.sent_through
        hook.forwarded += outcome.sent
        hook.last_forwarded_at = now
    hook.claim, hook.claimed_until = None, None
    if outcome.error is None:
        if hook.failures:
            _event(uow, "audit_forwarder.recovered", hook, failures=hook.failures)
        hook.failures, hook.retry_at, hook.last_error = 0, None, None
        return True
    hook.failures += 1
    hook.last_error = outcome.error[:500]
    hook.retry_at = now + backoff(hook.failures)
    if hook.failures == 1:
        _event(uow, "audit_forwarder.failing", hook, error=hook.last_error,
               position=hook.position)  # fmt: skip
    return True


def _event(uow: UnitOfWork, type_: str, hook: AuditForwarder, **data: Any) -> None:
    append_event(uow, ACTOR, type_, subject_type="audit_forwarder", subject_id=hook.id,
                 data={"name": hook.name, "destination": destination(hook), **data})  # fmt: skip
