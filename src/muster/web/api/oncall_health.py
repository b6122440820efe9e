"""/api/v1/teams/{id}/on-call-health: a team's paging load per person and per shift, night
pages and the busiest services over a period (the numbers of the team's on-call health
page and its CSVs). Per-person load is for managers, admins and the team's members."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query

from muster.domain.accounts.service import get_team
from muster.domain.events.actor import Role
from muster.domain.reviews.oncall_health import (
    check_can_view_health,
    health_params,
    health_summary,
    health_table,
    oncall_health,
    parse_health_query,
)
from muster.web.api.common import PROBLEM_RESPONSES
from muster.web.auth import Caller, api_caller
from muster.web.context import AppContext, app_context

router = APIRouter(tags=["metrics"], responses=PROBLEM_RESPONSES)
TABLES = ("people", "shifts", "services")


def _params(
    since: Annotated[str, Query(max_length=40, description="from this day (YYYY-MM-DD, UTC)")] = "",
    until: Annotated[
        str, Query(max_length=40, description="before this day (YYYY-MM-DD, UTC)")
    ] = "",
    night_start: Annotated[str, Query(max_length=8, description="HH:MM, default 22:00")] = "",
    night_end: Annotated[str, Query(max_length=8, description="HH:MM, default 07:00")] = "",
    limit: Annotated[str, Query(max_length=12, description="night pages a week, default 2")] = "",
) -> dict[str, str]:
    return {"since": since, "until": until, "night_start": night_start, "night_end": night_end,
            "limit": limit}  # fmt: skip


@router.get(
    "/teams/{team_id}/on-call-health",
    summary="A team's on-call health (managers and the team's members)",
)
def team_oncall_health(
    team_id: str,
    params: dict[str, str] = Depends(_params),
    caller: Caller = Depends(api_caller(Role.VIEWER)),
    ctx: AppContext = Depends(app_context),
) -> dict[str, Any]:
    """``summary`` and ``tables`` (``people``, ``shifts``, ``services``) as ``columns`` and
    ``rows``, exactly the CSVs of the page. Night is in each person's own time zone."""
    with ctx.db.unit_of_work(readonly=True) as uow:
        team = get_team(uow, team_id)
        check_can_view_health(caller.actor, team)
        q = parse_health_query(params, uow.now)
        report = oncall_health(uow, team, q.start, q.end, night=q.night, night_limit=q.night_limit)
    tables = {}
    for name in TABLES:
        head, *rows = health_table(report, name)
        tables[name] = {"columns": head, "rows": rows}
    return {"query": health_params(q), "summary": health_summary(report), "tables": tables}
