"""The sites pages: overview, one site (live region), the site form, zones and devices,
and the identity search."""

from __future__ import annotations

from datetime import timedelta

from fastapi.testclient import TestClient
from sqlalchemy import select

from helpers import Person
from muster.clock import ManualClock
from muster.db.uow import Database
from muster.domain.catalog.models import Service
from muster.domain.sites.models import Device, Site, Zone
from sites_support import build_place, ingest, report
from ui_support import as_person, count


def test_the_overview_puts_busy_sites_first(
    client: TestClient, db: Database, people: dict[str, Person], clock: ManualClock
) -> None:
    place = build_place(db)
    as_person(client, people["viewer"])
    quiet = client.get("/sites")
    assert quiet.status_code == 200, quiet.text
    assert quiet.text.index(">Depot<") < quiet.text.index(">HQ<")  # both quiet: by name
    ingest(db, place.integration, "forced")
    report(db, place.door, "door_forced_open", clock.now())
    html = client.get("/sites").text
    assert html.index(">HQ<") < html.index(">Depot<")
    hq_row = html[html.index(f'data-site="{place.hq}"') :].split("</tr>")[0]
    assert f'href="/alerts?site={place.hq}">1<' in hq_row
    assert "active" in hq_row


def test_the_site_page_shows_alerts_devices_and_restricted_activity(
    client: TestClient, db: Database, people: dict[str, Person], clock: ManualClock
) -> None:
    place = build_place(db)
    report(db, place.door, "access_granted", clock.now() - timedelta(hours=7), identity="B-1")
    report(db, place.door, "door_forced_open", clock.now(), identity="B-2",
           alert_key="forced", integration_id=place.web_integration)  # fmt: skip
    report(db, place.lobby_reader, "access_granted", clock.now(), identity="B-3")
    as_person(client, people["responder"])
    page = client.get(f"/sites/{place.hq}")
    assert page.status_code == 200, page.text
    html = page.text
    assert "forced" in html  # the alert, placed here by its device
    assert "door forced open" in html
    assert "B-2" in html
    assert "B-1" not in html  # older than the window
    assert "B-3" not in html  # not a restricted zone
    assert f'data-live-topics="site:{place.hq}"' in html
    assert ">B-1<" in client.get(f"/sites/{place.hq}?hours=8").text
    assert client.get(f"/sites/{place.hq}?hours=0").status_code == 422
    fragment = client.get(f"/sites/{place.hq}", headers={"X-Muster-Fragment": "1"})
    assert fragment.text.lstrip().startswith('<div class="grid-2">')


def test_a_manager_creates_a_site_with_a_zone_and_a_device(
    client: TestClient, db: Database, people: dict[str, Person]
) -> None:
    csrf = as_person(client, people["manager"])
    bad = client.post("/sites/new", data={"csrf_token": csrf, "name": "Plant",
                                          "time_zone": "Nowhere/Else", "latitude": "x"})  # fmt: skip
    assert bad.status_code == 422
    assert "unknown IANA time zone" in bad.text
    assert count(db, Site) == 0
    made = client.post("/sites/new", data={"csrf_token": csrf, "name": "Plant",
                                           "time_zone": "Europe/Paris", "latitude": ""},
                       follow_redirects=False)  # fmt: skip
    assert made.status_code == 303
    site_id = made.headers["location"].removeprefix("/sites/")
    zone = client.post(f"/sites/{site_id}/zones", data={"csrf_token": csrf, "name": "Vault",
                                                        "restricted": "on"}, follow_redirects=False)  # fmt: skip
    assert zone.status_code == 303
    with db.unit_of_work(readonly=True) as uow:
        vault = uow.session.scalars(select(Zone)).one()
        assert vault.restricted
    dup = client.post(f"/sites/{site_id}/zones", data={"csrf_token": csrf, "name": "vault"})
    assert dup.status_code == 409
    assert "already taken at this site" in dup.text
    device = client.post(f"/sites/{site_id}/devices", data={
        "csrf_token": csrf, "kind": "camera", "name": "Vault cam", "external_id": "vault_cam",
        "zone_id": vault.id}, follow_redirects=False)  # fmt: skip
    assert device.status_code == 303
    no_kind = client.post(f"/sites/{site_id}/devices", data={
        "csrf_token": csrf, "kind": "toaster", "name": "T", "external_id": "t", "zone_id": ""})  # fmt: skip
    assert no_kind.status_code == 422
    with db.unit_of_work(readonly=True) as uow:
        [cam] = uow.session.scalars(select(Device)).all()
        assert (cam.kind, cam.zone_id, cam.site_id) == ("camera", vault.id, site_id)
    moved = client.post(f"/sites/{site_id}/devices/{cam.id}/edit",
                        data={"csrf_token": csrf, "zone_id": ""}, follow_redirects=False)  # fmt: skip
    assert moved.status_code == 303
    with db.unit_of_work(readonly=True) as uow:
        assert uow.session.get_one(Device, cam.id).zone_id is None
    page = client.get(f"/sites/{site_id}").text
    assert "Vault cam" in page
    assert "vault_cam" in page


