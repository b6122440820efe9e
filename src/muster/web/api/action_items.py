"""/api/v1/action-items and /api/v1/incidents/{id}/action-items: follow-ups tracked to
done across incidents. Items of restricted incidents are hidden from those who may not
see the incident."""

from __future__ import annotations

from datetime import date

from fastapi import APIRouter, Depends, Query

from muster.domain.events.actor import Role
from muster.domain.incidents.visibility import get_visible_incident
from muster.domain.reviews import action_views, actions
from muster.domain.reviews.action_schemas import (
    ActionItemIn,
    ActionItemOut,
    ActionItemUpdate,
    Kind,
    Priority,
    Status,
)
from muster.web.api.common import PROBLEM_RESPONSES, ListOut
from muster.web.auth import Caller, api_caller
from muster.web.context import AppContext, app_context

router = APIRouter(tags=["action items"], responses=PROBLEM_RESPONSES)
Id = Query(None, max_length=36)


@router.get(
    "/action-items",
    response_model=ListOut[ActionItemOut],
    summary="Action items across incidents, oldest first",
)
def list_items(
    team_id: str | None = Query(None, max_length=36, description='"" for items with no team'),
    owner_id: str | None = Id,
    incident_id: str | None = Id,
    status: list[Status] = Query([]),
    open: bool = Query(False, description="open and in progress only"),
    overdue: bool = Query(False, description="open, due day before today (UTC)"),
    age: str | None = Query(None, description="0-7, 8-30, 31-90 or 90+ (days since created)"),
    kind: Kind | None = None,
    priority: Priority | None = None,
    due_from: date | None = None,
    due_before: date | None = None,
    cursor: str | None = Query(None, max_length=400),
    limit: int = Query(50, ge=1, le=200),
    caller: Caller = Depends(api_caller(Role.VIEWER)),
    ctx: AppContext = Depends(app_context),
) -> ListOut[ActionItemOut]:
    f = action_views.ActionItemFilter(
        team_id=team_id, owner_id=owner_id, incident_id=incident_id, status=list(status),
        open_only=open, overdue=overdue, age=age, kind=kind, priority=priority,
        due_from=due_from, due_before=due_before,
    )  # fmt: skip
    with ctx.db.unit_of_work(readonly=True) as uow:
        page = action_views.list_action_items(uow, caller.actor, f, cursor=cursor, limit=limit)
        return ListOut(items=action_views.items_out(uow, page.items), next_cursor=page.next_cursor)


@router.get(
    "/incidents/{incident_id}/action-items",
    response_model=ListOut[ActionItemOut],
    summary="An incident's action items",
)
def list_incident_items(
    incident_id: str,
    cursor: str | None = Query(None, max_length=400),
    limit: int = Query(200, ge=1, le=500),
    caller: Caller = Depends(api_caller(Role.VIEWER)),
    ctx: AppContext = Depends(app_context),
) -> ListOut[ActionItemOut]:
    with ctx.db.unit_of_work(readonly=True) as uow:
        get_visible_incident(uow, caller.actor, incident_id)
        f = action_views.ActionItemFilter(incident_id=incident_id)
        page = action_views.list_action_items(uow, caller.actor, f, cursor=cursor, limit=limit)
        return ListOut(items=action_views.items_out(uow, page.items), next_cursor=page.next_cursor)


@router.post(
    "/incidents/{incident_id}/action-items",
    response_model=ActionItemOut,
    status_code=201,
    summary="Add an action item (responder)",
)
def create_item(
    incident_id: str,
    body: ActionItemIn,
    caller: Caller = Depends(api_caller(Role.RESPONDER)),
    ctx: AppContext = Depends(app_context),
) -> ActionItemOut:
    with ctx.db.unit_of_work() as uow:
        item = actions.do_create_action_item(uow, caller.actor, incident_id, body)
        uow.commit()
        return action_views.items_out(uow, [item])[0]


@router.get("/action-items/{item_id}", response_model=ActionItemOut, summary="Show an action item")
def show_item(
    item_id: str,
    caller: Caller = Depends(api_caller(Role.VIEWER)),
    ctx: AppContext = Depends(app_context),
) -> ActionItemOut:
    with ctx.db.unit_of_work(readonly=True) as uow:
        item = actions.get_action_item(uow, caller.actor, item_id)
        return action_views.items_out(uow, [item])[0]


@router.patch(
    "/action-items/{item_id}",
    response_model=ActionItemOut,
    summary="Change an action item: status, owner, due day, priority, tracker link (responder)",
)
def update_item(
    item_id: str,
    body: ActionItemUpdate,
    caller: Caller = Depends(api_caller(Role.RESPONDER)),
    ctx: AppContext = Depends(app_context),
) -> ActionItemOut:
    with ctx.db.unit_of_work() as uow:
        item = actions.do_update_action_item(uow, caller.actor, item_id, body)
        uow.commit()
        return action_views.items_out(uow, [item])[0]
