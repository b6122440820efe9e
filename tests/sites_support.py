"""Building site scenarios: a site with zones and devices, a service there, an
integration, alerts through intake, and site events as devices report them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from helpers import SYSTEM
from muster.db.uow import Database
from muster.domain.accounts.schemas import TeamCreate
from muster.domain.accounts.service import do_create_team
from muster.domain.alerts.ingest import do_ingest
from muster.domain.alerts.integrations import do_create_integration
from muster.domain.alerts.models import Alert, Integration
from muster.domain.alerts.schemas import IntegrationCreate
from muster.domain.catalog.schemas import ServiceCreate
from muster.domain.catalog.service import do_create_service
from muster.domain.sites.activity import do_record_site_event
from muster.domain.sites.devices import do_add_device
from muster.domain.sites.models import Device, SiteEvent
from muster.domain.sites.placement import place_alert
from muster.domain.sites.schemas import DeviceCreate, SiteCreate, ZoneCreate
from muster.domain.sites.service import do_add_zone, do_create_site
from muster.integrations.normalized import InboundAlert


@dataclass(frozen=True)
class Place:
    """HQ (with its server room, restricted, and lobby), a door and a camera in the server
    room, a lobby reader; Depot (no zones); the service "physical" at HQ with an
    integration; the service "web" at no site."""

    hq: str
    depot: str
    server_room: str
    lobby: str
    door: str
    camera: str
    lobby_reader: str
    physical: str
    web: str
    integration: str
    web_integration: str


def build_place(db: Database) -> Place:
    with db.unit_of_work() as uow:
        hq = do_create_site(uow, SYSTEM, SiteCreate(name="HQ", time_zone="Europe/Berlin"))
        depot = do_create_site(uow, SYSTEM, SiteCreate(name="Depot"))
        server = do_add_zone(uow, SYSTEM, hq.id, ZoneCreate(name="Server room", restricted=True))
        lobby = do_add_zone(uow, SYSTEM, hq.id, ZoneCreate(name="Lobby"))
        door = do_add_device(uow, SYSTEM, hq.id, DeviceCreate(
            kind="door", name="Server room door", external_id="door-7", zone_id=server.id))  # fmt: skip
        camera = do_add_device(uow, SYSTEM, hq.id, DeviceCreate(
            kind="camera", name="Server room cam", external_id="cam_server", zone_id=server.id))  # fmt: skip
        reader = do_add_device(uow, SYSTEM, hq.id, DeviceCreate(
            kind="door", name="Lobby reader", external_id="door-1", zone_id=lobby.id))  # fmt: skip
        team = do_create_team(uow, SYSTEM, TeamCreate(name="Security ops"))
        physical = do_create_service(uow, SYSTEM, ServiceCreate(
            name="physical", team_id=team.id, site_id=hq.id))  # fmt: skip
        web = do_create_service(uow, SYSTEM, ServiceCreate(name="web", team_id=team.id))
        integ = do_create_integration(uow, SYSTEM, physical.id, IntegrationCreate(type="pagerduty"))
        web_integ = do_create_integration(uow, SYSTEM, web.id, IntegrationCreate(type="pagerduty"))
        uow.commit()
        return Place(hq.id, depot.id, server.id, lobby.id, door.id, camera.id, reader.id,
                     physical.id, web.id, integ.id, web_integ.id)  # fmt: skip


def ingest(db: Database, integration_id: str, key: str, summary: str | None = None) -> str:
    """One alert through intake; returns its id."""
    with db.unit_of_work() as uow:
        integration = uow.session.get_one(Integration, integration_id)
        inbound = InboundAlert(action="trigger", dedup_key=key, summary=summary or key,
                               severity="critical", source="test")  # fmt: skip
        [outcome] = do_ingest(uow, integration, [inbound])
        uow.commit()
        assert outcome.alert_id is not None
        return outcome.alert_id


def report(
    db: Database,
    device_id: str,
    kind: str,
    at: datetime,
    *,
    identity: str | None = None,
    identity_kind: str | None = None,
    alert_key: str | None = None,
    integration_id: str | None = None,
) -> str:
    """A device reports ``kind`` at ``at`` (raising an alert placed at the device when
    ``alert_key`` is given, as physical intake does); returns the site event's id."""
    alert_id = ingest(db, integration_id, alert_key) if alert_key and integration_id else None
    with db.unit_of_work() as uow:
        device = uow.session.get_one(Device, device_id)
        if alert_id is not None:
            place_alert(uow, uow.session.get_one(Alert, alert_id), device)
        event = SiteEvent(site_id=device.site_id, zone_id=device.zone_id, kind=kind,
                          identity=identity, identity_kind=identity_kind, occurred_at=at,
                          received_at=uow.now, alert_id=alert_id, data={})  # fmt: skip
        do_record_site_event(uow, event, device=device)
        uow.commit()
        return event.id
