"""Drill scenarios for tests: a cast with a manager facilitator, the whole engine with
delivery to recording channels, a scenario applied, a run started, a scripted responder."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import select

from helpers import SYSTEM
from incident_support import Cast, build_cast
from muster.channels.fake import FakeChannel
from muster.clock import ManualClock
from muster.config import Settings
from muster.db.uow import Database
from muster.domain.accounts.schemas import MemberAdd
from muster.domain.accounts.service import do_add_team_member
from muster.domain.alerts.lifecycle import do_acknowledge
from muster.domain.alerts.models import Alert
from muster.domain.drills.models import DrillRun
from muster.domain.drills.runs import do_start_run
from muster.domain.drills.scenarios import do_apply_scenario
from muster.domain.events.actor import Actor
from muster.domain.notify.models import METHOD_TYPES
from muster.engine.modules import default_modules
from muster.engine.runner import Runner
from notify_support import notify_settings

SCENARIO = """\
key: tiny-outage
title: Tiny outage
roles:
  - {key: commander}
  - {key: responder}
injects:
  - name: page
    kind: alert
    format: alertmanager
    payload:
      version: "4"
      status: firing
      receiver: muster
      groupKey: g
      alerts:
        - status: firing
          labels: {alertname: Down, severity: critical}
          annotations: {summary: Checkout is down}
          startsAt: "2026-01-01T00:00:00Z"
          fingerprint: drill-down
  - {name: hint, kind: fact, at_minute: 3, text: The database is fine.}
  - name: escalate
    kind: message
    after: page
    when: {check: commander_assigned}
    delay_minutes: 5
    to_role: responder
    text: The rollback failed.
expectations:
  - {name: ack, title: Acknowledged in 5 minutes, check: alert_acknowledged, after: page, within_minutes: 5}
  - {name: sev1, title: SEV1 within 10 minutes, check: severity_set, value: 1, within_minutes: 10}
  - {name: talk, title: Talked to customers, check: manual}
"""


@dataclass
class DrillWorld:
    db: Database
    cast: Cast
    runner: Runner
    channels: dict[str, FakeChannel]

    def run(self) -> None:
        result = self.runner.run_until_idle()
        assert not result.errors, result.errors

    def later(self, clock: ManualClock, minutes: float) -> None:
        clock.advance(timedelta(minutes=minutes))
        self.run()

    def sent(self) -> list[tuple[str, str]]:
        return [(m.address, m.subject) for c in self.channels.values() for m in c.sent]


def drill_world(db: Database, settings: Settings) -> DrillWorld:
    cast = build_cast(db)
    with db.unit_of_work() as uow:
        do_add_team_member(uow, SYSTEM, cast.team, MemberAdd(user_id=cast.boss.id, role="manager"))
        uow.commit()
    channels = {kind: FakeChannel(kind) for kind in METHOD_TYPES}
    runner = Runner(db, default_modules(notify_settings(settings), channels=channels))
    return DrillWorld(db, cast, runner, channels)


def apply(db: Database, actor: Actor, source: str = SCENARIO) -> str:
    with db.unit_of_work() as uow:
        scenario, _ = do_apply_scenario(uow, actor, source)
        uow.commit()
        return scenario.id


def start(
    world: DrillWorld,
    scenario_id: str,
    mode: str = "live",
    participants: dict[str, str] | None = None,
) -> str:
    cast = world.cast
    people = (
        participants
        if participants is not None
        else {"commander": cast.ic.id or "", "responder": cast.resp.id or ""}
    )
    with world.db.unit_of_work() as uow:
        run = do_start_run(uow, cast.boss, scenario_id, team_id=cast.team, mode=mode,
                           facilitator_id=cast.boss.id or "", participants=people)  # fmt: skip
        uow.commit()
        return run.id


def load_run(db: Database, run_id: str) -> DrillRun:
    with db.unit_of_work(readonly=True) as uow:
        run = uow.session.get_one(DrillRun, run_id)
        _ = run.injects, run.expectations
        uow.session.expunge_all()
        return run


def run_alerts(db: Database, run_id: str) -> list[Alert]:
    with db.unit_of_work(readonly=True) as uow:
        service_id = uow.session.get_one(DrillRun, run_id).service_id
        return list(uow.session.scalars(select(Alert).where(Alert.service_id == service_id)))


def acknowledge_all(db: Database, actor: Actor, run_id: str) -> None:
    with db.unit_of_work() as uow:
        service_id = uow.session.get_one(DrillRun, run_id).service_id
        for alert in uow.session.scalars(select(Alert).where(Alert.service_id == service_id)):
            do_acknowledge(uow, actor, alert)
        uow.commit()
