"""Evidence items on an incident: files (streamed into the evidence store, hashed on
arrival) and external references (a location elsewhere with the collector's hash).

Items are never altered: a correction is a new item superseding the old one, which stays
(marked superseded). Reading, transferring and verifying are in
:mod:`muster.domain.compliance.evidence_access`; disposal and deletion in
:mod:`muster.domain.compliance.evidence_removal`.

A file is stored *outside* any transaction (writers are serialised, and a disk image
takes minutes): :func:`add_file_evidence` checks the caller may add in a read-only unit,
streams the bytes into the store, then records the item in a short writing unit; if that
fails the stored bytes are removed again.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import func, select

from muster.db.uow import Database, UnitOfWork
from muster.domain.accounts.permissions import require
from muster.domain.compliance.custody import custody_event
from muster.domain.compliance.evidence_models import EvidenceItem
from muster.domain.compliance.evidence_schemas import EvidenceMeta, ExternalIn
from muster.domain.compliance.evidence_store import EvidenceStore, Stored
from muster.domain.events.actor import Actor, Role
from muster.domain.incidents.models import Incident
from muster.domain.incidents.record import record
from muster.domain.incidents.visibility import get_visible_incident
from muster.errors import Conflict, FieldError, InvalidInput, NotFound


def check_filename(name: str | None) -> str:
    """The file's own name (any directory part dropped): 1 to 300 printable characters."""
    cleaned = (name or "").strip().replace("\\", "/").rsplit("/", 1)[-1]
    if not cleaned or len(cleaned) > 300 or any(ord(c) < 32 for c in cleaned):
        raise InvalidInput(
            "choose a file with a name",
            errors=[FieldError("filename", "a file name of 1 to 300 printable characters")],
        )
    return cleaned


def check_may_add(
    uow: UnitOfWork, actor: Actor, incident_id: str, supersedes_id: str | None = None
) -> Incident:
    """The incident, if ``actor`` may add evidence to it (responder, visible) and the
    item to supersede, if any, is an active item of it."""
    require(actor, Role.RESPONDER)
    incident = get_visible_incident(uow, actor, incident_id)
    if supersedes_id is not None:
        _superseded(uow, incident, supersedes_id)
    return incident


def _superseded(uow: UnitOfWork, incident: Incident, evidence_id: str) -> EvidenceItem:
    old = uow.session.get(EvidenceItem, evidence_id)
    if old is None or old.incident_id != incident.id:
        raise InvalidInput(
            "no such evidence item", errors=[FieldError("supersedes", "no such item here")]
        )
    if old.status != "active":
        raise Conflict(f"{old.label} is {old.status}; only an active item can be superseded")
    return old


def list_evidence(uow: UnitOfWork, actor: Actor, incident_id: str) -> list[EvidenceItem]:
    """The incident's items by number. Precondition: the incident visible."""
    incident = get_visible_incident(uow, actor, incident_id)
    return list(
        uow.session.scalars(
            select(EvidenceItem)
            .where(EvidenceItem.incident_id == incident.id)
            .order_by(EvidenceItem.number)
        )
    )


def get_evidence(uow: UnitOfWork, actor: Actor, evidence_id: str) -> tuple[EvidenceItem, Incident]:
    """The item and its incident if the incident is visible; :class:`NotFound` otherwise."""
    item = uow.session.get(EvidenceItem, evidence_id)
    if item is None:
        raise NotFound("no such evidence item")
    try:
        incident = get_visible_incident(uow, actor, item.incident_id)
    except NotFound:
        raise NotFound("no such evidence item") from None
    return item, incident


def add_file_evidence(
    db: Database,
    actor: Actor,
    incident_id: str,
    store: EvidenceStore,
    chunks: Iterable[bytes],
    *,
    filename: str | None,
    media_type: str | None,
    meta: EvidenceMeta,
    limit: int,
    supersedes_id: str | None = None,
) -> EvidenceItem:
    """Stream a file into the store and record it (``evidence.collected``,
    ``incident.evidence_added``).

    Preconditions: responder; the incident visible; a file name; a non-empty file of at
    most ``limit`` bytes (:class:`TooLarge` otherwise, and nothing is kept)."""
    name = check_filename(filename)
    with db.unit_of_work(readonly=True) as uow:
        check_may_add(uow, actor, incident_id, supersedes_id)
    stored = store.put(chunks, limit=limit)
    try:
        if stored.size == 0:
            raise InvalidInput("the file is empty", errors=[FieldError("file", "empty")])
        with db.unit_of_work() as uow:
            item = do_record_file(
                uow, actor, incident_id, stored, filename=name, media_type=media_type,
                meta=meta, supersedes_id=supersedes_id,
            )  # fmt: skip
            uow.commit()
            return item
    except BaseException:
        store.delete(stored.key)
        raise


