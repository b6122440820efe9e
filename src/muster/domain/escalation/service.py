"""Commands and queries on escalation policies, and which policy pages for a service.

Managers edit policies and assign them; everyone may read them.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from muster.db.pagination import Page, paginate
from muster.db.uow import UnitOfWork
from muster.domain.accounts.models import Team, User
from muster.domain.accounts.permissions import require
from muster.domain.catalog.models import Service
from muster.domain.catalog.service import check_team_usable, get_service
from muster.domain.escalation.models import EscalationLevel, EscalationPolicy
from muster.domain.escalation.schemas import (
    LevelIn,
    LevelOut,
    PolicyCreate,
    PolicyOut,
    PolicyUpdate,
    ServicePagingIn,
    ServicePagingOut,
    ServiceRef,
    TargetOut,
)
from muster.domain.events.actor import Actor, Role
from muster.domain.events.service import append_event
from muster.domain.oncall.models import Schedule
from muster.errors import Conflict, FieldError, InvalidInput, NotFound


def _target_row(uow: UnitOfWork, kind: str, target_id: str) -> User | Schedule | Team | None:
    if kind == "user":
        return uow.session.get(User, target_id)
    if kind == "schedule":
        return uow.session.get(Schedule, target_id)
    if kind == "team":
        return uow.session.get(Team, target_id)
    return None


def check_policy_name_free(uow: UnitOfWork, name: str, *, except_id: str | None = None) -> None:
    query = select(EscalationPolicy.id).where(func.lower(EscalationPolicy.name) == name.lower())
    if except_id:
        query = query.where(EscalationPolicy.id != except_id)
    if uow.session.scalar(query):
        raise Conflict(
            "an escalation policy with this name exists",
            errors=[FieldError("name", "already taken")],
        )


def check_levels(uow: UnitOfWork, levels: Sequence[LevelIn], *, field: str = "levels") -> None:
    """Every target names an active user, schedule or team; raises naming each bad one."""
    errors: list[FieldError] = []
    for i, level in enumerate(levels):
        for j, target in enumerate(level.targets):
            row = _target_row(uow, target.type, target.id)
            if row is None or row.archived_at is not None:
                errors.append(
                    FieldError(
                        f"{field}.{i}.targets.{j}.id", f"no active {target.type} has this id"
                    )
                )
    if errors:
        raise InvalidInput("unknown escalation targets", errors=errors)


def do_create_policy(uow: UnitOfWork, actor: Actor, data: PolicyCreate) -> EscalationPolicy:
    require(actor, Role.MANAGER)
    team = check_team_usable(uow, data.team_id)
    check_policy_name_free(uow, data.name)
    check_levels(uow, data.levels)
    policy = EscalationPolicy(
        name=data.name,
        description=data.description,
        team_id=team.id,
        repeat_count=data.repeat_count,
        ack_timeout_minutes=data.ack_timeout_minutes,
        created_at=uow.now,
        updated_at=uow.now,
    )
    policy.levels = _levels(data.levels)
    uow.session.add(policy)
    uow.flush()
    append_event(
        uow,
        actor,
        "escalation_policy.created",
        subject_type="escalation_policy",
        subject_id=policy.id,
        data={
            "name": policy.name,
            "team_id": team.id,
            "repeat_count": policy.repeat_count,
            "ack_timeout_minutes": policy.ack_timeout_minutes,
            "levels": _levels_json(policy),
        },
    )
    return policy


def do_update_policy(
    uow: UnitOfWork, actor: Actor, policy_id: str, data: PolicyUpdate
) -> EscalationPolicy:
    require(actor, Role.MANAGER)
    policy = get_policy(uow, policy_id)
    changes: dict[str, object] = {}
    if data.name is not None and data.name != policy.name:
        check_policy_name_free(uow, data.name, except_id=policy.id)
        changes["name"] = {"from": policy.name, "to": data.name}
        policy.name = data.name
    if data.team_id is not None and data.team_id != policy.team_id:
        check_team_usable(uow, data.team_id)
        changes["team_id"] = {"from": policy.team_id, "to": data.team_id}
        policy.team_id = data.team_id
    given = data.model_fields_set
    for name in ("description", "repeat_count", "ack_timeout_minutes"):
        value = getattr(data, name)
        clearable = name == "ack_timeout_minutes" and name in given
        if (value is not None or clearable) and value != getattr(policy, name):
            changes[name] = {"from": getattr(policy, name), "to": value}
            setattr(policy, name, value)
    if data.levels is not None:
        _replace_levels(uow, policy, data.levels, changes)
    if changes:
        policy.updated_at = uow.now
        append_event(
            uow,
            actor,
            "escalation_policy.updated",
            subject_type="escalation_policy",
            subject_id=policy.id,
            data=changes,
        )
    return policy


def do_set_levels(
    uow: UnitOfWork, actor: Actor, policy_id: str, levels: Sequence[LevelIn]
) -> EscalationPolicy:
    """Replace every level of the policy. Running escalations keep their snapshot."""
    return do_update_policy(uow, actor, policy_id, PolicyUpdate(levels=list(levels)))


def _replace_levels(
    uow: UnitOfWork, policy: EscalationPolicy, levels: Sequence[LevelIn], changes: dict[str, object]
) -> None:
    check_levels(uow, levels)
    before = _levels_json(policy)
    after = [
        {"delay_minutes": lv.delay_minutes, "targets": [t.model_dump() for t in lv.targets]}
        for lv in levels
    ]
    if before == after:
        return
    policy.levels.clear()
    uow.flush()  # old positions go before new ones take them
    policy.levels.extend(_levels(levels))
    changes["levels"] = {"from": before, "to": after}


def _levels(levels: Sequence[LevelIn]) -> list[EscalationLevel]:
    return [
        EscalationLevel(
            position=i, delay_minutes=lv.delay_minutes, targets=[t.model_dump() for t in lv.targets]
        )
        for i, lv in enumerate(levels)
    ]


def _levels_json(policy: EscalationPolicy) -> list[dict[str, Any]]:
    return [
        {"delay_minutes": lv.delay_minutes, "targets": list(lv.targets)} for lv in policy.levels
    ]


def do_archive_policy(uow: UnitOfWork, actor: Actor, policy_id: str) -> EscalationPolicy:
    """Archive a policy no service uses; running escalations carry on from their snapshot."""
    require(actor, Role.MANAGER)
    policy = get_policy(uow, policy_id)
    if policy.archived_at is not None:
        return policy
    users = services_using(uow, policy.id)
    if users:
        names = ", ".join(s.name for s in users[:5])
        raise Conflict(
            f"services still page through this policy: {names}; assign them another first",
            errors=[FieldError("services", names)],
        )
    policy.archived_at = policy.updated_at = uow.now
    append_event(
        uow,
        actor,
        "escalation_policy.archived",
        subject_type="escalation_policy",
        subject_id=policy.id,
    )
    return policy


def do_assign_policy(
    uow: UnitOfWork, actor: Actor, service_id: str, data: ServicePagingIn
) -> Service:
    """Set which policy pages for the service (and its urgency rules, when given)."""
    require(actor, Role.MANAGER)
    service = get_service(uow, service_id)
    changes: dict[str, object] = {}
    if (
        "escalation_policy_id" in data.model_fields_set
        and data.escalation_policy_id != service.escalation_policy_id
    ):
        if data.escalation_policy_id is not None:
            policy = uow.session.get(EscalationPolicy, data.escalation_policy_id)
            if policy is None or policy.archived_at is not None:
                raise InvalidInput(
                    "no such escalation policy",
                    errors=[
                        FieldError(
                            "escalation_policy_id", "no active escalation policy has this id"
                        )
                    ],
                )
        changes["escalation_policy_id"] = {
            "from": service.escalation_policy_id,
            "to": data.escalation_policy_id,
        }
        service.escalation_policy_id = data.escalation_policy_id
    if data.urgency_rules is not None:
        rules = data.urgency_rules.model_dump()
        if rules != service.urgency_rules:
            changes["urgency_rules"] = {"from": service.urgency_rules, "to": rules}
            service.urgency_rules = rules
    if changes:
        service.updated_at = uow.now
        append_event(
            uow,
            actor,
            "service.paging_changed",
            subject_type="service",
            subject_id=service.id,
            data=changes,
        )
    return service


def get_policy(uow: UnitOfWork, policy_id: str) -> EscalationPolicy:
    policy = uow.session.get(
        EscalationPolicy, policy_id, options=[selectinload(EscalationPolicy.levels)]
    )
    if policy is None:
        raise NotFound("no such escalation policy")
    return policy


def list_policies(
    uow: UnitOfWork,
    *,
    cursor: str | None = None,
    limit: int = 100,
    archived: bool = False,
    team_id: str | None = None,
) -> Page[EscalationPolicy]:
    query = (
        select(EscalationPolicy)
        .options(selectinload(EscalationPolicy.levels))
        .where(
            EscalationPolicy.archived_at.is_not(None)
            if archived
            else EscalationPolicy.archived_at.is_(None)
        )
    )
    if team_id:
        query = query.where(EscalationPolicy.team_id == team_id)
    return paginate(
        uow.session,
        query,
        sort=EscalationPolicy.name,
        tiebreak=EscalationPolicy.id,
        cursor=cursor,
        limit=limit,
    )


def services_using(uow: UnitOfWork, policy_id: str) -> list[Service]:
    return list(
        uow.session.scalars(
            select(Service)
            .where(Service.escalation_policy_id == policy_id, Service.archived_at.is_(None))
            .order_by(Service.name)
        )
    )


def target_names(uow: UnitOfWork, targets: Sequence[dict[str, Any]]) -> list[TargetOut]:
    """The targets with the names people know them by."""
    out = []
    for t in targets:
        row = _target_row(uow, str(t.get("type")), str(t.get("id")))
        name = "(unknown)" if row is None else row.name
        if row is not None and row.archived_at is not None:
            name += " (archived)"
        out.append(TargetOut(type=t["type"], id=t["id"], name=name))
    return out


def policy_out(uow: UnitOfWork, policy: EscalationPolicy) -> PolicyOut:
    team = uow.session.get_one(Team, policy.team_id)
    return PolicyOut(
        id=policy.id,
        name=policy.name,
        description=policy.description,
        team_id=policy.team_id,
        team_name=team.name,
        repeat_count=policy.repeat_count,
        ack_timeout_minutes=policy.ack_timeout_minutes,
        levels=[
            LevelOut(
                level=lv.position + 1,
                delay_minutes=lv.delay_minutes,
                targets=target_names(uow, lv.targets),
            )
            for lv in policy.levels
        ],
        services=[ServiceRef(id=s.id, name=s.name) for s in services_using(uow, policy.id)],
        created_at=policy.created_at,
        updated_at=policy.updated_at,
        archived_at=policy.archived_at,
    )


def paging_out(uow: UnitOfWork, service: Service) -> ServicePagingOut:
    policy = (
        uow.session.get(EscalationPolicy, service.escalation_policy_id)
        if service.escalation_policy_id
        else None
    )
    return ServicePagingOut(
        service_id=service.id,
        service_name=service.name,
        escalation_policy_id=service.escalation_policy_id,
        escalation_policy_name=policy.name if policy else None,
        urgency_rules=service.urgency_rules,
    )
