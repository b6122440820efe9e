"""/api/v1/sites, zones, devices, the site filter on alerts and incidents, and
/api/v1/identity-trail."""

from __future__ import annotations

from datetime import timedelta

from fastapi.testclient import TestClient

from helpers import Person
from muster.clock import ManualClock, isoformat
from muster.db.uow import Database
from muster.domain.sites.models import Device, Site
from sites_support import build_place, ingest, report
from ui_support import count


def test_crud_over_the_api(client: TestClient, db: Database, people: dict[str, Person]) -> None:
    auth = people["manager"].auth
    made = client.post("/api/v1/sites", json={"name": "Plant", "time_zone": "Europe/Paris",
                                              "latitude": 48.85, "longitude": 2.35}, headers=auth)  # fmt: skip
    assert made.status_code == 201, made.text
    site = made.json()
    assert made.headers["location"] == f"/api/v1/sites/{site['id']}"
    zone = client.post(f"/api/v1/sites/{site['id']}/zones", json={"name": "Vault",
                                                                  "restricted": True}, headers=auth).json()  # fmt: skip
    device = client.post(f"/api/v1/sites/{site['id']}/devices", json={
        "kind": "door", "name": "Vault door", "external_id": "d-9", "zone_id": zone["id"]},
        headers=auth)  # fmt: skip
    assert device.status_code == 201, device.text
    assert device.json()["online"] is None
    listed = client.get(f"/api/v1/sites/{site['id']}/devices", headers=people["viewer"].auth)
    assert [d["external_id"] for d in listed.json()["items"]] == ["d-9"]
    patched = client.patch(f"/api/v1/sites/{site['id']}", json={"latitude": None}, headers=auth)
    assert patched.json()["latitude"] is None
    assert patched.json()["longitude"] == 2.35
    renamed = client.patch(f"/api/v1/sites/{site['id']}/zones/{zone['id']}",
                           json={"restricted": False}, headers=auth)  # fmt: skip
    assert renamed.json()["restricted"] is False
    gone = client.delete(f"/api/v1/sites/{site['id']}/devices/{device.json()['id']}", headers=auth)
    assert gone.status_code == 204
    assert count(db, Device) == 0
    assert client.delete(f"/api/v1/sites/{site['id']}", headers=auth).status_code == 204
    assert count(db, Site) == 0
    assert client.get(f"/api/v1/sites/{site['id']}", headers=auth).status_code == 404


def test_bad_input_is_refused_and_changes_nothing(
    client: TestClient, db: Database, people: dict[str, Person]
) -> None:
    auth = people["manager"].auth
    cases = [
        ({"name": "x", "time_zone": "Atlantis/Capital"}, "time_zone"),
        ({"name": "x", "longitude": 181}, "longitude"),
        ({"name": "x" * 201}, "name"),
        ({"name": "x", "extra": 1}, "extra"),
    ]
    for body, field in cases:
        r = client.post("/api/v1/sites", json=body, headers=auth)
        assert r.status_code in (400, 422), r.text
        assert r.headers["content-type"].startswith("application/problem+json")
        assert field in r.text
    malformed = client.post("/api/v1/sites", content=b"{not json", headers={
        **auth, "content-type": "application/json"})  # fmt: skip
    assert malformed.status_code in (400, 422)
    assert client.post("/api/v1/sites", json={"name": "A"}, headers=auth).status_code == 201
    dup = client.post("/api/v1/sites", json={"name": "a"}, headers=auth)
    assert dup.status_code == 409
    refused = client.post("/api/v1/sites", json={"name": "B"}, headers=people["responder"].auth)
    assert refused.status_code == 403
    assert count(db, Site) == 1
    site_id = client.get("/api/v1/sites", headers=auth).json()["items"][0]["id"]
    bad_kind = client.post(f"/api/v1/sites/{site_id}/devices", json={
        "kind": "toaster", "name": "t", "external_id": "t"}, headers=auth)  # fmt: skip
    assert bad_kind.status_code == 422
    assert "kind" in bad_kind.text
    too_long = client.post(f"/api/v1/sites/{site_id}/devices", json={
        "kind": "host", "name": "h", "external_id": "h" * 256}, headers=auth)  # fmt: skip
    assert too_long.status_code == 422
    assert count(db, Device) == 0


