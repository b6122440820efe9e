"""The incident page: header, banner and phases, and every button on it; who may press them."""

from __future__ import annotations

from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from alert_support import make_integration, make_service, send
from helpers import Person
from incident_ui_support import (
    START,
    Crew,
    load,
    make_crew,
    new_incident,
    number_of,
    post,
)
from muster.clock import ManualClock
from muster.db.uow import Database
from muster.domain.alerts.models import AlertGroup
from muster.domain.incidents.models import (
    Attachment,
    Incident,
    IncidentAlertGroup,
    KeyEvent,
    Note,
    Participant,
    RoleAssignment,
    SavedView,
    StatusUpdate,
    Task,
)
from ui_support import as_person, count, field_has_error


@pytest.fixture
def crew(db: Database, people: dict[str, Person]) -> Crew:
    return make_crew(db, people)


# ---- the incident page ------------------------------------------------------------------


def test_page_header_banner_and_status(client: TestClient, db: Database, crew: Crew) -> None:
    incident_id = new_incident(db, crew.ic, title="Checkout is down", severity=1)
    ref = f"INC-{number_of(db, incident_id)}"
    csrf = as_person(client, crew.ic)
    page = client.get(f"/incidents/{incident_id}")
    assert page.status_code == 200
    assert f'<span class="mono ref">{ref}</span>' in page.text
    assert 'id="commander-banner"' in page.text
    assert "No Incident Commander." in page.text
    assert f'data-live-topics="incident:{incident_id}"' in page.text
    assert '<span class="phase-name">Triage</span>' in page.text
    assert "0s so far" in page.text
    assert 'src="/static/incidents.js"' in page.text
    # By reference too: the canonical address is the id.
    by_ref = client.get(f"/incidents/{ref}", follow_redirects=False)
    assert by_ref.headers["location"] == f"/incidents/{incident_id}"

    r = post(client, csrf, f"/incidents/{incident_id}/roles/assign", role="commander",
             user_id=crew.resp.id)  # fmt: skip
    assert r.status_code == 303
    assert r.headers["location"].endswith("#role-commander")
    assert 'id="commander-banner"' not in client.get(f"/incidents/{incident_id}").text

    r = post(client, csrf, f"/incidents/{incident_id}/status", status="contained", note="fix")
    assert r.status_code == 303
    assert load(db, incident_id).status == "contained"
    page = client.get(f"/incidents/{incident_id}").text
    assert '<span class="phase-name">Contained</span>' in page
    assert 'name="status" value="eradicated"' in page
    assert 'name="status" value="investigating"' not in page
    # A move the lifecycle forbids is refused, naming what is allowed.
    r = post(client, csrf, f"/incidents/{incident_id}/status", status="bogus")
    assert r.status_code == 422
    assert 'id="status-summary"' in r.text
    r = post(client, csrf, f"/incidents/{incident_id}/status", status="in_review")
    assert r.status_code == 409
    assert "allowed from contained" in r.text
    assert load(db, incident_id).status == "contained"
    # The live region alone, for live.js.
    fragment = client.get(f"/incidents/{incident_id}", headers={"X-Muster-Fragment": "1"})
    assert fragment.headers["X-Muster-Fragment"] == "1"
    assert 'id="timeline"' in fragment.text
    assert "<html" not in fragment.text
    assert 'id="compose-note"' not in fragment.text  # composers stay out of the region


def test_edit_details(client: TestClient, db: Database, crew: Crew) -> None:
    incident_id = new_incident(db, crew.ic, title="Checkout is down", severity=3)
    csrf = as_person(client, crew.ic)
    form = client.get(f"/incidents/{incident_id}/edit").text
    assert 'value="Checkout is down"' in form
    assert 'id="f-restricted"' not in form
    r = client.post(
        f"/incidents/{incident_id}/edit",
        data={"csrf_token": csrf, "title": "", "severity": "2", "type": "operational"},
        follow_redirects=False,
    )
    assert r.status_code == 422
    assert field_has_error(r.text, "f-title")
    assert load(db, incident_id).severity == 3
    r = client.post(
        f"/incidents/{incident_id}/edit",
        data={"csrf_token": csrf, "title": "Checkout down in EU", "severity": "2",
              "type": "operational", "sites": "FRA1"},
        follow_redirects=False,
    )  # fmt: skip
    assert r.status_code == 303
    row = load(db, incident_id)
    assert (row.title, row.severity, row.sites) == ("Checkout down in EU", 2, ["FRA1"])
    # Only managers and the security team may lift or set the restriction.
    r = client.post(
        f"/incidents/{incident_id}/edit",
        data={"csrf_token": csrf, "title": "x", "severity": "2", "type": "operational",
              "restricted": "yes"},
        follow_redirects=False,
    )  # fmt: skip
    assert r.status_code == 422
    assert load(db, incident_id).restricted is False


