"""Retention of notifications: finished outbox rows (sent, failed, cancelled), removed
once created longer ago than the cutoff; rows still queued or sending stay, and so do the
rows about an incident on legal hold or its alert groups."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Table, or_, select

from muster.db.uow import UnitOfWork
from muster.domain.notify.models import OutboxMessage
from muster.domain.purge import Purge
from muster.domain.retention.scope import Scope

LIVE = ("queued", "sending")


def sweep_notifications(
    uow: UnitOfWork, purge: Purge, scope: Scope, cutoff: datetime, batch: int, dry_run: bool
) -> tuple[int, bool]:
    """Remove up to ``batch`` finished outbox rows; returns (removed, more left)."""
    query = select(OutboxMessage.id).where(
        OutboxMessage.status.not_in(LIVE), OutboxMessage.created_at <= cutoff
    )
    if scope.held_incidents:
        about = OutboxMessage.payload["incident_id"].as_string()
        query = query.where(or_(about.is_(None), about.not_in(sorted(scope.held_incidents))))
    if scope.held_groups:
        query = query.where(or_(OutboxMessage.group_id.is_(None),
                                OutboxMessage.group_id.not_in(sorted(scope.held_groups))))  # fmt: skip
    ids = list(uow.session.scalars(query.order_by(OutboxMessage.created_at, OutboxMessage.id)
                                   .limit(batch + 1)))  # fmt: skip
    more = len(ids) > batch
    ids = ids[:batch]
    if dry_run or not ids:
        return len(ids), more
    table: Table = OutboxMessage.__table__  # type: ignore[assignment]
    return purge.rows(table, ids), more
