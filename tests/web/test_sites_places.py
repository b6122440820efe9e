"""Where things happened, on their pages: an alert's site, zone and reporting device, an
alert group's sites, an incident's site (linked), the incident list's site choices; and
setting an incident's site by hand (API PATCH ``site_id`` and the edit form)."""

from __future__ import annotations

from fastapi.testclient import TestClient

from helpers import Person
from muster.clock import ManualClock
from muster.db.uow import Database
from muster.domain.alerts.models import Alert
from muster.domain.events.models import Event
from muster.domain.incidents.models import Incident
from sites_support import build_place, ingest, report
from ui_support import as_person, count, events_of_type


def _group_of(db: Database, alert_id: str) -> str:
    with db.unit_of_work(readonly=True) as uow:
        return uow.session.get_one(Alert, alert_id).group_id


def _alert_of_event(db: Database, site_event_alert_key: str) -> str:
    with db.unit_of_work(readonly=True) as uow:
        alert = uow.session.query(Alert).filter(Alert.dedup_key == site_event_alert_key).one()
        return alert.id


def test_the_alert_and_group_pages_show_site_zone_and_reporting_device(
    client: TestClient, db: Database, people: dict[str, Person], clock: ManualClock
) -> None:
    place = build_place(db)
    report(db, place.door, "door_forced_open", clock.now(), alert_key="forced",
           integration_id=place.integration)  # fmt: skip
    forced = _alert_of_event(db, "forced")
    plain = ingest(db, place.integration, "cpu")  # at the service's site, no zone, no device
    nowhere = ingest(db, place.web_integration, "web")  # the web service has no site
    as_person(client, people["viewer"])
    html = client.get(f"/alerts/{forced}").text
    site_row = html[html.index('class="alert-site"') :].split("</dd>")[0]
    assert f'<a href="/sites/{place.hq}">HQ</a>' in site_row
    assert "zone Server room" in site_row
    assert "restricted" in site_row
    devices = html[html.index('class="alert-devices"') :].split("</dd>")[0]
    assert "Server room door" in devices
    assert "(door)" in devices
    plain_html = client.get(f"/alerts/{plain}").text
    assert f'<a href="/sites/{place.hq}">HQ</a>' in plain_html
    assert "zone " not in plain_html.split('class="alert-site"')[1].split("</dd>")[0]
    assert 'class="alert-devices"' not in plain_html  # no device reported it
    assert 'class="alert-site"' not in client.get(f"/alerts/{nowhere}").text
    group = client.get(f"/alert-groups/{_group_of(db, forced)}").text
    sites = group[group.index('class="group-sites"') :].split("</dd>")[0]
    assert f'<a href="/sites/{place.hq}">HQ</a>' in sites
    assert "zone Server room" in sites
    assert 'class="group-sites"' not in client.get(f"/alert-groups/{_group_of(db, nowhere)}").text


def test_the_incident_page_links_its_site_and_labels_naming_sites(
    client: TestClient, db: Database, people: dict[str, Person]
) -> None:
    place = build_place(db)
    alert = ingest(db, place.integration, "door")
    responder = people["responder"].auth
    declared = client.post("/api/v1/incidents", headers=responder, json={
        "title": "Door", "group_ids": [_group_of(db, alert)], "sites": ["depot", "Berlin office"]})  # fmt: skip
    assert declared.status_code == 201, declared.text
    as_person(client, people["responder"])
    html = client.get(f"/incidents/{declared.json()['id']}").text
    site = html[html.index('class="incident-site"') :].split("</dd>")[0]
    assert f'<a href="/sites/{place.hq}">HQ</a>' in site
    labels = html[html.index('class="incident-site-labels"') :].split("</dd>")[0]
    assert f'<a href="/sites/{place.depot}">depot</a>' in labels  # names a site (any case)
    assert "Berlin office" in labels
    assert labels.count("<a ") == 1  # a free label is not a link


def test_the_incident_list_offers_the_known_sites(
    client: TestClient, db: Database, people: dict[str, Person]
) -> None:
    build_place(db)
    responder = people["responder"].auth
    client.post(
        "/api/v1/incidents", json={"title": "Labelled", "sites": ["FRA1"]}, headers=responder
    )
    as_person(client, people["viewer"])
    html = client.get("/incidents").text
    datalist = html[html.index('<datalist id="site-options">') :].split("</datalist>")[0]
    assert '<option value="Depot">' in datalist
    assert '<option value="HQ">' in datalist
    assert 'list="site-options"' in html
    free = client.get("/incidents", params={"site": "FRA1"})  # free labels still filter
    assert free.status_code == 200
    assert "Labelled" in free.text
    assert "Labelled" not in client.get("/incidents", params={"site": "HQ"}).text


