"""The playbook pages: the list, the YAML editor (errors on the form with line numbers,
nothing saved), versions, enable/disable, who may edit, CSRF, and the secrets page."""

from __future__ import annotations

import html

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from helpers import Person, csrf_from
from incident_ui_support import Crew, make_crew, new_incident, post
from muster.config import Settings
from muster.db.uow import Database
from muster.domain.events.models import Event
from muster.domain.incidents.models import Task
from muster.domain.playbooks.models import (
    Playbook,
    PlaybookRun,
    PlaybookVersion,
    RunStep,
    Secret,
)
from muster.engine.modules import default_modules
from muster.engine.runner import Runner
from ui_support import as_person, count, id_from_location

SOURCE = """\
key: outage-basics
name: Outage basics
description: The first things to do in an outage.
triggers:
  - event: manual
steps:
  - name: checklist
    kind: tasks
    tasks:
      - {title: "Confirm impact on {{ incident.title }}", owner_role: commander, due_minutes: 15}
      - {title: Open a bridge}
"""

BAD_KIND = """\
key: outage-basics
name: Outage basics
triggers:
  - event: manual
steps:
  - name: checklist
    kind: tasks
    tasks:
      - {title: Confirm impact}
  - name: shout
    kind: megaphone
"""


def create(client: TestClient, csrf: str, source: str = SOURCE) -> str:
    r = post(client, csrf, "/playbooks/new", source=source)
    assert r.status_code == 303, r.text
    return id_from_location(r.headers["location"], "/playbooks/")


def versions_of(db: Database, playbook_id: str) -> list[int]:
    with db.unit_of_work(readonly=True) as uow:
        rows = uow.session.scalars(
            select(PlaybookVersion.version)
            .where(PlaybookVersion.playbook_id == playbook_id)
            .order_by(PlaybookVersion.version)
        )
        return list(rows)


def test_manager_writes_a_playbook_and_saves_versions(
    client: TestClient, db: Database, people: dict[str, Person]
) -> None:
    csrf = as_person(client, people["manager"])
    assert "Playbooks" in client.get("/").text  # the nav link
    new = client.get("/playbooks/new")
    assert new.status_code == 200
    assert 'id="pb-source"' in new.text
    playbook_id = create(client, csrf)
    page = client.get(f"/playbooks/{playbook_id}")
    assert page.status_code == 200
    assert "Outage basics" in page.text
    assert "Save version 2" in page.text
    assert html.escape("{{ incident.title }}") in page.text  # the source, in the editor

    edited = SOURCE.replace("Open a bridge", "Open a bridge call")
    r = post(client, csrf, f"/playbooks/{playbook_id}", source=edited)
    assert r.status_code == 303
    assert versions_of(db, playbook_id) == [1, 2]
    shown = client.get(f"/playbooks/{playbook_id}").text
    assert "Open a bridge call" in shown
    assert f'href="/playbooks/{playbook_id}/versions/1"' in shown
    old = client.get(f"/playbooks/{playbook_id}/versions/1")
    assert old.status_code == 200
    assert "{title: Open a bridge}" in html.unescape(old.text)
    assert client.get(f"/playbooks/{playbook_id}/versions/9").status_code == 404

    listed = client.get("/playbooks").text
    assert f'href="/playbooks/{playbook_id}"' in listed
    assert "v2" in listed


def test_editor_shows_problems_with_lines_and_saves_nothing(
    client: TestClient, db: Database, people: dict[str, Person]
) -> None:
    csrf = as_person(client, people["manager"])
    r = post(client, csrf, "/playbooks/new", source=BAD_KIND)
    assert r.status_code == 422
    assert count(db, Playbook) == 0
    assert 'aria-invalid="true"' in r.text
    assert "<code>steps.1</code>" in r.text
    assert "(line 10)" in r.text
    assert "megaphone" in html.unescape(r.text)  # what was typed comes back in the editor

    broken_yaml = "key: x\nname: [unclosed\n"
    r = post(client, csrf, "/playbooks/new", source=broken_yaml)
    assert r.status_code == 422
    assert "not valid YAML: line" in r.text

    playbook_id = create(client, csrf)
    before = count(db, Event)
    r = post(client, csrf, f"/playbooks/{playbook_id}", source=BAD_KIND)
    assert r.status_code == 422
    assert "<code>steps.1</code>" in r.text
    assert "Nothing was saved" in r.text
    assert versions_of(db, playbook_id) == [1]
    assert count(db, Event) == before

    # The key names the playbook: it cannot change on its page, nor be taken twice.
    renamed = SOURCE.replace("key: outage-basics", "key: other-key")
    r = post(client, csrf, f"/playbooks/{playbook_id}", source=renamed)
    assert r.status_code == 422
    assert "must stay" in html.unescape(r.text)
    r = post(client, csrf, "/playbooks/new", source=SOURCE)
    assert r.status_code == 409
    assert "is taken" in html.unescape(r.text)
    assert count(db, Playbook) == 1
    assert versions_of(db, playbook_id) == [1]


