"""Commands and queries on sites and their zones.

Every change appends an event on the site (subject type ``site``): ``site.created``,
``site.updated`` (``changes: {field: [before, after]}``), ``site.deleted``,
``site.zone_added``, ``site.zone_updated``, ``site.zone_removed``. Devices are in
:mod:`muster.domain.sites.devices`. Managing sites takes the manager role; reading them
any signed-in role."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Select, func, or_, select

from muster.db.uow import UnitOfWork
from muster.domain.accounts.permissions import require
from muster.domain.catalog.models import Service
from muster.domain.events.actor import Actor, Role
from muster.domain.events.service import append_event
from muster.domain.sites.models import Site, SiteEvent, Zone
from muster.domain.sites.schemas import SiteCreate, SiteUpdate, ZoneCreate, ZoneUpdate
from muster.errors import Conflict, FieldError, InvalidInput, NotFound


def site_event(uow: UnitOfWork, actor: Actor, type: str, site_id: str, **data: Any) -> None:
    """Append ``type`` on the site's subject (``site_id`` in its data, for live pages)."""
    append_event(uow, actor, type, subject_type="site", subject_id=site_id,
                 data={"site_id": site_id, **data})  # fmt: skip


def check_site_name_free(uow: UnitOfWork, name: str, *, except_id: str | None = None) -> None:
    query = select(Site.id).where(func.lower(Site.name) == name.lower())
    if except_id:
        query = query.where(Site.id != except_id)
    if uow.session.scalar(query):
        raise Conflict("a site with this name exists", errors=[FieldError("name", "already taken")])


def check_site_usable(uow: UnitOfWork, site_id: str, field: str = "site_id") -> Site:
    """The site with this id, or :class:`InvalidInput` naming ``field`` (for references
    to a site from another object: a service, an asset)."""
    site = uow.session.get(Site, site_id)
    if site is None:
        raise InvalidInput("no such site", errors=[FieldError(field, "no site has this id")])
    return site


def do_create_site(uow: UnitOfWork, actor: Actor, data: SiteCreate) -> Site:
    """Preconditions: manager role; a name no other site has (case-insensitively)."""
    require(actor, Role.MANAGER)
    check_site_name_free(uow, data.name)
    site = Site(name=data.name, address=data.address, time_zone=data.time_zone,
                latitude=data.latitude, longitude=data.longitude, created_at=uow.now)  # fmt: skip
    uow.session.add(site)
    uow.flush()
    site_event(uow, actor, "site.created", site.id, name=site.name, address=site.address,
               time_zone=site.time_zone, latitude=site.latitude, longitude=site.longitude)  # fmt: skip
    return site


def do_update_site(uow: UnitOfWork, actor: Actor, site_id: str, data: SiteUpdate) -> Site:
    """Change the fields given (``site.updated`` with each change as [before, after]).

    Preconditions: manager role; the site exists; a new name is free."""
    require(actor, Role.MANAGER)
    site = get_site(uow, site_id)
    if data.name is not None and data.name.lower() != site.name.lower():
        check_site_name_free(uow, data.name, except_id=site.id)
    changes: dict[str, list[Any]] = {}
    for field in data.model_fields_set:
        value = getattr(data, field)
        if value is None and field in ("name", "address", "time_zone"):
            continue
        if getattr(site, field) != value:
            changes[field] = [getattr(site, field), value]
            setattr(site, field, value)
    if changes:
        site_event(uow, actor, "site.updated", site.id, changes=changes)
    return site


def do_delete_site(uow: UnitOfWork, actor: Actor, site_id: str) -> None:
    """Delete a site with its zones and devices (``site.deleted``).

    Preconditions: manager role; the site exists; no service belongs to it and no device
    has reported anything there (its history would go too): :class:`Conflict` otherwise."""
    require(actor, Role.MANAGER)
    site = get_site(uow, site_id)
    services = uow.session.scalar(select(func.count()).where(Service.site_id == site.id))
    if services:
        raise Conflict(f"{services} service(s) belong to this site; move them first",
                       errors=[FieldError("site_id", "has services")])  # fmt: skip
    reported = uow.session.scalar(select(SiteEvent.id).where(SiteEvent.site_id == site.id).limit(1))
    if reported is not None:
        raise Conflict("devices have reported events at this site; its history is kept",
                       errors=[FieldError("site_id", "has site events")])  # fmt: skip
    site_event(uow, actor, "site.deleted", site.id, name=site.name)
    uow.session.delete(site)
    uow.flush()


