"""The public status page, its Atom feed and JSON: open to anyone, read-only, cacheable,
showing public components, customer-facing incidents with public updates only, past
incidents and maintenance — and never anything restricted, internal or personal."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient

from helpers import Person
from muster.clock import ManualClock
from muster.db.uow import Database
from status_support import (
    A_UPDATE,
    E_UPDATES,
    NEVER,
    StatusWorld,
    build_status_world,
    post_public,
    publish,
    transition,
)
from ui_support import as_person

ATOM = "{http://www.w3.org/2005/Atom}"
PUBLIC_PATHS = ("/status", "/status/feed.atom", "/status.json")


@pytest.fixture
def world(db: Database, clock: ManualClock) -> StatusWorld:
    return build_status_world(db, clock)


def test_anyone_may_read_without_signing_in_and_nothing_leaks(
    client: TestClient, world: StatusWorld
) -> None:
    for path in PUBLIC_PATHS:
        answer = client.get(path, follow_redirects=False)
        assert answer.status_code == 200, path
        assert answer.headers["cache-control"] == "public, max-age=5"
        assert "set-cookie" not in answer.headers
        leaked = [text for text in NEVER if text in answer.text]
        assert leaked == [], f"{path} shows {leaked}"
    # Read-only: nothing but reading is answered.
    assert client.post("/status", follow_redirects=False).status_code == 405
    assert client.delete("/status.json", follow_redirects=False).status_code == 405


def test_page_shows_components_current_past_and_maintenance(
    client: TestClient, world: StatusWorld
) -> None:
    html = client.get("/status").text
    assert "Major outage" in html  # the overall banner: Checkout has a SEV1
    for name in ("Checkout", "Search API", "payments"):
        assert f'<span class="name">{name}</span>' in html
    assert f'id="incident-{world.a}"' in html
    assert "Major outage: Checkout" in html  # a generic title, not the incident's own
    assert A_UPDATE in html
    assert f'id="incident-{world.e}"' in html
    assert all(u in html for u in E_UPDATES)
    assert html.count('<article class="maintenance"') == 2
    assert "Maintenance in progress" in html
    assert "/static/status.css" in html
    assert "<script" not in html
    assert "Sign out" not in html
    assert "/alerts" not in html


def test_json_says_exactly_what_the_page_shows(client: TestClient, world: StatusWorld) -> None:
    doc = client.get("/status.json").json()
    assert set(doc) == {
        "generated_at", "page", "status", "components", "incidents", "maintenance",
        "past_incidents",
    }  # fmt: skip
    assert doc["status"] == {"indicator": "major_outage", "description": "Major outage"}
    assert [(c["name"], c["status"]) for c in doc["components"]] == [
        ("Checkout", "major_outage"),
        ("payments", "under_maintenance"),
        ("Search API", "operational"),
    ]
    (current,) = doc["incidents"]
    assert current["id"] == world.a
    assert (current["title"], current["impact"], current["status"]) == (
        "Major outage: Checkout", "major_outage", "investigating",
    )  # fmt: skip
    assert current["components"] == [{"id": world.checkout, "name": "Checkout"}]
    assert [u["body"] for u in current["updates"]] == [A_UPDATE]
    assert set(current["updates"][0]) == {"id", "status", "body", "posted_at"}
    assert current["resolved_at"] is None
    (past,) = doc["past_incidents"]
    assert past["id"] == world.e
    assert past["status"] == "resolved"
    assert past["resolved_at"]
    assert [u["body"] for u in past["updates"]] == list(reversed(E_UPDATES))
    assert [u["status"] for u in past["updates"]] == ["resolved", "identified"]
    now_window, later_window = doc["maintenance"]
    assert now_window["title"] == later_window["title"] == "Scheduled maintenance"
    assert now_window["in_progress"]
    assert not later_window["in_progress"]
    assert [c["name"] for c in now_window["components"]] == ["payments"]
    assert [c["name"] for c in later_window["components"]] == ["Checkout"]
    assert set(now_window) == {"id", "title", "starts_at", "ends_at", "in_progress", "components"}


def test_atom_feed_parses_and_has_one_entry_per_public_update(
    client: TestClient, world: StatusWorld
) -> None:
    answer = client.get("/status/feed.atom")
    assert answer.headers["content-type"].startswith("application/atom+xml")
    feed = ET.fromstring(answer.content)  # noqa: S314 (our own feed)
    assert feed.tag == f"{ATOM}feed"
    for required in ("id", "title", "updated", "author"):
        assert feed.find(f"{ATOM}{required}") is not None, required
    entries = feed.findall(f"{ATOM}entry")
    contents = [e.findtext(f"{ATOM}content") for e in entries]
    assert contents == [A_UPDATE, E_UPDATES[1], E_UPDATES[0]]  # newest first
    for entry in entries:
        entry_id = entry.findtext(f"{ATOM}id") or ""
        assert entry_id.startswith("urn:uuid:")
        assert len(entry_id) == len("urn:uuid:") + 36
        assert entry.findtext(f"{ATOM}updated")
        link = entry.find(f"{ATOM}link")
        assert link is not None
        assert link.get("href", "").startswith("http")
    assert len({e.findtext(f"{ATOM}id") for e in entries}) == 3


def test_component_status_follows_severity_and_public_resolution(
    client: TestClient, db: Database, clock: ManualClock, world: StatusWorld
) -> None:
    # Hiding a component hides its incidents too.
    publish(db, world.cast.boss, (world.checkout, False, "Checkout"))
    clock.advance(seconds=6)
    doc = client.get("/status.json").json()
    assert [c["name"] for c in doc["components"]] == ["payments", "Search API"]
    assert doc["incidents"] == []
    publish(db, world.cast.boss, (world.checkout, True, "Checkout"))
    # Said resolved publicly: the component is operational while the team wraps up.
    post_public(db, world.cast.ic, world.a, "Payments work again.", "resolved")
    clock.advance(seconds=6)
    doc = client.get("/status.json").json()
    assert doc["components"][0] == {
        "id": world.checkout, "name": "Checkout", "status": "operational",
        "status_label": "Operational",
    }  # fmt: skip
    assert doc["incidents"][0]["status"] == "resolved"
    transition(db, world.cast.ic, world.a, "resolved")
    clock.advance(seconds=6)
    doc = client.get("/status.json").json()
    assert doc["incidents"] == []
    assert [i["id"] for i in doc["past_incidents"]] == [world.a, world.e]


def test_answers_are_cached_for_a_few_seconds_and_revalidate(
    client: TestClient, db: Database, clock: ManualClock, world: StatusWorld
) -> None:
    first = client.get("/status")
    post_public(db, world.cast.ic, world.a, "A newer word.", "identified")
    assert "A newer word." not in client.get("/status").text  # same snapshot within 5 s
    again = client.get("/status", headers={"If-None-Match": first.headers["etag"]})
    assert again.status_code == 304
    clock.advance(timedelta(seconds=5))
    assert "A newer word." in client.get("/status").text


def test_empty_page_before_anything_is_public(client: TestClient, db: Database) -> None:
    html = client.get("/status").text
    assert "Nothing is published here yet." in html
    doc = client.get("/status.json").json()
    assert doc["components"] == []
    assert doc["incidents"] == []
    assert doc["status"]["indicator"] == "operational"
    feed = ET.fromstring(client.get("/status/feed.atom").content)  # noqa: S314
    assert feed.findall(f"{ATOM}entry") == []


def test_managers_choose_public_services_on_the_settings_page(
    client: TestClient, db: Database, people: dict[str, Person], clock: ManualClock,
    world: StatusWorld,
) -> None:  # fmt: skip
    assert client.get("/settings/status-page", follow_redirects=False).status_code == 303
    csrf = as_person(client, people["manager"])
    page = client.get("/settings/status-page")
    assert page.status_code == 200
    assert "Public name of ledger-internal" in page.text
    form = {
        "csrf_token": csrf,
        "service": [world.checkout, world.search, world.payments, world.ledger],
        "public": [world.ledger, world.search],
        "name-" + world.ledger: "Ledger",
        "name-" + world.search: "Search API",
    }
    answer = client.post("/settings/status-page", data=form, follow_redirects=False)
    assert answer.status_code == 303
    assert answer.headers["location"] == "/settings/status-page?saved=3"
    clock.advance(seconds=6)
    doc = client.get("/status.json").json()
    assert [c["name"] for c in doc["components"]] == ["Ledger", "Search API"]
    # Incidents on the ledger are public now (newest first); A names only the ledger.
    incidents = doc["incidents"]
    assert [i["id"] for i in incidents] == [world.hidden["internal_service"], world.a]
    assert incidents[1]["title"] == "Major outage: Ledger"


def test_public_names_must_differ_and_responders_may_not_choose(
    client: TestClient, db: Database, people: dict[str, Person], world: StatusWorld
) -> None:
    csrf = as_person(client, people["manager"])
    form = {"csrf_token": csrf, "service": world.ledger, "public": world.ledger,
            "name-" + world.ledger: "checkout"}  # fmt: skip
    answer = client.post("/settings/status-page", data=form)
    assert answer.status_code == 422
    assert "another public component has this name" in answer.text
    client.cookies.clear()
    csrf = as_person(client, people["responder"])
    assert client.get("/settings/status-page").status_code == 403
    form["csrf_token"] = csrf
    assert client.post("/settings/status-page", data=form).status_code == 403