def test_enable_and_disable(client: TestClient, db: Database, people: dict[str, Person]) -> None:
    csrf = as_person(client, people["manager"])
    playbook_id = create(client, csrf)
    assert post(client, csrf, f"/playbooks/{playbook_id}/enabled", enabled="no").status_code == 303
    with db.unit_of_work(readonly=True) as uow:
        assert uow.session.get_one(Playbook, playbook_id).enabled is False
    page = client.get(f"/playbooks/{playbook_id}").text
    assert "pb-disabled" in page
    assert 'name="enabled" value="yes"' in page
    assert (
        post(client, csrf, f"/playbooks/{playbook_id}/enabled", enabled="maybe").status_code == 422
    )
    assert post(client, csrf, f"/playbooks/{playbook_id}/enabled", enabled="yes").status_code == 303
    with db.unit_of_work(readonly=True) as uow:
        assert uow.session.get_one(Playbook, playbook_id).enabled is True

    # Archived: off the list (on the archived one), until a new version brings it back.
    assert post(client, csrf, f"/playbooks/{playbook_id}/archive").status_code == 303
    assert f'href="/playbooks/{playbook_id}"' not in client.get("/playbooks").text
    assert f'href="/playbooks/{playbook_id}"' in client.get("/playbooks?archived=true").text
    assert "tag-archived" in client.get(f"/playbooks/{playbook_id}").text
    edited = SOURCE.replace("Open a bridge", "Open a bridge call")
    assert post(client, csrf, f"/playbooks/{playbook_id}", source=edited).status_code == 303
    assert f'href="/playbooks/{playbook_id}"' in client.get("/playbooks").text


def test_only_managers_edit_everyone_reads(
    client: TestClient, db: Database, people: dict[str, Person]
) -> None:
    manager_csrf = as_person(client, people["manager"])
    playbook_id = create(client, manager_csrf)
    for role in ("viewer", "responder"):
        csrf = as_person(client, people[role])
        page = client.get(f"/playbooks/{playbook_id}")
        assert page.status_code == 200
        assert 'id="pb-source"' not in page.text  # no editor
        assert 'class="mono pb-source"' in page.text  # the YAML, read-only
        assert 'name="enabled"' not in page.text
        assert "New playbook" not in client.get("/playbooks").text
        assert client.get("/playbooks/new").status_code == 403
        edited = SOURCE.replace("Open a bridge", "Changed")
        assert post(client, csrf, f"/playbooks/{playbook_id}", source=edited).status_code == 403
        assert post(client, csrf, "/playbooks/new", source=SOURCE).status_code == 403
        r = post(client, csrf, f"/playbooks/{playbook_id}/enabled", enabled="no")
        assert r.status_code == 403
        assert post(client, csrf, f"/playbooks/{playbook_id}/archive").status_code == 403
    assert versions_of(db, playbook_id) == [1]
    with db.unit_of_work(readonly=True) as uow:
        assert uow.session.get_one(Playbook, playbook_id).enabled is True


def test_posts_need_the_csrf_token(
    client: TestClient, db: Database, people: dict[str, Person]
) -> None:
    csrf = as_person(client, people["admin"])
    playbook_id = create(client, csrf)
    for url, data in [
        ("/playbooks/new", {"source": SOURCE.replace("outage-basics", "other")}),
        (f"/playbooks/{playbook_id}", {"source": SOURCE.replace("bridge", "call")}),
        (f"/playbooks/{playbook_id}/enabled", {"enabled": "no"}),
        ("/secrets", {"name": "EDR_TOKEN", "value": "s3cret"}),
    ]:
        r = client.post(url, data=data, follow_redirects=False)
        assert r.status_code == 403, url
        assert "CSRF" in r.text
    assert count(db, Playbook) == 1
    assert versions_of(db, playbook_id) == [1]
    assert count(db, Secret) == 0


