"""/api/v1/drill-scenarios and /api/v1/drill-runs: drill scenarios as versioned YAML
(managers apply; everyone reads), runs (managers start them; the facilitator or a
manager pauses, resumes, fires, skips, grades, ends), debriefs, action items, reports
and each team's drill history."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Response
from pydantic import Field

from muster.domain.accounts.schemas import Strict
from muster.domain.drills import debrief, report, runs, scenarios
from muster.domain.drills.parse import MAX_SOURCE
from muster.domain.drills.views import RunOut, ScenarioOut, run_out, scenario_out
from muster.domain.events.actor import Role
from muster.web.api.common import PROBLEM_RESPONSES, ListOut
from muster.web.auth import Caller, api_caller
from muster.web.context import AppContext, app_context

router = APIRouter(tags=["drills"], responses=PROBLEM_RESPONSES)
VIEWER = api_caller(Role.VIEWER)
RESPONDER = api_caller(Role.RESPONDER)
MANAGER = api_caller(Role.MANAGER)
Text = Annotated[str, Field(max_length=20_000)]


class ApplyIn(Strict):
    source: Annotated[str, Field(max_length=MAX_SOURCE)]


class StartIn(Strict):
    scenario_id: str = Field(min_length=1, max_length=80)
    team_id: str = Field(min_length=1, max_length=36)
    mode: Literal["live", "tabletop"]
    facilitator_id: str = Field(min_length=1, max_length=36)
    participants: dict[str, Annotated[str, Field(min_length=1, max_length=36)]] = Field(
        default_factory=dict, max_length=20
    )


class FireIn(Strict):
    inject_id: str | None = Field(default=None, max_length=60)


class GradeIn(Strict):
    grade: Literal["met", "partly", "missed"]
    note: Annotated[str, Field(max_length=4000)] = ""


class NotesIn(Strict):
    notes: Text


class DebriefIn(Strict):
    went_well: Annotated[str, Field(max_length=4000)] = ""
    went_badly: Annotated[str, Field(max_length=4000)] = ""
    score: int = Field(ge=1, le=5)


class ActionIn(Strict):
    title: str = Field(min_length=1, max_length=300)
    owner_id: str | None = Field(default=None, max_length=36)
    due_on: date | None = None


class ActionStatusIn(Strict):
    status: Literal["open", "in_progress", "done", "wont_do"]
    reason: Annotated[str, Field(max_length=4000)] | None = None


@router.get("/drill-scenarios", response_model=ListOut[ScenarioOut], summary="List drill scenarios")
def list_scenarios(
    archived: bool = False, caller: Caller = Depends(VIEWER), ctx: AppContext = Depends(app_context)
) -> ListOut[ScenarioOut]:
    with ctx.db.unit_of_work(readonly=True) as uow:
        found = scenarios.list_scenarios(uow, archived=archived)
        return ListOut(items=[scenario_out(s) for s in found])


@router.post("/drill-scenarios", response_model=ScenarioOut, responses={201: {"description": "Created"}},
             summary="Apply a scenario's YAML: create it (201) or save a new version (200) (manager)")  # fmt: skip
def apply_scenario(
    body: ApplyIn, response: Response, caller: Caller = Depends(MANAGER),
    ctx: AppContext = Depends(app_context),
) -> ScenarioOut:  # fmt: skip
    with ctx.db.unit_of_work() as uow:
        scenario, created = scenarios.do_apply_scenario(uow, caller.actor, body.source)
        uow.commit()
        response.status_code = 201 if created else 200
        return scenario_out(scenario, scenarios.current_version(uow, scenario))


@router.get(
    "/drill-scenarios/{scenario_id}", response_model=ScenarioOut, summary="A scenario with its YAML"
)
def get_scenario(
    scenario_id: str, caller: Caller = Depends(VIEWER), ctx: AppContext = Depends(app_context)
) -> ScenarioOut:
    with ctx.db.unit_of_work(readonly=True) as uow:
        scenario = scenarios.get_scenario(uow, scenario_id)
        return scenario_out(scenario, scenarios.current_version(uow, scenario),
                            scenarios.versions(uow, scenario.id))  # fmt: skip


@router.post(
    "/drill-scenarios/{scenario_id}/archive",
    response_model=ScenarioOut,
    summary="Archive a scenario (manager)",
)
def archive_scenario(
    scenario_id: str, caller: Caller = Depends(MANAGER), ctx: AppContext = Depends(app_context)
) -> ScenarioOut:
    with ctx.db.unit_of_work() as uow:
        scenario = scenarios.do_archive_scenario(uow, caller.actor, scenario_id)
        uow.commit()
        return scenario_out(scenario)


@router.get("/drill-runs", response_model=ListOut[RunOut], summary="Drill runs, newest first")
def list_runs(
    team_id: str | None = None, caller: Caller = Depends(VIEWER),
    ctx: AppContext = Depends(app_context),
) -> ListOut[RunOut]:  # fmt: skip
    with ctx.db.unit_of_work(readonly=True) as uow:
        return ListOut(items=[run_out(uow, r) for r in runs.list_runs(uow, team_id=team_id)])


@router.post(
    "/drill-runs", response_model=RunOut, status_code=201, summary="Start a drill run (manager)"
)
def start_run(
    body: StartIn, caller: Caller = Depends(MANAGER), ctx: AppContext = Depends(app_context)
) -> RunOut:
    with ctx.db.unit_of_work() as uow:
        run = runs.do_start_run(uow, caller.actor, body.scenario_id, team_id=body.team_id,
                                mode=body.mode, facilitator_id=body.facilitator_id,
                                participants=body.participants)  # fmt: skip
        uow.commit()
        return run_out(uow, run)


@router.get(
    "/drill-runs/{run_id}", response_model=RunOut, summary="A drill run: injects and expectations"
)
def get_run(
    run_id: str, caller: Caller = Depends(VIEWER), ctx: AppContext = Depends(app_context)
) -> RunOut:
    with ctx.db.unit_of_work(readonly=True) as uow:
        return run_out(uow, runs.get_run(uow, run_id))


def _control(ctx: AppContext, caller: Caller, run_id: str, command: Any, *args: Any) -> RunOut:
    with ctx.db.unit_of_work() as uow:
        command(uow, caller.actor, run_id, *args)
        uow.commit()
        return run_out(uow, runs.get_run(uow, run_id))


@router.post(
    "/drill-runs/{run_id}/pause", response_model=RunOut, summary="Pause (facilitator or manager)"
)
def pause(
    run_id: str, caller: Caller = Depends(RESPONDER), ctx: AppContext = Depends(app_context)
) -> RunOut:
    return _control(ctx, caller, run_id, runs.do_pause)


@router.post(
    "/drill-runs/{run_id}/resume", response_model=RunOut, summary="Resume (facilitator or manager)"
)
def resume(
    run_id: str, caller: Caller = Depends(RESPONDER), ctx: AppContext = Depends(app_context)
) -> RunOut:
    return _control(ctx, caller, run_id, runs.do_resume)


@router.post(
    "/drill-runs/{run_id}/end", response_model=RunOut, summary="End early (facilitator or manager)"
)
def end(
    run_id: str, caller: Caller = Depends(RESPONDER), ctx: AppContext = Depends(app_context)
) -> RunOut:
    return _control(ctx, caller, run_id, runs.do_end)


@router.post("/drill-runs/{run_id}/fire", response_model=RunOut,
             summary="Fire an inject now, the next one by default (facilitator or manager)")  # fmt: skip
def fire(
    run_id: str, body: FireIn, caller: Caller = Depends(RESPONDER),
    ctx: AppContext = Depends(app_context),
) -> RunOut:  # fmt: skip
    return _control(ctx, caller, run_id, runs.do_fire, body.inject_id)


@router.post("/drill-runs/{run_id}/injects/{inject_id}/skip", response_model=RunOut,
             summary="Skip an inject (facilitator or manager)")  # fmt: skip
def skip(
    run_id: str, inject_id: str, caller: Caller = Depends(RESPONDER),
    ctx: AppContext = Depends(app_context),
) -> RunOut:  # fmt: skip
    return _control(ctx, caller, run_id, runs.do_skip, inject_id)


@router.post("/drill-runs/{run_id}/expectations/{expectation_id}/grade", response_model=RunOut,
             summary="Grade a manual expectation (facilitator or manager)")  # fmt: skip
def grade(
    run_id: str, expectation_id: str, body: GradeIn, caller: Caller = Depends(RESPONDER),
    ctx: AppContext = Depends(app_context),
) -> RunOut:  # fmt: skip
    return _control(ctx, caller, run_id, runs.do_grade, expectation_id, body.grade, body.note)


@router.put(
    "/drill-runs/{run_id}/notes",
    response_model=RunOut,
    summary="Save the notes pad (facilitator or manager)",
)
def notes(
    run_id: str, body: NotesIn, caller: Caller = Depends(RESPONDER),
    ctx: AppContext = Depends(app_context),
) -> RunOut:  # fmt: skip
    return _control(ctx, caller, run_id, runs.do_save_notes, body.notes)


@router.post(
    "/drill-runs/{run_id}/debriefs", status_code=201, summary="Answer the debrief (participants)"
)
def give_debrief(
    run_id: str, body: DebriefIn, caller: Caller = Depends(RESPONDER),
    ctx: AppContext = Depends(app_context),
) -> dict[str, Any]:  # fmt: skip
    with ctx.db.unit_of_work() as uow:
        found = debrief.do_submit_debrief(uow, caller.actor, run_id, went_well=body.went_well,
                                          went_badly=body.went_badly, score=body.score)  # fmt: skip
        uow.commit()
        return {"id": found.id, "run_id": run_id, "score": found.score}


@router.post(
    "/drill-runs/{run_id}/action-items",
    status_code=201,
    summary="Add an action item from the drill",
)
def add_action(
    run_id: str, body: ActionIn, caller: Caller = Depends(RESPONDER),
    ctx: AppContext = Depends(app_context),
) -> dict[str, Any]:  # fmt: skip
    with ctx.db.unit_of_work() as uow:
        item = debrief.do_add_action_item(uow, caller.actor, run_id, title=body.title,
                                          owner_id=body.owner_id, due_on=body.due_on)  # fmt: skip
        uow.commit()
        return {
            "id": item.id,
            "key": f"DA-{item.number}",
            "title": item.title,
            "status": item.status,
        }


@router.patch("/drill-action-items/{item_id}", summary="Move a drill action item")
def set_action_status(
    item_id: str, body: ActionStatusIn, caller: Caller = Depends(RESPONDER),
    ctx: AppContext = Depends(app_context),
) -> dict[str, Any]:  # fmt: skip
    with ctx.db.unit_of_work() as uow:
        item = debrief.do_set_action_status(uow, caller.actor, item_id, body.status, body.reason)
        uow.commit()
        return {
            "id": item.id,
            "key": f"DA-{item.number}",
            "title": item.title,
            "status": item.status,
        }


@router.get("/drill-runs/{run_id}/report", summary="The drill's report (JSON)")
def get_report(
    run_id: str, caller: Caller = Depends(VIEWER), ctx: AppContext = Depends(app_context)
) -> dict[str, Any]:
    with ctx.db.unit_of_work(readonly=True) as uow:
        return report.report_of(uow, runs.get_run(uow, run_id))


@router.post(
    "/drill-runs/{run_id}/keep-report",
    response_model=RunOut,
    summary="Keep the report (facilitator or manager)",
)
def keep_report(
    run_id: str, caller: Caller = Depends(RESPONDER), ctx: AppContext = Depends(app_context)
) -> RunOut:
    return _control(ctx, caller, run_id, report.do_keep_report)


@router.post(
    "/drill-runs/{run_id}/cleanup", summary="Remove everything the drill created (manager)"
)
def cleanup(
    run_id: str, caller: Caller = Depends(MANAGER), ctx: AppContext = Depends(app_context)
) -> dict[str, int]:
    with ctx.db.unit_of_work() as uow:
        counts = report.do_cleanup_run(uow, caller.actor, run_id)
        uow.commit()
        return counts


@router.get("/teams/{team_id}/drill-history", summary="A team's drill scores over time")
def history(
    team_id: str, caller: Caller = Depends(VIEWER), ctx: AppContext = Depends(app_context)
) -> dict[str, Any]:
    with ctx.db.unit_of_work(readonly=True) as uow:
        return {"items": report.team_history(uow, team_id)}
