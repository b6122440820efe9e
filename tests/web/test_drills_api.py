"""/api/v1/drill-scenarios and /api/v1/drill-runs: managers apply scenarios and start
runs; bad YAML is a 422 naming field and line and saves nothing; the facilitator drives
a tabletop run; the debrief, action items, the kept report, cleanup and the team's
history; the console and report pages render."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import func, select

from drill_support import SCENARIO
from helpers import SYSTEM, Person
from muster.db.uow import Database
from muster.domain.accounts.schemas import TeamCreate
from muster.domain.accounts.service import do_create_team
from muster.domain.alerts.models import Alert
from muster.domain.catalog.models import Service
from muster.domain.drills.models import Scenario

API = "/api/v1/drill-scenarios"
RUNS = "/api/v1/drill-runs"


def scenario_count(db: Database) -> int:
    with db.unit_of_work(readonly=True) as uow:
        return int(uow.session.scalar(select(func.count()).select_from(Scenario)) or 0)


def team(db: Database) -> str:
    with db.unit_of_work() as uow:
        found = do_create_team(uow, SYSTEM, TeamCreate(name="Core"))
        uow.commit()
        return found.id


def test_apply_versions_and_reject_bad_documents(
    client: TestClient, db: Database, people: dict[str, Person]
) -> None:
    manager = people["manager"].auth
    assert (
        client.post(API, json={"source": SCENARIO}, headers=people["responder"].auth).status_code
        == 403
    )
    created = client.post(API, json={"source": SCENARIO}, headers=manager)
    assert created.status_code == 201, created.text
    assert (created.json()["key"], created.json()["current_version"]) == ("tiny-outage", 1)
    same = client.post(API, json={"source": SCENARIO}, headers=manager)
    assert (same.status_code, same.json()["current_version"]) == (200, 1)
    newer = client.post(
        API, json={"source": SCENARIO.replace("Tiny outage", "Tiny outage 2")}, headers=manager
    )
    assert (newer.status_code, newer.json()["current_version"]) == (200, 2)
    shown = client.get(f"{API}/tiny-outage", headers=people["viewer"].auth).json()
    assert shown["versions"] == [2, 1]
    assert shown["source"].startswith("key: tiny-outage")

    bad = SCENARIO.replace("after: page\n    when", "after: nowhere\n    when").replace(
        "to_role: responder", "to_role: janitor"
    )
    refused = client.post(
        API, json={"source": bad.replace("tiny-outage", "bad-one")}, headers=manager
    )
    assert refused.status_code == 422
    errors = {e["field"]: e["reason"] for e in refused.json()["errors"]}
    assert errors["injects.2.after"] == "no earlier inject is named 'nowhere' (line 24)"
    assert errors["injects.2.to_role"] == "the scenario has no role 'janitor' (line 27)"
    schema = client.post(
        API,
        json={
            "source": "key: x\ntitle: X\nroles: [{key: a}]\ninjects:\n  - {name: a, kind: alert}\n"
        },
        headers=manager,
    )
    assert schema.status_code == 422
    assert schema.json()["errors"][0]["field"] == "injects.0"
    assert "format and payload" in schema.json()["errors"][0]["reason"]
    twice = client.post(
        API,
        json={
            "source": "key: x\nkey: y\ntitle: X\nroles: [{key: a}]\ninjects: [{name: a, kind: fact, text: t}]\n"
        },
        headers=manager,
    )
    assert twice.status_code == 422
    assert twice.json()["errors"][0]["reason"] == "given twice (line 2)"
    broken = client.post(API, json={"source": "key: [unclosed"}, headers=manager)
    assert broken.status_code == 422
    assert "not valid YAML" in broken.json()["errors"][0]["reason"]
    huge = client.post(API, json={"source": "#" * (256 * 1024 + 1)}, headers=manager)
    assert huge.status_code == 422
    assert scenario_count(db) == 1


def test_tabletop_run_through_the_api_to_its_report_and_cleanup(
    client: TestClient, db: Database, people: dict[str, Person]
) -> None:
    manager, responder, viewer = people["manager"], people["responder"], people["viewer"]
    scenario = client.post(API, json={"source": SCENARIO}, headers=manager.auth).json()
    team_id = team(db)
    start = {"scenario_id": scenario["id"], "team_id": team_id, "mode": "tabletop",
             "facilitator_id": manager.id, "participants": {"responder": responder.id}}  # fmt: skip
    assert client.post(RUNS, json=start, headers=responder.auth).status_code == 403
    wrong = client.post(
        RUNS, json={**start, "participants": {"janitor": responder.id}}, headers=manager.auth
    )
    assert wrong.status_code == 422
    assert wrong.json()["errors"][0]["field"] == "participants.janitor"
    created = client.post(RUNS, json=start, headers=manager.auth)
    assert created.status_code == 201, created.text
    run = created.json()
    assert [i["status"] for i in run["injects"]] == ["pending"] * 3
    # Not the facilitator: refused, nothing fired.
    assert (
        client.post(f"{RUNS}/{run['id']}/fire", json={}, headers=responder.auth).status_code == 403
    )
    fired = client.post(f"{RUNS}/{run['id']}/fire", json={}, headers=manager.auth).json()
    assert [i["status"] for i in fired["injects"]] == ["fired", "pending", "pending"]
    with db.unit_of_work(readonly=True) as uow:
        service = uow.session.get_one(Service, run["service_id"])
        assert service.exercise_run_id == run["id"]
        assert (
            uow.session.scalar(
                select(func.count()).select_from(Alert).where(Alert.service_id == service.id)
            )
            == 1
        )
    page = client.get(f"/drills/runs/{run['id']}", headers=viewer.auth)
    assert page.status_code == 200
    assert "EXERCISE" in page.text
    assert 'data-inject="page" data-status="fired"' in page.text
    assert (
        client.post(f"{RUNS}/{run['id']}/injects/nope/skip", headers=manager.auth).status_code
        == 404
    )
    client.post(f"{RUNS}/{run['id']}/injects/hint/skip", headers=manager.auth)
    graded = client.post(
        f"{RUNS}/{run['id']}/expectations/talk/grade",
        json={"grade": "partly", "note": "slow"},
        headers=manager.auth,
    )
    assert graded.status_code == 200
    assert (
        client.put(
            f"{RUNS}/{run['id']}/notes", json={"notes": "x" * 20_001}, headers=manager.auth
        ).status_code
        == 422
    )
    assert (
        client.put(
            f"{RUNS}/{run['id']}/notes", json={"notes": "Team was quick."}, headers=manager.auth
        ).json()["notes"]
        == "Team was quick."
    )
    # A debrief only after the end; the report must be kept before cleanup.
    assert (
        client.post(
            f"{RUNS}/{run['id']}/debriefs", json={"score": 4}, headers=responder.auth
        ).status_code
        == 409
    )
    ended = client.post(f"{RUNS}/{run['id']}/end", headers=manager.auth).json()
    assert (ended["status"], ended["score"]) == ("ended", 16.7)  # ack + sev1 missed, talk partly
    assert (
        client.post(
            f"{RUNS}/{run['id']}/debriefs", json={"score": 9}, headers=responder.auth
        ).status_code
        == 422
    )
    assert (
        client.post(
            f"{RUNS}/{run['id']}/debriefs",
            json={"score": 4, "went_well": "calm"},
            headers=viewer.auth,
        ).status_code
        == 403
    )
    assert (
        client.post(
            f"{RUNS}/{run['id']}/debriefs",
            json={"score": 4, "went_well": "calm"},
            headers=responder.auth,
        ).status_code
        == 201
    )
    item = client.post(
        f"{RUNS}/{run['id']}/action-items",
        json={"title": "Write the rollback runbook", "owner_id": responder.id},
        headers=responder.auth,
    )
    assert item.status_code == 201
    assert (
        client.patch(
            f"/api/v1/drill-action-items/{item.json()['id']}",
            json={"status": "wont_do"},
            headers=responder.auth,
        ).status_code
        == 422
    )
    assert (
        client.patch(
            f"/api/v1/drill-action-items/{item.json()['id']}",
            json={"status": "done"},
            headers=responder.auth,
        ).json()["status"]
        == "done"
    )
    assert client.post(f"{RUNS}/{run['id']}/cleanup", headers=manager.auth).status_code == 409
    report = client.get(f"{RUNS}/{run['id']}/report", headers=viewer.auth).json()
    assert [e["status"] for e in report["expectations"]] == ["missed", "missed", "partly"]
    assert report["debriefs"][0]["went_well"] == "calm"
    assert report["action_items"][0]["status"] == "done"
    assert any(t["type"] == "drill.inject_fired" for t in report["timeline"])
    assert client.post(f"{RUNS}/{run['id']}/keep-report", headers=manager.auth).status_code == 200
    counts = client.post(f"{RUNS}/{run['id']}/cleanup", headers=manager.auth)
    assert counts.status_code == 200, counts.text
    assert counts.json()["alerts"] == 1
    with db.unit_of_work(readonly=True) as uow:
        assert uow.session.get(Service, run["service_id"]) is None
    kept = client.get(f"{RUNS}/{run['id']}/report", headers=viewer.auth).json()
    assert [e["status"] for e in kept["expectations"]] == ["missed", "missed", "partly"]
    html = client.get(f"/drills/runs/{run['id']}/report", headers=viewer.auth)
    assert html.status_code == 200
    assert "Write the rollback runbook" in html.text
    history = client.get(f"/api/v1/teams/{team_id}/drill-history", headers=viewer.auth).json()
    assert [(h["run_id"], h["score"]) for h in history["items"]] == [(run["id"], 16.7)]
    assert "16.7" in client.get(f"/drills/history?team_id={team_id}", headers=viewer.auth).text
