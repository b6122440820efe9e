"""Reviews over HTTP: the API (start, PATCH with version → 409 with both texts, status
moves by role, feedback, policy and templates for admins, restricted incidents), the
review tab (edit, no-JS preview, conflict page, workflow, feedback) and the exports."""

from __future__ import annotations

import shutil

import pytest
from fastapi.testclient import TestClient

from helpers import Person
from incident_support import actor_for
from incident_ui_support import make_crew, new_incident, post, text
from muster.clock import ManualClock
from muster.db.uow import Database
from muster.domain.incidents.transitions import do_transition
from ui_support import as_person

API = "/api/v1"


def resolve(db: Database, who: Person, incident: str) -> None:
    with db.unit_of_work() as uow:
        do_transition(uow, actor_for(db, who.id), incident, "resolved")
        uow.commit()


def test_api_start_edit_conflict_workflow_feedback(
    client: TestClient, db: Database, people: dict[str, Person], clock: ManualClock
) -> None:
    crew = make_crew(db, people)
    incident = new_incident(db, crew.ic, severity=3)
    one = f"{API}/incidents/{incident}/review"
    assert client.post(one, headers=crew.ic.auth).status_code == 409  # not resolved yet
    resolve(db, crew.ic, incident)
    assert client.get(one, headers=crew.ic.auth).status_code == 404
    r = client.post(one, headers=crew.ic.auth)
    assert r.status_code == 201, r.text
    review = r.json()
    assert review["status"] == "draft"
    assert review["required"] is False
    assert review["version"] == 1
    assert client.post(one, headers=crew.ic.auth).status_code == 409  # one per incident
    # Two editors from version 1: the second is a 409 carrying both texts.
    a = client.patch(one, headers=crew.ic.auth, json={"body": "# Alice", "version": 1})
    assert a.status_code == 200
    assert a.json()["version"] == 2
    b = client.patch(one, headers=crew.resp.auth, json={"body": "# Bob", "version": 1})
    assert b.status_code == 409
    assert b.headers["content-type"].startswith("application/problem+json")
    assert b.json()["current"]["body"] == "# Alice"
    assert b.json()["yours"] == "# Bob"
    assert b.json()["errors"][0]["field"] == "version"
    assert client.get(one, headers=crew.ic.auth).json()["body"] == "# Alice"
    r = client.patch(one, headers=crew.ic.auth, json={"body": "x"})
    assert r.status_code == 422
    assert r.json()["errors"][0]["field"] == "version"
    # The viewer neither edits nor reads a draft.
    assert (
        client.patch(one, headers=crew.viewer.auth, json={"status": "in_review"}).status_code == 403
    )
    assert client.get(one, headers=crew.viewer.auth).status_code == 404
    assert (
        client.patch(
            one, headers=crew.ic.auth, json={"status": "in_review", "owner_id": crew.resp.id}
        ).status_code
        == 200
    )
    r = client.patch(one, headers=crew.ic.auth, json={"status": "approved"})
    assert r.status_code == 403
    assert (
        client.patch(one, headers=crew.boss.auth, json={"status": "approved"}).json()["approved_by"]
        == crew.boss.email
    )
    r = client.patch(one, headers=crew.boss.auth, json={"status": "published"})
    assert r.status_code == 200
    assert r.json()["published_at"]
    assert client.get(one, headers=crew.viewer.auth).json()["status"] == "published"
    f = client.post(one + "/feedback", headers=crew.ic.auth, json={"rating": 4, "comment": "good"})
    assert f.json() == {
        "count": 1,
        "average": 4.0,
        "distribution": {"1": 0, "2": 0, "3": 0, "4": 1, "5": 0},
        "comments": ["good"],
    }
    bad = client.post(one + "/feedback", headers=crew.ic.auth, json={"rating": 0})
    assert bad.status_code == 422
    assert bad.json()["errors"][0]["field"] == "rating"
    listed = client.get(f"{API}/reviews?status=published", headers=crew.viewer.auth).json()["items"]
    assert [x["incident_id"] for x in listed] == [incident]


def test_api_policy_and_templates_are_for_admins(
    client: TestClient, db: Database, people: dict[str, Person]
) -> None:
    crew = make_crew(db, people)
    policy = client.get(f"{API}/review-policy", headers=crew.viewer.auth).json()
    assert policy["severities"] == [1, 2]
    assert policy["type_keys"] == ["security"]
    assert policy["due_business_days"] == 5
    body = {"severities": [1], "type_keys": ["security"], "due_business_days": 3}
    assert client.put(f"{API}/review-policy", headers=crew.boss.auth, json=body).status_code == 403
    assert (
        client.put(f"{API}/review-policy", headers=crew.admin.auth, json=body).json()[
            "due_business_days"
        ]
        == 3
    )
    t = {"name": "Security", "type_keys": ["security"], "body": "# {{title}}"}
    assert client.post(f"{API}/review-templates", headers=crew.boss.auth, json=t).status_code == 403
    made = client.post(f"{API}/review-templates", headers=crew.admin.auth, json=t)
    assert made.status_code == 201
    bad = client.post(
        f"{API}/review-templates",
        headers=crew.admin.auth,
        json={**t, "name": "x", "type_keys": ["nope"]},
    )
    assert bad.status_code == 422
    assert bad.json()["errors"][0]["field"] == "type_keys"
    names = [
        x["name"]
        for x in client.get(f"{API}/review-templates", headers=crew.viewer.auth).json()["items"]
    ]
    assert names == ["Default review", "Security"]
    tid = made.json()["id"]
    assert (
        client.delete(f"{API}/review-templates/{tid}", headers=crew.admin.auth).status_code == 204
    )


