"""Acknowledging and resolving alerts, and keeping each group's status in step.

Shared by intake (a sender's acknowledge/resolve) and people (buttons, API, links).
"""

from __future__ import annotations

from sqlalchemy import select

from muster.db.uow import UnitOfWork
from muster.domain.alerts.models import OPEN_STATUSES, Alert, AlertGroup
from muster.domain.events.actor import Actor
from muster.domain.events.service import append_event


def alert_stream(service_id: str) -> str:
    """Alert events chain per service, so one transaction locks one head per service."""
    return f"alerts:{service_id}"


def do_acknowledge(uow: UnitOfWork, actor: Actor, alert: Alert) -> bool:
    """Acknowledge ``alert`` if it is triggered. Returns whether anything changed."""
    if alert.status != "triggered":
        return False
    alert.status = "acknowledged"
    alert.acknowledged_at = uow.now
    alert.acknowledged_by = actor.label
    append_event(uow, actor, "alert.acknowledged", subject_type="alert", subject_id=alert.id,
                 stream=alert_stream(alert.service_id), data={"group_id": alert.group_id})  # fmt: skip
    sync_group_status(uow, actor, alert.alert_group)
    return True


def do_resolve(uow: UnitOfWork, actor: Actor, alert: Alert) -> bool:
    """Resolve ``alert`` if it is open. Returns whether anything changed."""
    if alert.status not in OPEN_STATUSES:
        return False
    alert.status = "resolved"
    alert.resolved_at = uow.now
    alert.resolved_by = actor.label
    append_event(uow, actor, "alert.resolved", subject_type="alert", subject_id=alert.id,
                 stream=alert_stream(alert.service_id), data={"group_id": alert.group_id})  # fmt: skip
    sync_group_status(uow, actor, alert.alert_group)
    return True


def sync_group_status(uow: UnitOfWork, actor: Actor, group: AlertGroup) -> None:
    """Derive the group's status from its alerts: resolved when none is open,
    acknowledged when every open one is, triggered otherwise. Records each change."""
    uow.flush()
    statuses = uow.session.scalars(select(Alert.status).where(Alert.group_id == group.id)).all()
    open_statuses = [s for s in statuses if s in OPEN_STATUSES]
    if not open_statuses:
        new = "resolved"
    elif all(s == "acknowledged" for s in open_statuses):
        new = "acknowledged"
    else:
        new = "triggered"
    if new == group.status:
        return
    old, group.status = group.status, new
    if new == "acknowledged":
        group.acknowledged_at = uow.now
        group.acknowledged_by = actor.label
    elif new == "resolved":
        group.resolved_at = uow.now
        group.resolved_by = actor.label
    append_event(uow, actor, f"alert_group.{new}", subject_type="alert_group", subject_id=group.id,
                 stream=alert_stream(group.service_id), data={"from": old, "service_id": group.service_id})  # fmt: skip


def do_retrigger_group(uow: UnitOfWork, actor: Actor, group: AlertGroup, why: str) -> None:
    """Put the group's acknowledged alerts back to triggered (the group follows)."""
    acknowledged = select(Alert).where(Alert.group_id == group.id, Alert.status == "acknowledged")
    if uow.dialect == "postgresql":  # re-read under the lock: a resolve committed meanwhile stays
        acknowledged = acknowledged.with_for_update()
    for alert in uow.session.scalars(acknowledged):
        alert.status = "triggered"
        alert.acknowledged_at = None
        alert.acknowledged_by = None
        append_event(
            uow,
            actor,
            "alert.retriggered",
            subject_type="alert",
            subject_id=alert.id,
            stream=alert_stream(alert.service_id),
            data={"group_id": group.id, "why": why},
        )
    sync_group_status(uow, actor, group)
