"""Where an alert, an alert group or an incident happened, as their pages show it: the
site (and zone) with names, the devices that reported the alert, and which of an
incident's free site labels name a known site.

Read-only helpers; the caller has already checked it may see the alert or incident."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import func, select

from muster.db.uow import UnitOfWork
from muster.domain.alerts.models import Alert
from muster.domain.incidents.models import Incident
from muster.domain.sites.models import Device, Site, SiteEvent, Zone

MAX_DEVICES = 5
MAX_GROUP_PLACES = 20


@dataclass(frozen=True, slots=True)
class Place:
    """A site, and perhaps a zone of it (names for display)."""

    site_id: str
    site_name: str
    zone_id: str | None = None
    zone_name: str | None = None
    restricted: bool = False


@dataclass(frozen=True, slots=True)
class Reporter:
    """A device that reported an alert (through a site event linked to it)."""

    device_id: str
    name: str
    kind: str


@dataclass(frozen=True, slots=True)
class AlertPlace:
    place: Place | None
    reporters: Sequence[Reporter]


def _place(uow: UnitOfWork, site_id: str | None, zone_id: str | None) -> Place | None:
    if site_id is None:
        return None
    site = uow.session.get(Site, site_id)
    if site is None:
        return None
    zone = uow.session.get(Zone, zone_id) if zone_id else None
    if zone is None:
        return Place(site.id, site.name)
    return Place(site.id, site.name, zone.id, zone.name, zone.restricted)


def alert_place(uow: UnitOfWork, alert: Alert) -> AlertPlace:
    """The alert's site and zone, and the devices whose reports raised or updated it
    (first reporter first, at most :data:`MAX_DEVICES`)."""
    first = func.min(SiteEvent.occurred_at)
    rows = uow.session.execute(
        select(Device.id, Device.name, Device.kind, first)
        .join(SiteEvent, SiteEvent.device_id == Device.id)
        .where(SiteEvent.alert_id == alert.id)
        .group_by(Device.id, Device.name, Device.kind)
        .order_by(first, Device.id)
        .limit(MAX_DEVICES)
    ).all()
    return AlertPlace(
        place=_place(uow, alert.site_id, alert.zone_id),
        reporters=[Reporter(r.id, r.name, r.kind) for r in rows],
    )


def group_places(uow: UnitOfWork, group_id: str) -> list[Place]:
    """The distinct sites and zones of an alert group's alerts, by site then zone name."""
    rows = uow.session.execute(
        select(Site.id, Site.name, Zone.id, Zone.name, Zone.restricted)
        .join(Alert, Alert.site_id == Site.id)
        .outerjoin(Zone, Zone.id == Alert.zone_id)
        .where(Alert.group_id == group_id)
        .distinct()
        .limit(MAX_GROUP_PLACES)
    ).all()
    places = [Place(r[0], r[1], r[2], r[3], bool(r[4])) for r in rows]
    return sorted(places, key=lambda p: (p.site_name.lower(), p.site_id, p.zone_name or ""))


@dataclass(frozen=True, slots=True)
class IncidentPlaces:
    site: Place | None  # the site it happened at (``incident.site_id``)
    labels: Sequence[tuple[str, str | None]]  # each free label with the site it names


def incident_places(uow: UnitOfWork, incident: Incident) -> IncidentPlaces:
    """The incident's site, and its site labels each with the id of the site of that name
    (case-insensitively; None for a free label naming no known site)."""
    labels = [str(label) for label in incident.sites]
    lowered = {label.lower() for label in labels}
    known = (
        {
            name.lower(): site_id
            for site_id, name in uow.session.execute(
                select(Site.id, Site.name).where(func.lower(Site.name).in_(lowered))
            )
        }
        if lowered
        else {}
    )
    return IncidentPlaces(
        site=_place(uow, incident.site_id, None),
        labels=[(label, known.get(label.lower())) for label in labels],
    )
