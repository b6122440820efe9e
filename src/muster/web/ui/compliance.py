"""The compliance page (/compliance): regulatory clocks across the incidents the viewer
may see — due today (in the viewer's zone), running, missed — and counts by regime,
narrowed to one regime with ``?regime=``."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response
from sqlalchemy import select

from muster.domain.compliance.clock_views import (
    STATUS_LABELS,
    clock_counts,
    left_words,
    list_clocks,
)
from muster.domain.compliance.models import Regime
from muster.web.auth import Caller, ui_caller
from muster.web.context import AppContext, app_context
from muster.web.ui.render import render

router = APIRouter(include_in_schema=False)
SHOWN = 200  # clocks per section


def end_of_today(now: datetime, zone: str) -> datetime:
    """Local midnight at the end of ``now``'s day in ``zone``."""
    tz = ZoneInfo(zone)
    tomorrow = now.astimezone(tz).date() + timedelta(days=1)
    return datetime.combine(tomorrow, time(0), tzinfo=tz)


@router.get("/compliance")
def compliance_page(
    request: Request,
    regime: str = Query("", max_length=40),
    caller: Caller = Depends(ui_caller()),
    ctx: AppContext = Depends(app_context),
) -> Response:
    with ctx.db.unit_of_work(readonly=True) as uow:
        regimes = uow.session.execute(select(Regime.key, Regime.name).order_by(Regime.name)).all()
        chosen = regime if regime in {r.key for r in regimes} else None
        today_end = end_of_today(uow.now, caller.user.time_zone)
        running, more_running = list_clocks(uow, caller.actor, status="running", regime=chosen, limit=SHOWN)  # fmt: skip
        missed, more_missed = list_clocks(uow, caller.actor, status="missed", regime=chosen, limit=SHOWN)  # fmt: skip
        return render(
            request, "compliance_list.html", caller,
            regimes=[(r.key, r.name) for r in regimes], chosen=chosen or "",
            due_today=[c for c in running if c.due_at and c.due_at < today_end],
            running=running, missed=missed, more=bool(more_running or more_missed),
            counts=[c for c in clock_counts(uow, caller.actor) if not chosen or c[0] == chosen],
            status_labels=STATUS_LABELS, left_words=left_words, shown=SHOWN,
        )  # fmt: skip
