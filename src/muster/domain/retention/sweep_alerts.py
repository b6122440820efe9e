"""Retention of alerts: resolved alerts (and the groups they leave empty), and raw
payloads cleared before the alerts themselves. An alert whose group is linked to an
incident lives as long as the incident; its raw payload is kept while the incident is
on legal hold. Alert events stay in the log: they share their service's stream."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Table, Text, cast, exists, select, update

from muster.db.uow import UnitOfWork
from muster.domain.alerts.models import Alert, AlertGroup
from muster.domain.incidents.models import IncidentAlertGroup
from muster.domain.purge import Purge
from muster.domain.retention.scope import Scope

EMPTY = "{}"


def _table(model: object) -> Table:
    table: Table = model.__table__  # type: ignore[attr-defined]
    return table


def sweep_alerts(
    uow: UnitOfWork, purge: Purge, cutoff: datetime, batch: int, dry_run: bool
) -> tuple[int, int, bool]:
    """Remove up to ``batch`` alerts resolved at or before ``cutoff``; returns (alerts,
    groups removed, more left)."""
    linked = select(IncidentAlertGroup.group_id)
    found = uow.session.execute(
        select(Alert.id, Alert.group_id)
        .where(
            Alert.status == "resolved",
            Alert.resolved_at <= cutoff,
            Alert.group_id.not_in(linked),
        )
        .order_by(Alert.resolved_at, Alert.id)
        .limit(batch + 1)
    ).all()
    more = len(found) > batch
    found = found[:batch]
    if dry_run or not found:
        return len(found), 0, more
    ids = [row.id for row in found]
    groups = sorted({row.group_id for row in found})
    removed = purge.rows(_table(Alert), ids)
    empty = list(
        uow.session.scalars(
            select(AlertGroup.id).where(
                AlertGroup.id.in_(groups),
                AlertGroup.status == "resolved",
                ~exists().where(Alert.group_id == AlertGroup.id),
                AlertGroup.id.not_in(linked),
            )
        )
    )
    return removed, purge.rows(_table(AlertGroup), empty), more


def sweep_raw_payloads(
    uow: UnitOfWork, scope: Scope, cutoff: datetime, batch: int, dry_run: bool
) -> tuple[int, bool]:
    """Clear (to ``{}``) the raw payload of up to ``batch`` alerts last seen at or before
    ``cutoff``; returns (cleared, more left)."""
    query = select(Alert.id).where(Alert.last_seen <= cutoff, cast(Alert.raw, Text) != EMPTY)
    if scope.held_groups:
        query = query.where(Alert.group_id.not_in(sorted(scope.held_groups)))
    ids = list(uow.session.scalars(query.order_by(Alert.last_seen, Alert.id).limit(batch + 1)))
    more = len(ids) > batch
    ids = ids[:batch]
    if ids and not dry_run:
        uow.session.execute(update(Alert).where(Alert.id.in_(ids)).values(raw={}))
    return len(ids), more
