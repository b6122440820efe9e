"""/api/v1/metrics/alerts: alert volume and noise over a filter (the numbers of the
/metrics/alerts page and its CSVs). Any caller with a viewer role may read them."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query

from muster.domain.events.actor import Role
from muster.domain.reviews.alert_noise import (
    NoiseFilter,
    alert_noise,
    noise_params,
    noise_summary,
    noise_table,
    parse_noise_filter,
)
from muster.web.api.common import PROBLEM_RESPONSES
from muster.web.auth import Caller, api_caller
from muster.web.context import AppContext, app_context

router = APIRouter(tags=["metrics"], responses=PROBLEM_RESPONSES)
TABLES = ("series", "services", "alerts")
Param = Annotated[str, Query(max_length=80)]


def _params(
    since: Annotated[
        str, Query(max_length=40, description="first seen on or after (YYYY-MM-DD, UTC)")
    ] = "",
    until: Annotated[
        str, Query(max_length=40, description="first seen before (YYYY-MM-DD, UTC)")
    ] = "",
    service: Param = "",
    team: Param = "",
    bucket: Annotated[str, Query(max_length=8, description="day or week")] = "",
) -> dict[str, str]:
    return {"since": since, "until": until, "service": service, "team": team, "bucket": bucket}


@router.get("/metrics/alerts", summary="Alert volume and noise over a filter")
def alert_metrics(
    params: dict[str, str] = Depends(_params),
    caller: Caller = Depends(api_caller(Role.VIEWER)),
    ctx: AppContext = Depends(app_context),
) -> dict[str, Any]:
    """``summary``: counts and shares (suppressed, flapping, never acknowledged);
    ``tables``: ``series`` (per day or week), ``services`` and ``alerts`` (the noisiest),
    each as ``columns`` and ``rows``, exactly the CSVs of the page."""
    with ctx.db.unit_of_work(readonly=True) as uow:
        f: NoiseFilter = parse_noise_filter(params, uow.now)
        noise = alert_noise(uow, f)
    tables = {}
    for name in TABLES:
        head, *rows = noise_table(noise, name)
        tables[name] = {"columns": head, "rows": rows}
    return {"filter": noise_params(f), "summary": noise_summary(noise), "tables": tables}
