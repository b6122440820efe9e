"""/api/v1/metrics/incidents (the figures of the metrics page over a filter),
/api/v1/metrics/incidents/{chart} (one chart's numbers, as its CSV gives them) and
/api/v1/incidents/{id}/metrics (one incident's times, phases and pages). Only incidents
the caller may see are counted; a hidden incident is a 404."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query

from muster.domain.events.actor import Role
from muster.domain.incidents.visibility import get_visible_incident
from muster.domain.reviews.aggregates import MetricsFilter, aggregate
from muster.domain.reviews.metric_charts import (
    CHARTS,
    chart_table,
    chart_tables,
    parse_filter,
    summary,
)
from muster.domain.reviews.metrics import incident_metrics
from muster.web.api.common import PROBLEM_RESPONSES
from muster.web.auth import Caller, api_caller
from muster.web.context import AppContext, app_context

router = APIRouter(tags=["metrics"], responses=PROBLEM_RESPONSES)
Param = Annotated[str, Query(max_length=80)]


def metrics_filter(
    since: Annotated[
        str, Query(max_length=40, description="declared at or after (date or RFC 3339)")
    ] = "",
    until: Annotated[
        str, Query(max_length=40, description="declared before (date or RFC 3339)")
    ] = "",
    service: Param = "",
    team: Param = "",
    type: Param = "",
    severity: Annotated[str, Query(max_length=4, description="1-5 or SEV1-SEV5")] = "",
    site: Param = "",
) -> MetricsFilter:
    return parse_filter(
        {"since": since, "until": until, "service": service, "team": team, "type": type,
         "severity": severity, "site": site}
    )  # fmt: skip


@router.get("/metrics/incidents", summary="Incident response metrics over a filter")
def incident_metrics_summary(
    f: MetricsFilter = Depends(metrics_filter),
    caller: Caller = Depends(api_caller(Role.VIEWER)),
    ctx: AppContext = Depends(app_context),
) -> dict[str, Any]:
    with ctx.db.unit_of_work(readonly=True) as uow:
        agg = aggregate(uow, caller.actor, f)
    tables = chart_tables(agg)
    return {**summary(agg), "charts": {key: tables[key].as_dict() for key in CHARTS}}


@router.get(
    "/metrics/incidents/{chart}",
    summary="One chart's numbers (per-week, times, by-severity, by-type)",
)
def incident_metrics_chart(
    chart: str,
    f: MetricsFilter = Depends(metrics_filter),
    caller: Caller = Depends(api_caller(Role.VIEWER)),
    ctx: AppContext = Depends(app_context),
) -> dict[str, Any]:
    with ctx.db.unit_of_work(readonly=True) as uow:
        return chart_table(aggregate(uow, caller.actor, f), chart).as_dict()


@router.get("/incidents/{incident_id}/metrics", summary="One incident's response times")
def one_incident_metrics(
    incident_id: str,
    caller: Caller = Depends(api_caller(Role.VIEWER)),
    ctx: AppContext = Depends(app_context),
) -> dict[str, Any]:
    with ctx.db.unit_of_work(readonly=True) as uow:
        incident = get_visible_incident(uow, caller.actor, incident_id)
        return incident_metrics(uow, incident).as_dict()
