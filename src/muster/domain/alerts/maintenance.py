"""Maintenance windows: alerts arriving inside one are stored as suppressed and page nobody."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select

from muster.db.uow import UnitOfWork
from muster.domain.accounts.permissions import require
from muster.domain.alerts.models import MaintenanceWindow
from muster.domain.alerts.schemas import MaintenanceIn
from muster.domain.catalog.service import get_service
from muster.domain.events.actor import Actor, Role
from muster.domain.events.service import append_event
from muster.errors import NotFound


def do_create_maintenance(
    uow: UnitOfWork, actor: Actor, service_id: str, data: MaintenanceIn
) -> MaintenanceWindow:
    """Schedule a window (responder: whoever works on the service may silence it)."""
    require(actor, Role.RESPONDER)
    service = get_service(uow, service_id)
    window = MaintenanceWindow(
        service_id=service.id, starts_at=data.starts_at, ends_at=data.ends_at, reason=data.reason,
        created_at=uow.now, created_by=actor.label,
    )  # fmt: skip
    uow.session.add(window)
    uow.flush()
    append_event(uow, actor, "maintenance.scheduled", subject_type="service", subject_id=service.id, data={
        "window_id": window.id, "starts_at": data.starts_at.isoformat(), "ends_at": data.ends_at.isoformat(),
        "reason": data.reason,
    })  # fmt: skip
    return window


def do_cancel_maintenance(uow: UnitOfWork, actor: Actor, window_id: str) -> MaintenanceWindow:
    """End a window now (or drop a future one)."""
    require(actor, Role.RESPONDER)
    window = uow.session.get(MaintenanceWindow, window_id)
    if window is None:
        raise NotFound("no such maintenance window")
    if window.cancelled_at is None:
        window.cancelled_at = uow.now
        append_event(uow, actor, "maintenance.cancelled", subject_type="service", subject_id=window.service_id,
                     data={"window_id": window.id})  # fmt: skip
    return window


def list_maintenance(
    uow: UnitOfWork, service_id: str, *, include_past: bool = False
) -> Sequence[MaintenanceWindow]:
    query = select(MaintenanceWindow).where(MaintenanceWindow.service_id == service_id)
    if not include_past:
        query = query.where(
            MaintenanceWindow.ends_at > uow.now, MaintenanceWindow.cancelled_at.is_(None)
        )
    return uow.session.scalars(query.order_by(MaintenanceWindow.starts_at)).all()
