"""Custody commands on evidence: viewing, downloading, transferring and verifying, each
an event on the item's custody log.

Verification streams every stored file back through SHA-256, which takes time for large
images, so :func:`verify_incident_evidence` reads the items in a read-only unit, hashes
outside any transaction, and records the results in a short writing unit.
"""

from __future__ import annotations

from dataclasses import dataclass

from muster.db.uow import Database, UnitOfWork
from muster.domain.accounts.permissions import require
from muster.domain.compliance.custody import custody_event
from muster.domain.compliance.evidence import get_evidence, list_evidence
from muster.domain.compliance.evidence_models import EvidenceItem
from muster.domain.compliance.evidence_schemas import TransferIn
from muster.domain.compliance.evidence_store import EvidenceStore, hash_of
from muster.domain.events.actor import Actor, Role
from muster.domain.incidents.record import record
from muster.errors import Conflict, InvalidInput, NotFound


def do_view(uow: UnitOfWork, actor: Actor, evidence_id: str) -> EvidenceItem:
    """The item, its viewing logged (``evidence.viewed``). Precondition: visible."""
    item, incident = get_evidence(uow, actor, evidence_id)
    custody_event(uow, actor, item, incident, "evidence.viewed")
    return item


def do_download(uow: UnitOfWork, actor: Actor, evidence_id: str) -> EvidenceItem:
    """Log a download (``evidence.downloaded``) before the caller streams the bytes
    from the store. Preconditions: visible; a file whose bytes are still stored."""
    item, incident = get_evidence(uow, actor, evidence_id)
    if item.kind != "file":
        raise InvalidInput(f"{item.label} is a reference to {item.external_uri}; nothing stored")
    if item.storage_key is None:
        raise Conflict(f"{item.label} is {item.status}; its bytes were removed")
    custody_event(uow, actor, item, incident, "evidence.downloaded", sha256=item.sha256)
    return item


def do_transfer(uow: UnitOfWork, actor: Actor, evidence_id: str, data: TransferIn) -> EvidenceItem:
    """Hand custody over (``evidence.transferred`` {from, to, reason}).

    Preconditions: responder; visible; not disposed or deleted; ``from`` (default the
    current custodian) is the current custodian."""
    require(actor, Role.RESPONDER)
    item, incident = get_evidence(uow, actor, evidence_id)
    if item.status in ("disposed", "deleted"):
        raise Conflict(f"{item.label} is {item.status}; it can no longer change hands")
    giver = data.from_ or item.custodian
    if giver != item.custodian:
        raise Conflict(f"{item.label} is in the custody of {item.custodian}, not {giver}")
    item.custodian = data.to
    custody_event(
        uow, actor, item, incident, "evidence.transferred",
        **{"from": giver, "to": data.to, "reason": data.reason},
    )  # fmt: skip
    return item


@dataclass(frozen=True)
class Verification:
    evidence_id: str
    label: str
    ok: bool | None  # None: nothing to recompute (an external reference, removed bytes)
    sha256_expected: str | None
    sha256_found: str | None
    detail: str


def recompute(item: EvidenceItem, store: EvidenceStore) -> Verification:
    """Hash the stored bytes again (no database access)."""
    if not item.has_bytes:
        why = "external reference" if item.kind == "external" else f"{item.status}, no bytes"
        return Verification(item.id, item.label, None, item.sha256, None, why)
    assert item.storage_key is not None
    try:
        found, size = hash_of(store.get(item.storage_key))
    except NotFound:
        return Verification(item.id, item.label, False, item.sha256, None, "missing from store")
    ok = found == item.sha256 and size == item.size
    detail = "intact" if ok else f"changed ({size} bytes, {item.size} recorded)"
    return Verification(item.id, item.label, ok, item.sha256, found, detail)


def verify_incident_evidence(
    db: Database,
    actor: Actor,
    incident_id: str,
    store: EvidenceStore,
    *,
    evidence_id: str | None = None,
) -> list[Verification]:
    """Recompute every stored hash of the incident's evidence (or one item's) and log
    each result (``evidence.verified``; a mismatch also ``incident.evidence_verification_failed``).

    Preconditions: responder; the incident visible."""
    require(actor, Role.RESPONDER)
    with db.unit_of_work(readonly=True) as uow:
        if evidence_id is not None:
            item, _incident = get_evidence(uow, actor, evidence_id)
            if item.incident_id != incident_id:
                raise NotFound("no such evidence item")
            items = [item]
        else:
            items = list_evidence(uow, actor, incident_id)
    results = [recompute(item, store) for item in items]
    with db.unit_of_work() as uow:
        record_verifications(uow, actor, results)
        uow.commit()
    return results


def record_verifications(uow: UnitOfWork, actor: Actor, results: list[Verification]) -> None:
    for result in results:
        if result.ok is None:
            continue
        item, incident = get_evidence(uow, actor, result.evidence_id)
        item.last_verified_at, item.last_verify_ok = uow.now, result.ok
        custody_event(
            uow, actor, item, incident, "evidence.verified", ok=result.ok,
            sha256_expected=result.sha256_expected, sha256_found=result.sha256_found,
            detail=result.detail,
        )  # fmt: skip
        if not result.ok:
            record(
                uow, actor, incident, "incident.evidence_verification_failed",
                evidence_id=item.id, label=item.label, sha256_expected=result.sha256_expected,
                sha256_found=result.sha256_found, detail=result.detail,
            )  # fmt: skip
