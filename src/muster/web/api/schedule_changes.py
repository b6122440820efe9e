"""/api/v1/schedules/{id}/overrides, /swaps and /temporary: changes on top of the layers."""

from __future__ import annotations

from datetime import timedelta

from fastapi import APIRouter, Depends, Query
from pydantic import AwareDatetime

from muster.domain.events.actor import Role
from muster.domain.oncall import overrides as changes
from muster.domain.oncall.queries import check_window
from muster.domain.oncall.schemas import (
    OverrideCreate,
    OverrideOut,
    SwapCreate,
    TemporaryCreate,
    TemporaryOut,
)
from muster.domain.oncall.views import temporary_out, user_names
from muster.web.api.common import PROBLEM_RESPONSES, ListOut
from muster.web.auth import Caller, api_caller
from muster.web.context import AppContext, app_context

router = APIRouter(prefix="/schedules", tags=["schedules"], responses=PROBLEM_RESPONSES)
VIEWER = Depends(api_caller(Role.VIEWER))
MANAGER = Depends(api_caller(Role.MANAGER))
CTX = Depends(app_context)
DEFAULT_DAYS = 30


@router.get(
    "/{schedule_id}/overrides",
    response_model=ListOut[OverrideOut],
    summary="Active overrides touching [start, end) (default: the next 30 days)",
)
def list_overrides(
    schedule_id: str,
    start: AwareDatetime | None = None,
    end: AwareDatetime | None = None,
    caller: Caller = VIEWER,
    ctx: AppContext = CTX,
) -> ListOut[OverrideOut]:
    with ctx.db.unit_of_work(readonly=True) as uow:
        lo = start or uow.now
        hi = end or lo + timedelta(days=DEFAULT_DAYS)
        check_window(lo, hi)
        rows = changes.list_overrides(uow, schedule_id, lo, hi)
        return ListOut(items=changes.overrides_out(uow, rows))


@router.post(
    "/{schedule_id}/overrides",
    response_model=OverrideOut,
    status_code=201,
    summary="Add an override: this person is on call over [start, end) above everything "
    "else; where overrides overlap, the latest created wins (manager)",
)
def add_override(
    schedule_id: str, body: OverrideCreate, caller: Caller = MANAGER, ctx: AppContext = CTX
) -> OverrideOut:
    with ctx.db.unit_of_work() as uow:
        override = changes.do_add_override(uow, caller.actor, schedule_id, body)
        uow.commit()
        return changes.overrides_out(uow, [override])[0]


@router.post(
    "/{schedule_id}/overrides/{override_id}/cancel",
    response_model=ListOut[OverrideOut],
    summary="Cancel an override (both halves of a swap); one under way ends now (manager)",
)
def cancel_override(
    schedule_id: str, override_id: str, caller: Caller = MANAGER, ctx: AppContext = CTX
) -> ListOut[OverrideOut]:
    with ctx.db.unit_of_work() as uow:
        rows = changes.do_cancel_override(uow, caller.actor, schedule_id, override_id)
        uow.commit()
        return ListOut(items=changes.overrides_out(uow, rows))


@router.post(
    "/{schedule_id}/swaps",
    response_model=ListOut[OverrideOut],
    status_code=201,
    summary="Swap shifts: first.user_id takes second's shift and second.user_id takes "
    "first's, as two overrides sharing a swap_id (manager)",
)
def swap_shifts(
    schedule_id: str, body: SwapCreate, caller: Caller = MANAGER, ctx: AppContext = CTX
) -> ListOut[OverrideOut]:
    with ctx.db.unit_of_work() as uow:
        pair = changes.do_swap_shifts(uow, caller.actor, schedule_id, body)
        uow.commit()
        return ListOut(items=changes.overrides_out(uow, list(pair)))


@router.get(
    "/{schedule_id}/temporary",
    response_model=ListOut[TemporaryOut],
    summary="Active temporary schedules not over yet",
)
def list_temporary(
    schedule_id: str,
    after: AwareDatetime | None = Query(None, description="Default now"),
    caller: Caller = VIEWER,
    ctx: AppContext = CTX,
) -> ListOut[TemporaryOut]:
    with ctx.db.unit_of_work(readonly=True) as uow:
        rows = changes.list_temporary(uow, schedule_id, after or uow.now)
        names = user_names(uow, (sh["user_id"] for t in rows for sh in t.shifts))
        return ListOut(items=[temporary_out(t, names) for t in rows])


@router.post(
    "/{schedule_id}/temporary",
    response_model=TemporaryOut,
    status_code=201,
    summary="Replace every layer over [start, end) by these shifts (manager)",
)
def create_temporary(
    schedule_id: str, body: TemporaryCreate, caller: Caller = MANAGER, ctx: AppContext = CTX
) -> TemporaryOut:
    with ctx.db.unit_of_work() as uow:
        row = changes.do_create_temporary(uow, caller.actor, schedule_id, body)
        uow.commit()
        names = user_names(uow, (sh["user_id"] for sh in row.shifts))
        return temporary_out(row, names)


@router.post(
    "/{schedule_id}/temporary/{temporary_id}/cancel",
    response_model=TemporaryOut,
    summary="Cancel a temporary schedule; one under way ends now (manager)",
)
def cancel_temporary(
    schedule_id: str, temporary_id: str, caller: Caller = MANAGER, ctx: AppContext = CTX
) -> TemporaryOut:
    with ctx.db.unit_of_work() as uow:
        row = changes.do_cancel_temporary(uow, caller.actor, schedule_id, temporary_id)
        uow.commit()
        names = user_names(uow, (sh["user_id"] for sh in row.shifts))
        return temporary_out(row, names)
