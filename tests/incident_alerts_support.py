"""Alert groups for incident tests: alerts sent into the cast's service through a real
integration (the intake path), and reading an incident's state back."""

from __future__ import annotations

from sqlalchemy import select

from helpers import SYSTEM
from muster.db.uow import Database
from muster.domain.alerts.ingest import do_ingest
from muster.domain.alerts.integrations import do_create_integration
from muster.domain.alerts.models import Integration
from muster.domain.alerts.schemas import IntegrationCreate
from muster.domain.incidents.models import Incident, IncidentAlertGroup, Participant
from muster.integrations.normalized import InboundAlert


def make_integration(db: Database, service_id: str) -> str:
    with db.unit_of_work() as uow:
        row = do_create_integration(uow, SYSTEM, service_id, IntegrationCreate(type="pagerduty"))
        uow.commit()
        return row.id


def send_alert(db: Database, integration_id: str, key: str, summary: str) -> str:
    """Trigger one alert; returns its group's id."""
    alert = InboundAlert(action="trigger", dedup_key=key, summary=summary, severity="critical",
                         source="web-01", labels={})  # fmt: skip
    with db.unit_of_work() as uow:
        integration = uow.session.get_one(Integration, integration_id)
        (outcome,) = do_ingest(uow, integration, [alert])
        uow.commit()
        assert outcome.group_id is not None
        return outcome.group_id


def group_ids_of(db: Database, incident_id: str) -> set[str]:
    with db.unit_of_work(readonly=True) as uow:
        return set(
            uow.session.scalars(
                select(IncidentAlertGroup.group_id).where(
                    IncidentAlertGroup.incident_id == incident_id
                )
            )
        )


def participant_ids(db: Database, incident_id: str) -> set[str]:
    with db.unit_of_work(readonly=True) as uow:
        return set(
            uow.session.scalars(
                select(Participant.user_id).where(
                    Participant.incident_id == incident_id, Participant.left_at.is_(None)
                )
            )
        )


def status_of(db: Database, incident_id: str) -> tuple[str, str | None]:
    with db.unit_of_work(readonly=True) as uow:
        incident = uow.session.get_one(Incident, incident_id)
        return incident.status, incident.merged_into_id