def test_secrets_page_shows_names_never_values(
    client: TestClient, db: Database, people: dict[str, Person]
) -> None:
    csrf = as_person(client, people["admin"])
    r = post(client, csrf, "/secrets", name="EDR_TOKEN", value="tok-123-very-secret",
             description="EDR API")  # fmt: skip
    assert r.status_code == 303
    page = client.get("/secrets").text
    assert "EDR_TOKEN" in page
    assert "tok-123-very-secret" not in page
    # Refused: the name is kept, the value never comes back.
    r = post(client, csrf, "/secrets", name="9bad name", value="another-secret-value")
    assert r.status_code == 422
    assert 'aria-invalid="true"' in r.text
    assert "another-secret-value" not in r.text
    assert count(db, Secret) == 1
    # Replace, then delete.
    assert post(client, csrf, "/secrets", name="EDR_TOKEN", value="tok-456").status_code == 303
    assert count(db, Secret) == 1
    assert post(client, csrf, "/secrets/EDR_TOKEN/delete").status_code == 303
    assert count(db, Secret) == 0
    assert post(client, csrf, "/secrets/EDR_TOKEN/delete").status_code == 404

    # Managers see the names (to use them), but only admins change them; others see nothing.
    post(client, csrf, "/secrets", name="FW_PASSWORD", value="pw-value-xyz")
    manager = as_person(client, people["manager"])
    page = client.get("/secrets").text
    assert "FW_PASSWORD" in page
    assert 'action="/secrets"' not in page
    assert post(client, manager, "/secrets", name="X", value="y").status_code == 403
    assert post(client, manager, "/secrets/FW_PASSWORD/delete").status_code == 403
    as_person(client, people["responder"])
    assert client.get("/secrets").status_code == 403
    assert count(db, Secret) == 1


# ---- dry-run, runs, approvals ------------------------------------------------------------

RUNNABLE = """\
key: checkout-drill
name: Checkout drill
triggers:
  - event: manual
steps:
  - name: checklist
    kind: tasks
    tasks:
      - {title: "Confirm impact on {{ incident.title }}", owner_role: commander, due_minutes: 15}
  - name: go_ahead
    kind: approval
    role: commander
    prompt: "Roll back {{ incident.title }}?"
  - name: after
    kind: tasks
    when: {field: severity, op: lte, value: 2}
    tasks:
      - {title: Only for SEV1-2}
"""


def run_engine(db: Database, settings: Settings) -> None:
    Runner(db, default_modules(settings)).run_until_idle()


def step_statuses(db: Database, run_id: str) -> list[str]:
    with db.unit_of_work(readonly=True) as uow:
        rows = uow.session.scalars(
            select(RunStep.status).where(RunStep.run_id == run_id).order_by(RunStep.position)
        )
        return list(rows)


def run_status(db: Database, run_id: str) -> str:
    with db.unit_of_work(readonly=True) as uow:
        return uow.session.get_one(PlaybookRun, run_id).status


@pytest.fixture
def crew(db: Database, people: dict[str, Person]) -> Crew:
    return make_crew(db, people)


def test_dry_run_page_shows_steps_and_changes_nothing(
    client: TestClient, db: Database, crew: Crew
) -> None:
    playbook_id = create(client, as_person(client, crew.boss), RUNNABLE)
    incident_id = new_incident(db, crew.ic, title="Checkout is down", severity=3)
    as_person(client, crew.viewer)  # everyone may look
    picker = client.get(f"/playbooks/{playbook_id}/dry-run")
    assert picker.status_code == 200
    assert f'<option value="{incident_id}"' in picker.text
    before = (count(db, Event), count(db, Task), count(db, PlaybookRun))
    page = client.get(f"/playbooks/{playbook_id}/dry-run?incident_id={incident_id}")
    assert page.status_code == 200
    text = html.unescape(page.text)
    assert "Confirm impact on Checkout is down" in text  # rendered with the incident
    assert "Roll back Checkout is down?" in text
    assert text.count("would run") == 2
    assert "would skip" in text  # severity 3 is not SEV1-2
    assert "Run it on" not in text  # a viewer runs nothing
    assert (count(db, Event), count(db, Task), count(db, PlaybookRun)) == before
    missing = client.get(f"/playbooks/{playbook_id}/dry-run?incident_id=INC-999")
    assert missing.status_code == 404


