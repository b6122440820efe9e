"""/api/v1/users and the caller's own account (/api/v1/me)."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Query, Response

from muster.domain.accounts import service as accounts
from muster.domain.accounts.schemas import UserCreate, UserOut, UserUpdate
from muster.domain.events.actor import Role
from muster.web.api.common import PROBLEM_RESPONSES, ListOut
from muster.web.auth import Caller, api_caller
from muster.web.context import AppContext, app_context

router = APIRouter(prefix="/users", tags=["users"], responses=PROBLEM_RESPONSES)


@router.get("", response_model=ListOut[UserOut], summary="List users")
def list_users(
    cursor: str | None = None,
    limit: int = Query(100, ge=1, le=500),
    archived: bool = False,
    caller: Caller = Depends(api_caller(Role.VIEWER)),
    ctx: AppContext = Depends(app_context),
) -> ListOut[UserOut]:
    with ctx.db.unit_of_work(readonly=True) as uow:
        page = accounts.list_users(uow, cursor=cursor, limit=limit, archived=archived)
        return ListOut(
            items=[UserOut.model_validate(u) for u in page.items], next_cursor=page.next_cursor
        )


@router.post("", response_model=UserOut, status_code=201, summary="Create a user (admin)")
def create_user(
    body: UserCreate,
    response: Response,
    caller: Caller = Depends(api_caller(Role.ADMIN)),
    ctx: AppContext = Depends(app_context),
) -> UserOut:
    with ctx.db.unit_of_work() as uow:
        user = accounts.do_create_user(uow, caller.actor, body)
        uow.commit()
        response.headers["Location"] = f"/api/v1/users/{user.id}"
        return UserOut.model_validate(user)


@router.get("/{user_id}", response_model=UserOut, summary="Show a user")
def show_user(
    user_id: str,
    caller: Caller = Depends(api_caller(Role.VIEWER)),
    ctx: AppContext = Depends(app_context),
) -> UserOut:
    with ctx.db.unit_of_work(readonly=True) as uow:
        return UserOut.model_validate(accounts.get_user(uow, user_id))


@router.patch("/{user_id}", response_model=UserOut, summary="Edit a user (oneself, or admin)")
def update_user(
    user_id: str,
    body: UserUpdate,
    caller: Caller = Depends(api_caller(Role.VIEWER)),
    ctx: AppContext = Depends(app_context),
) -> UserOut:
    with ctx.db.unit_of_work() as uow:
        user = accounts.do_update_user(uow, caller.actor, user_id, body)
        uow.commit()
        return UserOut.model_validate(user)


@router.post("/{user_id}/archive", response_model=UserOut, summary="Archive a user (admin)")
def archive_user(
    user_id: str,
    caller: Caller = Depends(api_caller(Role.ADMIN)),
    ctx: AppContext = Depends(app_context),
) -> UserOut:
    with ctx.db.unit_of_work() as uow:
        user = accounts.do_archive_user(uow, caller.actor, user_id)
        uow.commit()
        return UserOut.model_validate(user)


me_router = APIRouter(prefix="/me", tags=["users"], responses=PROBLEM_RESPONSES)


@me_router.get("", response_model=UserOut, summary="The caller's own account")
def me(
    caller: Caller = Depends(api_caller(Role.VIEWER)),
    ctx: AppContext = Depends(app_context),
) -> UserOut:
    with ctx.db.unit_of_work(readonly=True) as uow:
        return UserOut.model_validate(accounts.get_user(uow, caller.user.id))
