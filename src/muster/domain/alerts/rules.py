"""Routing rules: stored, ordered, edited by managers, loaded for intake."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Row, func, select

from muster.db.uow import UnitOfWork
from muster.domain.accounts.permissions import require
from muster.domain.alerts.models import RoutingRule
from muster.domain.alerts.routing import Condition, Rule, RuleActions
from muster.domain.alerts.schemas import RuleIn
from muster.domain.catalog.models import Service
from muster.domain.events.actor import Actor, Role
from muster.domain.events.service import append_event
from muster.errors import FieldError, InvalidInput, NotFound

_ENABLED = (
    select(RoutingRule.id, RoutingRule.name, RoutingRule.match, RoutingRule.conditions, RoutingRule.actions)
    .where(RoutingRule.enabled.is_(True))
    .order_by(RoutingRule.position, RoutingRule.created_at)
)  # fmt: skip


def load_rules(uow: UnitOfWork) -> list[Rule]:
    """The enabled rules in order, ready for :func:`muster.domain.alerts.routing.first_match`
    (read as plain rows: intake loads them for every batch)."""
    return [to_rule(row) for row in uow.session.execute(_ENABLED)]


def to_rule(row: RoutingRule | Row[Any]) -> Rule:
    actions: dict[str, Any] = row.actions
    return Rule(
        id=row.id, name=row.name, match="any" if row.match == "any" else "all",
        conditions=[Condition(c["field"], c["op"], c.get("value", "")) for c in row.conditions],
        actions=RuleActions(
            route_to_service_id=actions.get("route_to_service_id"), set_severity=actions.get("set_severity"),
            add_labels=actions.get("add_labels") or {}, suppress=bool(actions.get("suppress")),
            drop=bool(actions.get("drop")),
        ),
    )  # fmt: skip


def list_rules(uow: UnitOfWork) -> Sequence[RoutingRule]:
    return uow.session.scalars(
        select(RoutingRule).order_by(RoutingRule.position, RoutingRule.created_at)
    ).all()


def get_rule(uow: UnitOfWork, rule_id: str) -> RoutingRule:
    row = uow.session.get(RoutingRule, rule_id)
    if row is None:
        raise NotFound("no such routing rule")
    return row


def _check_target(uow: UnitOfWork, data: RuleIn) -> None:
    target = data.actions.route_to_service_id
    if target and not uow.session.scalar(
        select(func.count())
        .select_from(Service)
        .where(Service.id == target, Service.archived_at.is_(None))
    ):
        raise InvalidInput(
            "no such service",
            errors=[FieldError("actions.route_to_service_id", "no active service has this id")],
        )


def _snapshot(row: RoutingRule) -> dict[str, Any]:
    return {"name": row.name, "enabled": row.enabled, "match": row.match, "position": row.position,
            "conditions": row.conditions, "actions": row.actions}  # fmt: skip


def do_create_rule(uow: UnitOfWork, actor: Actor, data: RuleIn) -> RoutingRule:
    require(actor, Role.MANAGER)
    _check_target(uow, data)
    if data.position is None:
        last = uow.session.scalar(select(func.max(RoutingRule.position)))
        position = (last or 0) + 10
    else:
        position = data.position
    row = RoutingRule(
        position=position, name=data.name, enabled=data.enabled, match=data.match,
        conditions=[c.model_dump() for c in data.conditions], actions=data.actions.model_dump(),
        created_at=uow.now, updated_at=uow.now,
    )  # fmt: skip
    uow.session.add(row)
    uow.flush()
    append_event(uow, actor, "routing_rule.created", subject_type="routing_rule", subject_id=row.id,
                 data=_snapshot(row))  # fmt: skip
    return row


def do_update_rule(uow: UnitOfWork, actor: Actor, rule_id: str, data: RuleIn) -> RoutingRule:
    require(actor, Role.MANAGER)
    row = get_rule(uow, rule_id)
    _check_target(uow, data)
    before = _snapshot(row)
    row.name, row.enabled, row.match = data.name, data.enabled, data.match
    row.conditions = [c.model_dump() for c in data.conditions]
    row.actions = data.actions.model_dump()
    if data.position is not None:
        row.position = data.position
    row.updated_at = uow.now
    append_event(uow, actor, "routing_rule.updated", subject_type="routing_rule", subject_id=row.id,
                 data={"before": before, "after": _snapshot(row)})  # fmt: skip
    return row


def do_delete_rule(uow: UnitOfWork, actor: Actor, rule_id: str) -> None:
    require(actor, Role.MANAGER)
    row = get_rule(uow, rule_id)
    append_event(uow, actor, "routing_rule.deleted", subject_type="routing_rule", subject_id=row.id,
                 data=_snapshot(row))  # fmt: skip
    uow.session.delete(row)