def do_record_file(
    uow: UnitOfWork,
    actor: Actor,
    incident_id: str,
    stored: Stored,
    *,
    filename: str,
    media_type: str | None,
    meta: EvidenceMeta,
    supersedes_id: str | None = None,
) -> EvidenceItem:
    """Record a file already in the store as evidence. Preconditions: as
    :func:`check_may_add`; ``stored`` is what the store answered."""
    incident = check_may_add(uow, actor, incident_id, supersedes_id)
    kind = (media_type or "application/octet-stream").strip()[:200] or "application/octet-stream"
    return _new_item(
        uow, actor, incident, meta, supersedes_id, kind="file", filename=filename,
        media_type=kind, size=stored.size, sha256=stored.sha256, storage_key=stored.key,
    )  # fmt: skip


def do_add_external(
    uow: UnitOfWork,
    actor: Actor,
    incident_id: str,
    data: ExternalIn,
    *,
    supersedes_id: str | None = None,
) -> EvidenceItem:
    """Record a reference to evidence kept elsewhere (``evidence.collected``).

    Preconditions: as :func:`check_may_add`; ``data`` validated."""
    incident = check_may_add(uow, actor, incident_id, supersedes_id)
    return _new_item(
        uow, actor, incident, data, supersedes_id, kind="external", external_uri=data.uri,
        sha256=data.sha256, size=data.size, media_type=data.media_type or None,
        filename=None,
    )  # fmt: skip


def _new_item(
    uow: UnitOfWork,
    actor: Actor,
    incident: Incident,
    meta: EvidenceMeta,
    supersedes_id: str | None,
    **fields: Any,
) -> EvidenceItem:
    now = uow.now
    if meta.collected_at is not None and meta.collected_at > now:
        raise InvalidInput(
            "collected in the future?",
            errors=[FieldError("collected_at", "not later than now")],
        )
    number = (
        uow.session.scalar(
            select(func.max(EvidenceItem.number)).where(EvidenceItem.incident_id == incident.id)
        )
        or 0
    ) + 1
    title = meta.title or fields.get("filename") or fields.get("external_uri") or "evidence"
    collector = meta.collected_by or actor.label
    item = EvidenceItem(
        incident_id=incident.id, number=number, title=str(title)[:300],
        description=meta.description, source=meta.source, collected_by=collector,
        collected_at=meta.collected_at or now, custodian=collector, created_at=now,
        created_by=actor.label, supersedes_id=supersedes_id, status="active", **fields,
    )  # fmt: skip
    uow.session.add(item)
    uow.flush()
    custody_event(
        uow, actor, item, incident, "evidence.collected", kind=item.kind, title=item.title,
        filename=item.filename, media_type=item.media_type, size=item.size, sha256=item.sha256,
        external_uri=item.external_uri, source=item.source, collected_by=item.collected_by,
        collected_at=item.collected_at, supersedes=supersedes_id,
    )  # fmt: skip
    record(
        uow, actor, incident, "incident.evidence_added", evidence_id=item.id, number=number,
        label=item.label, kind=item.kind, title=item.title, sha256=item.sha256, size=item.size,
    )  # fmt: skip
    if supersedes_id is not None:
        old = _superseded(uow, incident, supersedes_id)
        old.status, old.superseded_by_id = "superseded", item.id
        custody_event(uow, actor, old, incident, "evidence.superseded", by=item.id,
                      by_label=item.label)  # fmt: skip
        record(
            uow, actor, incident, "incident.evidence_superseded", evidence_id=old.id,
            label=old.label, by=item.id, by_label=item.label,
        )  # fmt: skip
    return item
