"""/api/v1/playbooks and /api/v1/playbook-runs: playbooks as versioned YAML (managers
apply and switch them; everyone reads), dry-runs, manual runs, and runs with their steps
(cancel: responders)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Response
from pydantic import Field

from muster.domain.accounts.schemas import Strict
from muster.domain.events.actor import Role
from muster.domain.playbooks import runs, service
from muster.domain.playbooks.dry_run import dry_run
from muster.domain.playbooks.parse import MAX_SOURCE, parse_source
from muster.domain.playbooks.views import (
    PlaybookOut,
    RunOut,
    StepPreviewOut,
    playbook_out,
    preview_out,
    run_out,
)
from muster.web.api.common import PROBLEM_RESPONSES, ListOut
from muster.web.auth import Caller, api_caller
from muster.web.context import AppContext, app_context

router = APIRouter(tags=["playbooks"], responses=PROBLEM_RESPONSES)
VIEWER = api_caller(Role.VIEWER)
RESPONDER = api_caller(Role.RESPONDER)
MANAGER = api_caller(Role.MANAGER)


class ApplyIn(Strict):
    source: Annotated[str, Field(max_length=MAX_SOURCE)]  # and at most 256 KB of UTF-8


class EnabledIn(Strict):
    enabled: bool


class IncidentIn(Strict):
    incident_id: str


@router.get("/playbooks", response_model=ListOut[PlaybookOut], summary="List playbooks")
def list_playbooks(
    archived: bool = False,
    cursor: str | None = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    caller: Caller = Depends(VIEWER),
    ctx: AppContext = Depends(app_context),
) -> ListOut[PlaybookOut]:
    with ctx.db.unit_of_work(readonly=True) as uow:
        page = service.list_playbooks(uow, archived=archived, cursor=cursor, limit=limit)
        return ListOut(items=[playbook_out(p) for p in page.items], next_cursor=page.next_cursor)


@router.post(
    "/playbooks",
    response_model=PlaybookOut,
    summary="Apply a playbook's YAML: create it (201) or save a new version (200) (manager)",
    responses={201: {"description": "Created"}},
)
def apply_playbook(
    body: ApplyIn,
    response: Response,
    caller: Caller = Depends(MANAGER),
    ctx: AppContext = Depends(app_context),
) -> PlaybookOut:
    with ctx.db.unit_of_work() as uow:
        existed = service.key_taken(uow, parse_source(body.source).key)
        playbook = service.do_apply_playbook(uow, caller.actor, body.source)
        uow.commit()
        if not existed:
            response.status_code = 201
        return playbook_out(playbook, service.versions(uow, playbook.id))


@router.get("/playbooks/{playbook_id}", response_model=PlaybookOut, summary="Show a playbook")
def show_playbook(
    playbook_id: str, caller: Caller = Depends(VIEWER), ctx: AppContext = Depends(app_context)
) -> PlaybookOut:
    """By id or key, with every version (newest first)."""
    with ctx.db.unit_of_work(readonly=True) as uow:
        playbook = service.get_playbook(uow, playbook_id)
        return playbook_out(playbook, service.versions(uow, playbook.id))


@router.patch(
    "/playbooks/{playbook_id}", response_model=PlaybookOut, summary="Enable or disable (manager)"
)
def set_enabled(
    playbook_id: str,
    body: EnabledIn,
    caller: Caller = Depends(MANAGER),
    ctx: AppContext = Depends(app_context),
) -> PlaybookOut:
    with ctx.db.unit_of_work() as uow:
        playbook = service.do_set_enabled(uow, caller.actor, playbook_id, body.enabled)
        uow.commit()
        return playbook_out(playbook)


@router.post(
    "/playbooks/{playbook_id}/archive", response_model=PlaybookOut, summary="Archive (manager)"
)
def archive_playbook(
    playbook_id: str, caller: Caller = Depends(MANAGER), ctx: AppContext = Depends(app_context)
) -> PlaybookOut:
    with ctx.db.unit_of_work() as uow:
        playbook = service.do_archive(uow, caller.actor, playbook_id)
        uow.commit()
        return playbook_out(playbook)


@router.post(
    "/playbooks/{playbook_id}/versions/{version}/restore",
    response_model=PlaybookOut,
    summary="Save an earlier version as the next version (manager)",
)
def restore_version(
    playbook_id: str,
    version: int,
    caller: Caller = Depends(MANAGER),
    ctx: AppContext = Depends(app_context),
) -> PlaybookOut:
    with ctx.db.unit_of_work() as uow:
        playbook = service.do_restore_version(uow, caller.actor, playbook_id, version)
        uow.commit()
        return playbook_out(playbook, service.versions(uow, playbook.id))


@router.post(
    "/playbooks/{playbook_id}/dry-run",
    response_model=ListOut[StepPreviewOut],
    summary="What the playbook would do on an incident now (changes nothing)",
)
def dry_run_playbook(
    playbook_id: str,
    body: IncidentIn,
    caller: Caller = Depends(VIEWER),
    ctx: AppContext = Depends(app_context),
) -> ListOut[StepPreviewOut]:
    with ctx.db.unit_of_work(readonly=True) as uow:
        previews = dry_run(uow, caller.actor, playbook_id, body.incident_id)
        return ListOut(items=[preview_out(p) for p in previews])


@router.post(
    "/playbooks/{playbook_id}/runs",
    response_model=RunOut,
    status_code=201,
    summary="Run a playbook on an incident (responder)",
)
def start_run(
    playbook_id: str,
    body: IncidentIn,
    caller: Caller = Depends(RESPONDER),
    ctx: AppContext = Depends(app_context),
) -> RunOut:
    with ctx.db.unit_of_work() as uow:
        run = runs.do_run_manually(uow, caller.actor, playbook_id, body.incident_id)
        uow.commit()
        return run_out(run, runs.steps_of(uow, run))


@router.get("/playbook-runs", response_model=ListOut[RunOut], summary="An incident's runs")
def list_runs(
    incident_id: str, caller: Caller = Depends(VIEWER), ctx: AppContext = Depends(app_context)
) -> ListOut[RunOut]:
    with ctx.db.unit_of_work(readonly=True) as uow:
        found = runs.runs_for_incident(uow, caller.actor, incident_id)
        return ListOut(items=[run_out(r) for r in found])


@router.get("/playbook-runs/{run_id}", response_model=RunOut, summary="Show a run and its steps")
def show_run(
    run_id: str, caller: Caller = Depends(VIEWER), ctx: AppContext = Depends(app_context)
) -> RunOut:
    with ctx.db.unit_of_work(readonly=True) as uow:
        run = runs.get_run(uow, caller.actor, run_id)
        return run_out(run, runs.steps_of(uow, run))


@router.post(
    "/playbook-runs/{run_id}/cancel", response_model=RunOut, summary="Cancel a run (responder)"
)
def cancel_run(
    run_id: str, caller: Caller = Depends(RESPONDER), ctx: AppContext = Depends(app_context)
) -> RunOut:
    with ctx.db.unit_of_work() as uow:
        run = runs.do_cancel_run(uow, caller.actor, run_id)
        uow.commit()
        return run_out(run, runs.steps_of(uow, run))