def test_alerts_and_incidents_filter_by_site(
    client: TestClient, db: Database, people: dict[str, Person], clock: ManualClock
) -> None:
    place = build_place(db)
    here = ingest(db, place.integration, "at-hq")
    ingest(db, place.web_integration, "nowhere")
    viewer = people["viewer"].auth
    by_site = client.get("/api/v1/alerts", params={"site": place.hq}, headers=viewer).json()
    assert [a["id"] for a in by_site["items"]] == [here]
    assert by_site["items"][0]["site_id"] == place.hq
    every = client.get("/api/v1/alerts", headers=viewer).json()["items"]
    assert len(every) == 2
    responder = people["responder"].auth
    alert = client.get(f"/api/v1/alerts/{here}", headers=viewer).json()
    declared = client.post("/api/v1/incidents", json={"title": "Door", "group_ids": [alert["group_id"]]},
                           headers=responder)  # fmt: skip
    assert declared.status_code == 201, declared.text
    assert declared.json()["site_id"] == place.hq
    incident_id = declared.json()["id"]
    asset = client.post(f"/api/v1/incidents/{incident_id}/assets", headers=responder,
                        json={"kind": "door", "name": "Server room door", "site_id": place.hq})  # fmt: skip
    assert asset.status_code == 201, asset.text
    assert asset.json()["site_id"] == place.hq
    nowhere = client.post(f"/api/v1/incidents/{incident_id}/assets", headers=responder,
                          json={"kind": "door", "name": "Back door", "site_id": "nope"})  # fmt: skip
    assert nowhere.status_code == 422
    assert "site_id" in nowhere.text
    client.post("/api/v1/incidents", json={"title": "Other"}, headers=responder)
    found = client.get("/api/v1/incidents", params={"site": place.hq}, headers=responder).json()
    assert [i["title"] for i in found["items"]] == ["Door"]
    page = client.get("/alerts", params={"site": place.hq}, headers=viewer)
    assert page.status_code in (200, 303)


def test_identity_trail_over_the_api(
    client: TestClient, db: Database, people: dict[str, Person], clock: ManualClock
) -> None:
    place = build_place(db)
    now = clock.now()
    report(db, place.door, "access_granted", now - timedelta(hours=2), identity="badge-42",
           identity_kind="badge")  # fmt: skip
    report(db, place.camera, "detected:person", now - timedelta(hours=3), identity="badge-42")
    report(db, place.lobby_reader, "access_denied", now - timedelta(hours=30), identity="badge-42")
    auth = people["responder"].auth
    params = {"identity": "badge-42", "since": isoformat(now - timedelta(hours=24)),
              "until": isoformat(now)}  # fmt: skip
    r = client.get("/api/v1/identity-trail", params=params, headers=auth)
    assert r.status_code == 200, r.text
    items = r.json()["items"]
    assert [i["kind"] for i in items] == ["detected:person", "access_granted"]
    assert items[1]["zone_name"] == "Server room"
    assert items[1]["restricted"] is True
    assert items[1]["site_name"] == "HQ"
    only_depot = client.get("/api/v1/identity-trail", params={**params, "site_id": place.depot},
                            headers=auth)  # fmt: skip
    assert only_depot.json()["items"] == []
    backwards = client.get("/api/v1/identity-trail", params={**params, "since": params["until"],
                                                             "until": params["since"]}, headers=auth)  # fmt: skip
    assert backwards.status_code == 422
    assert "until" in backwards.text
    naive = client.get("/api/v1/identity-trail", params={**params, "since": "2026-01-05T08:00:00"},
                       headers=auth)  # fmt: skip
    assert naive.status_code == 422
    assert "since" in naive.text
    too_long = client.get("/api/v1/identity-trail", params={
        **params, "since": isoformat(now - timedelta(days=91))}, headers=auth)  # fmt: skip
    assert too_long.status_code == 422
    assert client.get("/api/v1/identity-trail", params=params,
                      headers=people["viewer"].auth).status_code == 403  # fmt: skip