def test_run_from_the_incident_page_then_approve(
    client: TestClient, db: Database, settings: Settings, crew: Crew
) -> None:
    playbook_id = create(client, as_person(client, crew.boss), RUNNABLE)
    incident_id = new_incident(db, crew.ic, title="Checkout is down", severity=3)
    csrf = as_person(client, crew.ic)
    post(client, csrf, f"/incidents/{incident_id}/roles/assign", role="commander",
         user_id=crew.ic.id)  # fmt: skip
    page = client.get(f"/incidents/{incident_id}").text
    assert 'id="playbooks"' in page
    assert f'<option value="{playbook_id}"' in page
    assert "No playbook has run on this incident." in page

    r = post(client, csrf, f"/incidents/{incident_id}/playbook-runs", playbook_id=playbook_id,
             do="dry-run")  # fmt: skip
    assert r.status_code == 303
    assert r.headers["location"] == f"/playbooks/{playbook_id}/dry-run?incident_id={incident_id}"
    assert count(db, PlaybookRun) == 0

    r = post(client, csrf, f"/incidents/{incident_id}/playbook-runs", playbook_id=playbook_id,
             do="run")  # fmt: skip
    assert r.status_code == 303
    run_id = id_from_location(r.headers["location"], "/playbook-runs/")
    run_engine(db, settings)
    assert step_statuses(db, run_id) == ["done", "awaiting_approval", "pending"]

    # The incident page: the tasks the run created, and the run with its status.
    page = html.unescape(client.get(f"/incidents/{incident_id}").text)
    assert "Confirm impact on Checkout is down" in page
    assert f'href="/playbook-runs/{run_id}"' in page
    assert "awaiting approval" in page

    # Only the Commander (or an admin) sees the buttons and may decide.
    as_person(client, crew.resp)
    other = client.get(f"/playbook-runs/{run_id}")
    assert other.status_code == 200
    assert "Roll back Checkout is down?" in html.unescape(other.text)
    assert 'value="approve"' not in other.text
    assert "Cancel run" in other.text
    step_id = approval_step(db, run_id)
    other_csrf = csrf_from(other.text)
    r = post(client, other_csrf, f"/playbook-runs/{run_id}/steps/{step_id}/decision",
             decision="approve")  # fmt: skip
    assert r.status_code == 403
    csrf = as_person(client, crew.ic)
    mine = client.get(f"/playbook-runs/{run_id}").text
    assert 'value="approve"' in mine
    assert 'value="reject"' in mine
    r = post(client, csrf, f"/playbook-runs/{run_id}/steps/{step_id}/decision", decision="maybe")
    assert r.status_code == 422
    r = post(client, csrf, f"/playbook-runs/{run_id}/steps/{step_id}/decision",
             decision="approve", note="go")  # fmt: skip
    assert r.status_code == 303
    run_engine(db, settings)
    assert step_statuses(db, run_id) == ["done", "done", "skipped"]
    assert run_status(db, run_id) == "succeeded"
    page = client.get(f"/playbook-runs/{run_id}").text
    assert "run-succeeded" in page
    assert "decision-approved" in page
    assert "Cancel run" not in page
    # Deciding again: refused on the run page, saying why.
    r = post(client, csrf, f"/playbook-runs/{run_id}/steps/{step_id}/decision",
             decision="reject")  # fmt: skip
    assert r.status_code == 409
    assert "not awaiting approval" in html.unescape(r.text)

    # Not repeatable: a second run is refused on the incident page, naming why.
    r = post(client, csrf, f"/incidents/{incident_id}/playbook-runs", playbook_id=playbook_id,
             do="run")  # fmt: skip
    assert r.status_code == 409
    assert "already ran on this incident" in r.text
    assert 'id="playbook-summary"' in r.text
    assert count(db, PlaybookRun) == 1


def approval_step(db: Database, run_id: str) -> str:
    with db.unit_of_work(readonly=True) as uow:
        return uow.session.scalars(
            select(RunStep.id).where(RunStep.run_id == run_id, RunStep.kind == "approval")
        ).one()


