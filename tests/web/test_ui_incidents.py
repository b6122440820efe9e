"""The incident pages: the filtered list and saved views, the declare form (from scratch
and from an alert group), the incident page, and every button on it."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from alert_support import make_integration, make_service, send
from helpers import Person
from incident_ui_support import (
    Crew,
    load,
    make_crew,
    new_incident,
    number_of,
    post,
    refs,
    text,
)
from muster.db.uow import Database
from muster.domain.alerts.models import AlertGroup
from muster.domain.incidents.models import (
    Incident,
    IncidentAlertGroup,
    RoleAssignment,
    SavedView,
)
from ui_support import as_person, count, field_has_error


@pytest.fixture
def crew(db: Database, people: dict[str, Person]) -> Crew:
    return make_crew(db, people)


# ---- the list ---------------------------------------------------------------------------


def test_list_filters_and_nav(client: TestClient, db: Database, crew: Crew) -> None:
    service = make_service(client, crew.boss, "checkout")
    a = new_incident(db, crew.ic, title="Checkout is down", severity=1, service_ids=[service],
                     sites=["FRA1"], commander_id=crew.ic.id)  # fmt: skip
    b = new_incident(db, crew.resp, title="Badge readers offline", severity=3,
                     type="physical_security", restricted=False)  # fmt: skip
    c = new_incident(db, crew.resp, title="Slow search", severity=4, type="performance")
    closed = new_incident(db, crew.resp, title="Old outage", severity=2)
    as_person(client, crew.resp)
    csrf = as_person(client, crew.resp)
    assert post(client, csrf, f"/incidents/{closed}/status", status="declined").status_code == 303
    ra, rb, rc, rclosed = (f"INC-{number_of(db, i)}" for i in (a, b, c, closed))

    page = client.get("/incidents")
    assert page.status_code == 200
    assert refs(page.text) == [rc, rb, ra]  # open ones, newest declared first
    assert '<span class="pill isev isev-1" title="Severity 1">SEV1</span>' in page.text
    assert '<span class="pill istatus istatus-triage">Triage</span>' in page.text
    assert "Ic" in text(page.text)  # the commander's name, read for the page in one query
    assert 'data-live-topics="incidents"' in page.text
    nav = re.search(r'<nav aria-label="Main">(.*?)</nav>', page.text, re.S)
    assert nav
    assert 'href="/incidents" aria-current="page">Incidents</a>' in nav.group(1)

    assert refs(client.get("/incidents?status=declined").text) == [rclosed]
    assert refs(client.get("/incidents?severity=1&severity=4").text) == [rc, ra]
    assert refs(client.get("/incidents?type=performance").text) == [rc]
    assert refs(client.get(f"/incidents?service_id={service}").text) == [ra]
    assert refs(client.get("/incidents?site=FRA1").text) == [ra]
    assert refs(client.get(f"/incidents?holder={crew.ic.id}").text) == [ra]
    assert refs(client.get("/incidents?q=BADGE").text) == [rb]
    assert refs(client.get(f"/incidents?q={ra}").text) == [ra]
    assert "No incidents match" in client.get("/incidents?q=nothing-like-this").text
    # The form shows what it was given, so the URL is the whole view.
    shown = client.get("/incidents?severity=4&q=slow").text
    assert re.search(r'name="severity" value="4" checked', shown)
    assert 'name="q" value="slow"' in shown
    bad = client.get("/incidents?status=bogus")
    assert bad.status_code == 422
    assert "unknown status" in bad.text
    assert client.get("/incidents?severity=9").status_code == 422


def test_list_pages_and_live_fragment(client: TestClient, db: Database, crew: Crew) -> None:
    for n in range(53):
        new_incident(db, crew.ic, title=f"Incident {n}")
    as_person(client, crew.viewer)
    first = client.get("/incidents")
    assert len(refs(first.text)) == 50
    more = re.search(r'<a href="(/incidents\?cursor=[^"]+)">Next page', first.text)
    assert more
    second = client.get(more.group(1).replace("&amp;", "&"))
    assert len(refs(second.text)) == 3
    fragment = client.get("/incidents", headers={"X-Muster-Fragment": "1"})
    assert fragment.headers["X-Muster-Fragment"] == "1"
    assert "<table" in fragment.text
    assert "<html" not in fragment.text


def test_saved_views_own_and_shared(client: TestClient, db: Database, crew: Crew) -> None:
    new_incident(db, crew.ic, title="Checkout is down", severity=1)
    new_incident(db, crew.ic, title="Slow search", severity=4)
    csrf = as_person(client, crew.ic)
    r = post(client, csrf, "/incidents/views", name="Big ones", query="severity=1&bogus=x")
    assert r.status_code == 303
    assert r.headers["location"] == "/incidents?severity=1"
    r = post(client, csrf, "/incidents/views", name="Search", query="q=search", shared="1")
    assert r.status_code == 303
    assert count(db, SavedView) == 2
    page = client.get("/incidents?severity=1").text
    assert re.search(r'<a href="/incidents\?severity=1" aria-current="page">Big ones</a>', page)
    # A view without a name changes nothing and says why.
    r = post(client, csrf, "/incidents/views", name="  ", query="q=x")
    assert r.status_code == 422
    assert count(db, SavedView) == 2

    csrf = as_person(client, crew.resp)
    page = client.get("/incidents").text
    assert ">Search</a>" in page
    assert "Big ones" not in page
    with db.unit_of_work(readonly=True) as uow:
        views = {v.name: v.id for v in uow.session.scalars(select(SavedView))}
    assert post(client, csrf, f"/incidents/views/{views['Search']}/delete").status_code == 403
    assert post(client, csrf, f"/incidents/views/{views['Big ones']}/delete").status_code == 404
    csrf = as_person(client, crew.ic)
    assert post(client, csrf, f"/incidents/views/{views['Search']}/delete").status_code == 303
    assert count(db, SavedView) == 1


# ---- declaring --------------------------------------------------------------------------


def test_declare_form_with_bad_input_changes_nothing(
    client: TestClient, db: Database, crew: Crew
) -> None:
    service = make_service(client, crew.boss, "checkout")
    csrf = as_person(client, crew.ic)
    form = client.get("/incidents/new").text
    assert "Critical" in form
    assert "updates every 30 min" in form
    assert 'value="3" checked' in form
    r = client.post(
        "/incidents/new",
        data={"csrf_token": csrf, "title": " ", "severity": "7", "type": "operational",
              "service_ids": [service, "no-such-service"], "detected_at": "yesterday"},
        follow_redirects=False,
    )  # fmt: skip
    assert r.status_code == 422
    assert field_has_error(r.text, "f-detected_at")
    assert count(db, Incident) == 0
    r = client.post(
        "/incidents/new",
        data={"csrf_token": csrf, "title": "Checkout", "severity": "7", "type": "operational"},
        follow_redirects=False,
    )
    assert r.status_code == 422
    assert "less than or equal to 5" in r.text
    r = client.post(
        "/incidents/new",
        data={"csrf_token": csrf, "title": "Checkout", "severity": "2", "type": "operational",
              "service_ids": [service, "0190a0a0-0000-7000-8000-000000000000"]},
        follow_redirects=False,
    )  # fmt: skip
    assert r.status_code == 422
    assert field_has_error(r.text, "f-service_ids")
    assert 'value="Checkout"' in r.text  # what was typed stays
    assert count(db, Incident) == 0

    r = client.post(
        "/incidents/new",
        data={"csrf_token": csrf, "title": "Checkout is down", "severity": "2",
              "type": "operational", "service_ids": [service], "sites": "FRA1, AMS2",
              "tags": "payments", "customer_facing": "1", "impact": "Cards fail",
              "detected_at": "2026-01-05T08:30", "commander_id": crew.resp.id},
        follow_redirects=False,
    )  # fmt: skip
    assert r.status_code == 303
    incident_id = r.headers["location"].rsplit("/", 1)[1]
    row = load(db, incident_id)
    assert (row.severity, row.sites, row.tags, row.customer_facing) == (
        2,
        ["FRA1", "AMS2"],
        ["payments"],
        True,
    )
    assert row.detected_at.isoformat().startswith("2026-01-05T08:30")  # the viewer's zone: UTC
    assert count(db, RoleAssignment, RoleAssignment.user_id == crew.resp.id) == 1
    # Security types are restricted unless said otherwise.
    r = post(client, csrf, "/incidents/new", title="Phish", type="security", severity="3")
    assert load(db, r.headers["location"].rsplit("/", 1)[1]).restricted is True


def test_declare_from_an_alert_group(client: TestClient, db: Database, crew: Crew) -> None:
    service = make_service(client, crew.boss, "checkout")
    key = make_integration(client, crew.boss, service)["key"]
    send(client, key, "Card payments failing", severity="critical")
    with db.unit_of_work(readonly=True) as uow:
        group_id = uow.session.scalars(select(AlertGroup.id)).one()
    csrf = as_person(client, crew.ic)
    group_page = client.get(f"/alert-groups/{group_id}").text
    assert f'href="/incidents/new?group_id={group_id}">Declare incident</a>' in group_page
    form = client.get(f"/incidents/new?group_id={group_id}").text
    assert 'value="Card payments failing"' in form  # prefilled from the group
    assert 'value="2" checked' in form  # critical alerts suggest SEV2
    assert f'name="group_ids" value="{group_id}"' in form
    assert re.search(rf'<option value="{service}" selected>', form)
    r = client.post(
        "/incidents/new",
        data={"csrf_token": csrf, "title": "Card payments failing", "severity": "2",
              "type": "operational", "service_ids": [service], "group_ids": [group_id]},
        follow_redirects=False,
    )  # fmt: skip
    assert r.status_code == 303
    incident_id = r.headers["location"].rsplit("/", 1)[1]
    assert count(db, IncidentAlertGroup, IncidentAlertGroup.incident_id == incident_id) == 1
    page = client.get(f"/incidents/{incident_id}").text
    assert f'href="/alert-groups/{group_id}">Card payments failing</a>' in page
    group_page = client.get(f"/alert-groups/{group_id}").text
    assert f'href="/incidents/{incident_id}"' in group_page
    assert "Declare incident" not in group_page
    # Declaring again from the same group leads to the incident it already belongs to.
    again = client.get(f"/incidents/new?group_id={group_id}", follow_redirects=False)
    assert again.status_code == 303
    assert again.headers["location"] == f"/incidents/{incident_id}"
