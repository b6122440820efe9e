"""Steps that span time: waits (a duration; a condition, woken by the incident's
events, with a timeout) and approvals (the role's holder paged with the run's link,
decided by them or an admin, rejected, timed out) — each surviving an engine restart
in the middle."""

from __future__ import annotations

import pytest

from incident_support import Cast, build_cast, declare
from muster.clock import ManualClock
from muster.config import Settings
from muster.db.uow import Database
from muster.domain.incidents.models import Task
from muster.domain.incidents.roles import do_assign_role
from muster.domain.incidents.schemas import IncidentUpdate
from muster.domain.incidents.service import do_update_incident
from muster.domain.playbooks.approvals import do_decide_approval
from muster.errors import Conflict, PermissionDenied
from playbook_support import (
    Engine,
    make_playbook,
    outbox_rows,
    playbook_engine,
    playbook_events,
    run_state,
    start_run,
    step_of,
    step_statuses,
)

TASK = {"name": "after", "kind": "tasks", "tasks": [{"title": "Afterwards"}]}


@pytest.fixture
def cast(db: Database) -> Cast:
    return build_cast(db)


@pytest.fixture
def engine(db: Database, settings: Settings) -> Engine:
    return playbook_engine(db, settings)


def tasks(db: Database) -> list[str]:
    with db.unit_of_work(readonly=True) as uow:
        return [t.title for t in uow.session.query(Task).order_by(Task.created_at)]


def test_a_wait_survives_a_restart_and_ends_on_time(
    db: Database, cast: Cast, engine: Engine, clock: ManualClock
) -> None:
    incident_id = declare(db, cast.ic)
    playbook = make_playbook(db, [{"name": "pause", "kind": "wait", "minutes": 30}, TASK])
    run_id = start_run(db, playbook, incident_id)
    engine.run()
    assert run_state(db, run_id) == ("waiting", [("pause", "waiting"), ("after", "pending")])
    engine.later(clock, 29)
    assert tasks(db) == []
    engine = engine.restarted()
    engine.later(clock, 1)
    assert run_state(db, run_id) == ("succeeded", [("pause", "done"), ("after", "done")])
    assert tasks(db) == ["Afterwards"]
    assert step_statuses(db, incident_id) == [
        ("pause", "waiting"), ("pause", "done"), ("after", "done"),
    ]  # fmt: skip


def test_a_condition_wait_wakes_when_the_incident_changes(
    db: Database, cast: Cast, engine: Engine, clock: ManualClock
) -> None:
    incident_id = declare(db, cast.ic, severity=3)
    until = {"field": "severity", "op": "lte", "value": 1}
    playbook = make_playbook(db, [
        {"name": "sev1", "kind": "wait", "until": until, "timeout_minutes": 120}, TASK,
    ])  # fmt: skip
    run_id = start_run(db, playbook, incident_id)
    engine.run()
    engine.later(clock, 3.5)  # re-checked each minute: still not
    engine = engine.restarted()
    assert run_state(db, run_id)[0] == "waiting"
    with db.unit_of_work() as uow:
        do_update_incident(uow, cast.ic, incident_id, IncidentUpdate(severity=1))
        uow.commit()
    engine.run()  # no time passed: the incident's event woke the wait
    assert run_state(db, run_id) == ("succeeded", [("sev1", "done"), ("after", "done")])
    assert step_of(db, run_id, "sev1").output == {"timed_out": False}


@pytest.mark.parametrize("on_timeout", ["continue", "fail"])
def test_a_condition_wait_times_out(
    db: Database, cast: Cast, engine: Engine, clock: ManualClock, on_timeout: str
) -> None:
    incident_id = declare(db, cast.ic, severity=3)
    playbook = make_playbook(db, [
        {"name": "sev1", "kind": "wait", "until": {"field": "severity", "op": "eq", "value": 1},
         "timeout_minutes": 10, "on_timeout": on_timeout}, TASK,
    ])  # fmt: skip
    run_id = start_run(db, playbook, incident_id)
    engine.run()
    engine.later(clock, 9.9)
    assert run_state(db, run_id)[0] == "waiting"
    engine.later(clock, 0.1)
    if on_timeout == "continue":
        assert run_state(db, run_id) == ("succeeded", [("sev1", "done"), ("after", "done")])
        assert step_of(db, run_id, "sev1").output == {"timed_out": True}
    else:
        assert run_state(db, run_id) == ("failed", [("sev1", "failed"), ("after", "cancelled")])
        assert step_of(db, run_id, "sev1").error == "severity eq 1 did not hold within 10 minutes"


