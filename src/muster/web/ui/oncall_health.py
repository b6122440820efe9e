"""/teams/{id}/on-call-health: a team's paging load per person and per shift, night pages
and the busiest services over a period, with the burn-out rule highlighted; each table as
CSV (``/teams/{id}/on-call-health/<table>.csv``), the same numbers as
``/api/v1/teams/{id}/on-call-health``. For managers, admins and the team's members."""

from __future__ import annotations

from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response
from markupsafe import Markup

from muster.domain.accounts.service import get_team
from muster.domain.reviews.oncall_health import (
    OnCallHealth,
    check_can_view_health,
    health_params,
    health_table,
    oncall_health,
    parse_health_query,
)
from muster.web.auth import Caller, ui_caller
from muster.web.context import AppContext, app_context
from muster.web.ui.alert_metrics import csv_response
from muster.web.ui.render import render
from muster.web.ui.svg_charts import bar_chart

router = APIRouter(include_in_schema=False)

TABLES = ("people", "shifts", "services")


def _count(value: float) -> str:
    return str(round(value))


def health_charts(report: OnCallHealth) -> dict[str, Markup]:
    """The report's charts, drawn from the numbers its CSV gives."""
    people, shifts = report.people, report.shifts
    return {
        "people": bar_chart(
            "chart-health-people", "Pages per person",
            f"{report.pages} pages, {report.night_pages} at night ({report.night.label} in "
            "each person's zone); two bars per person: all pages and night pages.",
            [p.name for p in people],
            [("pages", [float(p.pages) for p in people]),
             ("night pages", [float(p.night_pages) for p in people])], fmt=_count,
        ),
        "shifts": bar_chart(
            "chart-health-shifts", "Pages per shift",
            f"{len(shifts)} shifts; one bar per shift, labelled by its start day (UTC) and person.",
            [f"{s.start:%m-%d} {s.user_name}" for s in shifts],
            [("pages", [float(s.pages) for s in shifts]),
             ("night pages", [float(s.night_pages) for s in shifts])], fmt=_count,
        ),
        "services": bar_chart(
            "chart-health-services", "Busiest services",
            "Pages to the team's people per service, the most first.",
            [s.name for s in report.services], [("pages", [float(s.pages) for s in report.services])],
            fmt=_count,
        ),
    }  # fmt: skip


@router.get("/teams/{team_id}/on-call-health")
def oncall_health_page(
    request: Request,
    team_id: str,
    caller: Caller = Depends(ui_caller()),
    ctx: AppContext = Depends(app_context),
) -> Response:
    with ctx.db.unit_of_work(readonly=True) as uow:
        team = get_team(uow, team_id)
        check_can_view_health(caller.actor, team)
        q = parse_health_query(dict(request.query_params), uow.now)
        report = oncall_health(uow, team, q.start, q.end, night=q.night, night_limit=q.night_limit)
    query = urlencode(health_params(q))
    return render(
        request, "teams_oncall_health.html", caller,
        team=team, report=report, q=q, charts=health_charts(report),
        query=f"?{query}" if query else "",
    )  # fmt: skip


def _csv_route(table: str) -> None:
    @router.get(f"/teams/{{team_id}}/on-call-health/{table}.csv", name=f"oncall_health_{table}_csv")
    def table_csv(
        request: Request,
        team_id: str,
        caller: Caller = Depends(ui_caller()),
        ctx: AppContext = Depends(app_context),
    ) -> Response:
        with ctx.db.unit_of_work(readonly=True) as uow:
            team = get_team(uow, team_id)
            check_can_view_health(caller.actor, team)
            q = parse_health_query(dict(request.query_params), uow.now)
            report = oncall_health(
                uow, team, q.start, q.end, night=q.night, night_limit=q.night_limit
            )
        return csv_response(health_table(report, table), f"on-call-health-{table}.csv")


for _table in TABLES:
    _csv_route(_table)