def test_roles_and_participants(client: TestClient, db: Database, crew: Crew) -> None:
    incident_id = new_incident(db, crew.ic, title="Checkout is down", severity=2)
    base = f"/incidents/{incident_id}"
    csrf = as_person(client, crew.ic)
    assert post(client, csrf, base + "/roles/assign", role="scribe", user_id="").status_code == 422
    assert post(client, csrf, base + "/roles/assign", role="scribe", user_id=crew.resp.id).status_code == 303  # fmt: skip
    # The same person again: a conflict, shown in the role's row.
    r = post(client, csrf, base + "/roles/assign", role="scribe", user_id=crew.resp.id)
    assert r.status_code == 409
    assert 'id="role-scribe-user-error"' in r.text
    assert post(client, csrf, base + "/roles/assign", role="scribe", user_id=crew.ic.id).status_code == 303  # fmt: skip
    page = client.get(base).text
    assert "Role history (2)" in page
    assert "What this role does" in page
    assert post(client, csrf, base + "/roles/relinquish", role="scribe").status_code == 303
    assert count(db, RoleAssignment, RoleAssignment.ended_at.is_(None)) == 0
    r = post(client, csrf, base + "/roles/relinquish", role="scribe")
    assert r.status_code == 409
    r = post(client, csrf, base + "/roles/from-schedule", role="technical", schedule_id="")
    assert r.status_code == 422
    assert "choose a schedule" in r.text.lower()

    active = Participant.left_at.is_(None)
    assert post(client, csrf, base + "/participants/add", user_id=crew.outsider.id, page="1").status_code == 303  # fmt: skip
    assert count(db, Participant, active, Participant.user_id == crew.outsider.id) == 1
    r = post(client, csrf, base + "/participants/add", user_id=crew.outsider.id)
    assert r.status_code == 409
    assert "already" in r.text
    assert post(client, csrf, base + "/participants/leave").status_code == 303
    assert count(db, Participant, active, Participant.user_id == crew.ic.id) == 0
    assert post(client, csrf, base + "/participants/join").status_code == 303
    assert count(db, Participant, active, Participant.user_id == crew.ic.id) == 1
    # Removing someone else is for managers.
    r = post(client, csrf, base + "/participants/remove", user_id=crew.outsider.id)
    assert r.status_code == 403
    csrf = as_person(client, crew.boss)
    assert post(client, csrf, base + "/participants/remove", user_id=crew.outsider.id).status_code == 303  # fmt: skip
    assert count(db, Participant, active, Participant.user_id == crew.outsider.id) == 0


