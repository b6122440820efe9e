"""/api/v1/tokens: the caller's personal API tokens (admins may manage anyone's)."""

from __future__ import annotations

from fastapi import APIRouter, Depends

from muster.domain.accounts import credentials
from muster.domain.accounts.schemas import TokenCreate, TokenCreated, TokenOut
from muster.domain.events.actor import Role
from muster.web.api.common import PROBLEM_RESPONSES, ListOut
from muster.web.auth import Caller, api_caller
from muster.web.context import AppContext, app_context

router = APIRouter(prefix="/tokens", tags=["tokens"], responses=PROBLEM_RESPONSES)


@router.get("", response_model=ListOut[TokenOut], summary="List API tokens")
def list_tokens(
    user_id: str | None = None,
    caller: Caller = Depends(api_caller(Role.VIEWER)),
    ctx: AppContext = Depends(app_context),
) -> ListOut[TokenOut]:
    with ctx.db.unit_of_work(readonly=True) as uow:
        rows = credentials.list_api_tokens(uow, caller.actor, user_id or caller.user.id)
        return ListOut(items=[TokenOut.model_validate(t) for t in rows])


@router.post("", response_model=TokenCreated, status_code=201, summary="Create an API token")
def create_token(
    body: TokenCreate,
    user_id: str | None = None,
    caller: Caller = Depends(api_caller(Role.VIEWER)),
    ctx: AppContext = Depends(app_context),
) -> TokenCreated:
    with ctx.db.unit_of_work() as uow:
        token, plaintext = credentials.do_create_api_token(
            uow, caller.actor, user_id or caller.user.id, body.name, body.expires_at
        )
        uow.commit()
        return TokenCreated(**TokenOut.model_validate(token).model_dump(), token=plaintext)


@router.post("/{token_id}/revoke", response_model=TokenOut, summary="Revoke an API token")
def revoke_token(
    token_id: str,
    caller: Caller = Depends(api_caller(Role.VIEWER)),
    ctx: AppContext = Depends(app_context),
) -> TokenOut:
    with ctx.db.unit_of_work() as uow:
        token = credentials.do_revoke_api_token(uow, caller.actor, token_id)
        uow.commit()
        return TokenOut.model_validate(token)
