"""Playbooks and regulatory clocks together: an ``apply_regime`` step starts a clock (the
regime marked with the playbook's reason, the awareness fact taken from the incident),
and a ``deadline_approaching`` trigger starts a playbook when the clock's reminders come."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from compliance_support import apply, clock_of, fact
from helpers import SYSTEM
from incident_support import Cast, build_cast, declare
from muster.clock import ManualClock
from muster.config import Settings
from muster.db.uow import Database
from muster.domain.incidents.models import Incident, Task
from muster.domain.playbooks.models import PlaybookRun
from muster.domain.playbooks.service import do_apply_playbook
from muster.engine.modules.compliance_clocks import ComplianceClocks
from muster.engine.modules.playbook_steps import PlaybookSteps
from muster.engine.modules.playbook_triggers import PlaybookTriggers
from muster.engine.runner import Runner
from playbook_support import make_playbook, playbook_engine, run_state, start_run, step_of


@pytest.fixture
def cast(db: Database) -> Cast:
    return build_cast(db)


def test_apply_regime_step_starts_the_clock_from_detection(
    db: Database, cast: Cast, settings: Settings, clock: ManualClock
) -> None:
    incident_id = declare(db, cast.sec, severity=2, type="security")
    with db.unit_of_work(readonly=True) as uow:
        detected = uow.session.get_one(Incident, incident_id).detected_at
    clock.advance(minutes=20)
    playbook = make_playbook(db, [
        {"name": "gdpr", "kind": "apply_regime", "regime": "gdpr-33",
         "reason": "Breach playbook for {{ incident.reference }}", "facts": {"aware_at": "detected"}},
    ])  # fmt: skip
    run_id = start_run(db, playbook, incident_id)
    playbook_engine(db, settings).run()
    assert run_state(db, run_id) == ("succeeded", [("gdpr", "done")])
    assert step_of(db, run_id, "gdpr").output["applied"] is True
    gdpr = clock_of(db, cast.sec, incident_id, "gdpr-33/authority")
    assert (gdpr.status, gdpr.started_at) == ("running", detected)
    assert gdpr.due_at == detected + timedelta(hours=72)

    # Again (a repeatable playbook): the regime is left as it is, the known fact kept.
    clock.advance(hours=1)
    again = start_run(db, playbook, incident_id)
    playbook_engine(db, settings).run()
    assert run_state(db, again)[0] == "succeeded"
    assert step_of(db, again, "gdpr").output == {"regime": "gdpr-33", "applied": False, "facts": {}}
    assert clock_of(db, cast.sec, incident_id, "gdpr-33/authority").started_at == detected


def test_an_unknown_regime_fails_the_step(db: Database, cast: Cast, settings: Settings) -> None:
    incident_id = declare(db, cast.sec, severity=2)
    playbook = make_playbook(db, [
        {"name": "nope", "kind": "apply_regime", "regime": "no-such-law", "reason": "x"},
    ])  # fmt: skip
    run_id = start_run(db, playbook, incident_id)
    playbook_engine(db, settings).run()
    assert run_state(db, run_id) == ("failed", [("nope", "failed")])


DEADLINE_PLAYBOOK = """\
key: gdpr-deadline
name: GDPR deadline drill
triggers:
  - event: deadline_approaching
    deadline: gdpr-33
    minutes: 1440
steps:
  - name: chase
    kind: tasks
    tasks:
      - title: "Notify the authority: {{ incident.reference }} is due within a day"
        owner_role: legal
"""


def test_deadline_approaching_starts_a_playbook_once(
    db: Database, cast: Cast, settings: Settings, clock: ManualClock
) -> None:
    with db.unit_of_work() as uow:
        do_apply_playbook(uow, SYSTEM, DEADLINE_PLAYBOOK)
        uow.commit()
    incident_id = declare(db, cast.ic, severity=2)
    start = clock.now()
    apply(db, cast.ic, incident_id, "gdpr-33")
    fact(db, cast.ic, incident_id, "aware_at", at=start)
    runner = Runner(db, [ComplianceClocks(), PlaybookTriggers(), PlaybookSteps(settings)])

    def runs() -> list[str]:
        with db.unit_of_work(readonly=True) as uow:
            return list(uow.session.scalars(
                select(PlaybookRun.status).where(PlaybookRun.incident_id == incident_id)
            ))  # fmt: skip

    clock.set(start + timedelta(hours=36))  # 50 %: 36 hours left, more than a day
    runner.run_until_idle()
    assert runs() == []
    clock.set(start + timedelta(hours=54))  # 75 %: 18 hours left
    runner.run_until_idle()
    assert runs() == ["succeeded"]
    clock.set(start + timedelta(hours=71))  # the page at one hour left: not a second run
    runner.run_until_idle()
    assert runs() == ["succeeded"]
    with db.unit_of_work(readonly=True) as uow:
        titles = list(
            uow.session.scalars(select(Task.title).where(Task.incident_id == incident_id))
        )
    assert titles == ["Notify the authority: INC-1 is due within a day"]