def test_tasks_notes_key_events_updates(client: TestClient, db: Database, crew: Crew) -> None:
    incident_id = new_incident(db, crew.ic, title="Checkout is down", severity=2)
    base = f"/incidents/{incident_id}"
    csrf = as_person(client, crew.ic)
    r = post(client, csrf, base + "/tasks", title="", owner_id=crew.resp.id)
    assert r.status_code == 422
    assert field_has_error(r.text, "task-title")
    assert count(db, Task) == 0
    r = post(client, csrf, base + "/tasks", title="Roll back", owner_id=crew.resp.id,
             due_at="2026-01-05T08:00")  # fmt: skip
    assert r.status_code == 303
    page = client.get(base).text
    assert 'class="task-open is-overdue"' in page
    assert '<span class="pill overdue">overdue</span>' in page
    with db.unit_of_work(readonly=True) as uow:
        task_id = uow.session.scalars(select(Task.id)).one()
    assert post(client, csrf, f"{base}/tasks/{task_id}", owner_id=crew.ic.id).status_code == 303
    assert post(client, csrf, f"{base}/tasks/{task_id}", status="done").status_code == 303
    with db.unit_of_work(readonly=True) as uow:
        task = uow.session.get_one(Task, task_id)
        assert (task.owner_id, task.status) == (crew.ic.id, "done")
    assert post(client, csrf, f"{base}/tasks/{task_id}").status_code == 422

    assert post(client, csrf, base + "/notes", body="   ").status_code == 422
    assert count(db, Note) == 0
    r = post(client, csrf, base + "/notes", body="Rolled back **v42**\n<script>x</script>")
    assert r.status_code == 303
    assert r.headers["location"].endswith("#timeline")
    page = client.get(base).text
    assert "<strong>v42</strong>" in page
    assert "<script>x" not in page
    with db.unit_of_work(readonly=True) as uow:
        note = uow.session.scalars(select(Note)).one()
        note_id, event_id = note.id, note.event_id
    r = post(client, csrf, f"{base}/notes/{note_id}/correct", body="Rolled back v41")
    assert r.status_code == 303
    assert "Rolled back v41" in client.get(base).text
    assert post(client, csrf, f"{base}/key-events/{event_id}", key="yes").status_code == 303
    assert count(db, KeyEvent) == 1
    assert "★ key event" in client.get(base).text
    assert post(client, csrf, f"{base}/key-events/{event_id}", key="no").status_code == 303
    assert count(db, KeyEvent) == 0
    # Only the author corrects a note.
    other = as_person(client, crew.resp)
    assert post(client, other, f"{base}/notes/{note_id}/correct", body="mine").status_code == 403

    r = post(client, other, base + "/updates", kind="internal")
    assert r.status_code == 422
    assert field_has_error(r.text, "update-conditions")
    r = post(client, other, base + "/updates", kind="public", public_status="identified", body="")
    assert r.status_code == 422
    assert field_has_error(r.text, "public-body")
    assert count(db, StatusUpdate) == 0
    r = post(client, other, base + "/updates", kind="internal", conditions="Cards fail",
             actions="Rolling back", needs="DBA")  # fmt: skip
    assert r.status_code == 303
    r = post(client, other, base + "/updates", kind="public", public_status="identified",
             body="Payments are failing; we found why.")  # fmt: skip
    assert r.status_code == 303
    page = client.get(base).text
    assert "Rolling back" in page
    assert "Payments are failing; we found why." in page
    assert count(db, StatusUpdate) == 2


