"""``routing_rules/``: the global, ordered routing rules by name; a rule routing to a
service names it."""

from __future__ import annotations

from typing import Any, ClassVar

from pydantic import Field

from muster.db.uow import UnitOfWork
from muster.domain.alerts.models import RoutingRule
from muster.domain.alerts.rules import do_create_rule, do_delete_rule, do_update_rule
from muster.domain.alerts.schemas import ActionsIn, ConditionIn, RuleIn, Severity, ShortName
from muster.domain.catalog.models import Service
from muster.domain.catalog.schemas import ServiceName
from muster.domain.config_code.kind import Current, FileSchema, Ref, dump_doc
from muster.domain.config_code.kinds.lookup import id_named, names_by_id
from muster.domain.events.actor import Actor


class RuleActionsDoc(FileSchema):
    route_to_service: ServiceName | None = None
    set_severity: Severity | None = None
    add_labels: dict[str, str] = Field(default_factory=dict, max_length=50)
    suppress: bool = False
    drop: bool = False


class RuleDoc(FileSchema):
    name: ShortName
    position: int = Field(ge=0, le=100_000)
    enabled: bool = True
    match: str = Field(default="all", pattern="^(all|any)$")
    conditions: list[ConditionIn] = Field(min_length=1, max_length=50)
    actions: RuleActionsDoc


class RoutingRulesKind:
    folder: ClassVar[str] = "routing_rules"
    key: ClassVar[str] = "name"
    label: ClassVar[str] = "routing rule"
    schema: ClassVar[type[FileSchema]] = RuleDoc

    def name_of(self, doc: Any) -> str:
        return str(doc.name)

    def current(self, uow: UnitOfWork) -> dict[str, Current]:
        services = names_by_id(uow, Service)
        out: dict[str, Current] = {}
        rows = uow.session.query(RoutingRule).order_by(RoutingRule.position, RoutingRule.id)
        for row in rows:
            actions = dict(row.actions)
            target = actions.pop("route_to_service_id", None)
            doc = RuleDoc.model_construct(
                name=row.name, position=row.position, enabled=row.enabled, match=row.match,
                conditions=[ConditionIn.model_construct(**c) for c in row.conditions],
                actions=RuleActionsDoc.model_construct(
                    **{**RuleActionsDoc().model_dump(), **actions,
                       "route_to_service": services.get(target) if target else None}
                ),
            )  # fmt: skip
            out.setdefault(row.name, (row.id, dump_doc(doc)))
        return out

    def references(self, doc: Any) -> list[Ref]:
        target = doc.actions.route_to_service
        return [Ref(("actions", "route_to_service"), "services", target)] if target else []

    def _rule(self, uow: UnitOfWork, doc: RuleDoc) -> RuleIn:
        actions = doc.actions.model_dump(exclude={"route_to_service"})
        if doc.actions.route_to_service:
            actions["route_to_service_id"] = id_named(
                uow, Service, doc.actions.route_to_service, field="actions.route_to_service"
            )
        return RuleIn(
            name=doc.name, enabled=doc.enabled, match="any" if doc.match == "any" else "all",
            conditions=doc.conditions, actions=ActionsIn(**actions), position=doc.position,
        )  # fmt: skip

    def create(self, uow: UnitOfWork, actor: Actor, doc: RuleDoc) -> str:
        return do_create_rule(uow, actor, self._rule(uow, doc)).id

    def update(self, uow: UnitOfWork, actor: Actor, object_id: str, doc: RuleDoc) -> None:
        do_update_rule(uow, actor, object_id, self._rule(uow, doc))

    def delete(self, uow: UnitOfWork, actor: Actor, object_id: str) -> None:
        do_delete_rule(uow, actor, object_id)
