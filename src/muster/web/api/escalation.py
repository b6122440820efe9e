"""/api/v1/escalation-policies, a service's paging settings, and the escalation of an
alert group (state and the escalate-now, reassign and snooze actions)."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Query, Response

from muster.domain.catalog.service import get_service
from muster.domain.escalation import actions
from muster.domain.escalation import service as policies
from muster.domain.escalation.schemas import (
    EscalationOut,
    LevelsIn,
    PolicyCreate,
    PolicyOut,
    PolicyUpdate,
    ReassignIn,
    ServicePagingIn,
    ServicePagingOut,
    SnoozeIn,
)
from muster.domain.events.actor import Role
from muster.web.api.common import PROBLEM_RESPONSES, ListOut
from muster.web.auth import Caller, api_caller
from muster.web.context import AppContext, app_context

router = APIRouter(tags=["escalation"], responses=PROBLEM_RESPONSES)
POLICIES = "/escalation-policies"


@router.get(POLICIES, response_model=ListOut[PolicyOut], summary="List escalation policies")
def list_policies(
    cursor: str | None = None,
    limit: int = Query(100, ge=1, le=500),
    archived: bool = False,
    team_id: str | None = Query(None, max_length=36),
    caller: Caller = Depends(api_caller(Role.VIEWER)),
    ctx: AppContext = Depends(app_context),
) -> ListOut[PolicyOut]:
    with ctx.db.unit_of_work(readonly=True) as uow:
        page = policies.list_policies(
            uow, cursor=cursor, limit=limit, archived=archived, team_id=team_id
        )
        items = [policies.policy_out(uow, p) for p in page.items]
        return ListOut(items=items, next_cursor=page.next_cursor)


@router.post(
    POLICIES, response_model=PolicyOut, status_code=201, summary="Create a policy (manager)"
)
def create_policy(
    body: PolicyCreate,
    response: Response,
    caller: Caller = Depends(api_caller(Role.MANAGER)),
    ctx: AppContext = Depends(app_context),
) -> PolicyOut:
    with ctx.db.unit_of_work() as uow:
        policy = policies.do_create_policy(uow, caller.actor, body)
        uow.commit()
        response.headers["Location"] = f"/api/v1{POLICIES}/{policy.id}"
    return _fresh(ctx, policy.id)


@router.get(POLICIES + "/{policy_id}", response_model=PolicyOut, summary="Show a policy")
def show_policy(
    policy_id: str,
    caller: Caller = Depends(api_caller(Role.VIEWER)),
    ctx: AppContext = Depends(app_context),
) -> PolicyOut:
    return _fresh(ctx, policy_id)


@router.patch(POLICIES + "/{policy_id}", response_model=PolicyOut, summary="Edit (manager)")
def update_policy(
    policy_id: str,
    body: PolicyUpdate,
    caller: Caller = Depends(api_caller(Role.MANAGER)),
    ctx: AppContext = Depends(app_context),
) -> PolicyOut:
    with ctx.db.unit_of_work() as uow:
        policies.do_update_policy(uow, caller.actor, policy_id, body)
        uow.commit()
    return _fresh(ctx, policy_id)


@router.put(
    POLICIES + "/{policy_id}/levels",
    response_model=PolicyOut,
    summary="Replace every level (manager); running escalations keep their snapshot",
)
def set_levels(
    policy_id: str,
    body: LevelsIn,
    caller: Caller = Depends(api_caller(Role.MANAGER)),
    ctx: AppContext = Depends(app_context),
) -> PolicyOut:
    with ctx.db.unit_of_work() as uow:
        policies.do_set_levels(uow, caller.actor, policy_id, body.levels)
        uow.commit()
    return _fresh(ctx, policy_id)


@router.post(
    POLICIES + "/{policy_id}/archive", response_model=PolicyOut, summary="Archive (manager)"
)
def archive_policy(
    policy_id: str,
    caller: Caller = Depends(api_caller(Role.MANAGER)),
    ctx: AppContext = Depends(app_context),
) -> PolicyOut:
    with ctx.db.unit_of_work() as uow:
        policies.do_archive_policy(uow, caller.actor, policy_id)
        uow.commit()
    return _fresh(ctx, policy_id)


@router.get(
    "/services/{service_id}/escalation-policy",
    response_model=ServicePagingOut,
    summary="Which policy pages for a service, and its urgency rules",
)
def show_service_paging(
    service_id: str,
    caller: Caller = Depends(api_caller(Role.VIEWER)),
    ctx: AppContext = Depends(app_context),
) -> ServicePagingOut:
    with ctx.db.unit_of_work(readonly=True) as uow:
        return policies.paging_out(uow, get_service(uow, service_id))


@router.patch(
    "/services/{service_id}/escalation-policy",
    response_model=ServicePagingOut,
    summary="Set the policy that pages for a service, and its urgency rules (manager)",
)
def update_service_paging(
    service_id: str,
    body: ServicePagingIn,
    caller: Caller = Depends(api_caller(Role.MANAGER)),
    ctx: AppContext = Depends(app_context),
) -> ServicePagingOut:
    with ctx.db.unit_of_work() as uow:
        service = policies.do_assign_policy(uow, caller.actor, service_id, body)
        uow.commit()
        return policies.paging_out(uow, service)


@router.get(
    "/alert-groups/{group_id}/escalation",
    response_model=EscalationOut,
    summary="Where the group's escalation stands",
)
def show_escalation(
    group_id: str,
    caller: Caller = Depends(api_caller(Role.VIEWER)),
    ctx: AppContext = Depends(app_context),
) -> EscalationOut:
    with ctx.db.unit_of_work(readonly=True) as uow:
        return actions.escalation_out(actions.get_escalation(uow, group_id))


@router.post(
    "/alert-groups/{group_id}/escalation/escalate-now",
    response_model=EscalationOut,
    summary="Page the next level now (responder)",
)
def escalate_now(
    group_id: str,
    caller: Caller = Depends(api_caller(Role.RESPONDER)),
    ctx: AppContext = Depends(app_context),
) -> EscalationOut:
    with ctx.db.unit_of_work() as uow:
        esc = actions.do_escalate_now(uow, caller.actor, group_id)
        uow.commit()
        return actions.escalation_out(esc)


@router.post(
    "/alert-groups/{group_id}/escalation/reassign",
    response_model=EscalationOut,
    summary="Page one person, or follow another policy, from now (responder)",
)
def reassign(
    group_id: str,
    body: ReassignIn,
    caller: Caller = Depends(api_caller(Role.RESPONDER)),
    ctx: AppContext = Depends(app_context),
) -> EscalationOut:
    with ctx.db.unit_of_work() as uow:
        esc = actions.do_reassign(uow, caller.actor, group_id, body)
        uow.commit()
        return actions.escalation_out(esc)


@router.post(
    "/alert-groups/{group_id}/escalation/snooze",
    response_model=EscalationOut,
    summary="Acknowledge for a while, then page again (responder)",
)
def snooze(
    group_id: str,
    body: SnoozeIn,
    caller: Caller = Depends(api_caller(Role.RESPONDER)),
    ctx: AppContext = Depends(app_context),
) -> EscalationOut:
    with ctx.db.unit_of_work() as uow:
        esc = actions.do_snooze(uow, caller.actor, group_id, body.minutes)
        uow.commit()
        return actions.escalation_out(esc)


def _fresh(ctx: AppContext, policy_id: str) -> PolicyOut:
    with ctx.db.unit_of_work(readonly=True) as uow:
        return policies.policy_out(uow, policies.get_policy(uow, policy_id))