def test_attachments_links_merge_split(client: TestClient, db: Database, crew: Crew) -> None:
    service = make_service(client, crew.boss, "checkout")
    key = make_integration(client, crew.boss, service)["key"]
    send(client, key, "Card payments failing", dedup_key="a")
    send(client, key, "Disk full on db-2", severity="warning", dedup_key="b")
    with db.unit_of_work(readonly=True) as uow:
        groups = {g.summary: g.id for g in uow.session.scalars(select(AlertGroup))}
    incident_id = new_incident(db, crew.ic, title="Checkout is down", severity=2)
    base = f"/incidents/{incident_id}"
    csrf = as_person(client, crew.ic)

    r = post(client, csrf, base + "/attachments/link", url="javascript:alert(1)")
    assert r.status_code == 422
    assert field_has_error(r.text, "link-url")
    r = post(client, csrf, base + "/attachments/link", url="https://grafana.example/d/1",
             name="Dashboard")  # fmt: skip
    assert r.status_code == 303
    r = client.post(
        base + "/attachments/file",
        data={"csrf_token": csrf},
        files={"file": ("trace.txt", b"stack trace\n", "text/plain")},
        follow_redirects=False,
    )
    assert r.status_code == 303
    with db.unit_of_work(readonly=True) as uow:
        file_id = uow.session.scalars(select(Attachment.id).where(Attachment.kind == "file")).one()
    got = client.get(f"{base}/attachments/{file_id}")
    assert got.status_code == 200
    assert got.content == b"stack trace\n"
    assert got.headers["content-disposition"].startswith("attachment;")
    page = client.get(base).text
    assert 'href="https://grafana.example/d/1"' in page
    assert "trace.txt" in page

    r = post(client, csrf, base + "/links", group="not-a-group")
    assert r.status_code == 422
    assert field_has_error(r.text, "alerts-group")
    for summary in groups:
        r = post(client, csrf, base + "/links", group=f"http://x/alert-groups/{groups[summary]}")
        assert r.status_code == 303
    assert count(db, IncidentAlertGroup, IncidentAlertGroup.incident_id == incident_id) == 2

    r = post(client, csrf, base + "/split", group_id=groups["Disk full on db-2"], title="")
    assert r.status_code == 422
    r = post(client, csrf, base + "/split", group_id=groups["Disk full on db-2"], title="Disk")
    assert r.status_code == 303
    split_id = r.headers["location"].rsplit("/", 1)[1]
    assert split_id != incident_id
    assert load(db, split_id).title == "Disk"

    r = post(client, csrf, f"/incidents/{split_id}/merge", target="INC-999")
    assert r.status_code == 422
    assert field_has_error(r.text, "merge-target")
    r = post(client, csrf, f"/incidents/{split_id}/merge", target=f"INC-{number_of(db, incident_id)}")  # fmt: skip
    assert r.status_code == 303
    assert r.headers["location"] == base
    assert load(db, split_id).status == "merged"
    assert "Merged into" in client.get(f"/incidents/{split_id}").text


# ---- who may do what --------------------------------------------------------------------


ACTIONS = [
    ("status", {"status": "investigating"}),
    ("roles/assign", {"role": "scribe", "user_id": "x"}),
    ("roles/relinquish", {"role": "scribe"}),
    ("participants/join", {}),
    ("participants/add", {"user_id": "x"}),
    ("tasks", {"title": "x"}),
    ("notes", {"body": "x"}),
    ("updates", {"kind": "internal", "conditions": "x"}),
    ("attachments/link", {"url": "https://example.com"}),
    ("links", {"group": "x"}),
    ("merge", {"target": "INC-1"}),
    ("split", {"group_id": "x", "title": "x"}),
    ("edit", {"title": "x"}),
]


def test_viewer_reads_but_may_not_act(client: TestClient, db: Database, crew: Crew) -> None:
    incident_id = new_incident(db, crew.ic, title="Checkout is down", severity=2)
    csrf = as_person(client, crew.viewer)
    page = client.get(f"/incidents/{incident_id}")
    assert page.status_code == 200
    assert "Checkout is down" in page.text
    assert 'id="compose-note"' not in page.text
    assert "/roles/assign" not in page.text
    assert client.get("/incidents/new").status_code == 403
    for action, data in ACTIONS:
        r = post(client, csrf, f"/incidents/{incident_id}/{action}", **data)
        assert r.status_code == 403, action
    assert post(client, csrf, "/incidents/new", title="x").status_code == 403
    assert count(db, Note) == 0
    assert load(db, incident_id).status == "triage"


def test_restricted_incident_is_not_found_for_outsiders(
    client: TestClient, db: Database, crew: Crew
) -> None:
    incident_id = new_incident(db, crew.ic, title="Phishing wave", type="security")
    new_incident(db, crew.ic, title="Checkout is down")
    csrf = as_person(client, crew.outsider)
    assert client.get(f"/incidents/{incident_id}").status_code == 404
    assert "Phishing wave" not in client.get("/incidents").text
    assert "Phishing wave" not in client.get("/incidents?q=phish").text
    for action, data in ACTIONS:
        r = post(client, csrf, f"/incidents/{incident_id}/{action}", **data)
        assert r.status_code == 404, action
    assert count(db, Note) == 0
    assert count(db, Participant, Participant.user_id == crew.outsider.id) == 0

    as_person(client, crew.ic)  # a participant sees it, with the badge
    page = client.get(f"/incidents/{incident_id}").text
    assert "🔒 restricted" in page
    assert "Phishing wave" in client.get("/incidents").text
    as_person(client, crew.admin)
    assert client.get(f"/incidents/{incident_id}").status_code == 200


