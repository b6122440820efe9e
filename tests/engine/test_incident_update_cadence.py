"""Status update cadence, clock-driven: SEV1 asks for an update every 30 minutes; when
one is due the Communications Lead (else the Commander) is reminded, once per due time,
and posting an update moves the due time on."""

from __future__ import annotations

import threading
from typing import Any

import pytest

from incident_support import Cast, build_cast, declare, incident_events
from muster.clock import ManualClock
from muster.db.uow import Database
from muster.domain.incidents.models import Incident
from muster.domain.incidents.roles import do_assign_role
from muster.domain.incidents.settings import do_update_severity
from muster.domain.incidents.settings_schemas import SeverityEdit
from muster.domain.incidents.transitions import do_transition
from muster.domain.incidents.update_schemas import InternalUpdateIn, PublicUpdateIn
from muster.domain.incidents.updates import do_post_update
from muster.engine.modules import default_modules
from muster.engine.modules.incident_updates import IncidentUpdates
from muster.engine.runner import Runner


@pytest.fixture
def cast(db: Database) -> Cast:
    return build_cast(db)


def reminders(db: Database, incident_id: str) -> list[dict[str, Any]]:
    return [e.data for e in incident_events(db, incident_id) if e.type == "incident.update_due"]


def run(db: Database) -> int:
    return Runner(db, [IncidentUpdates()]).run_until_idle().items.get("incident_updates", 0)


def post(db: Database, actor: Any, incident_id: str, **fields: str) -> None:
    with db.unit_of_work() as uow:
        model = InternalUpdateIn if "conditions" in fields else PublicUpdateIn
        data = model.model_validate(fields)
        do_post_update(uow, actor, incident_id, data)
        uow.commit()


def assign(db: Database, actor: Any, incident_id: str, role: str, user_id: str | None) -> None:
    with db.unit_of_work() as uow:
        do_assign_role(uow, actor, incident_id, role, str(user_id))
        uow.commit()


def test_the_module_is_registered() -> None:
    assert "incident_updates" in [m.name for m in default_modules()]


def test_sev1_without_an_update_reminds_the_commander_after_30_minutes_once(
    db: Database, clock: ManualClock, cast: Cast
) -> None:
    incident = declare(db, cast.ic, severity=1, commander_id=cast.ic.id)
    clock.advance(minutes=29, seconds=59)
    assert run(db) == 0
    assert reminders(db, incident) == []
    clock.advance(seconds=1)
    assert run(db) == 1
    (due,) = reminders(db, incident)
    assert due["user_ids"] == [cast.ic.id]
    assert due["restricted"] is False
    # Once per due time: later passes (and later times) add nothing while no update comes.
    assert run(db) == 0
    clock.advance(minutes=20)
    assert run(db) == 0
    assert len(reminders(db, incident)) == 1


def test_the_communications_lead_is_reminded_rather_than_the_commander(
    db: Database, clock: ManualClock, cast: Cast
) -> None:
    incident = declare(db, cast.ic, severity=1, commander_id=cast.ic.id)
    assign(db, cast.ic, incident, "communications", cast.resp.id)
    clock.advance(minutes=30)
    run(db)
    (due,) = reminders(db, incident)
    assert due["user_ids"] == [cast.resp.id]


def test_nobody_to_remind_is_still_recorded_as_due(
    db: Database, clock: ManualClock, cast: Cast
) -> None:
    incident = declare(db, cast.ic, severity=1)
    clock.advance(minutes=30)
    assert run(db) == 1
    assert reminders(db, incident)[0]["user_ids"] == []


def test_an_update_in_time_means_no_reminder_and_the_next_is_a_cadence_later(
    db: Database, clock: ManualClock, cast: Cast
) -> None:
    incident = declare(db, cast.ic, severity=1, commander_id=cast.ic.id)
    clock.advance(minutes=20)
    post(db, cast.ic, incident, conditions="Checkout errors at 40%", actions="Rolling back")
    clock.advance(minutes=10)  # 30 minutes after the declaration
    assert run(db) == 0
    clock.advance(minutes=19, seconds=59)  # 49:59
    assert run(db) == 0
    assert reminders(db, incident) == []
    clock.advance(seconds=1)  # 50: 30 minutes after the update
    assert run(db) == 1
    (due,) = reminders(db, incident)
    assert due["last_update_at"] is not None
    # A public update counts as well, and arms the next reminder again.
    clock.advance(minutes=5)
    post(
        db,
        cast.ic,
        incident,
        kind="public",
        body="We are rolling back.",
        public_status="identified",
    )
    clock.advance(minutes=30)
    assert run(db) == 1
    assert len(reminders(db, incident)) == 2


def test_a_severity_without_cadence_and_a_resolved_incident_are_never_reminded(
    db: Database, clock: ManualClock, cast: Cast
) -> None:
    quiet = declare(db, cast.ic, severity=4)
    done = declare(db, cast.ic, severity=1, commander_id=cast.ic.id)
    with db.unit_of_work() as uow:
        do_transition(uow, cast.ic, done, "resolved")
        uow.commit()
    clock.advance(hours=6)
    assert run(db) == 0
    assert reminders(db, quiet) == []
    assert reminders(db, done) == []


def test_the_admin_editing_the_cadence_reschedules_open_incidents(
    db: Database, clock: ManualClock, cast: Cast
) -> None:
    incident = declare(db, cast.ic, severity=2, commander_id=cast.ic.id)  # every 60 min
    clock.advance(minutes=10)
    with db.unit_of_work() as uow:
        do_update_severity(uow, cast.admin, 2, SeverityEdit(update_cadence_minutes=15))
        uow.commit()
    clock.advance(minutes=5)  # 15 minutes after the declaration
    assert run(db) == 1
    assert reminders(db, incident)[0]["user_ids"] == [cast.ic.id]
    with db.unit_of_work() as uow:
        do_update_severity(uow, cast.admin, 2, SeverityEdit(update_cadence_minutes=None))
        uow.commit()
        assert uow.session.get_one(Incident, incident).next_update_due_at is None


def test_a_restricted_incident_reminder_is_marked_restricted(
    db: Database, clock: ManualClock, cast: Cast
) -> None:
    incident = declare(db, cast.sec, severity=1, type="security", commander_id=cast.sec.id)
    clock.advance(minutes=30)
    run(db)
    (due,) = reminders(db, incident)
    assert due["restricted"] is True
    assert due["user_ids"] == [cast.sec.id]


def test_two_workers_remind_about_each_incident_once(
    db: Database, clock: ManualClock, cast: Cast
) -> None:
    incidents = [declare(db, cast.ic, severity=1, title=f"Outage {i}") for i in range(25)]
    clock.advance(minutes=31)
    barrier = threading.Barrier(2)
    counts: list[int] = []
    errors: list[BaseException] = []

    def work() -> None:
        try:
            runner = Runner(db, [IncidentUpdates()])
            barrier.wait()
            result = runner.run_until_idle()
            assert not result.errors, result.errors
            counts.append(result.items.get("incident_updates", 0))
        except BaseException as exc:  # reported below, in the test's thread
            errors.append(exc)

    threads = [threading.Thread(target=work) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert sum(counts) == len(incidents)
    for incident in incidents:
        assert len(reminders(db, incident)) == 1
