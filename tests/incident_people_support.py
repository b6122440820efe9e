"""Incident scenarios with paging: on-call schedules and escalation policies for the cast's
team and service, the incident engine modules run with delivery to recording channels,
reading the outbox back."""

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
from muster.domain.escalation.schemas import PolicyCreate, ServicePagingIn
from muster.domain.escalation.service import do_assign_policy, do_create_policy
from muster.domain.notify.jobs import Outgoing
from muster.domain.notify.models import METHOD_TYPES, OutboxMessage
from muster.domain.notify.schemas import MethodCreate, RuleCreate
from muster.domain.notify.service import do_add_method, do_add_rule
from muster.domain.oncall import service as oncall
from muster.domain.oncall.schemas import LayerCreate, RotationIn, ScheduleCreate
from muster.engine.modules.delivery import Delivery
from muster.engine.modules.incident_commander import IncidentCommander
from muster.engine.modules.incident_tasks import IncidentTasks
from muster.engine.modules.notifications import Notifications
from muster.engine.runner import Runner
from notify_support import notify_settings
from oncall_support import MONDAY


def weekly(db: Database, team_id: str, people: list[str], name: str = "Primary") -> str:
    """A schedule rotating ``people`` weekly from the clock's start; returns its id."""
    with db.unit_of_work() as uow:
        schedule = oncall.do_create_schedule(
            uow, SYSTEM, ScheduleCreate(name=name, team_id=team_id, time_zone="UTC")
        )
        if people:
            layer = oncall.do_add_layer(uow, SYSTEM, schedule.id, LayerCreate(name="Primary"))
            rotation = RotationIn(
                participants=people, start=MONDAY, turn_length=1, turn_unit="weeks"
            )  # type: ignore[call-arg]
            oncall.do_set_rotation(uow, SYSTEM, schedule.id, layer.id, rotation)
        uow.commit()
        return schedule.id


def policy_for(
    db: Database, team_id: str, service_id: str | None, levels: list[list[dict[str, str]]],
    *, name: str = "Checkout",
) -> str:  # fmt: skip
    """A policy with ``levels`` (lists of targets), paging for ``service_id`` if given."""
    data = PolicyCreate(
        name=name, team_id=team_id,
        levels=[{"delay_minutes": 5, "targets": t} for t in levels],  # type: ignore[misc]
    )  # fmt: skip
    with db.unit_of_work() as uow:
        policy = do_create_policy(uow, SYSTEM, data)
        if service_id:
            do_assign_policy(
                uow, SYSTEM, service_id, ServicePagingIn(escalation_policy_id=policy.id)
            )
        uow.commit()
        return policy.id


def target(kind: str, target_id: str) -> dict[str, str]:
    return {"type": kind, "id": target_id}


@dataclass
class Engine:
    """The incident modules, the notification reaction and delivery to recording
    channels (one per method type)."""

    runner: Runner
    channels: dict[str, FakeChannel]

    def run(self) -> dict[str, int]:
        result = self.runner.run_until_idle()
        assert not result.errors, result.errors
        return result.items

    def later(self, clock: ManualClock, minutes: float) -> None:
        clock.advance(timedelta(minutes=minutes))
        self.run()

    def sent(self, kind: str) -> list[str]:
        return [m.subject for m in self.channels[kind].sent]

    def to(self, address: str) -> list[Outgoing]:
        return [m for c in self.channels.values() for m in c.sent if m.address == address]


def incident_engine(db: Database, settings: Settings) -> Engine:
    channels = {kind: FakeChannel(kind) for kind in METHOD_TYPES}
    delivery = Delivery(notify_settings(settings), channels)
    modules = [IncidentCommander(), IncidentTasks(), Notifications(), delivery]
    return Engine(Runner(db, modules), channels)


def incident_messages(db: Database, **where: Any) -> list[OutboxMessage]:
    """Outbox rows about incidents, oldest first."""
    with db.unit_of_work(readonly=True) as uow:
        query = select(OutboxMessage).where(OutboxMessage.purpose == "incident")
        for name, value in where.items():
            query = query.where(getattr(OutboxMessage, name) == value)
        return list(uow.session.scalars(query.order_by(OutboxMessage.created_at, OutboxMessage.id)))


def add_sms(db: Database, user_id: str, number: str, *, high_delays: tuple[int, ...] = ()) -> str:
    """A verified SMS method for ``user_id`` besides their account email (with
    high-urgency rules: email at once, SMS at each of ``high_delays``, when given);
    returns the method id."""
    from muster.domain.accounts.models import User
    from muster.domain.notify.models import ContactMethod
    from muster.domain.notify.service import ensure_account_email

    with db.unit_of_work() as uow:
        ensure_account_email(uow, uow.session.get_one(User, user_id))
        method = do_add_method(
            uow,
            SYSTEM,
            user_id,
            MethodCreate(type="sms", label="phone", address=number, verified=True),
        )
        if high_delays:
            email = uow.session.scalar(
                select(ContactMethod).where(
                    ContactMethod.user_id == user_id, ContactMethod.type == "email"
                )
            )
            if email is not None:
                do_add_rule(uow, SYSTEM, user_id, RuleCreate(urgency="high", contact_method_id=email.id, delay_minutes=0))  # fmt: skip
            for delay in high_delays:
                do_add_rule(uow, SYSTEM, user_id, RuleCreate(urgency="high", contact_method_id=method.id, delay_minutes=delay))  # fmt: skip
        uow.commit()
        return method.id
