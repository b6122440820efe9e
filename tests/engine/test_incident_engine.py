"""The incident engine, clock-driven: paging for a Commander (first level of each affected
service's policy, every ten minutes until one is assigned), overdue task reminders once
per due time — never paging people who may not see a restricted incident — and two
workers never paging twice. Delivery goes to recording channels."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest

from helpers import SYSTEM
from incident_people_support import (
    Engine,
    add_sms,
    incident_engine,
    incident_messages,
    policy_for,
    target,
    weekly,
)
from incident_support import Cast, build_cast, declare, incident_events
from muster.clock import ManualClock
from muster.config import Settings
from muster.db.uow import Database
from muster.domain.accounts.schemas import MemberAdd
from muster.domain.accounts.service import do_add_team_member
from muster.domain.catalog.schemas import ServiceCreate
from muster.domain.catalog.service import do_create_service
from muster.domain.events.models import Event
from muster.domain.incidents.models import Incident
from muster.domain.incidents.roles import do_assign_role, do_relinquish_role
from muster.domain.incidents.schemas import IncidentUpdate
from muster.domain.incidents.service import do_update_incident
from muster.domain.incidents.task_schemas import TaskIn, TaskUpdate
from muster.domain.incidents.tasks import do_create_task, do_update_task
from muster.domain.incidents.transitions import do_transition
from muster.engine.modules.incident_commander import IncidentCommander
from muster.engine.modules.incident_tasks import IncidentTasks


@pytest.fixture
def cast(db: Database) -> Cast:
    return build_cast(db)


def commander_pages(db: Database, incident_id: str) -> list[Event]:
    return [e for e in incident_events(db, incident_id) if e.type == "incident.commander_needed"]


@pytest.fixture
def engine(db: Database, settings: Settings) -> Engine:
    return incident_engine(db, settings)


def second_service(db: Database, cast: Cast) -> str:
    with db.unit_of_work() as uow:
        service = do_create_service(uow, SYSTEM, ServiceCreate(name="payments", team_id=cast.team))
        uow.commit()
        return service.id


def make_manager(db: Database, cast: Cast) -> None:
    with db.unit_of_work() as uow:
        do_add_team_member(uow, SYSTEM, cast.team, MemberAdd(user_id=cast.boss.id, role="manager"))
        uow.commit()


# ---------------------------------------------------------------- paging for a Commander


def test_sev1_without_a_commander_pages_each_services_first_level_every_ten_minutes(
    db: Database, cast: Cast, clock: ManualClock, engine: Engine
) -> None:
    primary = weekly(db, cast.team, [cast.resp.id, cast.outsider.id])
    nobody = weekly(db, cast.team, [], name="Empty")
    policy_for(db, cast.team, cast.service, [[target("schedule", primary)], [target("user", cast.admin.id)]])  # fmt: skip
    payments = second_service(db, cast)
    # The first level reaches nobody: the next one is paged instead, as escalation does.
    policy_for(db, cast.team, payments, [[target("schedule", nobody)], [target("user", cast.sec.id)]], name="Payments")  # fmt: skip
    incident_id = declare(db, cast.ic, severity=1, service_ids=[cast.service, payments])
    engine.run()
    (first,) = commander_pages(db, incident_id)
    assert first.data["user_ids"] == [cast.resp.id, cast.sec.id]  # services by name
    assert first.data["repeat"] is False
    assert {s["why"] for s in first.data["skipped"]} == {"nobody is on call on Empty"}
    pages = incident_messages(db)
    assert sorted((m.user_id, m.urgency, m.method_type) for m in pages) == sorted(
        [(cast.resp.id, "high", "email"), (cast.sec.id, "high", "email")]
    )
    assert [m.status for m in pages] == ["sent", "sent"]
    assert sorted(m.address for m in engine.channels["email"].sent) == [
        cast.resp.label,
        cast.sec.label,
    ]
    (mail,) = engine.to(cast.resp.label)
    assert mail.subject == "[SEV1] INC-1 needs an Incident Commander: Checkout is down"
    assert "You are on call: take the role" in mail.text
    engine.later(clock, 9.9)
    assert len(commander_pages(db, incident_id)) == 1
    engine.later(clock, 0.1)
    assert [e.data["repeat"] for e in commander_pages(db, incident_id)] == [False, True]
    assert len(incident_messages(db)) == 4
    with db.unit_of_work() as uow:
        do_assign_role(uow, cast.ic, incident_id, "commander", cast.resp.id)
        uow.commit()
    for _ in range(4):
        engine.later(clock, 10)
    assert len(commander_pages(db, incident_id)) == 2
    # Relinquishing asks again at once, and every ten minutes after.
    with db.unit_of_work() as uow:
        do_relinquish_role(uow, cast.resp, incident_id, "commander")
        uow.commit()
    engine.run()
    assert len(commander_pages(db, incident_id)) == 3
    engine.later(clock, 10)
    assert len(commander_pages(db, incident_id)) == 4


def test_no_pages_below_sev2_with_a_commander_or_once_resolved(
    db: Database, cast: Cast, clock: ManualClock, engine: Engine
) -> None:
    policy_for(db, cast.team, cast.service, [[target("user", cast.resp.id)]])
    sev3 = declare(db, cast.ic, severity=3, service_ids=[cast.service])
    led = declare(db, cast.ic, severity=1, service_ids=[cast.service], commander_id=cast.ic.id)
    ended = declare(db, cast.ic, severity=2, service_ids=[cast.service])
    with db.unit_of_work() as uow:
        do_transition(uow, cast.ic, ended, "resolved")
        uow.commit()
    items = engine.run()
    assert items["incident_commander"] == 0
    assert [commander_pages(db, i) for i in (sev3, led, ended)] == [[], [], []]
    with db.unit_of_work() as uow:  # raised to SEV2: now it needs one
        do_update_incident(uow, cast.ic, sev3, IncidentUpdate(severity=2))
        uow.commit()
    engine.run()
    assert [e.data["user_ids"] for e in commander_pages(db, sev3)] == [[cast.resp.id]]


def test_nobody_through_the_policies_pages_the_teams_managers(
    db: Database, cast: Cast, clock: ManualClock, engine: Engine
) -> None:
    make_manager(db, cast)
    nobody = weekly(db, cast.team, [], name="Empty")
    policy_for(db, cast.team, cast.service, [[target("schedule", nobody)]])
    incident_id = declare(db, cast.ic, severity=1, service_ids=[cast.service])
    bare = declare(db, cast.ic, severity=1, title="No services")
    engine.run()
    (page,) = commander_pages(db, incident_id)
    assert (page.data["user_ids"], page.data["fallback"]) == ([cast.boss.id], True)
    (mail,) = engine.to(cast.boss.label)
    assert "You manage an affected service" in mail.text
    # Nobody at all: said once on the timeline, not every ten minutes.
    (said,) = commander_pages(db, bare)
    assert (said.data["user_ids"], said.data["skipped"]) == ([], [{"why": "no affected service"}])
    engine.later(clock, 10)
    engine.later(clock, 10)
    assert len(commander_pages(db, bare)) == 1
    assert len(commander_pages(db, incident_id)) == 3


def test_a_restricted_incident_pages_only_those_who_may_see_it(
    db: Database, cast: Cast, clock: ManualClock, engine: Engine
) -> None:
    policy_for(db, cast.team, cast.service, [[target("user", cast.outsider.id), target("user", cast.sec.id)]])  # fmt: skip
    incident_id = declare(db, cast.ic, severity=1, type="security", service_ids=[cast.service])
    engine.run()
    (page,) = commander_pages(db, incident_id)
    assert (page.data["user_ids"], page.data["withheld"]) == ([cast.sec.id], 1)
    assert {m.user_id for m in incident_messages(db)} == {cast.sec.id}


def test_becoming_restricted_cancels_what_was_queued_for_those_who_then_cannot_see(
    db: Database, cast: Cast, clock: ManualClock, engine: Engine
) -> None:
    policy_for(db, cast.team, cast.service, [[target("user", cast.outsider.id)]])
    add_sms(db, cast.outsider.id, "+14155550101", high_delays=(2,))
    incident_id = declare(db, cast.ic, severity=1, service_ids=[cast.service])
    engine.run()
    assert [(m.method_type, m.status) for m in incident_messages(db)] == [
        ("email", "sent"), ("sms", "queued"),
    ]  # fmt: skip
    with db.unit_of_work() as uow:
        do_update_incident(uow, cast.sec, incident_id, IncidentUpdate(restricted=True))
        uow.commit()
    engine.run()
    statuses = {m.method_type: (m.status, m.last_error) for m in incident_messages(db)}
    assert statuses == {
        "email": ("sent", None),  # while it was not restricted
        "sms": ("cancelled", "not sent: the incident is restricted"),
    }
    engine.later(clock, 10)  # and the re-page leaves them out (nobody left: not recorded)
    assert len(commander_pages(db, incident_id)) == 1
    assert engine.sent("sms") == []
    assert len(engine.sent("email")) == 1


def test_a_commander_assigned_cancels_the_later_steps_of_the_pages(
    db: Database, cast: Cast, clock: ManualClock, engine: Engine
) -> None:
    policy_for(db, cast.team, cast.service, [[target("user", cast.resp.id)]])
    add_sms(db, cast.resp.id, "+14155550100", high_delays=(2, 5))
    incident_id = declare(db, cast.ic, severity=1, service_ids=[cast.service])
    engine.run()
    rows = incident_messages(db, user_id=cast.resp.id)
    start = clock.now()
    assert [(m.method_type, m.next_attempt_at - start) for m in rows] == [
        ("email", timedelta(0)), ("sms", timedelta(minutes=2)), ("sms", timedelta(minutes=5)),
    ]  # fmt: skip
    clock.advance(timedelta(minutes=1))
    with db.unit_of_work() as uow:
        do_assign_role(uow, cast.ic, incident_id, "commander", cast.ic.id)
        uow.commit()
    engine.run()
    assert [m.status for m in incident_messages(db, user_id=cast.resp.id)] == [
        "sent", "cancelled", "cancelled",
    ]  # fmt: skip
    engine.later(clock, 10)
    assert engine.sent("sms") == []


def test_two_workers_page_each_incident_once(db: Database, cast: Cast, clock: ManualClock) -> None:
    policy_for(db, cast.team, cast.service, [[target("user", cast.resp.id)]])
    ids = [declare(db, cast.ic, severity=1, title=f"Outage {i}", service_ids=[cast.service]) for i in range(12)]  # fmt: skip
    barrier = threading.Barrier(2)
    counts: list[int] = []
    errors: list[BaseException] = []

    def work() -> None:
        module = IncidentCommander()
        barrier.wait()
        try:
            with db.unit_of_work() as uow:
                counts.append(module.run_due(uow, uow.now))
                uow.commit()
        except BaseException as exc:  # reported below
            errors.append(exc)

    threads = [threading.Thread(target=work) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert sum(counts) == 12
    assert [len(commander_pages(db, i)) for i in ids] == [1] * 12


# ---------------------------------------------------------------- overdue tasks


def test_an_overdue_task_reminds_its_owner_once_per_due_time(
    db: Database, cast: Cast, clock: ManualClock, engine: Engine
) -> None:
    incident_id = declare(db, cast.ic, severity=3)
    due = clock.now() + timedelta(minutes=30)
    with db.unit_of_work() as uow:
        task = do_create_task(uow, cast.ic, incident_id, TaskIn(title="Rotate keys", owner_id=cast.resp.id, due_at=due))  # fmt: skip
        unowned = do_create_task(uow, cast.ic, incident_id, TaskIn(title="Nobody's", due_at=due))
        uow.commit()
        task_id, unowned_id = task.id, unowned.id
    engine.later(clock, 29)
    assert incident_messages(db) == []
    engine.later(clock, 1)
    reminded = [e for e in incident_events(db, incident_id) if e.type == "incident.task_reminded"]
    assert [(e.data["task_id"], e.data["user_id"]) for e in reminded] == [(task_id, cast.resp.id)]
    (notice,) = incident_messages(db)
    assert (notice.user_id, notice.urgency, notice.method_type) == (cast.resp.id, "low", "email")
    (mail,) = engine.to(cast.resp.label)
    assert mail.subject == "[SEV3] INC-1 overdue task: Rotate keys"
    assert "was due at 2026-01-05 09:30 UTC" in mail.text
    for _ in range(3):
        engine.later(clock, 30)
    assert len(incident_messages(db)) == 1  # once per due time
    with db.unit_of_work() as uow:  # a new due time: reminded again once it passes
        do_update_task(uow, cast.ic, task_id, TaskUpdate(due_at=clock.now() + timedelta(minutes=10)))  # fmt: skip
        uow.commit()
    engine.later(clock, 9)
    assert len(incident_messages(db)) == 1
    engine.later(clock, 1)
    assert len(incident_messages(db)) == 2
    with db.unit_of_work() as uow:  # done, or an owner who is not there: nothing
        do_update_task(uow, cast.ic, task_id, TaskUpdate(due_at=clock.now(), status="done"))
        uow.commit()
    engine.later(clock, 60)
    assert len(incident_messages(db)) == 2
    with db.unit_of_work(readonly=True) as uow:
        assert uow.session.get_one(Incident, incident_id).status == "triage"
    assert unowned_id not in {e.data["task_id"] for e in reminded}


def test_tasks_of_closed_incidents_are_not_chased(
    db: Database, cast: Cast, clock: ManualClock, engine: Engine
) -> None:
    incident_id = declare(db, cast.ic, severity=3)
    with db.unit_of_work() as uow:
        do_create_task(uow, cast.ic, incident_id, TaskIn(title="Tidy up", owner_id=cast.resp.id, due_at=clock.now() + timedelta(minutes=5)))  # fmt: skip
        do_transition(uow, cast.ic, incident_id, "resolved")
        do_transition(uow, cast.ic, incident_id, "closed")
        uow.commit()
    engine.later(clock, 10)
    assert IncidentTasks().name == "incident_tasks"
    assert [e for e in incident_events(db, incident_id) if e.type == "incident.task_reminded"] == []
