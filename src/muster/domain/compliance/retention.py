"""Retention: what closed incidents stop keeping after ``retention_days``.

For each incident closed longer ago than that and not on legal hold, retention removes
the stored bytes of its evidence (each item's row stays as a tombstone, with an
``evidence.deleted`` event on its custody log), the bytes of its file attachments (a
blob another kept attachment shares stays), and the bodies of its sent or failed
messages (outbox rows; who was told, when and how stays). Each incident so treated
gets ``incident.retention_applied`` with the counts.

This pass never deletes from the hash-chained event log: the log is the audit record
(timeline, custody logs, who did what). Only the ``incidents`` policy
(:mod:`muster.domain.retention`) removes whole incidents and prunes their streams, sealed
by a checkpoint. An incident on legal hold is skipped whole until the hold is released.
"""

from __future__ import annotations

import contextlib
import functools
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy import select

from muster.db.uow import UnitOfWork
from muster.domain.compliance.custody import custody_event
from muster.domain.compliance.evidence_models import EvidenceItem, RetentionPurge, RetentionRun
from muster.domain.compliance.evidence_removal import tombstone
from muster.domain.compliance.evidence_store import EvidenceStore
from muster.domain.compliance.legal_hold import held_incident_ids
from muster.domain.events.actor import Actor, Via
from muster.domain.incidents.attachments import FileBlobStore
from muster.domain.incidents.models import Attachment, Incident
from muster.domain.incidents.record import record
from muster.domain.notify.models import OutboxMessage

RETENTION = Actor.system(Via.ENGINE, label="retention")
REMOVED = "[removed by retention]"
_LIVE_OUTBOX = ("queued", "sending")


@dataclass
class RetentionReport:
    cutoff: datetime | None
    dry_run: bool
    incidents: list[str] = field(default_factory=list)
    held: list[str] = field(default_factory=list)
    evidence: int = 0
    attachments: int = 0
    messages: int = 0

    @property
    def counts(self) -> dict[str, int]:
        return {"incidents": len(self.incidents), "held": len(self.held),
                "evidence": self.evidence, "attachments": self.attachments,
                "messages": self.messages}  # fmt: skip


def due_incidents(uow: UnitOfWork, cutoff: datetime) -> list[Incident]:
    """Incidents closed at or before ``cutoff`` (hold or not)."""
    return list(
        uow.session.scalars(
            select(Incident)
            .where(Incident.status == "closed", Incident.closed_at <= cutoff)
            .order_by(Incident.closed_at, Incident.id)
        )
    )


def run_retention(
    uow: UnitOfWork,
    *,
    retention_days: int,
    evidence_store: EvidenceStore,
    attachment_store: FileBlobStore,
    dry_run: bool = False,
    actor: Actor = RETENTION,
    record_run: bool = True,
) -> RetentionReport:
    """One pass (recorded as a :class:`RetentionRun` unless ``record_run`` is False: the
    policy pass of :mod:`muster.domain.retention.run` records its own). ``retention_days``
    0: nothing. A dry run counts what would go and changes nothing but the run's record."""
    if retention_days <= 0:
        return RetentionReport(cutoff=None, dry_run=dry_run)
    cutoff = uow.now - timedelta(days=retention_days)
    report = RetentionReport(cutoff=cutoff, dry_run=dry_run)
    held = held_incident_ids(uow)
    purged = _purged(uow)
    for incident in due_incidents(uow, cutoff):
        if incident.id in held:
            report.held.append(incident.id)
            continue
        counts = (
            _evidence(uow, actor, incident, evidence_store, dry_run, retention_days),
            _attachments(uow, incident, attachment_store, purged, dry_run),
            _messages(uow, incident, purged, dry_run),
        )
        if not any(counts):
            continue
        report.incidents.append(incident.id)
        report.evidence += counts[0]
        report.attachments += counts[1]
        report.messages += counts[2]
        if not dry_run:
            record(uow, actor, incident, "incident.retention_applied", evidence=counts[0],
                   attachments=counts[1], messages=counts[2],
                   retention_days=retention_days)  # fmt: skip
    if record_run:
        uow.session.add(RetentionRun(ran_at=uow.now, dry_run=dry_run, counts=report.counts))
    return report


def _purged(uow: UnitOfWork) -> set[tuple[str, str]]:
    return {(p.kind, p.ref_id) for p in uow.session.scalars(select(RetentionPurge))}


def _mark(uow: UnitOfWork, incident: Incident, kind: str, ref_id: str) -> None:
    uow.session.add(
        RetentionPurge(incident_id=incident.id, kind=kind, ref_id=ref_id, purged_at=uow.now)
    )


def _evidence(
    uow: UnitOfWork,
    actor: Actor,
    incident: Incident,
    store: EvidenceStore,
    dry_run: bool,
    days: int,
) -> int:
    items = uow.session.scalars(
        select(EvidenceItem).where(
            EvidenceItem.incident_id == incident.id, EvidenceItem.storage_key.is_not(None)
        )
    ).all()
    if dry_run:
        return len(items)
    reason = f"retention: incident closed more than {days} days ago"
    for item in items:
        tombstone(uow, actor, item, reason, store)
        _mark(uow, incident, "evidence", item.id)
        custody_event(uow, actor, item, incident, "evidence.deleted", reason=reason)
    return len(items)


def _attachments(
    uow: UnitOfWork,
    incident: Incident,
    store: FileBlobStore,
    purged: set[tuple[str, str]],
    dry_run: bool,
) -> int:
    rows = [
        a
        for a in uow.session.scalars(
            select(Attachment).where(
                Attachment.incident_id == incident.id, Attachment.sha256.is_not(None)
            )
        )
        if ("attachment", a.id) not in purged
    ]
    if dry_run:
        return len(rows)
    for row in rows:
        _mark(uow, incident, "attachment", row.id)
        purged.add(("attachment", row.id))
        assert row.sha256 is not None
        sharers = uow.session.scalars(
            select(Attachment.id).where(Attachment.sha256 == row.sha256)
        ).all()
        if all(("attachment", s) in purged for s in sharers):
            uow.after_commit(functools.partial(_unlink, store.path_of(row.sha256)))
    return len(rows)


def _unlink(path: Path) -> None:
    with contextlib.suppress(FileNotFoundError):
        path.unlink()


def _messages(
    uow: UnitOfWork, incident: Incident, purged: set[tuple[str, str]], dry_run: bool
) -> int:
    rows = [
        m
        for m in uow.session.scalars(
            select(OutboxMessage).where(
                OutboxMessage.payload["incident_id"].as_string() == incident.id,
                OutboxMessage.status.not_in(_LIVE_OUTBOX),
            )
        )
        if ("message", m.id) not in purged
    ]
    if dry_run:
        return len(rows)
    for row in rows:
        row.payload = {
            k: (REMOVED if k in ("subject", "text", "html", "body") else v)
            for k, v in row.payload.items()
        }
        _mark(uow, incident, "message", row.id)
    return len(rows)
