"""The exercise site of a run: where its physical injects (access-control events,
Frigate reviews) happen.

A run whose scenario has physical injects (or a ``site`` layout) gets a site of its own,
``[EXERCISE <run>] <name>``, marked with the run (``Site.exercise_run_id``), with the
zones and devices the scenario lays out; it never uses a real site, so no real site's
page, trail or counts ever shows a drill's door or camera. Before a physical inject is
stored, each door or camera it names is made sure to exist at that site
(:func:`ensure_devices`): intake matches devices at the integration's site first, so a
real device with the same id elsewhere is never touched. The site, its zones, devices
and site events go with the run's cleanup
(:func:`muster.domain.exercises.cleanup.do_cleanup_exercise`).
"""

from __future__ import annotations

from sqlalchemy import select

from muster.db.uow import UnitOfWork
from muster.domain.drills.schemas import SiteDef
from muster.domain.events.actor import Actor, Via
from muster.domain.exercises.setup import exercise_name
from muster.domain.sites.devices import do_add_device, find_device
from muster.domain.sites.models import Site
from muster.domain.sites.schemas import DeviceCreate, SiteCreate, ZoneCreate
from muster.domain.sites.service import do_add_zone, do_create_site
from muster.integrations.access_control import AccessBatch
from muster.integrations.frigate import FrigateMessage

DRILL = Actor.system(Via.ENGINE, label="drill")


def do_create_exercise_site(
    uow: UnitOfWork, actor: Actor, run_id: str, title: str, layout: SiteDef | None
) -> Site:
    """Create the run's site, laid out as ``layout`` says (or empty, named after the
    run's title). Precondition: manager role."""
    name = exercise_name(run_id, layout.name if layout else title)
    site = do_create_site(uow, actor, SiteCreate(name=name))
    site.exercise_run_id = run_id
    if layout is None:
        return site
    zones = {
        zone.name: do_add_zone(uow, actor, site.id, ZoneCreate(name=zone.name, restricted=zone.restricted))
        for zone in layout.zones
    }  # fmt: skip
    for device in layout.devices:
        zone = zones.get(device.zone or "")
        do_add_device(uow, actor, site.id, DeviceCreate(
            kind=device.kind, name=device.name or device.external_id,
            external_id=device.external_id, zone_id=zone.id if zone else None,
        ))  # fmt: skip
    return site


def run_site(uow: UnitOfWork, run_id: str) -> Site | None:
    return uow.session.scalar(select(Site).where(Site.exercise_run_id == run_id).limit(1))


def ensure_devices(uow: UnitOfWork, site_id: str, parsed: AccessBatch | FrigateMessage) -> int:
    """Make sure each door or camera ``parsed`` names exists at the run's site (new
    ones without a zone); returns how many were added."""
    wanted: dict[tuple[str, str], str] = {}
    if isinstance(parsed, AccessBatch):
        for event in parsed.events:
            wanted.setdefault(("door", event.door), event.door_name or event.door)
    else:
        camera = getattr(parsed, "camera", None)
        if isinstance(camera, str):
            wanted[("camera", camera)] = camera
    added = 0
    for (kind, external_id), name in wanted.items():
        if find_device(uow, kind, external_id, site_id=site_id) is None:
            do_add_device(uow, DRILL, site_id, DeviceCreate(
                kind=kind, name=name[:200], external_id=external_id[:255],
            ))  # fmt: skip
            added += 1
    return added
