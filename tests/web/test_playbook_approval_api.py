"""A playbook from YAML through the whole engine: triggered when an incident is declared,
paused for the Commander's approval, decided through the API, then finishing."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import select

from helpers import SYSTEM, Person
from incident_support import actor_for, declare
from muster.config import Settings
from muster.db.uow import Database
from muster.domain.incidents.models import Task
from muster.domain.incidents.roles import do_assign_role
from muster.domain.playbooks.models import PlaybookRun
from muster.domain.playbooks.service import do_apply_playbook
from muster.engine.modules import default_modules
from muster.engine.runner import Runner
from notify_support import notify_settings
from playbook_support import run_state, step_of

SOURCE = """\
key: contain-first
name: Contain first
triggers:
  - event: incident_declared
steps:
  - name: ask
    kind: approval
    role: commander
    prompt: "Block the attacker's IP for {{ incident.reference }}?"
  - name: work
    kind: tasks
    tasks:
      - {title: "Block it", due_minutes: 10}
"""


def test_an_approval_decided_through_the_api(
    client: TestClient, db: Database, settings: Settings, people: dict[str, Person]
) -> None:
    manager, responder = people["manager"], people["responder"]
    with db.unit_of_work() as uow:
        do_apply_playbook(uow, SYSTEM, SOURCE)
        uow.commit()
    incident_id = declare(db, actor_for(db, responder.id), severity=2)
    runner = Runner(db, default_modules(notify_settings(settings), channels={}))
    assert not runner.run_until_idle().errors
    with db.unit_of_work(readonly=True) as uow:
        run_id = uow.session.scalars(select(PlaybookRun.id)).one()
    step = step_of(db, run_id, "ask")
    assert step.status == "awaiting_approval"
    url = f"/api/v1/playbook-steps/{step.id}/decision"
    r = client.post(url, json={"approve": True}, headers=manager.auth)
    assert r.status_code == 403  # not the Commander, not an admin
    with db.unit_of_work() as uow:
        do_assign_role(uow, SYSTEM, incident_id, "commander", manager.id)
        uow.commit()
    r = client.post(url, json={"approve": "maybe"}, headers=manager.auth)
    assert r.status_code == 422
    r = client.post(url, json={"approve": True, "note": "do it"}, headers=manager.auth)
    assert r.status_code == 200, r.text
    assert r.json() == {"step_id": step.id, "run_id": run_id, "decision": "approved",
                        "step_status": "done", "run_status": "running"}  # fmt: skip
    assert client.post(url, json={"approve": False}, headers=manager.auth).status_code == 409
    assert not runner.run_until_idle().errors
    assert run_state(db, run_id) == ("succeeded", [("ask", "done"), ("work", "done")])
    with db.unit_of_work(readonly=True) as uow:
        assert uow.session.scalars(select(Task.title)).all() == ["Block it"]
