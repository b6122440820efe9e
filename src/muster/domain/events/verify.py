"""Walks every hash chain and reports the first broken link (``muster audit verify``)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select

from muster.db.uow import UnitOfWork
from muster.domain.events.checkpoint import is_checkpoint_start
from muster.domain.events.hashing import GENESIS, event_hash
from muster.domain.events.models import Event, EventStream


@dataclass(frozen=True)
class Break:
    stream: str
    seq: int
    event_id: str | None
    reason: str


@dataclass(frozen=True)
class VerifyReport:
    streams: int
    events: int
    first_break: Break | None

    @property
    def ok(self) -> bool:
        return self.first_break is None


def verify_chains(uow: UnitOfWork, *, batch: int = 5000) -> VerifyReport:
    """Recompute every event's hash in stream order; stop at the first mismatch.

    Detects an edited row (hash mismatch), a deleted or inserted row (seq gap or
    ``prev_hash`` mismatch) and a truncated tail (head disagrees with the last row). A
    stream may start at a checkpoint sealing a pruned range
    (:mod:`muster.domain.events.checkpoint`) instead of at seq 1.
    """
    session = uow.session
    heads = {h.stream: h for h in session.scalars(select(EventStream))}
    checked = 0
    stream: str | None = None
    expected_seq = 1
    prev = GENESIS
    last_key: tuple[str, int] = ("", 0)
    while True:
        rows = session.scalars(
            select(Event)
            .where(
                (Event.stream > last_key[0])
                | ((Event.stream == last_key[0]) & (Event.seq > last_key[1]))
            )
            .order_by(Event.stream, Event.seq)
            .limit(batch)
        ).all()
        if not rows:
            break
        for ev in rows:
            if ev.stream != stream:
                if stream is not None and (
                    brk := _check_head(heads, stream, expected_seq - 1, prev)
                ):
                    return VerifyReport(len(heads), checked, brk)
                stream, expected_seq, prev = ev.stream, 1, GENESIS
                if ev.seq != 1 and is_checkpoint_start(ev):
                    expected_seq, prev = ev.seq, ev.prev_hash  # an earlier range was pruned
            if ev.seq != expected_seq:
                return VerifyReport(
                    len(heads),
                    checked,
                    Break(
                        ev.stream,
                        expected_seq,
                        ev.id,
                        f"missing event: expected seq {expected_seq}, found {ev.seq}",
                    ),
                )
            if ev.prev_hash != prev:
                return VerifyReport(
                    len(heads),
                    checked,
                    Break(ev.stream, ev.seq, ev.id, "prev_hash does not match the previous event"),
                )
            recomputed = event_hash(
                prev_hash=ev.prev_hash,
                stream=ev.stream,
                seq=ev.seq,
                event_id=ev.id,
                type=ev.type,
                occurred_at=ev.occurred_at,
                actor_type=ev.actor_type,
                actor_id=ev.actor_id,
                actor_label=ev.actor_label,
                via=ev.via,
                token_id=ev.token_id,
                ip=ev.ip,
                subject_type=ev.subject_type,
                subject_id=ev.subject_id,
                data=ev.data,
            )
            if recomputed != ev.hash:
                return VerifyReport(
                    len(heads),
                    checked,
                    Break(
                        ev.stream, ev.seq, ev.id, "content does not match its hash (row altered)"
                    ),
                )
            prev = ev.hash
            expected_seq += 1
            checked += 1
        last_key = (rows[-1].stream, rows[-1].seq)
    if stream is not None and (brk := _check_head(heads, stream, expected_seq - 1, prev)):
        return VerifyReport(len(heads), checked, brk)
    return VerifyReport(len(heads), checked, _missing_streams(uow, heads))


def _check_head(
    heads: dict[str, EventStream], stream: str, last_seq: int, last_hash: str
) -> Break | None:
    head = heads.get(stream)
    if head is None:
        return Break(stream, last_seq, None, "stream has events but no head")
    if head.last_seq != last_seq or head.last_hash != last_hash:
        return Break(
            stream,
            last_seq + 1,
            None,
            f"chain ends at seq {last_seq} but its head says {head.last_seq} (events removed)",
        )
    return None


def _missing_streams(uow: UnitOfWork, heads: dict[str, EventStream]) -> Break | None:
    present = set(uow.session.scalars(select(Event.stream).distinct()))
    for name, head in sorted(heads.items()):
        if head.last_seq > 0 and name not in present:
            return Break(name, 1, None, "every event of this stream is missing")
    return None
