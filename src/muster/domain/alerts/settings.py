"""A service's alert handling: grouping and flapping thresholds."""

from __future__ import annotations

from pydantic import Field

from muster.db.uow import UnitOfWork
from muster.domain.accounts.permissions import require
from muster.domain.accounts.schemas import Strict
from muster.domain.alerts.schemas import GroupingIn
from muster.domain.catalog.models import Service
from muster.domain.catalog.service import get_service
from muster.domain.events.actor import Actor, Role
from muster.domain.events.service import append_event


class AlertSettingsIn(Strict):
    grouping: GroupingIn | None = None
    flap_threshold: int | None = Field(default=None, ge=2, le=1000)
    flap_window_minutes: int | None = Field(default=None, ge=1, le=24 * 60)


def do_update_alert_settings(
    uow: UnitOfWork, actor: Actor, service_id: str, data: AlertSettingsIn
) -> Service:
    require(actor, Role.MANAGER)
    service = get_service(uow, service_id)
    changes: dict[str, object] = {}
    if data.grouping is not None:
        grouping = data.grouping.model_dump()
        if grouping != service.alert_grouping:
            changes["alert_grouping"] = {"from": service.alert_grouping, "to": grouping}
            service.alert_grouping = grouping
    for name in ("flap_threshold", "flap_window_minutes"):
        value = getattr(data, name)
        if value is not None and value != getattr(service, name):
            changes[name] = {"from": getattr(service, name), "to": value}
            setattr(service, name, value)
    if changes:
        service.updated_at = uow.now
        append_event(uow, actor, "service.alert_settings_changed", subject_type="service", subject_id=service.id,
                     data=changes)  # fmt: skip
    return service
