"""Retention of incidents: resolved, closed, declined or merged ones removed whole, once
their moment is older than the cutoff and no legal hold protects them.

With each incident go the rows hanging off it (by their foreign keys), the finished
outbox rows about it, its evidence bytes and the attachment files no kept attachment
shares (after commit). Its timeline (``incident:<id>``) and its evidence custody logs
(``evidence:<id>``) are pruned from the event log, each sealed by a checkpoint. An
incident whose events some log reader has not read yet waits for the next pass."""

from __future__ import annotations

import contextlib
import functools
from datetime import datetime
from pathlib import Path

from sqlalchemy import ColumnElement, Table, and_, delete, exists, or_, select

from muster.db.uow import UnitOfWork
from muster.domain.compliance.custody import stream_of as custody_stream
from muster.domain.compliance.evidence_models import EvidenceItem, RetentionPurge
from muster.domain.compliance.evidence_store import EvidenceStore
from muster.domain.events.actor import Actor
from muster.domain.events.checkpoint import prune_stream
from muster.domain.events.models import Event
from muster.domain.incidents.attachments import FileBlobStore
from muster.domain.incidents.models import Attachment, Incident
from muster.domain.incidents.record import stream_of
from muster.domain.notify.models import OutboxMessage
from muster.domain.purge import Purge
from muster.domain.retention.scope import Scope

_LIVE_OUTBOX = ("queued", "sending")


def _ended_before(cutoff: datetime) -> ColumnElement[bool]:
    return or_(
        and_(Incident.status == "resolved", Incident.resolved_at <= cutoff),
        and_(Incident.status == "closed", Incident.closed_at <= cutoff),
        and_(Incident.status == "declined", Incident.declined_at <= cutoff),
        and_(Incident.status == "merged", Incident.merged_at <= cutoff),
    )


def count_held(uow: UnitOfWork, scope: Scope, cutoff: datetime) -> int:
    """Incidents due for removal that a legal hold keeps."""
    if not scope.held_incidents:
        return 0
    return len(uow.session.scalars(select(Incident.id).where(
        _ended_before(cutoff), Incident.id.in_(sorted(scope.held_incidents))
    )).all())  # fmt: skip


def due_incidents(
    uow: UnitOfWork, scope: Scope, cutoff: datetime, batch: int
) -> tuple[list[Incident], bool]:
    query = select(Incident).where(_ended_before(cutoff))
    if scope.held_incidents:
        query = query.where(Incident.id.not_in(sorted(scope.held_incidents)))
    if scope.log_floor is not None:
        query = query.where(~exists().where(
            Event.subject_type == "incident", Event.subject_id == Incident.id,
            Event.position > scope.log_floor,
        ))  # fmt: skip
    found = list(
        uow.session.scalars(query.order_by(Incident.declared_at, Incident.id).limit(batch + 1))
    )
    return found[:batch], len(found) > batch


def remove_incidents(
    uow: UnitOfWork,
    actor: Actor,
    purge: Purge,
    incidents: list[Incident],
    *,
    evidence_store: EvidenceStore,
    attachment_store: FileBlobStore,
) -> tuple[int, int, int]:
    """Remove ``incidents``; returns (incidents, notifications, events pruned)."""
    if not incidents:
        return 0, 0, 0
    ids = [i.id for i in incidents]
    restricted = {i.id: i.restricted for i in incidents}
    evidence = uow.session.execute(
        select(EvidenceItem.id, EvidenceItem.incident_id, EvidenceItem.storage_key).where(
            EvidenceItem.incident_id.in_(ids)
        )
    ).all()
    for row in evidence:
        if row.storage_key is not None:
            uow.after_commit(functools.partial(evidence_store.delete, row.storage_key))
    _forget_attachment_files(uow, ids, attachment_store)
    messages = list(uow.session.scalars(select(OutboxMessage.id).where(
        OutboxMessage.payload["incident_id"].as_string().in_(ids),
        OutboxMessage.status.not_in(_LIVE_OUTBOX),
    )))  # fmt: skip
    notifications = purge.rows(_outbox(), messages)
    removed = purge.rows(_incidents(), ids)
    pruned = 0
    for incident_id in ids:
        mark = {"incident_id": incident_id, "restricted": restricted[incident_id]}
        pruned += prune_stream(uow, actor, stream_of(incident_id), subject_type="incident",
                               subject_id=incident_id, reason="retention", **mark)  # fmt: skip
    for row in evidence:
        mark = {"incident_id": row.incident_id, "restricted": restricted[row.incident_id]}
        pruned += prune_stream(uow, actor, custody_stream(row.id), subject_type="evidence",
                               subject_id=row.id, reason="retention", **mark)  # fmt: skip
    return removed, notifications, pruned


def _forget_attachment_files(uow: UnitOfWork, ids: list[str], store: FileBlobStore) -> None:
    """Unlink (after commit) each file of these incidents' attachments that no attachment
    of another incident still uses."""
    shas = set(uow.session.scalars(select(Attachment.sha256).where(
        Attachment.incident_id.in_(ids), Attachment.sha256.is_not(None)
    )))  # fmt: skip
    purged = select(RetentionPurge.ref_id).where(RetentionPurge.kind == "attachment")
    for sha in sorted(s for s in shas if s is not None):
        still_used = uow.session.scalar(select(exists().where(
            Attachment.sha256 == sha, Attachment.incident_id.not_in(ids),
            Attachment.id.not_in(purged),
        )))  # fmt: skip
        if not still_used:
            uow.after_commit(functools.partial(_unlink, store.path_of(sha)))
    # the marks of what the evidence pass already purged go with the incidents
    uow.session.execute(delete(RetentionPurge).where(RetentionPurge.incident_id.in_(ids)))


def _unlink(path: Path) -> None:
    with contextlib.suppress(FileNotFoundError):
        path.unlink()


def _outbox() -> Table:
    table: Table = OutboxMessage.__table__  # type: ignore[assignment]
    return table


def _incidents() -> Table:
    table: Table = Incident.__table__  # type: ignore[assignment]
    return table
