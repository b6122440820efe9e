"""Sites, zones and devices as commands: rules, events, placement of alerts and incidents."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from helpers import SYSTEM, make_person
from incident_support import actor_for
from muster.clock import ManualClock
from muster.db.uow import Database
from muster.domain.alerts.models import Alert, AlertGroup
from muster.domain.catalog.schemas import ServiceUpdate
from muster.domain.catalog.service import do_update_service
from muster.domain.events.models import Event
from muster.domain.incidents.models import Incident
from muster.domain.incidents.schemas import IncidentCreate
from muster.domain.incidents.service import IncidentFilter, do_declare_incident, list_incidents
from muster.domain.inputs import parse_input
from muster.domain.sites.activity import do_set_device_health
from muster.domain.sites.devices import do_add_device, do_remove_device, do_update_device
from muster.domain.sites.models import Device, Site, SiteEvent, Zone
from muster.domain.sites.schemas import (
    DeviceCreate,
    DeviceUpdate,
    SiteCreate,
    SiteUpdate,
)
from muster.domain.sites.service import (
    do_create_site,
    do_delete_site,
    do_remove_zone,
    do_update_site,
)
from muster.errors import Conflict, InvalidInput, PermissionDenied
from sites_support import build_place, ingest, report


def _events(db: Database, type_: str) -> list[Event]:
    with db.unit_of_work(readonly=True) as uow:
        return list(uow.session.scalars(select(Event).where(Event.type == type_)))


def test_a_site_is_created_and_edited_with_each_change_recorded(db: Database) -> None:
    with db.unit_of_work() as uow:
        site = do_create_site(uow, SYSTEM, SiteCreate(name="HQ", address="1 Main St"))
        do_update_site(uow, SYSTEM, site.id, SiteUpdate(time_zone="Europe/Berlin", latitude=52.5))
        do_update_site(uow, SYSTEM, site.id, SiteUpdate(address="1 Main St"))  # no change
        uow.commit()
    [updated] = _events(db, "site.updated")
    assert updated.data["changes"] == {
        "time_zone": ["UTC", "Europe/Berlin"],
        "latitude": [None, 52.5],
    }
    assert updated.subject_type == "site"
    assert updated.data["site_id"] == site.id
    assert len(_events(db, "site.created")) == 1


@pytest.mark.parametrize(
    ("fields", "field"),
    [({"name": "x", "time_zone": "Mars/Olympus"}, "time_zone"), ({"name": "x", "latitude": 91}, "latitude"),
     ({"name": ""}, "name"), ({"name": "x", "colour": "red"}, "colour")],
)  # fmt: skip
def test_bad_site_input_names_the_field(
    db: Database, fields: dict[str, object], field: str
) -> None:
    with pytest.raises(InvalidInput) as caught:
        parse_input(SiteCreate, fields)
    assert field in {e.field for e in caught.value.errors}


def test_names_are_unique_case_insensitively_and_managers_only(db: Database) -> None:
    viewer = actor_for(db, make_person(db, "viewer").id)
    with db.unit_of_work() as uow:
        do_create_site(uow, SYSTEM, SiteCreate(name="HQ"))
        uow.commit()
    with db.unit_of_work() as uow, pytest.raises(Conflict):
        do_create_site(uow, SYSTEM, SiteCreate(name="hq"))
    with db.unit_of_work() as uow, pytest.raises(PermissionDenied):
        do_create_site(uow, viewer, SiteCreate(name="Other"))
    with db.unit_of_work(readonly=True) as uow:
        assert uow.session.scalar(select(Site.name)) == "HQ"
        assert len(list(uow.session.scalars(select(Site)))) == 1


def test_devices_belong_to_a_zone_of_their_own_site(db: Database) -> None:
    place = build_place(db)
    with db.unit_of_work() as uow:
        with pytest.raises(InvalidInput) as caught:
            do_add_device(uow, SYSTEM, place.depot, DeviceCreate(
                kind="camera", name="c", external_id="c1", zone_id=place.server_room))  # fmt: skip
        assert caught.value.errors[0].field == "zone_id"
    with db.unit_of_work() as uow, pytest.raises(Conflict) as dup:
        do_add_device(
            uow, SYSTEM, place.hq, DeviceCreate(kind="door", name="d", external_id="door-7")
        )
    assert dup.value.errors[0].field == "external_id"
    with db.unit_of_work() as uow:  # the same external id is fine for another kind or site
        do_add_device(
            uow, SYSTEM, place.hq, DeviceCreate(kind="camera", name="d", external_id="door-7")
        )
        do_add_device(
            uow, SYSTEM, place.depot, DeviceCreate(kind="door", name="d", external_id="door-7")
        )
        device = do_update_device(uow, SYSTEM, place.hq, place.door, DeviceUpdate(zone_id=None))
        assert device.zone_id is None
        uow.commit()
    [moved] = _events(db, "site.device_updated")
    assert moved.data["changes"] == {"zone_id": [place.server_room, None]}


def test_removing_a_zone_keeps_its_devices_at_the_site(db: Database) -> None:
    place = build_place(db)
    with db.unit_of_work() as uow:
        do_remove_zone(uow, SYSTEM, place.hq, place.server_room)
        do_remove_device(uow, SYSTEM, place.hq, place.lobby_reader)
        uow.commit()
    with db.unit_of_work(readonly=True) as uow:
        door = uow.session.get_one(Device, place.door)
        assert door.zone_id is None
        assert door.site_id == place.hq
        assert uow.session.get(Zone, place.server_room) is None
        assert uow.session.get(Device, place.lobby_reader) is None


def test_a_site_with_services_or_history_is_not_deleted(db: Database, clock: ManualClock) -> None:
    place = build_place(db)
    with db.unit_of_work() as uow, pytest.raises(Conflict, match="service"):
        do_delete_site(uow, SYSTEM, place.hq)
    with db.unit_of_work() as uow:
        do_update_service(uow, SYSTEM, place.physical, ServiceUpdate(site_id=None))
        uow.commit()
    report(db, place.door, "access_granted", clock.now())
    with db.unit_of_work() as uow, pytest.raises(Conflict, match="history"):
        do_delete_site(uow, SYSTEM, place.hq)
    with db.unit_of_work() as uow:
        do_delete_site(uow, SYSTEM, place.depot)
        uow.commit()
    with db.unit_of_work(readonly=True) as uow:
        assert uow.session.get(Site, place.depot) is None
        assert uow.session.get(Site, place.hq) is not None


def test_a_service_takes_only_a_real_site(db: Database) -> None:
    place = build_place(db)
    with db.unit_of_work() as uow, pytest.raises(InvalidInput) as caught:
        do_update_service(uow, SYSTEM, place.web, ServiceUpdate(site_id="nope"))
    assert caught.value.errors[0].field == "site_id"


def test_intake_places_an_alert_at_its_services_site(db: Database) -> None:
    place = build_place(db)
    at_hq = ingest(db, place.integration, "cpu")
    nowhere = ingest(db, place.web_integration, "disk")
    with db.unit_of_work(readonly=True) as uow:
        assert uow.session.get_one(Alert, at_hq).site_id == place.hq
        assert uow.session.get_one(Alert, nowhere).site_id is None
    [opened, _other] = _events(db, "alert_group.opened")
    assert opened.data["site_id"] == place.hq


def test_place_alert_takes_the_devices_site_and_zone(db: Database, clock: ManualClock) -> None:
    place = build_place(db)
    report(db, place.door, "door_forced_open", clock.now(), alert_key="forced",
           integration_id=place.web_integration)  # fmt: skip
    with db.unit_of_work(readonly=True) as uow:
        alert = uow.session.scalars(select(Alert)).one()
        assert (alert.site_id, alert.zone_id) == (place.hq, place.server_room)
        event = uow.session.scalars(select(SiteEvent)).one()
        assert event.alert_id == alert.id
        assert uow.session.get_one(Device, place.door).last_event_at == clock.now()
    [placed] = _events(db, "alert.placed")
    assert placed.data["device_id"] == place.door
    assert placed.data["site_id"] == place.hq
    [activity] = _events(db, "site.activity")
    assert activity.data == {
        "site_id": place.hq, "site_event_id": event.id, "kind": "door_forced_open",
        "zone_id": place.server_room, "device_id": place.door, "alert_id": alert.id,
        "identity": None,
    }  # fmt: skip


def test_an_incident_from_an_alert_takes_its_site(db: Database) -> None:
    place = build_place(db)
    responder = actor_for(db, make_person(db, "responder").id)
    alert_id = ingest(db, place.integration, "forced")
    with db.unit_of_work() as uow:
        group_id = uow.session.get_one(Alert, alert_id).group_id
        incident = do_declare_incident(uow, responder, IncidentCreate(
            title="Break-in", group_ids=[group_id]))  # fmt: skip
        plain = do_declare_incident(uow, responder, IncidentCreate(title="Elsewhere"))
        uow.commit()
        incident_id, plain_id = incident.id, plain.id
    with db.unit_of_work(readonly=True) as uow:
        assert uow.session.get_one(Incident, incident_id).site_id == place.hq
        assert uow.session.get_one(Incident, plain_id).site_id is None
        assert uow.session.get(AlertGroup, group_id) is not None
        for site in (place.hq, "hq", "HQ"):  # by id or by name
            page = list_incidents(uow, responder, IncidentFilter(site=site))
            assert [i.id for i in page.items] == [incident_id]
    [site_set] = _events(db, "incident.site_set")
    assert site_set.data["site_name"] == "HQ"


def test_device_health_changes_are_recorded_once_and_in_order(
    db: Database, clock: ManualClock
) -> None:
    place = build_place(db)
    now = clock.now()
    with db.unit_of_work() as uow:
        camera = uow.session.get_one(Device, place.camera)
        assert do_set_device_health(uow, camera, False, now)
        assert not do_set_device_health(uow, camera, False, now + timedelta(seconds=5))
        assert not do_set_device_health(uow, camera, True, now - timedelta(seconds=5))  # stale
        assert camera.online is False
        assert camera.last_status_at == now + timedelta(seconds=5)
        uow.commit()
    [health] = _events(db, "site.device_health")
    assert health.data["online"] is False
    assert health.data["previous"] is None