def test_restricted_incidents_review_is_hidden(
    client: TestClient, db: Database, people: dict[str, Person]
) -> None:
    crew = make_crew(db, people)
    incident = new_incident(db, crew.ic, severity=3, restricted=True)
    resolve(db, crew.ic, incident)
    assert (
        client.post(f"{API}/incidents/{incident}/review", headers=crew.ic.auth).status_code == 201
    )
    assert (
        client.get(f"{API}/incidents/{incident}/review", headers=crew.outsider.auth).status_code
        == 404
    )
    assert client.get(f"{API}/reviews", headers=crew.outsider.auth).json()["items"] == []
    csrf = as_person(client, crew.outsider)
    assert client.get(f"/incidents/{incident}/review.md").status_code == 404
    assert client.get(f"/incidents/{incident}/review").status_code == 404
    assert csrf


def test_the_review_tab_edits_previews_conflicts_and_exports(
    client: TestClient, db: Database, people: dict[str, Person], clock: ManualClock
) -> None:
    crew = make_crew(db, people)
    incident = new_incident(db, crew.ic, severity=2)
    resolve(db, crew.ic, incident)
    csrf = as_person(client, crew.ic)
    base = f"/incidents/{incident}/review"
    page = client.get(base)
    assert page.status_code == 200
    assert f'href="{base}" aria-current="page"' in page.text
    assert "Start review" in page.text
    assert post(client, csrf, base + "/start").status_code == 303
    page = client.get(base)
    assert "Post-incident review: INC-" in page.text
    assert 'name="version" value="1"' in page.text
    # The Preview button (no JavaScript) renders the text without saving it.
    r = post(client, csrf, base + "/save", body="# Hello *there*", version="1", action="preview")
    assert r.status_code == 200
    assert "<em>there</em>" in r.text
    assert "# Hello *there*" in r.text
    assert (
        post(client, csrf, base + "/preview", body="**bold**").text.strip()
        == "<p><strong>bold</strong></p>"
    )
    assert (
        post(client, csrf, base + "/save", body="Mine", version="1", action="save").status_code
        == 303
    )
    stale = post(client, csrf, base + "/save", body="Theirs", version="1", action="save")
    assert stale.status_code == 409
    page = text(stale.text)
    assert "Not saved: someone else saved first" in page
    assert "Their saved text (version 2)" in page
    assert "Mine" in page
    assert "Theirs" in page
    assert 'name="version" value="2"' in stale.text  # the next save goes on top of theirs
    # Workflow on the page: a responder cannot approve.
    assert post(client, csrf, base + "/status", to="in_review").status_code == 303
    assert post(client, csrf, base + "/status", to="approved").status_code == 403
    assert post(client, csrf, base + "/feedback", rating="5", comment="smooth").status_code == 303
    assert post(client, csrf, base + "/feedback", rating="9").status_code == 422
    assert (
        post(
            client, csrf, base + "/plan", owner=crew.resp.email, meeting_at="2026-01-07T10:00"
        ).status_code
        == 303
    )
    page = text(client.get(base).text)
    assert "1 answer, average 5.0 / 5" in page
    assert "smooth" in page
    assert crew.resp.email in page
    md = client.get(base + ".md")
    assert md.status_code == 200
    assert md.text.startswith("<!-- INC-")
    assert "Mine" in md.text
    assert "average 5.0 / 5" in md.text
    html = client.get(base + ".html")
    assert html.status_code == 200
    assert "<p>Mine</p>" in html.text
    assert "attachment" in html.headers["content-disposition"]
    assert "review" in client.get("/reviews").text


@pytest.mark.skipif(shutil.which("chromium") is None, reason="no chromium")
def test_the_review_exports_as_pdf(
    client: TestClient, db: Database, people: dict[str, Person]
) -> None:
    crew = make_crew(db, people)
    incident = new_incident(db, crew.ic, severity=1)
    resolve(db, crew.ic, incident)
    client.post(f"{API}/incidents/{incident}/review", headers=crew.ic.auth)
    as_person(client, crew.ic)
    pdf = client.get(f"/incidents/{incident}/review.pdf")
    assert pdf.status_code == 200
    assert pdf.content.startswith(b"%PDF")


def test_the_templates_page_is_for_admins(
    client: TestClient, db: Database, people: dict[str, Person]
) -> None:
    crew = make_crew(db, people)
    as_person(client, crew.boss)
    assert client.get("/settings/review-templates").status_code == 403
    csrf = as_person(client, crew.admin)
    page = client.get("/settings/review-templates")
    assert page.status_code == 200
    assert "Default review" in page.text
    r = client.post(
        "/settings/review-templates/policy",
        data={
            "csrf_token": csrf,
            "severities": ["1", "3"],
            "type_keys": ["security"],
            "due_business_days": "4",
        },
        follow_redirects=False,
    )
    assert r.status_code == 303
    r = client.post(
        "/settings/review-templates",
        data={"csrf_token": csrf, "name": "Ops", "severities": ["3"], "body": "# {{title}}"},
        follow_redirects=False,
    )
    assert r.status_code == 303
    page = text(client.get("/settings/review-templates").text)
    assert "Ops" in page
    policy = client.get(f"{API}/review-policy", headers=crew.admin.auth).json()
    assert policy["severities"] == [1, 3]
    assert policy["due_business_days"] == 4
