"""/metrics/incidents: incident response metrics over a filter (GET form), as server-side
SVG charts with their numbers as text, each chart's table as CSV
(``/metrics/incidents/<chart>.csv?<filter>``, the same numbers as
``/api/v1/metrics/incidents/<chart>``). Counts only incidents the viewer may see.

Not at ``/metrics``: that path is the Prometheus scrape endpoint (web/health.py)."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response
from markupsafe import Markup
from sqlalchemy import select

from muster.db.uow import UnitOfWork
from muster.domain.accounts.models import Team
from muster.domain.catalog.models import Service
from muster.domain.events.actor import Role
from muster.domain.incidents.models import IncidentType
from muster.domain.reviews.aggregates import Aggregates, aggregate
from muster.domain.reviews.metric_charts import (
    CHARTS,
    Table,
    chart_table,
    chart_tables,
    filter_params,
    parse_filter,
)
from muster.domain.reviews.metrics import TIMES
from muster.web.auth import Caller, ui_caller
from muster.web.context import AppContext, app_context
from muster.web.ui.alert_metrics import csv_response
from muster.web.ui.render import render
from muster.web.ui.svg_charts import bar_chart, duration

router = APIRouter(include_in_schema=False)

# R4's pages, linked from the metrics page: alert noise, and each team's on-call health.
RELATED = (("/metrics/alerts", "Alert volume and noise"),)
TEAM_HEALTH = "/teams/{}/on-call-health"
SHORT = {
    "time_to_detect": "MTTD", "time_to_acknowledge": "MTTA", "time_to_declare": "Declare",
    "time_to_engage_commander": "Commander", "time_to_contain": "MTTC",
    "time_to_recover": "MTTR", "time_to_resolve": "Resolve",
}  # fmt: skip


def _choices(uow: UnitOfWork) -> dict[str, list[tuple[str, str]]]:
    services = uow.session.execute(
        select(Service.id, Service.name).where(Service.archived_at.is_(None)).order_by(Service.name)
    )
    teams = uow.session.execute(
        select(Team.id, Team.name).where(Team.archived_at.is_(None)).order_by(Team.name)
    )
    types = uow.session.execute(
        select(IncidentType.key, IncidentType.name).order_by(IncidentType.name)
    )
    return {
        "services": [(i, n) for i, n in services],
        "teams": [(i, n) for i, n in teams],
        "types": [(k, n) for k, n in types],
    }


def charts_svg(agg: Aggregates, tables: dict[str, Table]) -> dict[str, Markup]:
    """Each chart drawn from its table (the numbers the CSV gives)."""
    week, times = tables["per-week"], tables["times"]
    sev, kind = tables["by-severity"], tables["by-type"]
    total = sum(int(n or 0) for _w, n in week.rows)
    return {
        "per-week": bar_chart(
            "chart-per-week", "Incidents per week",
            f"{total} incidents over {len(week.rows)} weeks; one bar per week (Monday, UTC).",
            [str(w) for w, _n in week.rows], [("incidents", [_f(n) for _w, n in week.rows])],
            fmt=lambda v: str(round(v)),
        ),
        "times": bar_chart(
            "chart-times", "Median and 90th percentile of each response time",
            "Two bars per time: median and p90, in the units shown on the axis tips.",
            [SHORT[key] for key, _label, _abbr in TIMES],
            [("median", [_f(r[4]) for r in times.rows]), ("p90", [_f(r[5]) for r in times.rows])],
            fmt=duration,
        ),
        "by-severity": bar_chart(
            "chart-by-severity", "Incidents by severity",
            f"Incident count per severity level, {agg.count} in all.",
            [str(r[0]) for r in sev.rows], [("incidents", [_f(r[1]) for r in sev.rows])],
            fmt=lambda v: str(round(v)),
        ),
        "by-type": bar_chart(
            "chart-by-type", "Incidents by type",
            f"Incident count per type, {agg.count} in all.",
            [str(r[0]) for r in kind.rows], [("incidents", [_f(r[1]) for r in kind.rows])],
            fmt=lambda v: str(round(v)),
        ),
    }  # fmt: skip


def _f(value: Any) -> float | None:
    return None if value is None else float(value)


@router.get("/metrics/incidents")
def metrics_page(
    request: Request,
    caller: Caller = Depends(ui_caller(Role.VIEWER)),
    ctx: AppContext = Depends(app_context),
) -> Response:
    f = parse_filter(dict(request.query_params))
    with ctx.db.unit_of_work(readonly=True) as uow:
        agg = aggregate(uow, caller.actor, f)
        choices = _choices(uow)
    tables = chart_tables(agg)
    query = urlencode(filter_params(f))
    return render(
        request, "metrics.html", caller,
        agg=agg, f=f, params=dict(request.query_params), tables=tables,
        charts=charts_svg(agg, tables), times=TIMES, duration=duration,
        csv_query=f"?{query}" if query else "", related=RELATED, team_health=TEAM_HEALTH, services=choices["services"],
        teams=choices["teams"], types=choices["types"],
    )  # fmt: skip


def _csv_route(chart: str) -> None:
    @router.get(f"/metrics/incidents/{chart}.csv", name=f"metrics_{chart}_csv")
    def chart_csv(
        request: Request,
        caller: Caller = Depends(ui_caller(Role.VIEWER)),
        ctx: AppContext = Depends(app_context),
    ) -> Response:
        f = parse_filter(dict(request.query_params))
        with ctx.db.unit_of_work(readonly=True) as uow:
            table = chart_table(aggregate(uow, caller.actor, f), chart)
        rows: list[list[str | int | float | bool]] = [list(table.columns)]
        rows += [["" if cell is None else cell for cell in row] for row in table.rows]
        return csv_response(rows, f"incident-metrics-{chart}.csv")


for _chart in CHARTS:
    _csv_route(_chart)
