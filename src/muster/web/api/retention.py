"""/api/v1/retention-policies: days kept per kind (admin); /api/v1/retention-runs: what
the recent retention passes removed (admin)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel, ConfigDict

from muster.domain.events.actor import Role
from muster.domain.retention.policies import (
    PolicyIn,
    PolicyOut,
    check_kind,
    do_reset_policy,
    do_set_policy,
    list_policies,
)
from muster.domain.retention.run import recent_runs
from muster.web.api.common import PROBLEM_RESPONSES, ListOut
from muster.web.auth import Caller, api_caller
from muster.web.context import AppContext, app_context

router = APIRouter(prefix="/retention-policies", tags=["retention"], responses=PROBLEM_RESPONSES)
runs_router = APIRouter(prefix="/retention-runs", tags=["retention"], responses=PROBLEM_RESPONSES)


class RunOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    ran_at: datetime
    dry_run: bool
    complete: bool
    counts: dict[str, Any]


def _policies(ctx: AppContext) -> list[PolicyOut]:
    with ctx.db.unit_of_work(readonly=True) as uow:
        return list_policies(uow, evidence_default=ctx.settings.evidence.retention_days)


def _one(ctx: AppContext, kind: str) -> PolicyOut:
    return next(p for p in _policies(ctx) if p.kind == kind)


@router.get("", response_model=ListOut[PolicyOut], summary="List retention per kind (admin)")
def list_(
    caller: Caller = Depends(api_caller(Role.ADMIN)), ctx: AppContext = Depends(app_context)
) -> ListOut[PolicyOut]:
    return ListOut(items=_policies(ctx))


@router.put("/{kind}", response_model=PolicyOut, summary="Set a kind's retention days (admin)")
def set_policy(
    kind: str,
    body: PolicyIn,
    caller: Caller = Depends(api_caller(Role.ADMIN)),
    ctx: AppContext = Depends(app_context),
) -> PolicyOut:
    with ctx.db.unit_of_work() as uow:
        do_set_policy(uow, caller.actor, kind, body)
        uow.commit()
    return _one(ctx, kind)


@router.delete("/{kind}", response_model=PolicyOut, summary="Restore a kind's default (admin)")
def reset_policy(
    kind: str,
    caller: Caller = Depends(api_caller(Role.ADMIN)),
    ctx: AppContext = Depends(app_context),
) -> PolicyOut:
    with ctx.db.unit_of_work() as uow:
        do_reset_policy(uow, caller.actor, check_kind(kind))
        uow.commit()
    return _one(ctx, kind)


@runs_router.get("", response_model=ListOut[RunOut], summary="Recent retention runs (admin)")
def list_runs(
    limit: int = Query(default=50, ge=1, le=500),
    caller: Caller = Depends(api_caller(Role.ADMIN)),
    ctx: AppContext = Depends(app_context),
) -> ListOut[RunOut]:
    with ctx.db.unit_of_work(readonly=True) as uow:
        return ListOut(items=[RunOut.model_validate(r) for r in recent_runs(uow, limit)])
