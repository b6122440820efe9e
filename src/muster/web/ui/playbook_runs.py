"""Running playbooks from the UI: the dry-run page (pick an incident, see what each step
would do, nothing happens), starting a run on an incident, and a run's own page (live):
its steps with status, outputs and errors, approve/reject for whoever holds the step's
role, and cancel. Runs are never edited; these buttons are commands that append events."""

from __future__ import annotations

from collections.abc import Callable

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response

from muster.db.uow import UnitOfWork
from muster.domain.events.actor import Role
from muster.domain.incidents.service import find_incident, reference
from muster.domain.playbooks import runs, service
from muster.domain.playbooks.approvals import do_decide_approval
from muster.domain.playbooks.dry_run import attach_preview, dry_run
from muster.domain.playbooks.models import RUN_ENDED, PlaybookRun
from muster.errors import Conflict, FieldError, InvalidInput, NotFound
from muster.web.auth import Caller, ui_caller
from muster.web.context import AppContext, app_context
from muster.web.live import live_context
from muster.web.ui.forms import FormState, blank_form, failed_form, posted, see_other
from muster.web.ui.incident_page import incident_page
from muster.web.ui.playbook_choices import incident_choices
from muster.web.ui.playbook_section import may_decide
from muster.web.ui.render import render

router = APIRouter(include_in_schema=False)
RESPONDER = Depends(ui_caller(Role.RESPONDER))


@router.get("/playbooks/{playbook_id}/dry-run")
def dry_run_page(
    request: Request,
    playbook_id: str,
    incident_id: str = Query("", max_length=40),
    caller: Caller = Depends(ui_caller()),
    ctx: AppContext = Depends(app_context),
) -> Response:
    """Pick an incident; with one picked, the table of what each step would do."""
    with ctx.db.unit_of_work(readonly=True) as uow:
        playbook = service.get_playbook(uow, playbook_id)
        incident = find_incident(uow, caller.actor, incident_id) if incident_id else None
        previews = dry_run(uow, caller.actor, playbook.id, incident.id) if incident else []
        attach = attach_preview(uow, caller.actor, playbook.id, incident.id) if incident else None
        return render(
            request,
            "playbooks_dry_run.html",
            caller,
            playbook=playbook,
            incident=incident,
            ref=reference(incident) if incident else "",
            previews=previews,
            attach=attach,
            incidents=incident_choices(uow, caller),
            can_run=caller.actor.role >= Role.RESPONDER and playbook.archived_at is None,
        )


@router.post("/incidents/{incident_id}/playbook-runs")
def start_run(
    request: Request,
    incident_id: str,
    caller: Caller = RESPONDER,
    fields: dict[str, str] = Depends(posted),
    ctx: AppContext = Depends(app_context),
) -> Response:
    """Run the picked playbook on the incident now (``do=dry-run``: go to its dry-run)."""
    playbook_id = fields.get("playbook_id", "")[:40]
    if fields.get("do") == "dry-run" and playbook_id:
        return see_other(f"/playbooks/{playbook_id}/dry-run?incident_id={incident_id[:40]}")
    try:
        if not playbook_id:
            raise InvalidInput(
                "no playbook picked", errors=[FieldError("playbook_id", "pick a playbook")]
            )
        with ctx.db.unit_of_work() as uow:
            run = runs.do_run_manually(uow, caller.actor, playbook_id, incident_id)
            uow.commit()
            run_id = run.id
    except (InvalidInput, Conflict, NotFound) as exc:
        if isinstance(exc, NotFound) and "playbook" not in exc.detail.lower():
            raise  # the incident itself: the error page says so
        form = failed_form(fields, exc, prefix="playbook")
        with ctx.db.unit_of_work(readonly=True) as uow:
            incident = find_incident(uow, caller.actor, incident_id)
            return incident_page(
                request, caller, uow, ctx, incident, forms={"playbook": form},
                status_code=exc.status,
            )  # fmt: skip
    return see_other(f"/playbook-runs/{run_id}")


def run_page(
    request: Request,
    caller: Caller,
    uow: UnitOfWork,
    run: PlaybookRun,
    *,
    form: FormState | None = None,
    status_code: int = 200,
) -> Response:
    incident = find_incident(uow, caller.actor, run.incident_id)
    return render(
        request,
        "playbook_runs_show.html",
        caller,
        status_code=status_code,
        region="_playbook_run_region.html",
        run=run,
        incident=incident,
        ref=reference(incident),
        ended=run.status in RUN_ENDED,
        deciders={s.id for s in run.steps if may_decide(uow, caller, s, incident.id)},
        can_cancel=caller.actor.role >= Role.RESPONDER and run.status not in RUN_ENDED,
        f=form or blank_form("run"),
        **live_context(uow, f"incident:{incident.id}"),
    )


@router.get("/playbook-runs/{run_id}")
def show_run(
    request: Request,
    run_id: str,
    caller: Caller = Depends(ui_caller()),
    ctx: AppContext = Depends(app_context),
) -> Response:
    with ctx.db.unit_of_work(readonly=True) as uow:
        return run_page(request, caller, uow, runs.get_run(uow, caller.actor, run_id))


def _act(
    request: Request,
    caller: Caller,
    ctx: AppContext,
    run_id: str,
    fields: dict[str, str],
    command: Callable[[UnitOfWork], object],
) -> Response:
    """Run ``command``, then back to the run page; refused, the page shows why."""
    try:
        with ctx.db.unit_of_work() as uow:
            command(uow)
            uow.commit()
    except (InvalidInput, Conflict) as exc:
        form = failed_form(fields, exc, prefix="run")
        with ctx.db.unit_of_work(readonly=True) as uow:
            run = runs.get_run(uow, caller.actor, run_id)
            return run_page(request, caller, uow, run, form=form, status_code=exc.status)
    return see_other(f"/playbook-runs/{run_id}")


@router.post("/playbook-runs/{run_id}/cancel")
def cancel_run(
    request: Request,
    run_id: str,
    caller: Caller = RESPONDER,
    fields: dict[str, str] = Depends(posted),
    ctx: AppContext = Depends(app_context),
) -> Response:
    return _act(
        request, caller, ctx, run_id, fields,
        lambda uow: runs.do_cancel_run(uow, caller.actor, run_id),
    )  # fmt: skip


@router.post("/playbook-runs/{run_id}/steps/{step_id}/decision")
def decide(
    request: Request,
    run_id: str,
    step_id: str,
    caller: Caller = Depends(ui_caller()),
    fields: dict[str, str] = Depends(posted),
    ctx: AppContext = Depends(app_context),
) -> Response:
    """Approve or reject an approval step (the command checks who may)."""
    decision = fields.get("decision", "")
    if decision not in ("approve", "reject"):
        raise InvalidInput("bad decision", errors=[FieldError("decision", "approve or reject")])

    def command(uow: UnitOfWork) -> None:
        run = runs.get_run(uow, caller.actor, run_id)
        if all(s.id != step_id for s in run.steps):
            raise NotFound("no such step in this run")
        do_decide_approval(
            uow, caller.actor, step_id, decision == "approve", fields.get("note", "")[:2000]
        )

    return _act(request, caller, ctx, run_id, fields, command)
