"""``maintenance_windows/``: windows still to come or running, named
``<service> <start>``; past and cancelled windows are history, not configuration.
Changing a window's end or reason cancels it and schedules the new one."""

from __future__ import annotations

from datetime import UTC
from typing import Any, ClassVar

from pydantic import AwareDatetime, Field, model_validator
from sqlalchemy import select

from muster.db.uow import UnitOfWork
from muster.domain.alerts.maintenance import do_cancel_maintenance, do_create_maintenance
from muster.domain.alerts.models import MaintenanceWindow
from muster.domain.alerts.schemas import MaintenanceIn
from muster.domain.catalog.models import Service
from muster.domain.catalog.schemas import ServiceName
from muster.domain.config_code.kind import Current, FileSchema, Ref, dump_doc
from muster.domain.config_code.kinds.lookup import id_named, live
from muster.domain.events.actor import Actor


class WindowDoc(FileSchema):
    service: ServiceName
    starts_at: AwareDatetime
    ends_at: AwareDatetime
    reason: str = Field(min_length=1, max_length=500)

    @model_validator(mode="after")
    def _valid(self) -> WindowDoc:
        if self.ends_at <= self.starts_at:
            raise ValueError("ends_at must be after starts_at")
        self.starts_at, self.ends_at = self.starts_at.astimezone(UTC), self.ends_at.astimezone(UTC)
        return self


class MaintenanceWindowsKind:
    folder: ClassVar[str] = "maintenance_windows"
    key: ClassVar[str] = "starts_at"
    label: ClassVar[str] = "maintenance window"
    schema: ClassVar[type[FileSchema]] = WindowDoc

    def name_of(self, doc: Any) -> str:
        return f"{doc.service} {dump_doc(doc)['starts_at']}"

    def current(self, uow: UnitOfWork) -> dict[str, Current]:
        services = {s.id: s.name for s in live(uow, Service)}
        rows = uow.session.scalars(
            select(MaintenanceWindow)
            .where(MaintenanceWindow.cancelled_at.is_(None), MaintenanceWindow.ends_at > uow.now)
            .order_by(MaintenanceWindow.starts_at, MaintenanceWindow.id)
        )
        out: dict[str, Current] = {}
        for row in rows:
            if row.service_id not in services:
                continue
            doc = WindowDoc.model_construct(
                service=services[row.service_id], starts_at=row.starts_at, ends_at=row.ends_at,
                reason=row.reason,
            )  # fmt: skip
            out.setdefault(self.name_of(doc), (row.id, dump_doc(doc)))
        return out

    def references(self, doc: Any) -> list[Ref]:
        return [Ref(("service",), "services", doc.service)]

    def create(self, uow: UnitOfWork, actor: Actor, doc: WindowDoc) -> str:
        service_id = id_named(uow, Service, doc.service, field="service")
        data = MaintenanceIn(starts_at=doc.starts_at, ends_at=doc.ends_at, reason=doc.reason)
        return do_create_maintenance(uow, actor, service_id, data).id

    def update(self, uow: UnitOfWork, actor: Actor, object_id: str, doc: WindowDoc) -> str:
        do_cancel_maintenance(uow, actor, object_id)
        return self.create(uow, actor, doc)

    def delete(self, uow: UnitOfWork, actor: Actor, object_id: str) -> None:
        do_cancel_maintenance(uow, actor, object_id)
