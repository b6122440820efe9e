"""/api/v1/sso/group-rules: the rules mapping provider groups to roles and teams (admin)."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Response

from muster.domain.accounts import sso
from muster.domain.accounts import sso_rules as rules
from muster.domain.accounts.sso_rules import GroupRuleIn, GroupRuleOut
from muster.domain.events.actor import Role
from muster.web.api.common import PROBLEM_RESPONSES, ListOut
from muster.web.auth import Caller, api_caller
from muster.web.context import AppContext, app_context

router = APIRouter(prefix="/sso/group-rules", tags=["sso"], responses=PROBLEM_RESPONSES)


@router.get("", response_model=ListOut[GroupRuleOut], summary="List SSO group rules (admin)")
def list_rules(
    caller: Caller = Depends(api_caller(Role.ADMIN)), ctx: AppContext = Depends(app_context)
) -> ListOut[GroupRuleOut]:
    with ctx.db.unit_of_work(readonly=True) as uow:
        return ListOut(items=[GroupRuleOut.model_validate(r) for r in sso.list_group_rules(uow)])


@router.post("", response_model=GroupRuleOut, status_code=201, summary="Add a rule (admin)")
def create_rule(
    body: GroupRuleIn,
    response: Response,
    caller: Caller = Depends(api_caller(Role.ADMIN)),
    ctx: AppContext = Depends(app_context),
) -> GroupRuleOut:
    with ctx.db.unit_of_work() as uow:
        rule = rules.do_create_group_rule(uow, caller.actor, body)
        uow.commit()
        response.headers["Location"] = f"/api/v1/sso/group-rules/{rule.id}"
        return GroupRuleOut.model_validate(rule)


@router.get("/{rule_id}", response_model=GroupRuleOut, summary="Show a rule (admin)")
def show_rule(
    rule_id: str,
    caller: Caller = Depends(api_caller(Role.ADMIN)),
    ctx: AppContext = Depends(app_context),
) -> GroupRuleOut:
    with ctx.db.unit_of_work(readonly=True) as uow:
        return GroupRuleOut.model_validate(rules.get_group_rule(uow, rule_id))


@router.put("/{rule_id}", response_model=GroupRuleOut, summary="Replace a rule (admin)")
def update_rule(
    rule_id: str,
    body: GroupRuleIn,
    caller: Caller = Depends(api_caller(Role.ADMIN)),
    ctx: AppContext = Depends(app_context),
) -> GroupRuleOut:
    with ctx.db.unit_of_work() as uow:
        rule = rules.do_update_group_rule(uow, caller.actor, rule_id, body)
        uow.commit()
        return GroupRuleOut.model_validate(rule)


@router.delete("/{rule_id}", status_code=204, summary="Delete a rule (admin)")
def delete_rule(
    rule_id: str,
    caller: Caller = Depends(api_caller(Role.ADMIN)),
    ctx: AppContext = Depends(app_context),
) -> Response:
    with ctx.db.unit_of_work() as uow:
        rules.do_delete_group_rule(uow, caller.actor, rule_id)
        uow.commit()
    return Response(status_code=204)
