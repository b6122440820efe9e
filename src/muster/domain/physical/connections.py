"""The state of MQTT subscriptions as their subscribers report it, and how health
reads it (in scale-out, subscribers run in the engine process, pages in the web node)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select

from muster.db.uow import UnitOfWork
from muster.domain.alerts.models import Integration
from muster.domain.physical.config import MQTT_TYPES
from muster.domain.physical.models import MqttConnection

# A subscriber reports at least this often; older reports are stale (its process is gone).
STALE_AFTER = timedelta(seconds=90)
MAX_ERROR = 500


@dataclass(frozen=True, slots=True)
class ConnectionView:
    integration_id: str
    name: str
    type: str
    connected: bool
    stale: bool
    since: datetime | None
    last_message_at: datetime | None
    last_error: str | None
    attempts: int


def do_report_connection(
    uow: UnitOfWork, integration_id: str, *, connected: bool, node: str,
    error: str | None = None, message_at: datetime | None = None, attempts: int = 0,
) -> None:  # fmt: skip
    """Store the subscriber's state (``changed_at`` moves only when ``connected`` flips).
    Precondition: the integration exists."""
    now = uow.now
    row = uow.session.get(MqttConnection, integration_id)
    if row is None:
        row = MqttConnection(integration_id=integration_id, connected=connected, node=node[:200],
                             changed_at=now, seen_at=now, attempts=attempts)  # fmt: skip
        uow.session.add(row)
    elif row.connected != connected:
        row.connected, row.changed_at = connected, now
    row.node, row.seen_at, row.attempts = node[:200], now, attempts
    if error is not None or connected:
        row.last_error = error[:MAX_ERROR] if error else None
    if message_at is not None:
        row.last_message_at = message_at


def connection_views(uow: UnitOfWork) -> list[ConnectionView]:
    """Every live MQTT integration with its subscriber's last report (none yet: not
    connected)."""
    rows = uow.session.execute(
        select(Integration, MqttConnection)
        .outerjoin(MqttConnection, MqttConnection.integration_id == Integration.id)
        .where(Integration.type.in_(MQTT_TYPES), Integration.revoked_at.is_(None))
        .order_by(Integration.created_at, Integration.id)
    ).all()
    now = uow.now
    views = []
    for integration, row in rows:
        stale = row is None or now - row.seen_at > STALE_AFTER
        views.append(ConnectionView(
            integration_id=integration.id, name=integration.name, type=integration.type,
            connected=bool(row and row.connected and not stale), stale=stale,
            since=row.changed_at if row else None, last_message_at=row.last_message_at if row else None,
            last_error=row.last_error if row else None, attempts=row.attempts if row else 0,
        ))  # fmt: skip
    return views
