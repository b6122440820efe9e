"""Playbook runs for engine tests: a playbook made of given steps, started on an
incident, the engine (steps, notifications, delivery to recording channels), and
reading runs, steps and their events back."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy import select

from helpers import SYSTEM
from muster.channels.fake import FakeChannel
from muster.clock import ManualClock
from muster.config import Settings
from muster.db.uow import Database
from muster.domain.events.actor import Actor
from muster.domain.events.models import Event
from muster.domain.incidents.models import Incident
from muster.domain.notify.models import METHOD_TYPES, OutboxMessage
from muster.domain.playbooks.models import Playbook, PlaybookRun, PlaybookVersion, RunStep
from muster.domain.playbooks.runs import do_start_run
from muster.domain.playbooks.schemas import PlaybookDef
from muster.engine.module import EngineModule
from muster.engine.modules.delivery import Delivery
from muster.engine.modules.notifications import Notifications
from muster.engine.modules.playbook_steps import PlaybookSteps
from muster.engine.runner import Runner
from notify_support import notify_settings


def make_playbook(
    db: Database, steps: list[dict[str, Any]], *, key: str = "test-playbook",
    name: str = "Test playbook",
) -> str:  # fmt: skip
    """A manual-only, repeatable playbook of ``steps``; returns its id."""
    definition = PlaybookDef.model_validate(
        {"key": key, "name": name, "repeatable": True, "triggers": [{"event": "manual"}],
         "steps": steps}
    )  # fmt: skip
    with db.unit_of_work() as uow:
        now = uow.now
        playbook = Playbook(key=key, name=name, description="", enabled=True, repeatable=True,
                            builtin=False, current_version=1, created_at=now, updated_at=now)  # fmt: skip
        uow.session.add(playbook)
        uow.flush()
        uow.session.add(PlaybookVersion(
            playbook_id=playbook.id, version=1, source="(test)", created_at=now,
            created_by="test", definition=definition.model_dump(mode="json", by_alias=True),
        ))  # fmt: skip
        uow.commit()
        return playbook.id


def start_run(db: Database, playbook_id: str, incident_id: str, actor: Actor = SYSTEM) -> str:
    with db.unit_of_work() as uow:
        playbook = uow.session.get_one(Playbook, playbook_id)
        incident = uow.session.get_one(Incident, incident_id)
        run = do_start_run(uow, actor, playbook, incident, trigger="test")
        assert run is not None
        uow.commit()
        return run.id


@dataclass
class Engine:
    """Playbook steps, the notification reaction and delivery to recording channels."""

    db: Database
    settings: Settings
    channels: dict[str, FakeChannel]
    runner: Runner

    def run(self) -> dict[str, int]:
        result = self.runner.run_until_idle()
        assert not result.errors, result.errors
        return result.items

    def later(self, clock: ManualClock, minutes: float) -> dict[str, int]:
        clock.advance(timedelta(minutes=minutes))
        return self.run()

    def restarted(self) -> Engine:
        """A new engine (new modules, new runner): what a process restart gives."""
        return playbook_engine(self.db, self.settings, self.channels)


def playbook_engine(
    db: Database, settings: Settings, channels: dict[str, FakeChannel] | None = None
) -> Engine:
    channels = channels or {kind: FakeChannel(kind) for kind in METHOD_TYPES}
    allowed = notify_settings(settings, read_timeout=5.0)
    modules: list[EngineModule] = [
        PlaybookSteps(allowed), Notifications(), Delivery(allowed, channels),
    ]  # fmt: skip
    return Engine(db, allowed, channels, Runner(db, modules))


def run_state(db: Database, run_id: str) -> tuple[str, list[tuple[str, str]]]:
    """The run's status and each step's (name, status)."""
    with db.unit_of_work(readonly=True) as uow:
        run = uow.session.get_one(PlaybookRun, run_id)
        return run.status, [(s.name, s.status) for s in run.steps]


def get_run(db: Database, run_id: str) -> PlaybookRun:
    with db.unit_of_work(readonly=True) as uow:
        run = uow.session.get_one(PlaybookRun, run_id)
        _ = list(run.steps)
        return run


def step_of(db: Database, run_id: str, name: str) -> RunStep:
    with db.unit_of_work(readonly=True) as uow:
        return uow.session.scalars(
            select(RunStep).where(RunStep.run_id == run_id, RunStep.name == name)
        ).one()


def playbook_events(db: Database, incident_id: str) -> list[tuple[str, dict[str, Any]]]:
    """The incident's playbook events (type, data), in order."""
    with db.unit_of_work(readonly=True) as uow:
        rows = uow.session.scalars(
            select(Event)
            .where(
                Event.stream == f"incident:{incident_id}", Event.type.like("incident.playbook_%")
            )
            .order_by(Event.seq)
        )
        return [(e.type, dict(e.data)) for e in rows]


def step_statuses(db: Database, incident_id: str) -> list[tuple[str, str]]:
    """(step, status) of each ``incident.playbook_step`` event, in order."""
    return [(d["step"], d["status"]) for t, d in playbook_events(db, incident_id)
            if t == "incident.playbook_step"]  # fmt: skip


def outbox_rows(db: Database, **where: Any) -> list[OutboxMessage]:
    with db.unit_of_work(readonly=True) as uow:
        query = select(OutboxMessage)
        for name, value in where.items():
            query = query.where(getattr(OutboxMessage, name) == value)
        return list(uow.session.scalars(query.order_by(OutboxMessage.created_at, OutboxMessage.id)))
