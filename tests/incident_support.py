"""Building incident scenarios: people as actors, a team and a service, declaring."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import select

from helpers import SYSTEM, make_person
from muster.db.uow import Database
from muster.domain.accounts.models import User
from muster.domain.accounts.schemas import MemberAdd, TeamCreate
from muster.domain.accounts.service import do_add_team_member, do_create_team
from muster.domain.catalog.schemas import ServiceCreate
from muster.domain.catalog.service import do_create_service
from muster.domain.events.actor import Actor, Role, Via
from muster.domain.events.models import Event
from muster.domain.incidents.schemas import IncidentCreate
from muster.domain.incidents.service import do_declare_incident


def actor_for(db: Database, user_id: str, via: Via = Via.API) -> Actor:
    with db.unit_of_work(readonly=True) as uow:
        user = uow.session.get_one(User, user_id)
        return Actor(kind="user", id=user.id, label=user.email, role=Role.parse(user.role), via=via)


@dataclass
class Cast:
    """ic, resp and outsider respond; boss manages; sec is on the security team; admin."""

    ic: Actor
    resp: Actor
    outsider: Actor
    viewer: Actor
    boss: Actor
    sec: Actor
    admin: Actor
    team: str
    service: str


def build_cast(db: Database) -> Cast:
    roles = {
        "ic": "responder", "resp": "responder", "outsider": "responder", "viewer": "viewer",
        "boss": "manager", "sec": "responder", "admin": "admin",
    }  # fmt: skip
    ids = {n: make_person(db, r, f"{n}@example.com").id for n, r in roles.items()}
    with db.unit_of_work() as uow:
        team = do_create_team(uow, SYSTEM, TeamCreate(name="Core"))
        security = do_create_team(uow, SYSTEM, TeamCreate(name="Security"))
        security.sees_restricted = True
        do_add_team_member(uow, SYSTEM, security.id, MemberAdd(user_id=ids["sec"], role="member"))
        service = do_create_service(uow, SYSTEM, ServiceCreate(name="checkout", team_id=team.id))
        uow.commit()
        team_id, service_id = team.id, service.id
    actors = {n: actor_for(db, i) for n, i in ids.items()}
    return Cast(team=team_id, service=service_id, **actors)


def declare(db: Database, actor: Actor, **fields: Any) -> str:
    data = {"title": "Checkout is down", **fields}
    with db.unit_of_work() as uow:
        incident = do_declare_incident(uow, actor, IncidentCreate.model_validate(data))
        uow.commit()
        return incident.id


def incident_events(db: Database, incident_id: str) -> list[Event]:
    with db.unit_of_work(readonly=True) as uow:
        return list(
            uow.session.scalars(
                select(Event).where(Event.stream == f"incident:{incident_id}").order_by(Event.seq)
            )
        )