def test_viewers_see_sites_but_cannot_change_them(
    client: TestClient, db: Database, people: dict[str, Person]
) -> None:
    place = build_place(db)
    csrf = as_person(client, people["viewer"])
    page = client.get(f"/sites/{place.hq}").text
    assert "Add device" not in page
    assert "Where was" not in page
    refused = client.post(f"/sites/{place.hq}/zones", data={"csrf_token": csrf, "name": "Roof"})
    assert refused.status_code == 403
    assert client.get("/sites/identities?identity=B-1").status_code == 403
    assert count(db, Zone) == 2


def test_the_identity_page_lists_the_trail_in_time_order(
    client: TestClient, db: Database, people: dict[str, Person], clock: ManualClock
) -> None:
    place = build_place(db)
    now = clock.now()
    report(db, place.camera, "detected:person", now - timedelta(minutes=5), identity="ABC123",
           identity_kind="plate")  # fmt: skip
    report(db, place.lobby_reader, "access_granted", now - timedelta(minutes=30), identity="ABC123")
    report(db, place.door, "access_denied", now - timedelta(minutes=10), identity="XYZ")
    as_person(client, people["responder"])
    html = client.get("/sites/identities", params={"identity": "ABC123"}).text
    trail = html[html.index('id="trail"') :]
    assert trail.index("Lobby reader") < trail.index("Server room cam")
    assert "Server room door" not in trail
    bad = client.get("/sites/identities", params={"identity": "ABC123", "since": "yesterday"})
    assert bad.status_code == 422
    assert "not a date and time" in bad.text
    backwards = client.get("/sites/identities", params={
        "identity": "ABC123", "since": "2026-01-05T10:00", "until": "2026-01-05T09:00"})  # fmt: skip
    assert backwards.status_code == 422
    assert "is before since" in backwards.text


def test_the_incident_shows_the_trail_of_identities_in_its_alerts(
    client: TestClient, db: Database, people: dict[str, Person], clock: ManualClock
) -> None:
    place = build_place(db)
    now = clock.now()
    report(db, place.lobby_reader, "access_granted", now - timedelta(minutes=20), identity="Eve")
    report(db, place.door, "door_forced_open", now - timedelta(minutes=5), identity="Eve",
           alert_key="forced", integration_id=place.integration)  # fmt: skip
    report(db, place.door, "access_granted", now - timedelta(minutes=4), identity="Bob")
    responder = people["responder"]
    alert = client.get("/api/v1/alerts", headers=responder.auth).json()["items"][0]
    declared = client.post("/api/v1/incidents", headers=responder.auth,
                           json={"title": "Forced door", "group_ids": [alert["group_id"]]})  # fmt: skip
    incident_id = declared.json()["id"]
    as_person(client, responder)
    html = client.get(f"/incidents/{incident_id}/investigation").text
    section = html[html.index('id="identity-trails"') :]
    assert "Eve" in section
    assert "Bob" not in section  # not seen in the incident's alerts
    assert section.index("Lobby reader") < section.index("Server room door")


def test_a_service_is_put_at_a_site_and_taken_off_again(
    client: TestClient, db: Database, people: dict[str, Person]
) -> None:
    place = build_place(db)
    csrf = as_person(client, people["manager"])
    form = client.get(f"/services/{place.web}/edit").text
    assert 'name="site_id"' in form
    base = {
        "csrf_token": csrf,
        "name": "web",
        "description": "",
        "team_id": _team_of(db, place.web),
    }
    bad = client.post(f"/services/{place.web}/edit", data={**base, "site_id": "no-such-site"})
    assert bad.status_code == 422
    assert "no site has this id" in bad.text
    ok = client.post(f"/services/{place.web}/edit", data={**base, "site_id": place.depot},
                     follow_redirects=False)  # fmt: skip
    assert ok.status_code == 303
    assert _site_of(db, place.web) == place.depot
    assert "selected>Depot<" in client.get(f"/services/{place.web}/edit").text
    client.post(f"/services/{place.web}/edit", data={**base, "site_id": ""})
    assert _site_of(db, place.web) is None


def test_deleting_a_site_with_history_is_refused_on_its_page(
    client: TestClient, db: Database, people: dict[str, Person], clock: ManualClock
) -> None:
    place = build_place(db)
    report(db, place.camera, "detected:person", clock.now())
    csrf = as_person(client, people["manager"])
    refused = client.post(f"/sites/{place.depot}/delete", data={"csrf_token": csrf},
                          follow_redirects=False)  # fmt: skip
    assert refused.status_code == 303  # Depot has no history: gone
    kept = client.post(f"/sites/{place.hq}/delete", data={"csrf_token": csrf})
    assert kept.status_code == 409
    assert "service(s) belong to this site; move them first" in kept.text
    assert count(db, Site) == 1


def _team_of(db: Database, service_id: str) -> str:
    with db.unit_of_work(readonly=True) as uow:
        return uow.session.get_one(Service, service_id).team_id


def _site_of(db: Database, service_id: str) -> str | None:
    with db.unit_of_work(readonly=True) as uow:
        return uow.session.get_one(Service, service_id).site_id
