"""Choosing what the public status page shows: which services are components there,
and under what public name (a manager's decision; recorded as ``service.updated``)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Annotated

from pydantic import Field, StringConstraints
from sqlalchemy import select

from muster.db.uow import UnitOfWork
from muster.domain.accounts.permissions import require
from muster.domain.accounts.schemas import Strict
from muster.domain.catalog.models import Service
from muster.domain.events.actor import Actor, Role
from muster.domain.events.service import append_event
from muster.errors import FieldError, InvalidInput

MAX_SERVICES = 2000

PublicName = Annotated[str, StringConstraints(strip_whitespace=True, max_length=120)]


class ComponentSetting(Strict):
    service_id: Annotated[str, StringConstraints(min_length=1, max_length=36)]
    public: bool
    public_name: PublicName = Field(
        default="", description="the name customers see; blank: the service's own name"
    )


class StatusPageSettings(Strict):
    services: list[ComponentSetting] = Field(max_length=MAX_SERVICES)


def status_page_services(uow: UnitOfWork, actor: Actor) -> Sequence[Service]:
    """Every active service, public ones first, then by name."""
    require(actor, Role.MANAGER)
    return uow.session.scalars(
        select(Service)
        .where(Service.archived_at.is_(None))
        .order_by(Service.public.desc(), Service.name, Service.id)
        .limit(MAX_SERVICES)
    ).all()


def do_set_status_page(uow: UnitOfWork, actor: Actor, data: StatusPageSettings) -> int:
    """Mark services public or not and set their public names; returns how many changed.

    Preconditions: manager; each service exists and is not archived; a public name is
    unique among public components (customers could not tell two apart)."""
    require(actor, Role.MANAGER)
    ids = [s.service_id for s in data.services]
    found = {
        s.id: s
        for s in uow.session.scalars(
            select(Service).where(Service.id.in_(ids), Service.archived_at.is_(None))
        )
    }
    errors = [
        FieldError(f"services.{i}.service_id", "no active service has this id")
        for i, s in enumerate(data.services)
        if s.service_id not in found
    ]
    if errors:
        raise InvalidInput("unknown services", errors=errors)
    _check_names_unique(uow, data, found)
    changed = 0
    for setting in data.services:
        service = found[setting.service_id]
        changes: dict[str, object] = {}
        if setting.public != service.public:
            changes["public"] = {"from": service.public, "to": setting.public}
            service.public = setting.public
        if setting.public_name != service.public_name:
            changes["public_name"] = {"from": service.public_name, "to": setting.public_name}
            service.public_name = setting.public_name
        if changes:
            changed += 1
            service.updated_at = uow.now
            append_event(uow, actor, "service.updated", subject_type="service",
                         subject_id=service.id, data=changes)  # fmt: skip
    return changed


def _check_names_unique(
    uow: UnitOfWork, data: StatusPageSettings, found: dict[str, Service]
) -> None:
    """No two public components may show the same name (case-insensitively)."""
    given = {s.service_id: s for s in data.services}
    shown: dict[str, str] = {}  # lower-cased public name -> service id
    others = uow.session.scalars(
        select(Service).where(Service.public.is_(True), Service.archived_at.is_(None))
    ).all()
    for service in others:
        if service.id not in given:
            shown[(service.public_name.strip() or service.name).lower()] = service.id
    errors = []
    for i, setting in enumerate(data.services):
        if not setting.public:
            continue
        name = (setting.public_name or found[setting.service_id].name).lower()
        if name in shown and shown[name] != setting.service_id:
            errors.append(
                FieldError(f"services.{i}.public_name", "another public component has this name")
            )
        shown[name] = setting.service_id
    if errors:
        raise InvalidInput("two public components would have the same name", errors=errors)
