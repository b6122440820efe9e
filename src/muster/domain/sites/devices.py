"""Commands and queries on devices placed at a site (and in one of its zones).

Events on the site's subject: ``site.device_added``, ``site.device_updated``
(``changes: {field: [before, after]}``), ``site.device_removed``. A device is known by
``(site, kind, external_id)``: the name its own system uses (a Frigate camera name, a door
id, a CIDR, a host name). Its health (``online``, ``last_event_at``, ``last_status_at``) is
set by intake (see :mod:`muster.domain.sites.activity`), not here."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import func, select

from muster.db.uow import UnitOfWork
from muster.domain.accounts.permissions import require
from muster.domain.events.actor import Actor, Role
from muster.domain.sites.models import Device, Zone
from muster.domain.sites.schemas import DeviceCreate, DeviceUpdate
from muster.domain.sites.service import get_site, site_event
from muster.errors import Conflict, FieldError, InvalidInput, NotFound


def _check_zone_of_site(uow: UnitOfWork, site_id: str, zone_id: str) -> Zone:
    zone = uow.session.get(Zone, zone_id)
    if zone is None or zone.site_id != site_id:
        raise InvalidInput("no such zone at this site",
                           errors=[FieldError("zone_id", "no zone of this site has this id")])  # fmt: skip
    return zone


def _check_external_id_free(
    uow: UnitOfWork, site_id: str, kind: str, external_id: str, *, except_id: str | None = None
) -> None:
    query = select(Device.id).where(
        Device.site_id == site_id, Device.kind == kind, Device.external_id == external_id
    )
    if except_id:
        query = query.where(Device.id != except_id)
    if uow.session.scalar(query):
        raise Conflict(f"this site has a {kind} with this external id",
                       errors=[FieldError("external_id", "already taken at this site")])  # fmt: skip


def do_add_device(uow: UnitOfWork, actor: Actor, site_id: str, data: DeviceCreate) -> Device:
    """Preconditions: manager role; the site exists; the zone (if given) is of the site;
    no device of the same kind at the site has the external id."""
    require(actor, Role.MANAGER)
    site = get_site(uow, site_id)
    if data.zone_id is not None:
        _check_zone_of_site(uow, site.id, data.zone_id)
    _check_external_id_free(uow, site.id, data.kind, data.external_id)
    device = Device(site_id=site.id, zone_id=data.zone_id, kind=data.kind, name=data.name,
                    external_id=data.external_id, created_at=uow.now)  # fmt: skip
    uow.session.add(device)
    uow.flush()
    site_event(uow, actor, "site.device_added", site.id, device_id=device.id, kind=device.kind,
               name=device.name, external_id=device.external_id, zone_id=device.zone_id)  # fmt: skip
    return device


def do_update_device(
    uow: UnitOfWork, actor: Actor, site_id: str, device_id: str, data: DeviceUpdate
) -> Device:
    """Change the fields given (a ``zone_id`` of null takes the device out of its zone).

    Preconditions: manager role; the device is at the site; the zone is of the site; the
    external id is free for the device's kind there."""
    require(actor, Role.MANAGER)
    device = get_device(uow, site_id, device_id)
    changes: dict[str, list[Any]] = {}
    if data.name is not None and data.name != device.name:
        changes["name"] = [device.name, data.name]
    if data.external_id is not None and data.external_id != device.external_id:
        _check_external_id_free(uow, device.site_id, device.kind, data.external_id,
                                except_id=device.id)  # fmt: skip
        changes["external_id"] = [device.external_id, data.external_id]
    if "zone_id" in data.model_fields_set and data.zone_id != device.zone_id:
        if data.zone_id is not None:
            _check_zone_of_site(uow, device.site_id, data.zone_id)
        changes["zone_id"] = [device.zone_id, data.zone_id]
    for field, (_before, after) in changes.items():
        setattr(device, field, after)
    if changes:
        site_event(uow, actor, "site.device_updated", device.site_id, device_id=device.id,
                   changes=changes)  # fmt: skip
    return device


def do_remove_device(uow: UnitOfWork, actor: Actor, site_id: str, device_id: str) -> None:
    """Remove a device; what it reported stays (its site events lose the device link).

    Preconditions: manager role; the device is at the site."""
    require(actor, Role.MANAGER)
    device = get_device(uow, site_id, device_id)
    site_event(uow, actor, "site.device_removed", device.site_id, device_id=device.id,
               kind=device.kind, name=device.name, external_id=device.external_id)  # fmt: skip
    uow.session.delete(device)
    uow.flush()


def get_device(uow: UnitOfWork, site_id: str, device_id: str) -> Device:
    device = uow.session.get(Device, device_id)
    if device is None or device.site_id != site_id:
        raise NotFound("no such device at this site")
    return device


def list_devices(uow: UnitOfWork, site_id: str) -> Sequence[Device]:
    return uow.session.scalars(
        select(Device)
        .where(Device.site_id == site_id)
        .order_by(Device.kind, func.lower(Device.name), Device.id)
    ).all()


def find_device(
    uow: UnitOfWork, kind: str, external_id: str, *, site_id: str | None = None
) -> Device | None:
    """The device of ``kind`` known by ``external_id`` (at ``site_id`` if given, else at
    any site; the oldest when several sites have one), for intake to match reports."""
    query = select(Device).where(Device.kind == kind, Device.external_id == external_id)
    if site_id is not None:
        query = query.where(Device.site_id == site_id)
    return uow.session.scalars(query.order_by(Device.created_at, Device.id).limit(1)).first()
