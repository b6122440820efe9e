"""The drill pages: the scenario editor (errors with line numbers, nothing saved), a new
version, starting a run from the form (a bad participant named, nothing started), the
console's controls, the debrief and action-item forms, who may do what."""

from __future__ import annotations

import html

from fastapi.testclient import TestClient

from drill_support import SCENARIO
from helpers import SYSTEM, Person
from incident_ui_support import post
from muster.db.uow import Database
from muster.domain.accounts.schemas import TeamCreate
from muster.domain.accounts.service import do_create_team
from muster.domain.drills.models import (
    Debrief,
    DrillActionItem,
    DrillRun,
    Scenario,
    ScenarioVersion,
)
from ui_support import as_person, count, id_from_location


def test_editor_start_console_and_debrief(
    client: TestClient, db: Database, people: dict[str, Person]
) -> None:
    manager, responder = people["manager"], people["responder"]
    with db.unit_of_work() as uow:
        team_id = do_create_team(uow, SYSTEM, TeamCreate(name="Core")).id
        uow.commit()
    csrf = as_person(client, manager)
    assert "Drills" in client.get("/drills").text
    bad = post(
        client,
        csrf,
        "/drills/scenarios/new",
        source=SCENARIO.replace("to_role: responder", "to_role: janitor"),
    )
    assert bad.status_code == 422
    assert "the scenario has no role &#39;janitor&#39; (line 27)" in bad.text
    assert count(db, Scenario) == 0
    created = post(client, csrf, "/drills/scenarios/new", source=SCENARIO)
    assert created.status_code == 303
    scenario_id = id_from_location(created.headers["location"], "/drills/scenarios/")
    again = post(client, csrf, "/drills/scenarios/new", source=SCENARIO)
    assert again.status_code == 409
    renamed = post(
        client,
        csrf,
        f"/drills/scenarios/{scenario_id}",
        source=SCENARIO.replace("tiny-outage", "other"),
    )
    assert renamed.status_code == 422
    assert "keep key: tiny-outage" in html.unescape(renamed.text)
    saved = post(
        client,
        csrf,
        f"/drills/scenarios/{scenario_id}",
        source=SCENARIO.replace("Tiny outage", "Tiny outage v2"),
    )
    assert saved.status_code == 303
    assert count(db, ScenarioVersion) == 2

    form = {"mode": "tabletop", "team_id": team_id, "facilitator_id": manager.id}
    wrong = post(
        client, csrf, f"/drills/scenarios/{scenario_id}/runs", **form, role_responder="no-such-user"
    )
    assert wrong.status_code == 422
    assert "participants.responder" in wrong.text
    assert count(db, DrillRun) == 0
    started = post(
        client, csrf, f"/drills/scenarios/{scenario_id}/runs", **form, role_responder=responder.id
    )
    assert started.status_code == 303
    run_id = id_from_location(started.headers["location"], "/drills/runs/")
    console = client.get(f"/drills/runs/{run_id}").text
    assert "Advance: fire page" in console
    assert f'data-live-topics="drill_run:{run_id},service:' in console
    assert post(client, csrf, f"/drills/runs/{run_id}/fire").status_code == 303
    assert 'data-inject="page" data-status="fired"' in client.get(f"/drills/runs/{run_id}").text
    assert post(client, csrf, f"/drills/runs/{run_id}/end").status_code == 303

    # The responder: no controls, but a debrief and an action item.
    client.cookies.clear()
    csrf = as_person(client, responder)
    assert "End early" not in client.get(f"/drills/runs/{run_id}").text
    assert post(client, csrf, f"/drills/runs/{run_id}/pause").status_code == 403
    assert post(client, csrf, f"/drills/runs/{run_id}/debrief", score="x").status_code == 422
    assert (
        post(
            client,
            csrf,
            f"/drills/runs/{run_id}/debrief",
            score="5",
            went_well="Calm",
            went_badly="Slow ack",
        ).status_code
        == 303
    )
    assert (
        post(
            client, csrf, f"/drills/runs/{run_id}/action-items", title="Page faster", due_on="soon"
        ).status_code
        == 422
    )
    assert (
        post(
            client,
            csrf,
            f"/drills/runs/{run_id}/action-items",
            title="Page faster",
            due_on="2026-12-01",
        ).status_code
        == 303
    )
    assert (count(db, Debrief), count(db, DrillActionItem)) == (1, 1)
    report = client.get(f"/drills/runs/{run_id}/report").text
    assert "Slow ack" in report
    assert "DA-1 Page faster" in report
    assert post(client, csrf, f"/drills/runs/{run_id}/cleanup").status_code == 403
