"""A paging world for the fault tests, built through the domain: a service with an
Alertmanager and a PagerDuty door, people paged by webhook, a policy; and time passing
for the engine (timers pulled forward)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from sqlalchemy import func, select, text

from helpers import SYSTEM, make_person
from muster.db.uow import Database
from muster.domain.accounts.schemas import TeamCreate
from muster.domain.accounts.service import do_create_team
from muster.domain.alerts.ingest import do_ingest
from muster.domain.alerts.integrations import do_create_integration
from muster.domain.alerts.models import Integration
from muster.domain.alerts.schemas import IntegrationCreate
from muster.domain.catalog.schemas import ServiceCreate
from muster.domain.catalog.service import do_create_service
from muster.domain.escalation.models import Escalation
from muster.domain.escalation.schemas import PolicyCreate, ServicePagingIn
from muster.domain.escalation.service import do_assign_policy, do_create_policy
from muster.domain.notify.models import OutboxMessage
from muster.domain.notify.schemas import MethodCreate
from muster.domain.notify.service import do_add_method
from muster.integrations.normalized import InboundAlert


@dataclass
class World:
    service: str
    alertmanager_key: str
    pagerduty_key: str
    users: list[str]  # user ids, each with one verified webhook method
    levels: int = 0
    repeat: int = 0


def build_world(
    db: Database, *, users: int = 0, hook_base: str = "", levels: int = 0, repeat: int = 0,
    per_level: int = 1,
) -> World:  # fmt: skip
    """A service with an Alertmanager and a PagerDuty door; with ``levels``, a policy of
    that many levels (``per_level`` users each, 1 minute apart, ``repeat`` more passes)
    pages ``users`` people, each by a webhook to ``hook_base``/<user id>."""
    ids = [make_person(db, "responder", f"u{i}-{uuid.uuid4().hex[:6]}@example.com").id
           for i in range(users)]  # fmt: skip
    with db.unit_of_work() as uow:
        team = do_create_team(uow, SYSTEM, TeamCreate(name=f"team-{uuid.uuid4().hex[:6]}"))
        service = do_create_service(uow, SYSTEM, ServiceCreate(name="payments", team_id=team.id))
        keys = {}
        for kind in ("alertmanager", "pagerduty"):
            door = do_create_integration(
                uow,
                SYSTEM,
                service.id,
                IntegrationCreate(type=kind, rate_limit_per_minute=1_000_000),
            )
            keys[kind] = door.key
        for user_id in ids:
            do_add_method(uow, SYSTEM, user_id, MethodCreate(
                type="webhook", label="hook", address=f"{hook_base}/{user_id}", verified=True))  # fmt: skip
        if levels:
            targets = [[{"type": "user", "id": ids[(lvl * per_level + k) % len(ids)]}
                        for k in range(per_level)] for lvl in range(levels)]  # fmt: skip
            policy = do_create_policy(uow, SYSTEM, PolicyCreate(
                name="payments", team_id=team.id, repeat_count=repeat,
                levels=[{"delay_minutes": 1, "targets": t} for t in targets],  # type: ignore[misc]
            ))  # fmt: skip
            do_assign_policy(
                uow, SYSTEM, service.id, ServicePagingIn(escalation_policy_id=policy.id)
            )
        uow.commit()
    return World(service.id, keys["alertmanager"], keys["pagerduty"], ids, levels, repeat)


def pull_timers_forward(db: Database) -> int:
    """Time passing, for the engine: escalation steps not yet due are due now."""
    with db.engine.begin() as conn:
        now = db.clock.now()
        result = conn.execute(
            text("UPDATE escalations SET next_due_at = :now WHERE next_due_at > :now"),
            {"now": now},
        )
        return int(result.rowcount or 0)


def trigger_groups(db: Database, world: World, count: int) -> list[str]:
    """``count`` new alert groups on the service, through intake; returns their ids."""
    with db.unit_of_work() as uow:
        door = uow.session.scalars(
            select(Integration).where(Integration.key == world.pagerduty_key)
        ).one()
        alerts = [
            InboundAlert(action="trigger", dedup_key=f"g{i}-{uuid.uuid4().hex[:6]}",
                         summary=f"checkout {i} failing", severity="critical", source="test")  # type: ignore[arg-type]
            for i in range(count)
        ]  # fmt: skip
        outcomes = do_ingest(uow, door, alerts)
        uow.commit()
    return [o.group_id for o in outcomes if o.group_id]


def settled(db: Database, escalations: int, pages: int | None = None) -> bool:
    """``escalations`` escalations ran to their end, (``pages`` pages were queued,) and no
    message waits to be sent."""
    with db.unit_of_work(readonly=True) as uow:
        exhausted = uow.session.scalar(
            select(func.count()).select_from(Escalation).where(Escalation.status == "exhausted")
        )
        unsent = uow.session.scalar(
            select(func.count())
            .select_from(OutboxMessage)
            .where(OutboxMessage.status.in_(("queued", "sending")))
        )
        queued = uow.session.scalar(
            select(func.count()).select_from(OutboxMessage).where(OutboxMessage.purpose == "page")
        )
    return exhausted == escalations and unsent == 0 and pages in (None, queued)
