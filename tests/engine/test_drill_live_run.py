"""A live drill run, clock-driven through the whole engine: the alert inject goes through
the real intake code onto the run's exercise service and pages the participants (marked
EXERCISE); an inject waits for a responder's action; expectations turn met and missed
from the event log; the run completes and is scored."""

from __future__ import annotations

import pytest

from drill_support import (
    DrillWorld,
    acknowledge_all,
    apply,
    drill_world,
    load_run,
    run_alerts,
    start,
)
from muster.clock import ManualClock
from muster.config import Settings
from muster.db.uow import Database
from muster.domain.drills.runs import do_grade
from muster.domain.incidents.roles import do_assign_role
from muster.domain.incidents.schemas import IncidentCreate
from muster.domain.incidents.service import do_declare_incident


@pytest.fixture
def world(db: Database, settings: Settings) -> DrillWorld:
    return drill_world(db, settings)


def _status(db: Database, run_id: str) -> dict[str, str]:
    run = load_run(db, run_id)
    return {
        **{i.name: i.status for i in run.injects},
        **{e.name: e.status for e in run.expectations},
    }


def test_live_run_fires_injects_pages_participants_and_scores(
    db: Database, world: DrillWorld, clock: ManualClock
) -> None:
    cast = world.cast
    run_id = start(world, apply(db, cast.boss))
    world.run()
    # The alert came in through intake, on the run's exercise service, marked with the run.
    alerts = run_alerts(db, run_id)
    assert [a.summary for a in alerts] == ["Checkout is down"]
    assert alerts[0].exercise_run_id == run_id
    assert _status(db, run_id)["page"] == "fired"
    assert _status(db, run_id)["hint"] == "pending"
    # Both participants were paged, and only they.
    paged = {address for address, _ in world.sent()}
    assert paged == {"ic@example.com", "resp@example.com"}
    assert all(subject.startswith("[EXERCISE]") for _, subject in world.sent())

    world.later(clock, 2)
    acknowledge_all(db, cast.ic, run_id)
    world.run()
    assert _status(db, run_id)["ack"] == "met"
    world.later(clock, 1.5)
    assert _status(db, run_id)["hint"] == "fired"
    # The message waits for a Commander; the SEV1 expectation passes its deadline.
    world.later(clock, 7)
    state = _status(db, run_id)
    assert state["escalate"] == "pending"
    assert state["sev1"] == "missed"
    with db.unit_of_work() as uow:
        incident = do_declare_incident(uow, cast.ic, IncidentCreate(
            title="Checkout down", severity=1, service_ids=[load_run(db, run_id).service_id or ""],
        ))  # fmt: skip
        do_assign_role(uow, cast.ic, incident.id, "commander", cast.ic.id or "")
        uow.commit()
    world.later(clock, 4)
    assert _status(db, run_id)["escalate"] == "pending"  # 5 minutes after the Commander
    world.later(clock, 1.5)
    run = load_run(db, run_id)
    assert _status(db, run_id)["escalate"] == "fired"
    escalate = next(i for i in run.injects if i.name == "escalate")
    assert escalate.output["to_user_id"] == cast.resp.id
    assert escalate.output["sent"] is True
    told = [s for a, s in world.sent() if a == "resp@example.com" and "Drill message" in s]
    assert told
    assert all("EXERCISE" in s for s in told)
    # SEV1 came late: missed, by how much kept.
    sev1 = next(e for e in run.expectations if e.name == "sev1")
    assert sev1.status == "missed"
    assert sev1.observed_offset is not None
    assert sev1.observed_offset > (sev1.deadline_offset or 0)
    # Everything automatic decided and every inject fired: the run completed.
    assert run.status == "ended"
    assert run.end_reason == "completed"
    assert run.score == 50.0  # ack met, sev1 missed; the manual one not graded yet
    with db.unit_of_work() as uow:
        do_grade(uow, cast.boss, run_id, "talk", "partly", "only internal comms")
        uow.commit()
    assert load_run(db, run_id).score == 50.0  # (1 + 0 + 0.5) / 3
