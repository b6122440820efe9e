"""What devices report, as it arrives: site events and device health.

Physical-security intake stores each report with :func:`do_record_site_event` (it adds the
:class:`SiteEvent`, moves the device's ``last_event_at`` on, and appends ``site.activity``
on the site so its live pages update) and each health change with
:func:`do_set_device_health` (``site.device_health`` when online/offline flips)."""

from __future__ import annotations

from datetime import datetime

from muster.db.uow import UnitOfWork
from muster.domain.events.actor import Actor, Via
from muster.domain.sites.models import Device, SiteEvent
from muster.domain.sites.service import site_event

_INTAKE = Actor.system(Via.INGEST, label="site intake")


def do_record_site_event(
    uow: UnitOfWork, event: SiteEvent, *, device: Device | None = None, actor: Actor | None = None
) -> SiteEvent:
    """Store ``event`` (built by the caller with its site, zone, device, kind, identity,
    times); ``device`` (the one that reported) gets ``last_event_at``.

    Preconditions: the event's site exists; ``device`` (if given) is ``event.device_id``;
    aware times."""
    if device is not None:
        event.device_id = device.id
        if device.last_event_at is None or device.last_event_at < event.occurred_at:
            device.last_event_at = event.occurred_at
    uow.session.add(event)
    uow.flush()
    site_event(uow, actor or _INTAKE, "site.activity", event.site_id, site_event_id=event.id,
               kind=event.kind, zone_id=event.zone_id, device_id=event.device_id,
               alert_id=event.alert_id, identity=event.identity)  # fmt: skip
    return event


def do_set_device_health(
    uow: UnitOfWork, device: Device, online: bool, at: datetime, *, actor: Actor | None = None
) -> bool:
    """Record a device's reported status at ``at``; returns whether online/offline changed
    (then ``site.device_health`` is appended). An older report than the last one is
    ignored (messages may arrive out of order)."""
    if device.last_status_at is not None and at < device.last_status_at:
        return False
    device.last_status_at = at
    if device.online is online:
        return False
    previous, device.online = device.online, online
    site_event(uow, actor or _INTAKE, "site.device_health", device.site_id, device_id=device.id,
               name=device.name, online=online, previous=previous)  # fmt: skip
    return True
