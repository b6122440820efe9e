"""A drill run's pages: the facilitator console (the script with what fired and what is
next, expectations turning green or red live, the notes pad, the controls), the report
(HTML, and PDF when the server has Chromium) with the debrief and action items.

Everyone signed in reads; the controls are the facilitator's or a manager's (the domain
checks), the debrief its participants'. The console listens to the run's events and its
exercise service's, and redraws its region when one comes.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from muster.domain.accounts.models import User
from muster.domain.drills import debrief, report, runs
from muster.domain.drills.drill_time import minutes, offset_at
from muster.domain.drills.models import DrillRun
from muster.domain.events.actor import Role
from muster.errors import FieldError, InvalidInput
from muster.web.auth import Caller, ui_caller
from muster.web.context import AppContext, app_context
from muster.web.live import live_context
from muster.web.pdf import check_pdf_available, chromium_path, html_to_pdf
from muster.web.ui.forms import posted, run_command, see_other
from muster.web.ui.render import env, render

router = APIRouter(include_in_schema=False)
RESPONDER = Depends(ui_caller(Role.RESPONDER))


# What redraws the console: the run's own events (an inject fired, an expectation met or
# missed, a pause) and its exercise service's alert events.
LIVE_EVENTS = " ".join((
    "live.reset", "drill.inject_fired", "drill.inject_failed", "drill.inject_skipped",
    "drill.expectation_met", "drill.expectation_missed", "drill.expectation_graded",
    "drill.run_paused", "drill.run_resumed", "drill.run_ended", "alert.triggered",
    "alert.acknowledged", "alert.resolved",
))  # fmt: skip


def _topics(run: DrillRun) -> list[str]:
    return [f"drill_run:{run.id}", *([f"service:{run.service_id}"] if run.service_id else [])]


@router.get("/drills/runs/{run_id}")
def console(
    request: Request, run_id: str, caller: Caller = Depends(ui_caller()),
    ctx: AppContext = Depends(app_context),
) -> Response:  # fmt: skip
    with ctx.db.unit_of_work(readonly=True) as uow:
        run = runs.get_run(uow, run_id)
        names = {u.id: u.name for u in uow.session.query(User).filter(User.id.in_(
            [run.facilitator_id, *run.participants.values()]))}  # fmt: skip
        controls = caller.actor.id == run.facilitator_id or caller.actor.role >= Role.MANAGER
        pending = [i for i in run.injects if i.status == "pending"]
        return render(
            request, "drill_console.html", caller, run=run, names=names, controls=controls,
            next_inject=pending[0] if pending else None, now_offset=offset_at(run, run.ended_at or uow.now),
            clock=minutes, region="_drill_console_region.html", live_events=LIVE_EVENTS,
            **live_context(uow, *_topics(run)),
        )  # fmt: skip


def _act(ctx: AppContext, caller: Caller, run_id: str, command: Any, *args: Any) -> Response:
    run_command(ctx, command, caller.actor, run_id, *args)
    return see_other(f"/drills/runs/{run_id}")


@router.post("/drills/runs/{run_id}/pause")
def pause(
    run_id: str, caller: Caller = RESPONDER, ctx: AppContext = Depends(app_context)
) -> Response:
    return _act(ctx, caller, run_id, runs.do_pause)


@router.post("/drills/runs/{run_id}/resume")
def resume(
    run_id: str, caller: Caller = RESPONDER, ctx: AppContext = Depends(app_context)
) -> Response:
    return _act(ctx, caller, run_id, runs.do_resume)


@router.post("/drills/runs/{run_id}/end")
def end(
    run_id: str, caller: Caller = RESPONDER, ctx: AppContext = Depends(app_context)
) -> Response:
    return _act(ctx, caller, run_id, runs.do_end)


@router.post("/drills/runs/{run_id}/fire")
def fire(
    run_id: str, caller: Caller = RESPONDER, fields: dict[str, str] = Depends(posted),
    ctx: AppContext = Depends(app_context),
) -> Response:  # fmt: skip
    return _act(ctx, caller, run_id, runs.do_fire, fields.get("inject_id") or None)


@router.post("/drills/runs/{run_id}/skip")
def skip(
    run_id: str, caller: Caller = RESPONDER, fields: dict[str, str] = Depends(posted),
    ctx: AppContext = Depends(app_context),
) -> Response:  # fmt: skip
    return _act(ctx, caller, run_id, runs.do_skip, fields.get("inject_id", ""))


@router.post("/drills/runs/{run_id}/grade")
def grade(
    run_id: str, caller: Caller = RESPONDER, fields: dict[str, str] = Depends(posted),
    ctx: AppContext = Depends(app_context),
) -> Response:  # fmt: skip
    return _act(ctx, caller, run_id, runs.do_grade, fields.get("expectation_id", ""),
                fields.get("grade", ""), fields.get("note", ""))  # fmt: skip


@router.post("/drills/runs/{run_id}/notes")
def notes(
    run_id: str, caller: Caller = RESPONDER, fields: dict[str, str] = Depends(posted),
    ctx: AppContext = Depends(app_context),
) -> Response:  # fmt: skip
    return _act(ctx, caller, run_id, runs.do_save_notes, fields.get("notes", ""))


@router.post("/drills/runs/{run_id}/debrief")
def give_debrief(
    run_id: str, caller: Caller = RESPONDER, fields: dict[str, str] = Depends(posted),
    ctx: AppContext = Depends(app_context),
) -> Response:  # fmt: skip
    score = fields.get("score", "")
    if not score.isdigit():
        raise InvalidInput("bad score", errors=[FieldError("score", "from 1 to 5")])
    with ctx.db.unit_of_work() as uow:
        debrief.do_submit_debrief(uow, caller.actor, run_id, went_well=fields.get("went_well", ""),
                                  went_badly=fields.get("went_badly", ""), score=int(score))  # fmt: skip
        uow.commit()
    return see_other(f"/drills/runs/{run_id}/report")


@router.post("/drills/runs/{run_id}/action-items")
def add_action(
    run_id: str, caller: Caller = RESPONDER, fields: dict[str, str] = Depends(posted),
    ctx: AppContext = Depends(app_context),
) -> Response:  # fmt: skip
    due = fields.get("due_on") or None
    try:
        due_on = date.fromisoformat(due) if due else None
    except ValueError:
        raise InvalidInput(
            "bad date", errors=[FieldError("due_on", "a date, YYYY-MM-DD")]
        ) from None
    with ctx.db.unit_of_work() as uow:
        debrief.do_add_action_item(uow, caller.actor, run_id, title=fields.get("title", ""),
                                   owner_id=fields.get("owner_id") or None, due_on=due_on)  # fmt: skip
        uow.commit()
    return see_other(f"/drills/runs/{run_id}/report")


@router.post("/drills/runs/{run_id}/keep-report")
def keep(
    run_id: str, caller: Caller = RESPONDER, ctx: AppContext = Depends(app_context)
) -> Response:
    run_command(ctx, report.do_keep_report, caller.actor, run_id)
    return see_other(f"/drills/runs/{run_id}/report")


@router.post("/drills/runs/{run_id}/cleanup")
def cleanup(
    run_id: str,
    caller: Caller = Depends(ui_caller(Role.MANAGER)),
    ctx: AppContext = Depends(app_context),
) -> Response:
    run_command(ctx, report.do_cleanup_run, caller.actor, run_id)
    return see_other(f"/drills/runs/{run_id}/report")


def _report(
    ctx: AppContext, caller: Caller, run_id: str
) -> tuple[dict[str, Any], DrillRun, list[User]]:
    with ctx.db.unit_of_work(readonly=True) as uow:
        run = runs.get_run(uow, run_id)
        data = report.report_of(uow, run)
        people = list(
            uow.session.query(User).filter(User.archived_at.is_(None)).order_by(User.name)
        )
        uow.session.expunge_all()
        return data, run, people


@router.get("/drills/runs/{run_id}/report")
def report_page(
    request: Request, run_id: str, caller: Caller = Depends(ui_caller()),
    ctx: AppContext = Depends(app_context),
) -> Response:  # fmt: skip
    data, run, people = _report(ctx, caller, run_id)
    return render(request, "drill_report_page.html", caller, r=data, run=run, people=people,
                  clock=minutes, pdf=bool(chromium_path(ctx.settings.extra)),
                  taking_part=caller.actor.id in {run.facilitator_id, *run.participants.values()},
                  controls=caller.actor.id == run.facilitator_id or caller.actor.role >= Role.MANAGER)  # fmt: skip


@router.get("/drills/runs/{run_id}/report.pdf")
def report_pdf(
    run_id: str, caller: Caller = Depends(ui_caller()), ctx: AppContext = Depends(app_context)
) -> Response:
    chromium = check_pdf_available(ctx.settings.extra)
    data, _run, _people = _report(ctx, caller, run_id)
    html = env.get_template("drill_report.html").render(r=data, clock=minutes, standalone=True)
    name = f"drill-report-{run_id[-8:]}.pdf"
    return Response(html_to_pdf(html, chromium), media_type="application/pdf",
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})  # fmt: skip
