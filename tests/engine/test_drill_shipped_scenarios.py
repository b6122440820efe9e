"""Every shipped scenario loads, and runs to completion live with a scripted responder:
the responder acknowledges what pages, declares over the exercise service at SEV1,
takes command, does the tasks the scenario expects, starts the clocks it names and posts
updates. Every inject fires (none fails on its payload), every automatic expectation is
met, and the run ends completed."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from drill_support import DrillWorld, drill_world, load_run
from helpers import SYSTEM
from muster.clock import ManualClock
from muster.config import Settings
from muster.db.uow import Database
from muster.domain.alerts.lifecycle import do_acknowledge
from muster.domain.alerts.models import Alert
from muster.domain.compliance.clock_schemas import FactIn, RegimeApplyIn
from muster.domain.compliance.clocks import do_apply_regime
from muster.domain.compliance.facts import do_record_fact
from muster.domain.drills.models import DrillRun
from muster.domain.drills.parse import parse_scenario
from muster.domain.drills.runs import do_start_run
from muster.domain.drills.scenarios import do_install_shipped, get_scenario, shipped_sources
from muster.domain.events.actor import Actor
from muster.domain.incidents.models import Incident
from muster.domain.incidents.roles import do_assign_role
from muster.domain.incidents.schemas import IncidentCreate
from muster.domain.incidents.service import do_declare_incident
from muster.domain.incidents.task_schemas import TaskIn, TaskUpdate
from muster.domain.incidents.tasks import do_create_task, do_update_task
from muster.domain.incidents.update_schemas import InternalUpdateIn, PublicUpdateIn
from muster.domain.incidents.updates import do_post_update

KEYS = sorted(parse_scenario(s).key for s in shipped_sources().values())


def test_six_scenarios_ship_for_the_issues_cases() -> None:
    assert KEYS == [
        "checkout-outage", "ddos", "personal-data-breach", "phishing-account-takeover",
        "ransomware-file-server", "server-room-intrusion",
    ]  # fmt: skip


@pytest.fixture
def world(db: Database, settings: Settings) -> DrillWorld:
    return drill_world(db, settings)


def respond(db: Database, actor: Actor, run_id: str, done: set[str]) -> None:
    """One round of a diligent responder."""
    with db.unit_of_work() as uow:
        run = uow.session.get_one(DrillRun, run_id)
        definition = {e.name: e for e in run.expectations}
        for alert in uow.session.scalars(select(Alert).where(Alert.service_id == run.service_id)):
            do_acknowledge(uow, actor, alert)
        if "incident" not in done and uow.session.scalar(
            select(Alert.id).where(Alert.service_id == run.service_id)
        ):
            incident = do_declare_incident(uow, actor, IncidentCreate(
                title=f"Drill: {run.title}", severity=1, service_ids=[run.service_id or ""],
            ))  # fmt: skip
            do_assign_role(uow, actor, incident.id, "commander", actor.id or "")
            done.add("incident")
        incident_id = uow.session.scalar(
            select(Incident.id).where(Incident.exercise_run_id == run.id)
        )
        if incident_id is not None:
            fired = {i.name for i in run.injects if i.status == "fired"}
            for e in definition.values():
                after = e.definition.get("after")
                if e.status != "pending" or e.name in done or (after and after not in fired):
                    continue
                value = e.definition.get("value")
                if e.check == "task_done":
                    task = do_create_task(
                        uow, actor, incident_id, TaskIn(title=f"{value} the host")
                    )
                    do_update_task(uow, actor, task.id, TaskUpdate(status="done"))
                elif e.check == "clock_started":
                    do_apply_regime(
                        uow, actor, incident_id, RegimeApplyIn(regime=str(value), reason="drill")
                    )
                    do_record_fact(
                        uow, actor, incident_id, "aware_at", FactIn(at=uow.now, reason="drill")
                    )
                elif e.check == "stakeholder_update_sent":
                    update = (PublicUpdateIn(kind="public", body="We are on it.", public_status="investigating")
                              if value == "public" else InternalUpdateIn(actions="Working on it."))  # fmt: skip
                    do_post_update(uow, actor, incident_id, update)
                else:
                    continue
                done.add(e.name)
        uow.commit()


@pytest.mark.parametrize("key", KEYS)
def test_shipped_scenario_runs_to_completion(
    db: Database, world: DrillWorld, clock: ManualClock, key: str
) -> None:
    cast = world.cast
    with db.unit_of_work() as uow:
        assert len(do_install_shipped(uow, SYSTEM)) == 6
        scenario = get_scenario(uow, key)
        definition = parse_scenario(uow.session.get_one(type(scenario), scenario.id) and
                                    next(s for s in shipped_sources().values() if f"key: {key}\n" in s))  # fmt: skip
        roles = [r.key for r in definition.roles]
        people = {roles[0]: cast.ic.id or "", roles[1]: cast.resp.id or ""}
        run = do_start_run(uow, cast.boss, scenario.id, team_id=cast.team, mode="live",
                           facilitator_id=cast.boss.id or "", participants=people)  # fmt: skip
        uow.commit()
        run_id = run.id
    done: set[str] = set()
    for _ in range(90):  # up to 90 minutes of drill time
        world.run()
        respond(db, cast.ic, run_id, done)
        world.run()
        if load_run(db, run_id).status == "ended":
            break
        world.later(clock, 1)
    run = load_run(db, run_id)
    assert {i.name: i.status for i in run.injects} == {i.name: "fired" for i in definition.injects}
    automatic = {e.name: e.status for e in run.expectations if e.check != "manual"}
    assert automatic == dict.fromkeys(automatic, "met")
    assert run.status == "ended"
    assert run.end_reason == "completed"
