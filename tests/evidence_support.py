"""Evidence test helpers: a directory store, adding a file as someone, the custody log."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator

from sqlalchemy import select

from muster.db.uow import Database
from muster.domain.compliance.evidence import add_file_evidence
from muster.domain.compliance.evidence_models import EvidenceItem
from muster.domain.compliance.evidence_schemas import EvidenceMeta
from muster.domain.compliance.evidence_store import EvidenceStore
from muster.domain.events.actor import Actor
from muster.domain.events.models import Event

LIMIT = 64 * 1024 * 1024


def pieces(data: bytes, size: int = 1000) -> Iterator[bytes]:
    for at in range(0, len(data), size):
        yield data[at : at + size]


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def add_file(
    db: Database,
    actor: Actor,
    incident_id: str,
    store: EvidenceStore,
    data: bytes,
    name: str = "capture.pcap",
    supersedes: str | None = None,
    **meta: object,
) -> EvidenceItem:
    return add_file_evidence(
        db, actor, incident_id, store, pieces(data), filename=name,
        media_type="application/vnd.tcpdump.pcap", meta=EvidenceMeta.model_validate(meta),
        limit=LIMIT, supersedes_id=supersedes,
    )  # fmt: skip


def custody(db: Database, evidence_id: str) -> list[Event]:
    with db.unit_of_work(readonly=True) as uow:
        rows = uow.session.scalars(
            select(Event).where(Event.stream == f"evidence:{evidence_id}").order_by(Event.seq)
        ).all()
        uow.session.expunge_all()
        return list(rows)


def item(db: Database, evidence_id: str) -> EvidenceItem:
    with db.unit_of_work(readonly=True) as uow:
        row = uow.session.get_one(EvidenceItem, evidence_id)
        uow.session.expunge_all()
        return row
