"""Playbook runs driven by the engine and the clock: each immediate step kind acting
through the incident's commands, ``when`` skipping with the reason, pages and
notifications through the outbox, a failing step failing the run and paging the
declarer (no Commander), templates over earlier outputs."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from helpers import SYSTEM
from incident_people_support import policy_for, target, weekly
from incident_support import Cast, build_cast, declare
from muster.clock import ManualClock
from muster.config import Settings
from muster.db.uow import Database
from muster.domain.incidents.models import Incident, StatusUpdate, Task
from muster.domain.incidents.roles import do_assign_role
from muster.domain.incidents.subscriptions import do_subscribe
from muster.domain.incidents.update_schemas import SubscriptionIn
from muster.domain.notify.announce import do_add_channel
from muster.domain.notify.schemas import ChannelCreate
from playbook_support import (
    Engine,
    get_run,
    make_playbook,
    outbox_rows,
    playbook_engine,
    playbook_events,
    run_state,
    start_run,
    step_of,
    step_statuses,
)


@pytest.fixture
def cast(db: Database) -> Cast:
    return build_cast(db)


@pytest.fixture
def engine(db: Database, settings: Settings) -> Engine:
    return playbook_engine(db, settings)


def test_immediate_steps_act_through_the_incident_in_order(
    db: Database, cast: Cast, engine: Engine, clock: ManualClock
) -> None:
    incident_id = declare(db, cast.ic, severity=2, service_ids=[cast.service])
    playbook = make_playbook(db, [
        {"name": "commander", "kind": "assign_role", "role": "commander", "to": "declarer"},
        {"name": "tech", "kind": "assign_role", "role": "technical", "to": "user",
         "user": "RESP@example.com"},
        {"name": "checklist", "kind": "tasks", "tasks": [
            {"title": "Check {{ incident.title }}", "owner_role": "technical",
             "due_minutes": 15, "phase": "investigating"},
            {"title": "Tell customers", "owner_role": "communications"},
        ]},
        {"name": "boss", "kind": "add_participant", "user": "boss@example.com", "page": False},
        {"name": "raise", "kind": "set_field", "field": "severity", "value": 1},
        {"name": "tag", "kind": "set_field", "field": "add_tag", "value": "pb-{{ incident.number }}"},
        {"name": "only_sev5", "kind": "tasks", "when": {"field": "severity", "op": "eq", "value": 5},
         "tasks": [{"title": "never"}]},
        {"name": "update", "kind": "post_update", "update": "internal",
         "conditions": "Commander {{ steps.commander.user }}",
         "actions": "{{ steps.checklist.count }} tasks opened"},
    ])  # fmt: skip
    run_id = start_run(db, playbook, incident_id)
    engine.run()
    status, steps = run_state(db, run_id)
    assert status == "succeeded"
    assert dict(steps) == {
        "commander": "done", "tech": "done", "checklist": "done", "boss": "done",
        "raise": "done", "tag": "done", "only_sev5": "skipped", "update": "done",
    }  # fmt: skip
    with db.unit_of_work(readonly=True) as uow:
        incident = uow.session.get_one(Incident, incident_id)
        assert (incident.severity, incident.tags) == (1, ["pb-1"])
        tasks = {t.title: t for t in uow.session.scalars(select(Task))}
        update = uow.session.scalars(select(StatusUpdate)).one()
    assert set(tasks) == {"Check Checkout is down", "Tell customers"}
    check = tasks["Check Checkout is down"]
    assert (check.owner_id, check.due_at, check.phase) == (
        cast.resp.id, clock.now() + timedelta(minutes=15), "investigating",
    )  # fmt: skip
    assert tasks["Tell customers"].owner_id is None  # nobody is Communications Lead
    assert check.source == "playbook Test playbook"
    assert (update.conditions, update.actions) == ("Commander ic@example.com", "2 tasks opened")
    assert update.author_label == "playbook: Test playbook"
    events = playbook_events(db, incident_id)
    assert next(t for t, _d in events) == "incident.playbook_started"
    assert events[-1][0] == "incident.playbook_finished"
    assert events[-1][1]["status"] == "succeeded"
    assert [s for s, _st in step_statuses(db, incident_id)] == [
        "commander", "tech", "checklist", "boss", "raise", "tag", "only_sev5", "update",
    ]  # fmt: skip
    skipped = next(d for t, d in events if d.get("step") == "only_sev5")
    assert skipped["detail"] == "skipped: severity eq 5 does not hold"
    checklist = next(d for t, d in events if d.get("step") == "checklist")
    assert "unowned, nobody holds: communications" in checklist["detail"]
    assert get_run(db, run_id).outputs["checklist"]["count"] == 2
    assert engine.run() == {"playbook_steps": 0, "notifications": 0, "delivery": 0}


def test_page_steps_reach_user_schedule_and_policy(
    db: Database, cast: Cast, engine: Engine
) -> None:
    schedule = weekly(db, cast.team, [cast.resp.id], name="Primary")
    empty = weekly(db, cast.team, [], name="Empty")  # a first level reaching nobody
    levels = [[target("schedule", empty)], [target("user", cast.boss.id)]]
    policy_for(db, cast.team, None, levels, name="Managers")
    incident_id = declare(db, cast.ic, severity=3)
    playbook = make_playbook(db, [
        {"name": "page_user", "kind": "page", "target": "user", "ref": "outsider@example.com",
         "message": "Please look at {{ incident.reference }}"},
        {"name": "page_oncall", "kind": "page", "target": "schedule", "ref": schedule},
        {"name": "page_policy", "kind": "page", "target": "escalation_policy", "ref": "Managers"},
    ])  # fmt: skip
    run_id = start_run(db, playbook, incident_id)
    engine.run()
    assert run_state(db, run_id)[0] == "succeeded"
    paged = {(m.user_id, m.urgency) for m in outbox_rows(db, purpose="incident")}
    assert paged == {(cast.outsider.id, "high"), (cast.resp.id, "high"), (cast.boss.id, "high")}
    (mail,) = [m for m in engine.channels["email"].sent if m.address == cast.outsider.label]
    assert mail.text == f"Please look at INC-1 https://muster.test/incidents/{incident_id}"
    assert step_of(db, run_id, "page_policy").output == {"user_ids": [cast.boss.id]}


def test_a_failing_step_fails_the_run_and_pages_the_declarer(
    db: Database, cast: Cast, engine: Engine
) -> None:
    weekly(db, cast.team, [], name="Empty")
    incident_id = declare(db, cast.ic, severity=3)
    playbook = make_playbook(db, [
        {"name": "first", "kind": "tasks", "tasks": [{"title": "One"}]},
        {"name": "nobody", "kind": "page", "target": "schedule", "ref": "Empty"},
        {"name": "never", "kind": "tasks", "tasks": [{"title": "Two"}]},
    ])  # fmt: skip
    run_id = start_run(db, playbook, incident_id)
    engine.run()
    assert run_state(db, run_id) == (
        "failed", [("first", "done"), ("nobody", "failed"), ("never", "cancelled")],
    )  # fmt: skip
    run = get_run(db, run_id)
    assert run.error == "step nobody: nobody is on call on Empty now"
    (page,) = outbox_rows(db, purpose="incident", user_id=cast.ic.id)
    assert (page.urgency, page.status) == ("high", "sent")
    (mail,) = [m for m in engine.channels["email"].sent if m.address == cast.ic.label]
    assert mail.subject == "[SEV3] INC-1 playbook failed: Test playbook"
    assert (
        "failed on INC-1 “Checkout is down” (SEV3, Triage): step nobody: nobody is on call"
        in mail.text
    )
    assert mail.text.endswith(f"https://muster.test/playbook-runs/{run_id}")


def test_the_commander_is_paged_when_a_run_fails_and_template_errors_are_named(
    db: Database, cast: Cast, engine: Engine
) -> None:
    incident_id = declare(db, cast.ic, severity=3)
    with db.unit_of_work() as uow:
        do_assign_role(uow, cast.ic, incident_id, "commander", cast.boss.id)
        uow.commit()
    playbook = make_playbook(db, [
        {"name": "typo", "kind": "tasks", "tasks": [{"title": "{{ incident.titel }}"}]},
    ])  # fmt: skip
    run_id = start_run(db, playbook, incident_id)
    engine.run()
    assert run_state(db, run_id) == ("failed", [("typo", "failed")])
    error = step_of(db, run_id, "typo").error or ""
    assert "steps.typo.tasks.0.title" in error
    assert "titel" in error
    failed = [m.address for m in engine.channels["email"].sent if "playbook failed" in m.subject]
    assert failed == [cast.boss.label]


def test_notify_tells_channels_and_stakeholders_but_no_channel_of_a_restricted_incident(
    db: Database, cast: Cast, engine: Engine
) -> None:
    with db.unit_of_work() as uow:
        channel = do_add_channel(uow, SYSTEM, "team", cast.team, ChannelCreate(
            type="email", label="Status list", address="status@example.com"))  # fmt: skip
        uow.commit()
        channel_id = channel.id
    open_id = declare(db, cast.ic, severity=3)
    secret_id = declare(db, cast.ic, severity=3, title="Quiet", restricted=True)
    for who, incident_id in ((cast.outsider, open_id), (cast.sec, secret_id)):
        with db.unit_of_work() as uow:
            do_subscribe(uow, who, SubscriptionIn(scope_type="incident", scope_id=incident_id))
            uow.commit()
    steps = [{"name": "tell", "kind": "notify", "channels": [channel_id], "stakeholders": True,
              "subject": "{{ incident.reference }} started", "text": "We are on it."}]  # fmt: skip
    playbook = make_playbook(db, steps)
    first = start_run(db, playbook, open_id)
    engine.run()
    assert run_state(db, first)[0] == "succeeded"
    told = outbox_rows(db, purpose="announce")
    assert {(m.channel_id, m.user_id) for m in told} == {
        (channel_id, None),
        (None, cast.outsider.id),
    }
    sent = {m.address: m.subject for m in engine.channels["email"].sent}
    assert sent == {"status@example.com": "INC-1 started", cast.outsider.label: "INC-1 started"}
    second = start_run(db, playbook, secret_id)
    engine.run()
    assert run_state(db, second)[0] == "succeeded"
    later = outbox_rows(db, purpose="announce")[2:]  # the channel is outside: not told
    assert [(m.channel_id, m.user_id) for m in later] == [(None, cast.sec.id)]
    assert step_of(db, second, "tell").output == {"notified": 1, "subject": "INC-2 started"}
