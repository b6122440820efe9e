"""/api/v1/incidents/{id}/updates (internal conditions / actions / needs, or public
plain-language updates) and /api/v1/incident-subscriptions (stakeholders following an
incident, a service or a severity)."""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter, Depends, Query, Response

from muster.domain.events.actor import Role
from muster.domain.incidents import subscriptions, updates
from muster.domain.incidents.update_schemas import (
    SubscriptionIn,
    SubscriptionOut,
    UpdateIn,
    UpdateOut,
)
from muster.web.api.common import PROBLEM_RESPONSES, ListOut
from muster.web.auth import Caller, api_caller
from muster.web.context import AppContext, app_context

router = APIRouter(tags=["incidents"], responses=PROBLEM_RESPONSES)
UPDATES = "/incidents/{incident_id}/updates"
SUBSCRIPTIONS = "/incident-subscriptions"


@router.get(UPDATES, response_model=ListOut[UpdateOut], summary="Status updates, newest first")
def list_updates(
    incident_id: str,
    kind: Literal["internal", "public"] | None = None,
    limit: int = Query(100, ge=1, le=500),
    caller: Caller = Depends(api_caller(Role.VIEWER)),
    ctx: AppContext = Depends(app_context),
) -> ListOut[UpdateOut]:
    with ctx.db.unit_of_work(readonly=True) as uow:
        rows = updates.list_updates(uow, caller.actor, incident_id, kind=kind, limit=limit)
        return ListOut(items=[updates.update_out(r) for r in rows])


@router.post(
    UPDATES,
    response_model=UpdateOut,
    status_code=201,
    summary="Post an update (responder): kind internal or public",
)
def post_update(
    incident_id: str,
    body: UpdateIn,
    caller: Caller = Depends(api_caller(Role.RESPONDER)),
    ctx: AppContext = Depends(app_context),
) -> UpdateOut:
    with ctx.db.unit_of_work() as uow:
        row = updates.do_post_update(uow, caller.actor, incident_id, body)
        uow.commit()
        return updates.update_out(row)


@router.get(
    SUBSCRIPTIONS, response_model=ListOut[SubscriptionOut], summary="Stakeholder subscriptions"
)
def list_subscriptions(
    scope_type: Literal["incident", "service", "severity"] | None = None,
    scope_id: str | None = Query(None, max_length=36),
    subscriber_type: Literal["user", "channel"] | None = None,
    subscriber_id: str | None = Query(None, max_length=36),
    caller: Caller = Depends(api_caller(Role.VIEWER)),
    ctx: AppContext = Depends(app_context),
) -> ListOut[SubscriptionOut]:
    with ctx.db.unit_of_work(readonly=True) as uow:
        rows = subscriptions.list_subscriptions(
            uow, caller.actor, scope_type=scope_type, scope_id=scope_id,
            subscriber_type=subscriber_type, subscriber_id=subscriber_id,
        )  # fmt: skip
        return ListOut(items=subscriptions.subscriptions_out(uow, rows))


@router.post(
    SUBSCRIPTIONS,
    response_model=SubscriptionOut,
    status_code=201,
    summary="Subscribe yourself (viewer), someone else or a channel (responder)",
)
def subscribe(
    body: SubscriptionIn,
    caller: Caller = Depends(api_caller(Role.VIEWER)),
    ctx: AppContext = Depends(app_context),
) -> SubscriptionOut:
    with ctx.db.unit_of_work() as uow:
        row = subscriptions.do_subscribe(uow, caller.actor, body)
        uow.commit()
        return subscriptions.subscriptions_out(uow, [row])[0]


@router.delete(SUBSCRIPTIONS + "/{subscription_id}", status_code=204, summary="Unsubscribe")
def unsubscribe(
    subscription_id: str,
    caller: Caller = Depends(api_caller(Role.VIEWER)),
    ctx: AppContext = Depends(app_context),
) -> Response:
    with ctx.db.unit_of_work() as uow:
        subscriptions.do_unsubscribe(uow, caller.actor, subscription_id)
        uow.commit()
    return Response(status_code=204)
