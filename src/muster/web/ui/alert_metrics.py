"""/metrics/alerts: alert volume and noise over a filter (GET form), charts drawn on the
server, and each chart's or table's numbers as CSV (``/metrics/alerts/<table>.csv``),
the same numbers as ``/api/v1/metrics/alerts``. Any signed-in person may read them:
they are counts, no alert content beyond the noisiest summaries."""

from __future__ import annotations

import csv
import io
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response
from markupsafe import Markup
from sqlalchemy import select

from muster.db.uow import UnitOfWork
from muster.domain.accounts.models import Team
from muster.domain.catalog.models import Service
from muster.domain.events.actor import Role
from muster.domain.reviews.alert_noise import (
    AlertNoise,
    Cell,
    alert_noise,
    noise_params,
    noise_table,
    parse_noise_filter,
)
from muster.web.auth import Caller, ui_caller
from muster.web.context import AppContext, app_context
from muster.web.ui.render import render
from muster.web.ui.svg_charts import bar_chart

router = APIRouter(include_in_schema=False)

TABLES = ("series", "services", "alerts")


def _count(value: float) -> str:
    return str(round(value))


def _percent(value: float) -> str:
    return f"{value * 100:.0f}%"


def noise_charts(noise: AlertNoise) -> dict[str, Markup]:
    """The charts of the page, drawn from the numbers the CSV gives."""
    labels = [b.start.isoformat() for b in noise.series]
    per = "day" if noise.filter.bucket == "day" else "week (Monday, UTC)"
    s = noise.summary
    return {
        "volume": bar_chart(
            "chart-alert-volume", f"Alerts per {noise.filter.bucket}",
            f"{s.total} alerts; one group of bars per {per}: all, suppressed, flapping.",
            labels, [
                ("alerts", [float(b.counts.total) for b in noise.series]),
                ("suppressed", [float(b.counts.suppressed) for b in noise.series]),
                ("flapping", [float(b.counts.flapping) for b in noise.series]),
            ], fmt=_count,
        ),
        "never": bar_chart(
            "chart-alert-never-acked", f"Share never acknowledged per {noise.filter.bucket}",
            "Resolved without an acknowledgement, over all alerts of the bucket.",
            labels, [("never acknowledged", [
                b.counts.never_acknowledged_share if b.counts.total else None for b in noise.series
            ])], fmt=_percent,
        ),
        "services": bar_chart(
            "chart-alert-services", "Noisiest services",
            "Alerts per service, the most first.",
            [i.service_name for i in noise.top_services],
            [("alerts", [float(i.counts.total) for i in noise.top_services])], fmt=_count,
        ),
    }  # fmt: skip


def filter_choices(uow: UnitOfWork) -> dict[str, list[tuple[str, str]]]:
    services = uow.session.execute(
        select(Service.id, Service.name).where(Service.archived_at.is_(None)).order_by(Service.name)
    )
    teams = uow.session.execute(
        select(Team.id, Team.name).where(Team.archived_at.is_(None)).order_by(Team.name)
    )
    return {"services": [(i, n) for i, n in services], "teams": [(i, n) for i, n in teams]}


@router.get("/metrics/alerts")
def alert_metrics_page(
    request: Request,
    caller: Caller = Depends(ui_caller(Role.VIEWER)),
    ctx: AppContext = Depends(app_context),
) -> Response:
    with ctx.db.unit_of_work(readonly=True) as uow:
        f = parse_noise_filter(dict(request.query_params), uow.now)
        noise = alert_noise(uow, f)
        choices = filter_choices(uow)
    query = urlencode(noise_params(f))
    return render(
        request, "metrics_alerts.html", caller,
        noise=noise, f=f, charts=noise_charts(noise), query=f"?{query}" if query else "",
        services=choices["services"], teams=choices["teams"],
    )  # fmt: skip


def rows_csv(rows: list[list[Cell]]) -> str:
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows(rows)
    return out.getvalue()


def csv_response(rows: list[list[Cell]], filename: str) -> Response:
    return Response(
        rows_csv(rows),
        media_type="text/csv; charset=utf-8",
        headers={
            "Content-Disposition": f'attachment; filename="{filename}"',
            "Cache-Control": "private, no-store",
        },
    )


def _csv_route(table: str) -> None:
    @router.get(f"/metrics/alerts/{table}.csv", name=f"alert_metrics_{table}_csv")
    def table_csv(
        request: Request,
        caller: Caller = Depends(ui_caller(Role.VIEWER)),
        ctx: AppContext = Depends(app_context),
    ) -> Response:
        with ctx.db.unit_of_work(readonly=True) as uow:
            noise = alert_noise(uow, parse_noise_filter(dict(request.query_params), uow.now))
        return csv_response(noise_table(noise, table), f"alert-metrics-{table}.csv")


for _table in TABLES:
    _csv_route(_table)
