"""The custody log of an evidence item: its own hash-chained stream ``evidence:<id>``
(subject ``evidence``), carrying the incident's id and restriction like the incident's
own events, so ``muster audit verify`` covers it and exports can filter it."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from muster.db.uow import UnitOfWork
from muster.domain.compliance.evidence_models import EvidenceItem
from muster.domain.events.actor import Actor
from muster.domain.events.models import Event
from muster.domain.events.service import AppendedEvent, append_event
from muster.domain.incidents.models import Incident

CUSTODY_TYPES = (
    "evidence.collected",
    "evidence.viewed",
    "evidence.downloaded",
    "evidence.transferred",
    "evidence.verified",
    "evidence.superseded",
    "evidence.disposed",
    "evidence.deleted",
)


def stream_of(evidence_id: str) -> str:
    return f"evidence:{evidence_id}"


def custody_event(
    uow: UnitOfWork,
    actor: Actor,
    item: EvidenceItem,
    incident: Incident,
    event_type: str,
    /,
    **data: Any,
) -> AppendedEvent:
    """Append ``event_type`` to ``item``'s custody log."""
    return append_event(
        uow,
        actor,
        event_type,
        subject_type="evidence",
        subject_id=item.id,
        data={
            "incident_id": incident.id,
            "restricted": incident.restricted,
            "evidence_id": item.id,
            "label": item.label,
            **data,
        },
        stream=stream_of(item.id),
    )


def custody_logs(uow: UnitOfWork, evidence_ids: list[str]) -> dict[str, list[Event]]:
    """The custody log of each item, oldest first (callers have checked visibility)."""
    logs: dict[str, list[Event]] = {i: [] for i in evidence_ids}
    if not evidence_ids:
        return logs
    rows = uow.session.scalars(
        select(Event)
        .where(Event.stream.in_([stream_of(i) for i in evidence_ids]))
        .order_by(Event.stream, Event.seq)
    )
    for row in rows:
        logs[row.subject_id].append(row)
    return logs
