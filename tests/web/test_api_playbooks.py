"""/api/v1/playbooks and /api/v1/playbook-runs: managers apply and switch, everyone
reads, responders run and cancel; bad YAML is a 422 naming field and line; a dry-run
changes nothing; hidden incidents stay hidden."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import func, select

from helpers import Person
from incident_support import actor_for, declare
from muster.db.uow import Database
from muster.domain.events.models import Event

API = "/api/v1/playbooks"
SOURCE = """\
key: checkout
name: Checkout
triggers: [{event: manual}]
steps:
  - name: work
    kind: tasks
    tasks: [{title: "Look at {{ incident.reference }}"}]
  - {name: later, kind: wait, minutes: 5}
"""


def events(db: Database) -> int:
    with db.unit_of_work(readonly=True) as uow:
        return int(uow.session.scalar(select(func.count()).select_from(Event)) or 0)


def test_apply_read_switch(client: TestClient, people: dict[str, Person]) -> None:
    manager, viewer = people["manager"].auth, people["viewer"].auth
    assert (
        client.post(API, json={"source": SOURCE}, headers=people["responder"].auth).status_code
        == 403
    )
    created = client.post(API, json={"source": SOURCE}, headers=manager)
    assert created.status_code == 201, created.text
    body = created.json()
    assert (body["key"], body["current_version"], body["enabled"]) == ("checkout", 1, True)
    same = client.post(API, json={"source": SOURCE}, headers=manager)
    assert (same.status_code, same.json()["current_version"]) == (200, 1)
    newer = client.post(API, json={"source": SOURCE.replace("Checkout\n", "Checkout v2\n")},
                        headers=manager)  # fmt: skip
    assert (newer.status_code, newer.json()["current_version"]) == (200, 2)

    listed = client.get(API, headers=viewer).json()
    assert [p["key"] for p in listed["items"]] == ["checkout"]
    shown = client.get(f"{API}/checkout", headers=viewer).json()
    assert [v["version"] for v in shown["versions"]] == [2, 1]
    assert shown["versions"][1]["source"] == SOURCE
    assert (
        client.patch(f"{API}/{body['id']}", json={"enabled": False}, headers=viewer).status_code
        == 403
    )
    off = client.patch(f"{API}/{body['id']}", json={"enabled": False}, headers=manager)
    assert off.json()["enabled"] is False
    assert client.get(f"{API}/nope", headers=viewer).status_code == 404


def test_bad_yaml_is_422_with_field_and_line(
    client: TestClient, db: Database, people: dict[str, Person]
) -> None:
    before = events(db)
    bad = client.post(API, json={"source": SOURCE.replace("minutes: 5", "minutes: soon")},
                      headers=people["manager"].auth)  # fmt: skip
    assert bad.status_code == 422
    problem = bad.json()
    assert bad.headers["content-type"].startswith("application/problem+json")
    assert problem["errors"][0]["field"] == "steps.1.minutes"
    assert "(line 8)" in problem["errors"][0]["reason"]
    assert client.post(API, json={}, headers=people["manager"].auth).status_code == 422
    assert events(db) == before


def test_dry_run_run_list_show_cancel(
    client: TestClient, db: Database, people: dict[str, Person]
) -> None:
    playbook = client.post(API, json={"source": SOURCE}, headers=people["manager"].auth).json()
    incident = declare(db, actor_for(db, people["responder"].id), title="Checkout slow")
    viewer, responder = people["viewer"].auth, people["responder"].auth

    before = events(db)
    dry = client.post(
        f"{API}/{playbook['id']}/dry-run", json={"incident_id": incident}, headers=viewer
    )
    assert dry.status_code == 200, dry.text
    items = dry.json()["items"]
    assert [(i["name"], i["would"]) for i in items] == [("work", "run"), ("later", "run")]
    assert items[0]["rendered"]["tasks"][0]["title"] == "Look at INC-1"
    assert events(db) == before
    missing = client.post(
        f"{API}/{playbook['id']}/dry-run", json={"incident_id": "x"}, headers=viewer
    )
    assert missing.status_code == 404

    assert client.post(f"{API}/{playbook['id']}/runs", json={"incident_id": incident},
                       headers=viewer).status_code == 403  # fmt: skip
    started = client.post(f"{API}/{playbook['id']}/runs", json={"incident_id": incident},
                          headers=responder)  # fmt: skip
    assert started.status_code == 201, started.text
    run = started.json()
    assert (run["status"], run["playbook_key"], run["version"]) == ("running", "checkout", 1)
    assert [s["name"] for s in run["steps"]] == ["work", "later"]
    again = client.post(f"{API}/{playbook['id']}/runs", json={"incident_id": incident},
                        headers=responder)  # fmt: skip
    assert again.status_code == 409

    listed = client.get("/api/v1/playbook-runs", params={"incident_id": incident}, headers=viewer)
    assert [r["id"] for r in listed.json()["items"]] == [run["id"]]
    shown = client.get(f"/api/v1/playbook-runs/{run['id']}", headers=viewer).json()
    assert [s["status"] for s in shown["steps"]] == ["pending", "pending"]
    cancelled = client.post(f"/api/v1/playbook-runs/{run['id']}/cancel", headers=responder)
    assert cancelled.json()["status"] == "cancelled"
    assert (
        client.post(f"/api/v1/playbook-runs/{run['id']}/cancel", headers=responder).status_code
        == 409
    )


def test_restricted_incidents_stay_hidden(
    client: TestClient, db: Database, people: dict[str, Person]
) -> None:
    playbook = client.post(API, json={"source": SOURCE}, headers=people["manager"].auth).json()
    admin = actor_for(db, people["admin"].id)
    hidden = declare(db, admin, type="security", title="Intrusion")
    responder = people["responder"].auth
    for path in (f"{API}/{playbook['id']}/dry-run", f"{API}/{playbook['id']}/runs"):
        assert client.post(path, json={"incident_id": hidden}, headers=responder).status_code == 404
    listed = client.get("/api/v1/playbook-runs", params={"incident_id": hidden}, headers=responder)
    assert listed.status_code == 404


def test_restore_an_earlier_version(client: TestClient, people: dict[str, Person]) -> None:
    manager = people["manager"].auth
    created = client.post(API, json={"source": SOURCE}, headers=manager).json()
    client.post(
        API, json={"source": SOURCE.replace("Checkout\n", "Checkout v2\n")}, headers=manager
    )
    url = f"{API}/{created['id']}/versions/1/restore"
    assert client.post(url, headers=people["responder"].auth).status_code == 403
    restored = client.post(url, headers=manager)
    assert restored.status_code == 200, restored.text
    body = restored.json()
    assert (body["current_version"], body["name"]) == (3, "Checkout")
    assert body["versions"][0]["source"] == SOURCE
    # The current version again: nothing new.
    again = client.post(f"{API}/{created['id']}/versions/3/restore", headers=manager).json()
    assert again["current_version"] == 3
    assert (
        client.post(f"{API}/{created['id']}/versions/7/restore", headers=manager).status_code == 404
    )
