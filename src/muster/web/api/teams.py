"""/api/v1/teams and their members."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Query, Response

from muster.domain.accounts import service as accounts
from muster.domain.accounts.schemas import MemberAdd, TeamCreate, TeamOut, TeamUpdate
from muster.domain.events.actor import Role
from muster.web.api.common import PROBLEM_RESPONSES, ListOut
from muster.web.auth import Caller, api_caller
from muster.web.context import AppContext, app_context

router = APIRouter(prefix="/teams", tags=["teams"], responses=PROBLEM_RESPONSES)


@router.get("", response_model=ListOut[TeamOut], summary="List teams")
def list_teams(
    cursor: str | None = None,
    limit: int = Query(100, ge=1, le=500),
    archived: bool = False,
    caller: Caller = Depends(api_caller(Role.VIEWER)),
    ctx: AppContext = Depends(app_context),
) -> ListOut[TeamOut]:
    with ctx.db.unit_of_work(readonly=True) as uow:
        page = accounts.list_teams(uow, cursor=cursor, limit=limit, archived=archived)
        return ListOut(
            items=[accounts.team_out(t) for t in page.items], next_cursor=page.next_cursor
        )


@router.post("", response_model=TeamOut, status_code=201, summary="Create a team (manager)")
def create_team(
    body: TeamCreate,
    response: Response,
    caller: Caller = Depends(api_caller(Role.MANAGER)),
    ctx: AppContext = Depends(app_context),
) -> TeamOut:
    with ctx.db.unit_of_work() as uow:
        team = accounts.do_create_team(uow, caller.actor, body)
        uow.commit()
        response.headers["Location"] = f"/api/v1/teams/{team.id}"
    return _fresh(ctx, team.id)


@router.get("/{team_id}", response_model=TeamOut, summary="Show a team")
def show_team(
    team_id: str,
    caller: Caller = Depends(api_caller(Role.VIEWER)),
    ctx: AppContext = Depends(app_context),
) -> TeamOut:
    return _fresh(ctx, team_id)


@router.patch("/{team_id}", response_model=TeamOut, summary="Edit a team (manager)")
def update_team(
    team_id: str,
    body: TeamUpdate,
    caller: Caller = Depends(api_caller(Role.MANAGER)),
    ctx: AppContext = Depends(app_context),
) -> TeamOut:
    with ctx.db.unit_of_work() as uow:
        accounts.do_update_team(uow, caller.actor, team_id, body)
        uow.commit()
    return _fresh(ctx, team_id)


@router.post("/{team_id}/archive", response_model=TeamOut, summary="Archive a team (manager)")
def archive_team(
    team_id: str,
    caller: Caller = Depends(api_caller(Role.MANAGER)),
    ctx: AppContext = Depends(app_context),
) -> TeamOut:
    with ctx.db.unit_of_work() as uow:
        accounts.do_archive_team(uow, caller.actor, team_id)
        uow.commit()
    return _fresh(ctx, team_id)


@router.post("/{team_id}/members", response_model=TeamOut, summary="Add a member (manager)")
def add_member(
    team_id: str,
    body: MemberAdd,
    caller: Caller = Depends(api_caller(Role.MANAGER)),
    ctx: AppContext = Depends(app_context),
) -> TeamOut:
    with ctx.db.unit_of_work() as uow:
        accounts.do_add_team_member(uow, caller.actor, team_id, body)
        uow.commit()
    return _fresh(ctx, team_id)


@router.delete(
    "/{team_id}/members/{user_id}", response_model=TeamOut, summary="Remove a member (manager)"
)
def remove_member(
    team_id: str,
    user_id: str,
    caller: Caller = Depends(api_caller(Role.MANAGER)),
    ctx: AppContext = Depends(app_context),
) -> TeamOut:
    with ctx.db.unit_of_work() as uow:
        accounts.do_remove_team_member(uow, caller.actor, team_id, user_id)
        uow.commit()
    return _fresh(ctx, team_id)


def _fresh(ctx: AppContext, team_id: str) -> TeamOut:
    with ctx.db.unit_of_work(readonly=True) as uow:
        return accounts.team_out(accounts.get_team(uow, team_id))