def test_posts_need_the_csrf_token(client: TestClient, db: Database, crew: Crew) -> None:
    incident_id = new_incident(db, crew.ic, title="Checkout is down")
    as_person(client, crew.ic)
    for action, data in [*ACTIONS, ("../new", {"title": "x"})]:
        r = client.post(f"/incidents/{incident_id}/{action}", data=data, follow_redirects=False)
        assert r.status_code == 403, action
        assert "CSRF" in r.text
    r = client.post("/incidents/views", data={"name": "x"}, follow_redirects=False)
    assert r.status_code == 403
    assert count(db, Note) == 0
    assert count(db, Incident) == 1
    assert count(db, SavedView) == 0


def test_manager_corrects_a_time(
    client: TestClient, db: Database, crew: Crew, clock: ManualClock
) -> None:
    incident_id = new_incident(db, crew.ic, title="Checkout is down")
    clock.advance(timedelta(minutes=30))
    csrf = as_person(client, crew.ic)
    assert post(client, csrf, f"/incidents/{incident_id}/status", status="investigating").status_code == 303  # fmt: skip
    data = {"field": "investigating_at", "at": "2026-01-05T09:10", "reason": "paged earlier"}
    assert post(client, csrf, f"/incidents/{incident_id}/times", **data).status_code == 403
    csrf = as_person(client, crew.boss)
    assert 'id="times"' in client.get(f"/incidents/{incident_id}/edit").text
    # Before the detection: refused, nothing changes.
    r = post(client, csrf, f"/incidents/{incident_id}/times", **{**data, "at": "2026-01-05T08:00"})
    assert r.status_code == 422
    assert field_has_error(r.text, "times-at")
    assert load(db, incident_id).investigating_at == START + timedelta(minutes=30)
    r = post(client, csrf, f"/incidents/{incident_id}/times", **data)
    assert r.status_code == 303
    assert load(db, incident_id).investigating_at == START + timedelta(minutes=10)


def test_person_fields_share_one_list_and_take_an_email(
    client: TestClient, db: Database, crew: Crew
) -> None:
    incident_id = new_incident(db, crew.ic, title="Checkout is down", severity=2)
    base = f"/incidents/{incident_id}"
    csrf = as_person(client, crew.ic)
    assert post(client, csrf, base + "/tasks", title="Roll back", owner_id=crew.resp.id).status_code == 303  # fmt: skip
    page = client.get(base).text
    # One list of people, however many role rows and tasks ask for a person.
    assert page.count('<datalist id="people-options">') == 1
    assert page.count(f'<option value="{crew.resp.email}">') == 1
    assert page.count('list="people-options"') >= 3
    # The datalist gives an email; "Name (email)" typed by hand works too.
    assert post(client, csrf, base + "/roles/assign", role="scribe", user_id=crew.resp.email.upper()).status_code == 303  # fmt: skip
    named = f"Someone ({crew.outsider.email})"
    assert post(client, csrf, base + "/participants/add", user_id=named).status_code == 303
    with db.unit_of_work(readonly=True) as uow:
        task_id = uow.session.scalars(select(Task.id).where(Task.incident_id == incident_id)).one()
    assert post(client, csrf, f"{base}/tasks/{task_id}", owner_id=crew.ic.email).status_code == 303  # fmt: skip
    with db.unit_of_work(readonly=True) as uow:
        scribe = uow.session.scalar(
            select(RoleAssignment.user_id).where(RoleAssignment.ended_at.is_(None))
        )
        task = uow.session.get(Task, task_id)
        assert (scribe, task and task.owner_id) == (crew.resp.id, crew.ic.id)
    assert count(db, Participant, Participant.user_id == crew.outsider.id) == 1
    # An email nobody has is refused like an unknown id, and changes nothing.
    r = post(client, csrf, base + "/roles/assign", role="deputy", user_id="nobody@example.com")
    assert r.status_code in (404, 422)
    assert count(db, RoleAssignment, RoleAssignment.ended_at.is_(None)) == 1
