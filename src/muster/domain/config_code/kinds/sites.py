"""``sites/``: sites by name, each file with its zones (by name) and devices (by kind
and external id; a device's zone by name)."""

from __future__ import annotations

from typing import Any, ClassVar, cast

from pydantic import Field, model_validator
from sqlalchemy import select

from muster.db.uow import UnitOfWork
from muster.domain.config_code.kind import Current, FileSchema, Ref, dump_doc
from muster.domain.events.actor import Actor
from muster.domain.sites.devices import do_add_device, do_remove_device, do_update_device
from muster.domain.sites.models import Device, Site, Zone
from muster.domain.sites.schemas import (
    Address,
    DeviceCreate,
    DeviceKind,
    DeviceUpdate,
    ExternalId,
    Latitude,
    Longitude,
    SiteCreate,
    SiteName,
    SiteUpdate,
    ZoneCreate,
    ZoneUpdate,
)
from muster.domain.sites.service import (
    do_add_zone,
    do_create_site,
    do_delete_site,
    do_remove_zone,
    do_update_site,
    do_update_zone,
)


class ZoneDoc(FileSchema):
    name: SiteName
    restricted: bool = False


class DeviceDoc(FileSchema):
    kind: DeviceKind
    external_id: ExternalId
    name: SiteName
    zone: SiteName | None = None


class SiteDoc(FileSchema):
    name: SiteName
    address: Address = ""
    time_zone: str = Field(default="UTC", min_length=1, max_length=64)
    latitude: Latitude | None = None
    longitude: Longitude | None = None
    zones: list[ZoneDoc] = Field(default_factory=list, max_length=1000)
    devices: list[DeviceDoc] = Field(default_factory=list, max_length=10_000)

    @model_validator(mode="after")
    def _consistent(self) -> SiteDoc:
        SiteCreate(name=self.name, time_zone=self.time_zone)  # the zone name is known
        self.zones.sort(key=lambda z: z.name)
        self.devices.sort(key=lambda d: (d.kind, d.external_id))
        zones = {z.name for z in self.zones}
        if len(zones) != len(self.zones):
            raise ValueError("a zone is listed twice")
        if len({(d.kind, d.external_id) for d in self.devices}) != len(self.devices):
            raise ValueError("a device (kind and external_id) is listed twice")
        for d in self.devices:
            if d.zone is not None and d.zone not in zones:
                raise ValueError(
                    f"device {d.external_id!r} is in zone {d.zone!r}, not listed in zones"
                )
        return self


class SitesKind:
    folder: ClassVar[str] = "sites"
    key: ClassVar[str] = "name"
    label: ClassVar[str] = "site"
    schema: ClassVar[type[FileSchema]] = SiteDoc

    def name_of(self, doc: Any) -> str:
        return str(doc.name)

    def current(self, uow: UnitOfWork) -> dict[str, Current]:
        zones: dict[str, list[Zone]] = {}
        for zone in uow.session.scalars(select(Zone)):
            zones.setdefault(zone.site_id, []).append(zone)
        devices: dict[str, list[Device]] = {}
        for device in uow.session.scalars(select(Device)):
            devices.setdefault(device.site_id, []).append(device)
        out: dict[str, Current] = {}
        for site in uow.session.scalars(select(Site)):
            zone_names = {z.id: z.name for z in zones.get(site.id, [])}
            doc = SiteDoc.model_construct(
                name=site.name, address=site.address, time_zone=site.time_zone,
                latitude=site.latitude, longitude=site.longitude,
                zones=sorted((ZoneDoc.model_construct(name=z.name, restricted=z.restricted)
                              for z in zones.get(site.id, [])), key=lambda z: z.name),
                devices=sorted((DeviceDoc.model_construct(
                    kind=cast(Any, d.kind), external_id=d.external_id, name=d.name,
                    zone=zone_names.get(d.zone_id or ""))
                    for d in devices.get(site.id, [])), key=lambda d: (d.kind, d.external_id)),
            )  # fmt: skip
            out[site.name] = (site.id, dump_doc(doc))
        return out

    def references(self, doc: Any) -> list[Ref]:
        return []

    def create(self, uow: UnitOfWork, actor: Actor, doc: SiteDoc) -> str:
        site = do_create_site(
            uow, actor,
            SiteCreate(name=doc.name, address=doc.address, time_zone=doc.time_zone,
                       latitude=doc.latitude, longitude=doc.longitude),
        )  # fmt: skip
        self._parts(uow, actor, site.id, doc)
        return site.id

    def update(self, uow: UnitOfWork, actor: Actor, object_id: str, doc: SiteDoc) -> None:
        do_update_site(
            uow, actor, object_id,
            SiteUpdate(name=doc.name, address=doc.address, time_zone=doc.time_zone,
                       latitude=doc.latitude, longitude=doc.longitude),
        )  # fmt: skip
        self._parts(uow, actor, object_id, doc)

    def delete(self, uow: UnitOfWork, actor: Actor, object_id: str) -> None:
        do_delete_site(uow, actor, object_id)

    def _parts(self, uow: UnitOfWork, actor: Actor, site_id: str, doc: SiteDoc) -> None:
        zones = {
            z.name: z for z in uow.session.scalars(select(Zone).where(Zone.site_id == site_id))
        }
        zone_ids: dict[str, str] = {}
        for z in doc.zones:
            row = zones.pop(z.name, None)
            if row is None:
                row = do_add_zone(
                    uow, actor, site_id, ZoneCreate(name=z.name, restricted=z.restricted)
                )
            elif row.restricted != z.restricted:
                do_update_zone(uow, actor, site_id, row.id, ZoneUpdate(restricted=z.restricted))
            zone_ids[z.name] = row.id
        devices = {
            (d.kind, d.external_id): d
            for d in uow.session.scalars(select(Device).where(Device.site_id == site_id))
        }
        for d in doc.devices:
            zone_id = zone_ids[d.zone] if d.zone else None
            device = devices.pop((d.kind, d.external_id), None)
            if device is None:
                data = DeviceCreate(
                    kind=d.kind, name=d.name, external_id=d.external_id, zone_id=zone_id
                )
                do_add_device(uow, actor, site_id, data)
            elif (device.name, device.zone_id) != (d.name, zone_id):
                do_update_device(
                    uow, actor, site_id, device.id, DeviceUpdate(name=d.name, zone_id=zone_id)
                )
        for device in devices.values():
            do_remove_device(uow, actor, site_id, device.id)
        for zone in zones.values():
            do_remove_zone(uow, actor, site_id, zone.id)
