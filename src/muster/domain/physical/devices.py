"""The device a report comes from: matched by kind and external id (at the integration's
site first, then at any site), else created at the integration's site without a zone."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select

from muster.db.uow import UnitOfWork
from muster.domain.alerts.models import Integration
from muster.domain.events.actor import Actor, Via
from muster.domain.sites.devices import find_device
from muster.domain.sites.models import Device, Site, Zone
from muster.domain.sites.service import site_event

INTAKE = Actor.system(Via.INGEST, label="physical intake")


def integration_site_id(integration: Integration) -> str:
    return str(integration.config["site_id"])


def device_for(
    uow: UnitOfWork, integration: Integration, kind: str, external_id: str, name: str | None = None
) -> Device:
    """The reporting device; a new one at the integration's site when none matches
    (``site.device_added``, marked as found by intake)."""
    site_id = integration_site_id(integration)
    device = find_device(uow, kind, external_id, site_id=site_id) or find_device(
        uow, kind, external_id
    )
    if device is not None:
        return device
    if uow.session.get(Site, site_id) is None:
        raise LookupError(f"the integration's site {site_id} no longer exists")
    device = Device(site_id=site_id, zone_id=None, kind=kind, name=(name or external_id)[:200],
                    external_id=external_id[:255], created_at=uow.now)  # fmt: skip
    uow.session.add(device)
    uow.flush()
    site_event(uow, INTAKE, "site.device_added", site_id, device_id=device.id, kind=kind,
               name=device.name, external_id=device.external_id, zone_id=None,
               found_by=integration.id)  # fmt: skip
    return device


def zone_named(uow: UnitOfWork, site_id: str, names: tuple[str, ...]) -> Zone | None:
    """The first zone of the site whose name matches one of ``names`` (case-insensitive):
    a Frigate zone named like a site zone places a detection there."""
    if not names:
        return None
    wanted = [name.lower() for name in names]
    zones = {
        zone.name.lower(): zone
        for zone in uow.session.scalars(
            select(Zone).where(Zone.site_id == site_id, func.lower(Zone.name).in_(wanted))
        )
    }
    return next((zones[name] for name in wanted if name in zones), None)


def short(data: dict[str, Any]) -> dict[str, Any]:
    """``data`` without empty values (for compact site-event data)."""
    return {key: value for key, value in data.items() if value not in (None, "", [], {})}
