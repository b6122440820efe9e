"""``muster site``: sites, their zones and devices (list, show, create, zone-add,
device-add), and ``muster site trail`` (where was an identity between two times)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import click

from muster.cli.common import AS_OPTION, JSON_OPTION, acting_as, database, emit, handles_errors
from muster.domain.inputs import parse_input
from muster.domain.sites import devices, service
from muster.domain.sites.identity import identity_trail
from muster.domain.sites.schemas import (
    DeviceCreate,
    DeviceOut,
    SiteCreate,
    SiteOut,
    ZoneCreate,
    ZoneOut,
)
from muster.errors import FieldError, InvalidInput


@click.group("site")
def site() -> None:
    """Sites, zones and devices; identity trails."""


@site.command("list")
@JSON_OPTION
@handles_errors
def list_(as_json: bool) -> None:
    """Every site by name."""
    with database() as db, db.unit_of_work(readonly=True) as uow:
        found = [SiteOut.model_validate(s) for s in service.list_sites(uow)]

    def text() -> None:
        for s in found:
            click.echo(f"{s.id}  {s.name:<30} {s.time_zone}")

    emit(found, as_json, text)


@site.command("show")
@click.argument("site_ref")
@JSON_OPTION
@handles_errors
def show(site_ref: str, as_json: bool) -> None:
    """A site (by name or id) with its zones and devices."""
    with database() as db, db.unit_of_work(readonly=True) as uow:
        found = service.find_site(uow, site_ref)
        out: dict[str, Any] = {
            "site": SiteOut.model_validate(found).model_dump(mode="json"),
            "zones": [ZoneOut.model_validate(z).model_dump(mode="json")
                      for z in service.list_zones(uow, found.id)],
            "devices": [DeviceOut.model_validate(d).model_dump(mode="json")
                        for d in devices.list_devices(uow, found.id)],
        }  # fmt: skip

    def text() -> None:
        s = out["site"]
        click.echo(f"{s['name']} ({s['time_zone']}) {s['address']}".rstrip())
        zones = {z["id"]: z["name"] for z in out["zones"]}
        for z in out["zones"]:
            click.echo(f"  zone {z['name']}" + (" [restricted]" if z["restricted"] else ""))
        for d in out["devices"]:
            health = {None: "unknown", True: "online", False: "offline"}[d["online"]]
            where = zones.get(d["zone_id"], "-")
            click.echo(
                f"  {d['kind']:<16} {d['name']:<24} {d['external_id']:<20} {where:<16} {health}"
            )

    emit(out, as_json, text)


@site.command("create")
@click.argument("name")
@click.option("--address", default="")
@click.option("--time-zone", default="UTC", show_default=True, help="IANA zone name.")
@click.option("--latitude", type=float, default=None)
@click.option("--longitude", type=float, default=None)
@AS_OPTION
@JSON_OPTION
@handles_errors
def create(
    name: str, address: str, time_zone: str, latitude: float | None, longitude: float | None,
    as_email: str | None, as_json: bool,
) -> None:  # fmt: skip
    """Create a site."""
    data = parse_input(SiteCreate, {"name": name, "address": address, "time_zone": time_zone,
                                    "latitude": latitude, "longitude": longitude})  # fmt: skip
    with database() as db, db.unit_of_work() as uow:
        out = SiteOut.model_validate(service.do_create_site(uow, acting_as(uow, as_email), data))
        uow.commit()
    emit(out, as_json, lambda: click.echo(f"created site {out.name} ({out.id})"))


@site.command("zone-add")
@click.argument("site_ref")
@click.argument("name")
@click.option("--restricted", is_flag=True, help="A restricted zone (a server room, a vault).")
@AS_OPTION
@JSON_OPTION
@handles_errors
def zone_add(
    site_ref: str, name: str, restricted: bool, as_email: str | None, as_json: bool
) -> None:
    """Add a zone to a site (by name or id)."""
    data = parse_input(ZoneCreate, {"name": name, "restricted": restricted})
    with database() as db, db.unit_of_work() as uow:
        found = service.find_site(uow, site_ref)
        out = ZoneOut.model_validate(
            service.do_add_zone(uow, acting_as(uow, as_email), found.id, data)
        )
        uow.commit()
    emit(out, as_json, lambda: click.echo(f"added zone {out.name} ({out.id})"))


@site.command("device-add")
@click.argument("site_ref")
@click.option("--kind", required=True,
              type=click.Choice(["camera", "door", "sensor", "network_segment", "host"]))  # fmt: skip
@click.option("--name", required=True)
@click.option("--external-id", required=True, help="The name its own system uses for it.")
@click.option("--zone", "zone_name", default=None, help="The zone (by name) it is in.")
@AS_OPTION
@JSON_OPTION
@handles_errors
def device_add(
    site_ref: str, kind: str, name: str, external_id: str, zone_name: str | None,
    as_email: str | None, as_json: bool,
) -> None:  # fmt: skip
    """Place a device at a site (and in one of its zones)."""
    with database() as db, db.unit_of_work() as uow:
        found = service.find_site(uow, site_ref)
        zone_id = None
        if zone_name is not None:
            zones = {z.name.lower(): z.id for z in service.list_zones(uow, found.id)}
            zone_id = zones.get(zone_name.strip().lower())
            if zone_id is None:
                raise InvalidInput("no such zone",
                                   errors=[FieldError("zone", f"{found.name} has no zone {zone_name!r}")])  # fmt: skip
        data = parse_input(DeviceCreate, {"kind": kind, "name": name, "external_id": external_id,
                                          "zone_id": zone_id})  # fmt: skip
        device = devices.do_add_device(uow, acting_as(uow, as_email), found.id, data)
        out = DeviceOut.model_validate(device)
        uow.commit()
    emit(out, as_json, lambda: click.echo(f"added {out.kind} {out.name} ({out.id})"))


@site.command("trail")
@click.argument("identity")
@click.option("--since", type=click.DateTime(["%Y-%m-%dT%H:%M:%S%z", "%Y-%m-%dT%H:%M%z"]),
              default=None, help="From (with a zone, e.g. 2026-01-05T08:00+00:00); default 24 h ago.")  # fmt: skip
@click.option("--until", type=click.DateTime(["%Y-%m-%dT%H:%M:%S%z", "%Y-%m-%dT%H:%M%z"]),
              default=None, help="Until (with a zone); default now.")  # fmt: skip
@click.option("--site", "site_ref", default=None, help="Only at this site (name or id).")
@JSON_OPTION
@handles_errors
def trail(
    identity: str, since: datetime | None, until: datetime | None, site_ref: str | None,
    as_json: bool,
) -> None:  # fmt: skip
    """Where was IDENTITY (a badge, face or plate) between two times, oldest first."""
    with database() as db, db.unit_of_work(readonly=True) as uow:
        end = until or uow.now
        start = since or end - timedelta(hours=24)
        site_id = service.find_site(uow, site_ref).id if site_ref else None
        found = identity_trail(uow, identity, start, end, site_id)

    def text() -> None:
        if not found:
            click.echo(f"no sightings of {identity}")
        for s in found:
            zone = s.zone_name or "-"
            click.echo(
                f"{s.occurred_at.isoformat()}  {s.kind:<22} {s.site_name} / {zone} / {s.device_name or '-'}"
            )

    emit(found, as_json, text)
