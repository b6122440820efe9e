"""Disposing of and deleting evidence. Either way the row stays as a tombstone (who,
when, why) with its recorded hash, and its custody log stays in the event log; only the
stored bytes go, after the transaction commits. Both are refused while the incident is
on legal hold."""

from __future__ import annotations

from muster.db.uow import UnitOfWork
from muster.domain.accounts.permissions import require
from muster.domain.compliance.custody import custody_event
from muster.domain.compliance.evidence import get_evidence
from muster.domain.compliance.evidence_models import EvidenceItem
from muster.domain.compliance.evidence_schemas import DisposeIn, ReasonIn
from muster.domain.compliance.evidence_store import EvidenceStore
from muster.domain.compliance.legal_hold import check_not_held
from muster.domain.events.actor import Actor, Role
from muster.domain.incidents.record import record
from muster.errors import Conflict


def remove_bytes_after_commit(uow: UnitOfWork, item: EvidenceItem, store: EvidenceStore) -> None:
    """Forget the item's storage key now; delete the bytes once the change commits."""
    key = item.storage_key
    item.storage_key = None
    if key is not None:
        uow.after_commit(lambda: store.delete(key))


def do_dispose(
    uow: UnitOfWork, actor: Actor, evidence_id: str, data: DisposeIn, store: EvidenceStore
) -> EvidenceItem:
    """Record the item's disposal (returned, destroyed ... ``method``) and remove its
    stored bytes (``evidence.disposed`` {reason, method}).

    Preconditions: manager; visible; not already disposed or deleted; no legal hold."""
    require(actor, Role.MANAGER)
    item, incident = get_evidence(uow, actor, evidence_id)
    if item.status in ("disposed", "deleted"):
        raise Conflict(f"{item.label} is already {item.status}")
    check_not_held(uow, incident, f"disposing of {item.label}")
    item.status = "disposed"
    item.disposed_at, item.disposed_by = uow.now, actor.label
    item.disposal_reason, item.disposal_method = data.reason, data.method
    remove_bytes_after_commit(uow, item, store)
    custody_event(uow, actor, item, incident, "evidence.disposed", reason=data.reason,
                  method=data.method)  # fmt: skip
    return item


def do_delete(
    uow: UnitOfWork, actor: Actor, evidence_id: str, data: ReasonIn, store: EvidenceStore
) -> EvidenceItem:
    """Delete the item: its bytes go, its row stays as a tombstone (``evidence.deleted``
    {reason}, ``incident.evidence_deleted``).

    Preconditions: admin; visible; not already deleted; no legal hold (409 naming it)."""
    require(actor, Role.ADMIN)
    item, incident = get_evidence(uow, actor, evidence_id)
    if item.status == "deleted":
        raise Conflict(f"{item.label} is already deleted")
    check_not_held(uow, incident, f"deleting {item.label}")
    tombstone(uow, actor, item, data.reason, store)
    custody_event(uow, actor, item, incident, "evidence.deleted", reason=data.reason)
    record(uow, actor, incident, "incident.evidence_deleted", evidence_id=item.id,
           label=item.label, reason=data.reason, sha256=item.sha256)  # fmt: skip
    return item


def tombstone(
    uow: UnitOfWork, actor: Actor, item: EvidenceItem, reason: str, store: EvidenceStore
) -> None:
    item.status = "deleted"
    item.deleted_at, item.deleted_by, item.deleted_reason = uow.now, actor.label, reason
    remove_bytes_after_commit(uow, item, store)
