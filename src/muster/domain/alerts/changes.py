"""Change events (deploys, config pushes): on the service's timeline, never paging."""

from __future__ import annotations

from dataclasses import asdict

from muster.db.uow import UnitOfWork
from muster.domain.alerts.ingest import integration_actor
from muster.domain.alerts.models import Integration
from muster.domain.events.service import AppendedEvent, append_event
from muster.integrations.normalized import ChangeEvent


def do_record_change(
    uow: UnitOfWork, integration: Integration, change: ChangeEvent
) -> AppendedEvent:
    integration.last_received_at = uow.now
    return append_event(
        uow, integration_actor(integration), "service.change", subject_type="service",
        subject_id=integration.service_id,
        data={
            "summary": change.summary, "source": change.source,
            "timestamp": change.timestamp.isoformat() if change.timestamp else None,
            "custom_details": change.custom_details, "links": [asdict(link) for link in change.links],
            "integration_id": integration.id,
        },
    )  # fmt: skip
