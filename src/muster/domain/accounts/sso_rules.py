"""Admin-editable rules mapping a provider group to a Muster account role and/or a team."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

from muster.db.uow import UnitOfWork
from muster.domain.accounts.models import Team
from muster.domain.accounts.permissions import require
from muster.domain.accounts.schemas import RoleName, Strict
from muster.domain.accounts.sso_models import SsoGroupRule
from muster.domain.events.actor import Actor, Role
from muster.domain.events.service import append_event
from muster.errors import FieldError, InvalidInput, NotFound

GroupName = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
FIELDS = ("group_name", "team_id", "team_role", "account_role", "position")


class GroupRuleIn(Strict):
    group_name: GroupName
    team_id: str | None = Field(default=None, max_length=36)
    team_role: Literal["member", "manager"] | None = None
    account_role: RoleName | None = None
    position: int = Field(default=0, ge=0, le=100_000)

    @model_validator(mode="after")
    def _does_something(self) -> GroupRuleIn:
        if not self.team_id and not self.account_role:
            raise ValueError("a rule needs a team, an account role, or both")
        if self.team_role and not self.team_id:
            raise ValueError("a team role needs a team")
        return self


class GroupRuleOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    group_name: str
    team_id: str | None
    team_role: str | None
    account_role: str | None
    position: int
    created_at: datetime
    updated_at: datetime


def check_rule_team(uow: UnitOfWork, data: GroupRuleIn) -> None:
    if data.team_id is None:
        return
    team = uow.session.get(Team, data.team_id)
    if team is None or team.archived_at is not None:
        raise InvalidInput(
            "no such team", errors=[FieldError("team_id", "no active team has this id")]
        )


def _values(rule: SsoGroupRule) -> dict[str, object]:
    return {f: getattr(rule, f) for f in FIELDS}


def do_create_group_rule(uow: UnitOfWork, actor: Actor, data: GroupRuleIn) -> SsoGroupRule:
    """Add a rule. Needs admin."""
    require(actor, Role.ADMIN)
    check_rule_team(uow, data)
    rule = SsoGroupRule(
        group_name=data.group_name,
        team_id=data.team_id,
        team_role=(data.team_role or "member") if data.team_id else None,
        account_role=data.account_role,
        position=data.position,
        created_at=uow.now,
        updated_at=uow.now,
    )
    uow.session.add(rule)
    uow.flush()
    append_event(uow, actor, "sso.group_rule_created", subject_type="sso_group_rule",
                 subject_id=rule.id, data=_values(rule))  # fmt: skip
    return rule


def do_update_group_rule(
    uow: UnitOfWork, actor: Actor, rule_id: str, data: GroupRuleIn
) -> SsoGroupRule:
    """Replace a rule's fields. Needs admin."""
    require(actor, Role.ADMIN)
    rule = get_group_rule(uow, rule_id)
    check_rule_team(uow, data)
    before = _values(rule)
    rule.group_name = data.group_name
    rule.team_id = data.team_id
    rule.team_role = (data.team_role or "member") if data.team_id else None
    rule.account_role = data.account_role
    rule.position = data.position
    after = _values(rule)
    changes = {f: {"from": before[f], "to": after[f]} for f in FIELDS if before[f] != after[f]}
    if changes:
        rule.updated_at = uow.now
        append_event(uow, actor, "sso.group_rule_updated", subject_type="sso_group_rule",
                     subject_id=rule.id, data=changes)  # fmt: skip
    return rule


def do_delete_group_rule(uow: UnitOfWork, actor: Actor, rule_id: str) -> None:
    """Delete a rule. Needs admin. Memberships it gave stay until the next login."""
    require(actor, Role.ADMIN)
    rule = get_group_rule(uow, rule_id)
    data = _values(rule)
    uow.session.delete(rule)
    append_event(uow, actor, "sso.group_rule_deleted", subject_type="sso_group_rule",
                 subject_id=rule_id, data=data)  # fmt: skip


def get_group_rule(uow: UnitOfWork, rule_id: str) -> SsoGroupRule:
    rule = uow.session.get(SsoGroupRule, rule_id)
    if rule is None:
        raise NotFound("no such group rule")
    return rule
