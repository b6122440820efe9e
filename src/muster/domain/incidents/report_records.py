"""The record sections of an incident's report: regulatory clocks and submissions,
evidence with its custody log, and the investigation (observables, affected assets,
ATT&CK techniques), each read through its own package's public functions. Each is
JSON-ready, every time RFC 3339 UTC.

The caller (:func:`muster.domain.incidents.report.build_report`) has checked that the
actor may see the incident.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from muster.clock import isoformat
from muster.db.uow import UnitOfWork
from muster.domain.compliance.clock_views import incident_compliance
from muster.domain.compliance.custody import custody_logs
from muster.domain.compliance.evidence import list_evidence
from muster.domain.compliance.evidence_models import EvidenceItem
from muster.domain.events.actor import Actor
from muster.domain.events.models import Event
from muster.domain.incidents.models import Incident
from muster.domain.investigation.export import investigation_export


def _t(value: datetime | None) -> str | None:
    return isoformat(value) if value is not None else None


# ---------------------------------------------------------------- compliance


def compliance_section(uow: UnitOfWork, actor: Actor, incident: Incident) -> dict[str, Any]:
    """``{"incident_id", "regimes", "facts", "clocks", "submissions"}`` as the compliance
    page shows them (:func:`~muster.domain.compliance.clock_views.incident_compliance`),
    each submission also naming its clock's deadline (``"gdpr-33/authority"``)."""
    out: dict[str, Any] = incident_compliance(uow, actor, incident.id).model_dump(mode="json")
    deadlines = {c["id"]: c["deadline"] for c in out["clocks"]}
    for submission in out["submissions"]:
        submission["deadline"] = deadlines.get(submission["clock_id"])
    return out


# ---------------------------------------------------------------- evidence


def _custody(event: Event) -> dict[str, Any]:
    hidden = ("incident_id", "restricted", "evidence_id", "label")
    return {
        "event_id": event.id,
        "seq": event.seq,
        "at": isoformat(event.occurred_at),
        "type": event.type,
        "actor": event.actor_label,
        "actor_id": event.actor_id,
        "via": event.via,
        "data": {k: v for k, v in event.data.items() if k not in hidden},
        "hash": event.hash,
    }


def _item(item: EvidenceItem, custody: list[Event]) -> dict[str, Any]:
    return {
        "id": item.id,
        "label": item.label,
        "number": item.number,
        "kind": item.kind,
        "title": item.title,
        "description": item.description,
        "filename": item.filename,
        "media_type": item.media_type,
        "size": item.size,
        "sha256": item.sha256,
        "external_uri": item.external_uri,
        "source": item.source,
        "collected_by": item.collected_by,
        "collected_at": _t(item.collected_at),
        "custodian": item.custodian,
        "created_at": _t(item.created_at),
        "created_by": item.created_by,
        "status": item.status,
        "stored": item.has_bytes,
        "supersedes_id": item.supersedes_id,
        "superseded_by_id": item.superseded_by_id,
        "disposed_at": _t(item.disposed_at),
        "disposal_reason": item.disposal_reason,
        "disposal_method": item.disposal_method,
        "deleted_at": _t(item.deleted_at),
        "deleted_by": item.deleted_by,
        "deleted_reason": item.deleted_reason,
        "last_verified_at": _t(item.last_verified_at),
        "last_verify_ok": item.last_verify_ok,
        "custody": [_custody(e) for e in custody],
    }


def evidence_section(uow: UnitOfWork, actor: Actor, incident: Incident) -> list[dict[str, Any]]:
    """Every evidence item of the incident by number (superseded, disposed and deleted
    ones too, as their tombstones), each with its SHA-256 and its custody log (the events
    of its own hash-chained stream, oldest first)."""
    items = list_evidence(uow, actor, incident.id)
    logs = custody_logs(uow, [i.id for i in items])
    return [_item(i, logs[i.id]) for i in items]


# ---------------------------------------------------------------- investigation


def investigation_section(uow: UnitOfWork, actor: Actor, incident: Incident) -> dict[str, Any]:
    """``{"observables", "assets", "techniques"}`` of the incident
    (:func:`~muster.domain.investigation.export.investigation_export`)."""
    return investigation_export(uow, actor, incident)
