"""Pruning a stream of the event log, sealed by a checkpoint.

The log is append-only, except here: retention removes the whole stream of something it
deleted (an incident's timeline, an evidence item's custody log). The stream is not left
empty: a ``stream.checkpoint`` event is first appended to it, linked to the last event as
any event is, and recording the last pruned ``seq`` and ``hash``; then every earlier row
of the stream is deleted. :func:`muster.domain.events.verify.verify_chains` accepts a
stream that starts at such a checkpoint (its ``prev_hash`` and ``seq`` must match what it
records), so the rest of the log, and the checkpoint itself, stay verifiable.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import delete, func, select

from muster.db.uow import UnitOfWork
from muster.domain.events.actor import Actor
from muster.domain.events.models import Event, EventStream
from muster.domain.events.service import append_event

CHECKPOINT = "stream.checkpoint"


def is_checkpoint_start(event: Event) -> bool:
    """``event`` is a checkpoint that may open its stream: it names the seq just before
    its own and the hash its ``prev_hash`` links to."""
    data = event.data if isinstance(event.data, dict) else {}
    return (
        event.type == CHECKPOINT
        and data.get("pruned_through_seq") == event.seq - 1
        and data.get("pruned_through_hash") == event.prev_hash
    )


def last_position(uow: UnitOfWork, stream: str) -> int:
    """The log position of the stream's newest row (0 when it has none)."""
    return int(
        uow.session.scalar(select(func.max(Event.position)).where(Event.stream == stream)) or 0
    )


def prune_stream(
    uow: UnitOfWork,
    actor: Actor,
    stream: str,
    *,
    subject_type: str,
    subject_id: str,
    reason: str,
    **data: Any,
) -> int:
    """Seal ``stream`` with a checkpoint and delete every row before it; returns how many
    rows went (0, and no checkpoint, for a stream without rows). Precondition: called in
    the unit of work that removes what the stream is about."""
    uow.flush()
    head = uow.session.scalars(
        select(EventStream)
        .where(EventStream.stream == stream)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).one_or_none()
    if head is None or head.last_seq == 0:
        return 0
    through_seq, through_hash = head.last_seq, head.last_hash
    count = int(
        uow.session.scalar(
            select(func.count())
            .select_from(Event)
            .where(Event.stream == stream, Event.seq <= through_seq)
        )
        or 0
    )
    if count == 0 or _only_checkpoint(uow, stream, through_seq):
        return 0
    append_event(
        uow, actor, CHECKPOINT, subject_type=subject_type, subject_id=subject_id, stream=stream,
        data={"pruned_through_seq": through_seq, "pruned_through_hash": through_hash,
              "pruned_events": count, "reason": reason, **data},
    )  # fmt: skip
    uow.flush()
    uow.session.execute(delete(Event).where(Event.stream == stream, Event.seq <= through_seq))
    return count


def _only_checkpoint(uow: UnitOfWork, stream: str, through_seq: int) -> bool:
    """The stream holds nothing but its last checkpoint: pruned already."""
    first = uow.session.scalar(
        select(Event).where(Event.stream == stream).order_by(Event.seq).limit(1)
    )
    return first is not None and first.seq == through_seq and is_checkpoint_start(first)
