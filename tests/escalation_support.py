"""Building a paging world for escalation tests: people, a team, a service with an
intake door, schedules (rows made directly) and policies; triggering and reading back."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select

from helpers import SYSTEM, make_person
from muster.db.uow import Database
from muster.domain.accounts.schemas import MemberAdd, TeamCreate
from muster.domain.accounts.service import do_add_team_member, do_create_team
from muster.domain.alerts.ingest import do_ingest
from muster.domain.alerts.integrations import do_create_integration
from muster.domain.alerts.models import AlertGroup, Integration
from muster.domain.alerts.schemas import IntegrationCreate
from muster.domain.catalog.schemas import ServiceCreate
from muster.domain.catalog.service import do_create_service
from muster.domain.escalation.models import Escalation
from muster.domain.escalation.schemas import PolicyCreate, ServicePagingIn
from muster.domain.escalation.service import do_assign_policy, do_create_policy
from muster.domain.events.models import Event
from muster.domain.oncall.models import RotationVersion, Schedule, ScheduleLayer, ScheduleOverride
from muster.integrations.normalized import InboundAlert


@dataclass
class World:
    """alice, bob and carol respond; maria manages the team that owns the service."""

    alice: str
    bob: str
    carol: str
    maria: str
    team: str
    service: str
    integration: str


def build_world(db: Database) -> World:
    ids = {
        n: make_person(db, "responder", f"{n}@example.com").id for n in ("alice", "bob", "carol")
    }
    ids["maria"] = make_person(db, "manager", "maria@example.com").id
    with db.unit_of_work() as uow:
        team = do_create_team(uow, SYSTEM, TeamCreate(name="Core"))
        for name, role in (("alice", "member"), ("bob", "member"), ("maria", "manager")):
            do_add_team_member(uow, SYSTEM, team.id, MemberAdd(user_id=ids[name], role=role))
        service = do_create_service(uow, SYSTEM, ServiceCreate(name="checkout", team_id=team.id))
        door = do_create_integration(uow, SYSTEM, service.id, IntegrationCreate(type="pagerduty"))
        uow.commit()
        return World(team=team.id, service=service.id, integration=door.id, **ids)


def make_policy(
    db: Database, world: World, levels: list[list[dict[str, str]]], *, name: str = "Checkout",
    delay: int = 5, assign: bool = True, **extra: Any,
) -> str:  # fmt: skip
    """A policy whose levels page ``levels`` (lists of targets), each ``delay`` minutes."""
    data = PolicyCreate(
        name=name, team_id=world.team,
        levels=[{"delay_minutes": delay, "targets": targets} for targets in levels],  # type: ignore[misc]
        **extra,
    )  # fmt: skip
    with db.unit_of_work() as uow:
        policy = do_create_policy(uow, SYSTEM, data)
        if assign:
            do_assign_policy(
                uow, SYSTEM, world.service, ServicePagingIn(escalation_policy_id=policy.id)
            )
        uow.commit()
        return policy.id


def user(user_id: str) -> dict[str, str]:
    return {"type": "user", "id": user_id}


def make_schedule(
    db: Database, world: World, name: str, participants: list[str], start: datetime,
    *, overrides: tuple[tuple[str, datetime, datetime], ...] = (),
) -> str:  # fmt: skip
    """A one-layer weekly rotation of ``participants`` from ``start`` (empty list: a schedule
    with no layers, where nobody is ever on call)."""
    with db.unit_of_work() as uow:
        now = uow.now
        schedule = Schedule(
            name=name, team_id=world.team, time_zone="UTC", created_at=now, updated_at=now
        )
        uow.session.add(schedule)
        uow.flush()
        if participants:
            layer = ScheduleLayer(schedule_id=schedule.id, name="Primary", rank=1, created_at=now)
            uow.session.add(layer)
            uow.flush()
            uow.session.add(
                RotationVersion(
                    layer_id=layer.id,
                    participants=participants,
                    start=start,
                    turn_length=1,
                    turn_unit="weeks",
                    restrictions=[],
                    effective_from=None,
                    effective_until=None,
                    created_at=now,
                )
            )
        for user_id, starts, ends in overrides:
            uow.session.add(
                ScheduleOverride(
                    schedule_id=schedule.id,
                    user_id=user_id,
                    starts_at=starts,
                    ends_at=ends,
                    created_at=now,
                    created_by="test",
                )
            )
        uow.commit()
        return schedule.id  # fmt: skip


def trigger(
    db: Database, world: World, key: str = "disk-1", severity: str = "critical", **labels: str
) -> str:
    """Send one alert through intake; returns its group's id."""
    alert = InboundAlert(
        action="trigger",
        dedup_key=key,
        summary=f"{key} is failing",
        severity=severity,
        source="host-1",
        labels=labels,
    )  # type: ignore[arg-type]
    with db.unit_of_work() as uow:
        door = uow.session.get_one(Integration, world.integration)
        outcome = do_ingest(uow, door, [alert])[0]
        uow.commit()
    assert outcome.group_id is not None
    return outcome.group_id


def notified(db: Database, group_id: str | None = None) -> list[tuple[str, Any, int, str]]:
    """(user id, level, loop, reason) of each ``notification.requested``, oldest first."""
    return [
        (e.data["user_id"], e.data["level"], e.data["loop"], e.data["reason"])
        for e in events(db, "notification.requested", group_id)
    ]


def events(db: Database, type_: str, group_id: str | None = None) -> list[Event]:
    with db.unit_of_work(readonly=True) as uow:
        query = select(Event).where(Event.type == type_).order_by(Event.position)
        if group_id is not None:
            query = query.where(Event.subject_id == group_id)
        rows = list(uow.session.scalars(query))
        uow.session.expunge_all()
        return rows


def escalation(db: Database, group_id: str) -> Escalation:
    with db.unit_of_work(readonly=True) as uow:
        row = uow.session.scalars(select(Escalation).where(Escalation.group_id == group_id)).one()
        uow.session.expunge(row)
        return row


def group_status(db: Database, group_id: str) -> str:
    with db.unit_of_work(readonly=True) as uow:
        return uow.session.get_one(AlertGroup, group_id).status
