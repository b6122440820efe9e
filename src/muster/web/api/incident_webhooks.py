"""/api/v1/incident-webhooks: admins subscribe URLs to incident events (signed JSON
POSTs; the secret is in the answer to create and rotate-secret only)."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Response

from muster.channels.destinations import url_refusal
from muster.domain.events.actor import Role
from muster.domain.incidents import webhooks
from muster.domain.incidents.webhooks import WebhookCreated, WebhookIn, WebhookOut, WebhookUpdate
from muster.web.api.common import PROBLEM_RESPONSES, ListOut
from muster.web.auth import Caller, api_caller
from muster.web.context import AppContext, app_context

router = APIRouter(
    prefix="/incident-webhooks", tags=["incident webhooks"], responses=PROBLEM_RESPONSES
)
ADMIN = api_caller(Role.ADMIN)


@router.get("", response_model=ListOut[WebhookOut], summary="List incident webhooks")
def list_webhooks(
    caller: Caller = Depends(ADMIN), ctx: AppContext = Depends(app_context)
) -> ListOut[WebhookOut]:
    with ctx.db.unit_of_work(readonly=True) as uow:
        rows = webhooks.list_webhooks(uow, caller.actor)
        return ListOut(items=[webhooks.webhook_out(h) for h in rows])


@router.post(
    "", response_model=WebhookCreated, status_code=201, summary="Create an incident webhook"
)
def create_webhook(
    body: WebhookIn, caller: Caller = Depends(ADMIN), ctx: AppContext = Depends(app_context)
) -> WebhookCreated:
    with ctx.db.unit_of_work() as uow:
        hook, secret = webhooks.do_create_webhook(
            uow, caller.actor, body, url_refusal=url_refusal(ctx.settings)
        )
        uow.commit()
        return WebhookCreated(**webhooks.webhook_out(hook).model_dump(), secret=secret)


@router.get("/{webhook_id}", response_model=WebhookOut, summary="Show an incident webhook")
def show_webhook(
    webhook_id: str, caller: Caller = Depends(ADMIN), ctx: AppContext = Depends(app_context)
) -> WebhookOut:
    with ctx.db.unit_of_work(readonly=True) as uow:
        return webhooks.webhook_out(webhooks.get_webhook(uow, caller.actor, webhook_id))


@router.patch("/{webhook_id}", response_model=WebhookOut, summary="Change an incident webhook")
def update_webhook(
    webhook_id: str,
    body: WebhookUpdate,
    caller: Caller = Depends(ADMIN),
    ctx: AppContext = Depends(app_context),
) -> WebhookOut:
    with ctx.db.unit_of_work() as uow:
        hook = webhooks.do_update_webhook(
            uow, caller.actor, webhook_id, body, url_refusal=url_refusal(ctx.settings)
        )
        uow.commit()
        return webhooks.webhook_out(hook)


@router.post(
    "/{webhook_id}/rotate-secret",
    response_model=WebhookCreated,
    summary="Give an incident webhook a new secret (shown once)",
)
def rotate_secret(
    webhook_id: str, caller: Caller = Depends(ADMIN), ctx: AppContext = Depends(app_context)
) -> WebhookCreated:
    with ctx.db.unit_of_work() as uow:
        hook, secret = webhooks.do_rotate_secret(uow, caller.actor, webhook_id)
        uow.commit()
        return WebhookCreated(**webhooks.webhook_out(hook).model_dump(), secret=secret)


@router.delete("/{webhook_id}", status_code=204, summary="Remove an incident webhook")
def delete_webhook(
    webhook_id: str, caller: Caller = Depends(ADMIN), ctx: AppContext = Depends(app_context)
) -> Response:
    with ctx.db.unit_of_work() as uow:
        webhooks.do_delete_webhook(uow, caller.actor, webhook_id)
        uow.commit()
    return Response(status_code=204)