def test_a_responder_sets_changes_and_clears_an_incident_site_over_the_api(
    client: TestClient, db: Database, people: dict[str, Person]
) -> None:
    place = build_place(db)
    responder = people["responder"].auth
    made = client.post("/api/v1/incidents", json={"title": "Tailgating"}, headers=responder)
    url = f"/api/v1/incidents/{made.json()['id']}"
    assert made.json()["site_id"] is None
    set_ = client.patch(url, json={"site_id": place.hq}, headers=responder)
    assert set_.status_code == 200, set_.text
    assert set_.json()["site_id"] == place.hq
    moved = client.patch(url, json={"site_id": place.depot}, headers=responder)
    assert moved.json()["site_id"] == place.depot
    same = client.patch(url, json={"site_id": place.depot, "title": "Tailgating at the depot"},
                        headers=responder)  # fmt: skip
    assert same.json()["title"] == "Tailgating at the depot"
    events = events_of_type(db, "incident.site_set")
    assert len(events) == 2  # an unchanged site records nothing
    assert events[0].data["previous_site_id"] is None
    assert events[0].data["site_name"] == "HQ"
    assert events[1].data["changes"] == {"site_id": [place.hq, place.depot]}
    assert events[1].data["previous_site_name"] == "HQ"
    assert events[1].data["site_name"] == "Depot"
    assert events[1].data["source"] == "hand"
    found = client.get("/api/v1/incidents", params={"site": "Depot"}, headers=responder).json()
    assert [i["title"] for i in found["items"]] == ["Tailgating at the depot"]
    cleared = client.patch(url, json={"site_id": None}, headers=responder)
    assert cleared.json()["site_id"] is None
    last = events_of_type(db, "incident.site_set")[-1]
    assert last.data["site_id"] is None
    assert last.data["previous_site_id"] == place.depot
    timeline = client.get(f"{url}/timeline", headers=responder)
    assert timeline.status_code == 200, timeline.text
    texts = [e["text"] for e in timeline.json()["items"] if e["type"] == "incident.site_set"]
    assert texts == ["site: HQ", "site: Depot (was HQ)", "site cleared (was Depot)"]


def test_a_bad_site_is_refused_and_changes_nothing(
    client: TestClient, db: Database, people: dict[str, Person]
) -> None:
    place = build_place(db)
    responder = people["responder"].auth
    made = client.post("/api/v1/incidents", json={"title": "Door"}, headers=responder).json()
    url = f"/api/v1/incidents/{made['id']}"
    client.patch(url, json={"site_id": place.hq}, headers=responder)
    before = count(db, Event)
    unknown = client.patch(url, json={"site_id": "no-such-site", "title": "Renamed"},
                           headers=responder)  # fmt: skip
    assert unknown.status_code == 422, unknown.text
    assert unknown.headers["content-type"].startswith("application/problem+json")
    assert "site_id" in unknown.text
    oversized = client.patch(url, json={"site_id": "x" * 37}, headers=responder)
    assert oversized.status_code == 422
    assert "site_id" in oversized.text
    wrong_type = client.patch(url, json={"site_id": 12}, headers=responder)
    assert wrong_type.status_code == 422
    viewer = client.patch(url, json={"site_id": place.depot}, headers=people["viewer"].auth)
    assert viewer.status_code == 403
    anonymous = client.patch(url, json={"site_id": place.depot})
    assert anonymous.status_code == 401
    assert count(db, Event) == before
    with db.unit_of_work(readonly=True) as uow:
        incident = uow.session.get_one(Incident, made["id"])
        assert (incident.site_id, incident.title) == (place.hq, "Door")


def test_a_restricted_incident_site_is_not_set_by_those_who_cannot_see_it(
    client: TestClient, db: Database, people: dict[str, Person]
) -> None:
    place = build_place(db)
    made = client.post("/api/v1/incidents", json={"title": "Secret", "restricted": True},
                       headers=people["admin"].auth).json()  # fmt: skip
    hidden = client.patch(f"/api/v1/incidents/{made['id']}", json={"site_id": place.hq},
                          headers=people["responder"].auth)  # fmt: skip
    assert hidden.status_code == 404
    assert events_of_type(db, "incident.site_set") == []


def test_the_edit_form_sets_the_site(
    client: TestClient, db: Database, people: dict[str, Person]
) -> None:
    place = build_place(db)
    made = client.post("/api/v1/incidents", json={"title": "Door", "severity": 3},
                       headers=people["responder"].auth).json()  # fmt: skip
    csrf = as_person(client, people["responder"])
    page = client.get(f"/incidents/{made['id']}/edit").text
    assert 'name="site_id"' in page
    assert f'<option value="{place.hq}"' in page
    base = {"csrf_token": csrf, "title": "Door", "type": "operational", "severity": "3",
            "restricted": "no"}  # fmt: skip
    bad = client.post(f"/incidents/{made['id']}/edit", data={**base, "site_id": "nope"})
    assert bad.status_code == 422
    assert "no site has this id" in bad.text
    assert events_of_type(db, "incident.site_set") == []
    done = client.post(f"/incidents/{made['id']}/edit", data={**base, "site_id": place.hq},
                       follow_redirects=False)  # fmt: skip
    assert done.status_code == 303
    html = client.get(f"/incidents/{made['id']}").text
    assert f'<a href="/sites/{place.hq}">HQ</a>' in html
    refill = client.get(f"/incidents/{made['id']}/edit").text
    assert f'<option value="{place.hq}" selected>' in refill
    site_page = client.get(f"/sites/{place.hq}").text
    assert "INC-" in site_page.split('id="site-incidents"')[1].split("</section>")[0]
    client.post(f"/incidents/{made['id']}/edit", data={**base, "site_id": ""})
    with db.unit_of_work(readonly=True) as uow:
        assert uow.session.get_one(Incident, made["id"]).site_id is None
    as_person(client, people["viewer"])
    assert client.get(f"/incidents/{made['id']}/edit").status_code in (403, 303)