def get_site(uow: UnitOfWork, site_id: str) -> Site:
    site = uow.session.get(Site, site_id)
    if site is None:
        raise NotFound("no such site")
    return site


def find_site(uow: UnitOfWork, name_or_id: str) -> Site:
    """The site with this id, else the one with this name (case-insensitively)."""
    site = uow.session.get(Site, name_or_id)
    if site is None:
        site = uow.session.scalar(
            select(Site).where(func.lower(Site.name) == name_or_id.strip().lower())
        )
    if site is None:
        raise NotFound(f"no site is named or has the id {name_or_id!r}")
    return site


def list_sites(uow: UnitOfWork) -> Sequence[Site]:
    """Every site, by name (sites are few: buildings, not events)."""
    return uow.session.scalars(select(Site).order_by(func.lower(Site.name), Site.id)).all()


# ---------------------------------------------------------------------------- zones


def _check_zone_name_free(
    uow: UnitOfWork, site_id: str, name: str, *, except_id: str | None = None
) -> None:
    query = select(Zone.id).where(Zone.site_id == site_id, func.lower(Zone.name) == name.lower())
    if except_id:
        query = query.where(Zone.id != except_id)
    if uow.session.scalar(query):
        raise Conflict("this site has a zone of this name",
                       errors=[FieldError("name", "already taken at this site")])  # fmt: skip


def do_add_zone(uow: UnitOfWork, actor: Actor, site_id: str, data: ZoneCreate) -> Zone:
    """Preconditions: manager role; the site exists; no zone of the site has the name."""
    require(actor, Role.MANAGER)
    site = get_site(uow, site_id)
    _check_zone_name_free(uow, site.id, data.name)
    zone = Zone(site_id=site.id, name=data.name, restricted=data.restricted, created_at=uow.now)
    uow.session.add(zone)
    uow.flush()
    site_event(uow, actor, "site.zone_added", site.id, zone_id=zone.id, name=zone.name,
               restricted=zone.restricted)  # fmt: skip
    return zone


def do_update_zone(
    uow: UnitOfWork, actor: Actor, site_id: str, zone_id: str, data: ZoneUpdate
) -> Zone:
    """Preconditions: manager role; the zone is of the site; a new name is free there."""
    require(actor, Role.MANAGER)
    zone = get_zone(uow, site_id, zone_id)
    changes: dict[str, list[Any]] = {}
    if data.name is not None and data.name != zone.name:
        if data.name.lower() != zone.name.lower():
            _check_zone_name_free(uow, zone.site_id, data.name, except_id=zone.id)
        changes["name"] = [zone.name, data.name]
        zone.name = data.name
    if data.restricted is not None and data.restricted != zone.restricted:
        changes["restricted"] = [zone.restricted, data.restricted]
        zone.restricted = data.restricted
    if changes:
        site_event(uow, actor, "site.zone_updated", zone.site_id, zone_id=zone.id, changes=changes)
    return zone


def do_remove_zone(uow: UnitOfWork, actor: Actor, site_id: str, zone_id: str) -> None:
    """Remove a zone; its devices stay at the site, out of any zone.

    Preconditions: manager role; the zone is of the site."""
    require(actor, Role.MANAGER)
    zone = get_zone(uow, site_id, zone_id)
    site_event(uow, actor, "site.zone_removed", zone.site_id, zone_id=zone.id, name=zone.name)
    uow.session.delete(zone)
    uow.flush()


def get_zone(uow: UnitOfWork, site_id: str, zone_id: str) -> Zone:
    zone = uow.session.get(Zone, zone_id)
    if zone is None or zone.site_id != site_id:
        raise NotFound("no such zone at this site")
    return zone


def list_zones(uow: UnitOfWork, site_id: str) -> Sequence[Zone]:
    return uow.session.scalars(
        select(Zone).where(Zone.site_id == site_id).order_by(func.lower(Zone.name), Zone.id)
    ).all()


def sites_named(id_or_name: str) -> Select[str]:
    """A subquery: the ids of the site with this id or this name (case-insensitively),
    for filtering lists by site."""
    return select(Site.id).where(
        or_(Site.id == id_or_name, func.lower(Site.name) == id_or_name.strip().lower())
    )