def test_cancel_and_who_may_run(
    client: TestClient, db: Database, settings: Settings, crew: Crew
) -> None:
    playbook_id = create(client, as_person(client, crew.boss), RUNNABLE)
    incident_id = new_incident(db, crew.ic, title="Checkout is down", severity=3)

    csrf = as_person(client, crew.viewer)
    page = client.get(f"/incidents/{incident_id}").text
    assert 'id="playbooks"' in page
    assert 'name="playbook_id"' not in page  # a viewer runs nothing
    r = post(client, csrf, f"/incidents/{incident_id}/playbook-runs", playbook_id=playbook_id,
             do="run")  # fmt: skip
    assert r.status_code == 403
    assert count(db, PlaybookRun) == 0

    csrf = as_person(client, crew.resp)
    r = post(client, csrf, f"/incidents/{incident_id}/playbook-runs", do="run")
    assert r.status_code == 422  # nothing picked
    assert "pick a playbook" in r.text
    r = post(client, csrf, f"/incidents/{incident_id}/playbook-runs", playbook_id="nope", do="run")
    assert r.status_code == 404
    assert "no playbook has the id or key" in html.unescape(r.text).lower()
    r = post(client, csrf, f"/incidents/{incident_id}/playbook-runs", playbook_id=playbook_id,
             do="run")  # fmt: skip
    run_id = id_from_location(r.headers["location"], "/playbook-runs/")
    run_engine(db, settings)

    viewer_csrf = as_person(client, crew.viewer)
    page = client.get(f"/playbook-runs/{run_id}").text
    assert "Cancel run" not in page
    assert post(client, viewer_csrf, f"/playbook-runs/{run_id}/cancel").status_code == 403
    assert run_status(db, run_id) == "awaiting_approval"

    csrf = as_person(client, crew.resp)
    assert client.post(f"/playbook-runs/{run_id}/cancel").status_code == 403  # no CSRF token
    assert post(client, csrf, f"/playbook-runs/{run_id}/cancel").status_code == 303
    assert run_status(db, run_id) == "cancelled"
    assert step_statuses(db, run_id) == ["done", "cancelled", "cancelled"]
    r = post(client, csrf, f"/playbook-runs/{run_id}/cancel")
    assert r.status_code == 409
    assert "run has ended (cancelled)" in r.text
    assert client.get("/playbook-runs/no-such-run").status_code == 404


def test_dry_run_shows_secrets_as_placeholders(
    client: TestClient, db: Database, crew: Crew
) -> None:
    csrf = as_person(client, crew.admin)
    assert (
        post(client, csrf, "/secrets", name="EDR_TOKEN", value="tok-live-8812").status_code == 303
    )
    source = """\
key: isolate-host
name: Isolate host
triggers:
  - event: manual
steps:
  - name: isolate
    kind: action
    method: POST
    url: "https://edr.example/api/isolate?token={{ secrets.EDR_TOKEN }}"
    headers: {Authorization: "Bearer {{ secrets.EDR_TOKEN }}"}
    body: '{"incident": "{{ incident.title }}"}'
"""
    playbook_id = create(client, csrf, source)
    incident_id = new_incident(db, crew.ic, title="Host beaconing")
    page = client.get(f"/playbooks/{playbook_id}/dry-run?incident_id={incident_id}")
    assert page.status_code == 200
    assert "tok-live-8812" not in page.text
    assert "Bearer [secret]" in html.unescape(page.text)
    assert "Host beaconing" in html.unescape(page.text)
    r = client.post(f"/incidents/{incident_id}/playbook-runs",
                    data={"playbook_id": playbook_id, "do": "run"}, follow_redirects=False)  # fmt: skip
    assert r.status_code == 403  # no CSRF token
    assert count(db, PlaybookRun) == 0


def test_an_earlier_version_is_restored_as_the_next_one(
    client: TestClient, db: Database, people: dict[str, Person]
) -> None:
    csrf = as_person(client, people["manager"])
    playbook_id = create(client, csrf)
    edited = SOURCE.replace("Open a bridge", "Open a bridge call")
    assert post(client, csrf, f"/playbooks/{playbook_id}", source=edited).status_code == 303
    old = client.get(f"/playbooks/{playbook_id}/versions/1").text
    assert "Restore version 1" in old
    assert "Restore version" not in client.get(f"/playbooks/{playbook_id}/versions/2").text

    r = post(client, csrf, f"/playbooks/{playbook_id}/versions/1/restore")
    assert r.status_code == 303
    assert versions_of(db, playbook_id) == [1, 2, 3]
    with db.unit_of_work(readonly=True) as uow:
        v3 = uow.session.scalars(
            select(PlaybookVersion.source).where(
                PlaybookVersion.playbook_id == playbook_id, PlaybookVersion.version == 3
            )
        ).one()
        restored = uow.session.scalars(
            select(Event.data).where(Event.type == "playbook.version_restored")
        ).one()
    assert v3 == SOURCE
    assert (restored["version"], restored["from_version"]) == (3, 1)
    # No such version, and not for responders: nothing changes.
    assert post(client, csrf, f"/playbooks/{playbook_id}/versions/9/restore").status_code == 404
    csrf = as_person(client, people["responder"])
    assert post(client, csrf, f"/playbooks/{playbook_id}/versions/1/restore").status_code == 403
    assert versions_of(db, playbook_id) == [1, 2, 3]
