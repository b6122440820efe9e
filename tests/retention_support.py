"""Building retention scenarios: alerts through a real integration, incidents ended some
days ago, outbox rows, and one retention pass with chosen policies."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Literal

from sqlalchemy import select, update

from helpers import SYSTEM
from muster.db.uow import Database
from muster.domain.alerts.ingest import do_ingest
from muster.domain.alerts.integrations import do_create_integration
from muster.domain.alerts.models import Alert, Integration
from muster.domain.alerts.schemas import IntegrationCreate
from muster.domain.compliance.evidence_store import FileEvidenceStore
from muster.domain.incidents.attachments import FileBlobStore
from muster.domain.incidents.models import Incident
from muster.domain.notify.models import OutboxMessage
from muster.domain.retention.policies import Policies
from muster.domain.retention.run import PassReport, run_policies
from muster.integrations.normalized import InboundAlert


def integration(db: Database, service_id: str) -> str:
    with db.unit_of_work() as uow:
        made = do_create_integration(
            uow, SYSTEM, service_id, IntegrationCreate(type="alertmanager")
        )
        uow.commit()
        return made.id


def alert(
    db: Database, integration_id: str, key: str, action: Literal["trigger", "resolve"] = "trigger"
) -> str:
    """Trigger (or resolve) the alert ``key``; returns its group id."""
    inbound = InboundAlert(action=action, dedup_key=key, summary=f"disk full {key}",
                           severity="critical", source="db1", raw={"payload": key})  # fmt: skip
    with db.unit_of_work() as uow:
        row = uow.session.get_one(Integration, integration_id)
        [outcome] = do_ingest(uow, row, [inbound], rules=[])
        uow.commit()
        assert outcome.group_id is not None
        return outcome.group_id


def alert_row(db: Database, key: str) -> Alert | None:
    with db.unit_of_work(readonly=True) as uow:
        found = uow.session.scalar(select(Alert).where(Alert.dedup_key == key))
        if found is not None:
            uow.session.expunge(found)
        return found


def end(db: Database, incident_id: str, status: str, days_ago: int) -> None:
    """Set the incident's status and the moment it entered it."""
    column = {"resolved": "resolved_at", "closed": "closed_at", "declined": "declined_at"}[status]
    with db.unit_of_work() as uow:
        uow.session.execute(update(Incident).where(Incident.id == incident_id).values(
            {"status": status, column: uow.now - timedelta(days=days_ago)}))  # fmt: skip
        uow.commit()


def message(db: Database, key: str, *, incident_id: str | None = None, status: str = "sent",
            days_ago: int = 0) -> str:  # fmt: skip
    with db.unit_of_work() as uow:
        at = uow.now - timedelta(days=days_ago)
        payload = {"subject": "INC resolved", "text": "body"}
        if incident_id:
            payload["incident_id"] = incident_id
        row = OutboxMessage(
            idempotency_key=f"test:{key}", purpose="announce", status=status, method_type="email",
            address="cto@example.com", step="notice", max_attempts=3, payload=payload,
            next_attempt_at=at, created_at=at, updated_at=at,
        )  # fmt: skip
        uow.session.add(row)
        uow.flush()
        uow.commit()
        return row.id


def stores(tmp_path: Path) -> tuple[FileEvidenceStore, FileBlobStore]:
    return FileEvidenceStore(tmp_path / "evidence"), FileBlobStore.in_var_dir(tmp_path)


def retain(
    db: Database, tmp_path: Path, batch: int = 500, dry_run: bool = False, **days: int
) -> PassReport:
    evidence, attachments = stores(tmp_path)
    with db.unit_of_work() as uow:
        report = run_policies(uow, Policies(days), evidence_store=evidence,
                              attachment_store=attachments, batch=batch, dry_run=dry_run)  # fmt: skip
        uow.commit()
    return report