def approval_run(db: Database, cast: Cast, **extra: object) -> tuple[str, str]:
    incident_id = declare(db, cast.ic, severity=2)
    with db.unit_of_work() as uow:
        do_assign_role(uow, cast.ic, incident_id, "commander", cast.boss.id)
        uow.commit()
    playbook = make_playbook(db, [
        {"name": "ok", "kind": "approval", "role": "commander",
         "prompt": "Isolate the hosts of {{ incident.reference }}?", **extra}, TASK,
    ])  # fmt: skip
    return incident_id, start_run(db, playbook, incident_id)


def decide(db: Database, actor: object, step_id: str, approve: bool, note: str = "") -> None:
    with db.unit_of_work() as uow:
        do_decide_approval(uow, actor, step_id, approve, note)  # type: ignore[arg-type]
        uow.commit()


def test_an_approval_waits_across_a_restart_for_the_role_holder(
    db: Database, cast: Cast, engine: Engine, clock: ManualClock
) -> None:
    incident_id, run_id = approval_run(db, cast)
    engine.run()
    assert run_state(db, run_id) == (
        "awaiting_approval", [("ok", "awaiting_approval"), ("after", "pending")],
    )  # fmt: skip
    (asked,) = [m for m in engine.channels["email"].sent if "approval needed" in m.subject]
    assert asked.address == cast.boss.label
    assert "Isolate the hosts of INC-1?" in asked.text
    assert f"https://muster.test/playbook-runs/{run_id}" in asked.text
    engine = engine.restarted()
    engine.later(clock, 24 * 60)  # no timeout: it waits
    step = step_of(db, run_id, "ok")
    with pytest.raises(PermissionDenied):
        decide(db, cast.resp, step.id, True)  # not the Commander
    decide(db, cast.boss, step.id, True, "go")
    with pytest.raises(Conflict):
        decide(db, cast.boss, step.id, True)  # decided already
    engine.run()
    assert run_state(db, run_id) == ("succeeded", [("ok", "done"), ("after", "done")])
    decided = [d for t, d in playbook_events(db, incident_id) if t == "incident.playbook_decided"]
    assert [(d["decision"], d["by"], d["note"]) for d in decided] == [
        ("approved", cast.boss.label, "go"),
    ]  # fmt: skip
    assert step_of(db, run_id, "ok").decided_by == cast.boss.label


def test_a_rejection_cancels_the_run_and_pages_nobody(
    db: Database, cast: Cast, engine: Engine
) -> None:
    _incident_id, run_id = approval_run(db, cast)
    engine.run()
    decide(db, cast.admin, step_of(db, run_id, "ok").id, False, "too risky")
    engine.run()
    assert run_state(db, run_id) == ("cancelled", [("ok", "failed"), ("after", "cancelled")])
    assert step_of(db, run_id, "ok").error == f"rejected by {cast.admin.label}: too risky"
    assert not [m for m in engine.channels["email"].sent if "playbook failed" in m.subject]
    assert tasks(db) == []


def test_an_approval_without_a_decision_in_time_fails_the_run(
    db: Database, cast: Cast, engine: Engine, clock: ManualClock
) -> None:
    _incident_id, run_id = approval_run(db, cast, timeout_minutes=30)
    engine.run()
    engine.later(clock, 29)
    assert run_state(db, run_id)[0] == "awaiting_approval"
    engine.later(clock, 1)
    assert run_state(db, run_id) == ("failed", [("ok", "failed"), ("after", "cancelled")])
    assert step_of(db, run_id, "ok").error == "no decision within 30 minutes"
    failed = [m.address for m in engine.channels["email"].sent if "playbook failed" in m.subject]
    assert failed == [cast.boss.label]
    assert [m.user_id for m in outbox_rows(db, purpose="incident", urgency="high")].count(
        cast.boss.id
    ) >= 2  # asked, then told it failed
