"""Heartbeats: a sender pings; when pings stop, an alert; when they resume, resolved."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select

from muster.db.claim import claim
from muster.db.uow import UnitOfWork
from muster.domain.alerts.ingest import Outcome, do_ingest
from muster.domain.alerts.integrations import heartbeat_period
from muster.domain.alerts.models import Integration
from muster.integrations.normalized import InboundAlert


def heartbeat_dedup_key(integration: Integration) -> str:
    return f"heartbeat:{integration.id}"


def do_heartbeat_ping(uow: UnitOfWork, integration: Integration) -> datetime:
    """Record a ping; resolve the missed-heartbeat alert if one is open. Returns when the
    next ping is due (with grace)."""
    integration.last_received_at = uow.now
    due = uow.now + heartbeat_period(integration.config)
    integration.heartbeat_due_at = due
    if integration.heartbeat_down:
        integration.heartbeat_down = False
        do_ingest(uow, integration, [InboundAlert(
            action="resolve", dedup_key=heartbeat_dedup_key(integration),
            summary=f"Heartbeat {integration.name} resumed", severity="info", source="muster",
        )])  # fmt: skip
    return due


def do_mark_missed_heartbeats(uow: UnitOfWork, now: datetime) -> list[Outcome]:
    """Raise one alert for each live heartbeat whose ping is overdue (engine module)."""
    overdue = claim(
        uow,
        select(Integration).where(
            Integration.type == "heartbeat", Integration.revoked_at.is_(None),
            Integration.heartbeat_down.is_(False), Integration.heartbeat_due_at <= now,
        ),
    )  # fmt: skip
    outcomes: list[Outcome] = []
    for integration in overdue:
        integration.heartbeat_down = True
        last = integration.last_received_at
        since = f"since {last.isoformat()}" if last else "ever since it was set up"
        outcomes += do_ingest(uow, integration, [InboundAlert(
            action="trigger", dedup_key=heartbeat_dedup_key(integration),
            summary=f"Heartbeat {integration.name} missed: no ping {since}",
            details=(f"Expected a ping every {integration.config.get('interval_seconds')} s "
                     f"(grace {integration.config.get('grace_seconds', 0)} s)."),
            severity="critical", source="muster heartbeat",
        )])  # fmt: skip
    return outcomes
