"""Drills: the list (scenarios, recent runs), one scenario (its YAML, the editor, the
form that starts a run), a new scenario, and each team's drill history. Everyone reads;
managers save scenarios and start runs. A bad document comes back in the editor with
each problem (field path and YAML line), and nothing is saved."""

from __future__ import annotations

from collections.abc import Sequence

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response
from sqlalchemy import select

from muster.db.uow import UnitOfWork
from muster.domain.accounts.models import Team, User
from muster.domain.config_code.marks import is_managed
from muster.domain.drills import report, runs, scenarios
from muster.domain.drills.models import Scenario
from muster.domain.drills.parse import parse_scenario
from muster.domain.events.actor import Role
from muster.errors import Conflict, FieldError, InvalidInput
from muster.web.auth import Caller, ui_caller
from muster.web.context import AppContext, app_context
from muster.web.ui.forms import FormState, blank_form, failed_form, posted, see_other
from muster.web.ui.render import render

router = APIRouter(include_in_schema=False)
MANAGER = Depends(ui_caller(Role.MANAGER))

STARTER = """\
key: my-drill
title: My drill
objectives: [Acknowledge within 5 minutes]
roles:
  - {key: commander}
injects:
  - name: first_alert
    kind: alert
    format: generic
    payload: {summary: Something is wrong, severity: critical, dedup_key: drill-1}
expectations:
  - {name: ack, title: Acknowledged within 5 minutes, check: alert_acknowledged, after: first_alert, within_minutes: 5}
"""


def _teams(uow: UnitOfWork) -> Sequence[Team]:
    return uow.session.scalars(
        select(Team).where(Team.archived_at.is_(None)).order_by(Team.name)
    ).all()


def _users(uow: UnitOfWork) -> Sequence[User]:
    return uow.session.scalars(
        select(User).where(User.archived_at.is_(None)).order_by(User.name)
    ).all()


@router.get("/drills")
def index(
    request: Request, caller: Caller = Depends(ui_caller()), ctx: AppContext = Depends(app_context)
) -> Response:
    with ctx.db.unit_of_work(readonly=True) as uow:
        return render(request, "drills_index.html", caller,
                      scenarios=scenarios.list_scenarios(uow), runs=runs.list_runs(uow, limit=50),
                      teams={t.id: t.name for t in _teams(uow)},
                      can_manage=caller.actor.role >= Role.MANAGER)  # fmt: skip


@router.get("/drills/scenarios/new")
def new_page(request: Request, caller: Caller = MANAGER) -> Response:
    return render(request, "drill_scenario_new.html", caller, f=blank_form("dr", source=STARTER))


@router.post("/drills/scenarios/new")
def create(
    request: Request, caller: Caller = MANAGER, fields: dict[str, str] = Depends(posted),
    ctx: AppContext = Depends(app_context),
) -> Response:  # fmt: skip
    source = fields.get("source", "")
    try:
        with ctx.db.unit_of_work() as uow:
            scenario, created = scenarios.do_apply_scenario(uow, caller.actor, source)
            if not created:
                raise Conflict("a scenario with this key exists",
                               errors=[FieldError("key", f"{scenario.key!r} is taken: edit that one")])  # fmt: skip
            uow.commit()
            scenario_id = scenario.id
    except (InvalidInput, Conflict) as exc:
        form = failed_form({"source": source}, exc, prefix="dr")
        return render(request, "drill_scenario_new.html", caller, f=form, status_code=exc.status)
    return see_other(f"/drills/scenarios/{scenario_id}")


def _show(
    request: Request, caller: Caller, uow: UnitOfWork, scenario: Scenario, *,
    form: FormState | None = None, start: FormState | None = None, status_code: int = 200,
) -> Response:  # fmt: skip
    current = scenarios.current_version(uow, scenario)
    return render(
        request, "drill_scenario.html", caller, scenario=scenario,
        definition=scenarios.definition_of(current),
        f=form or blank_form("dr", source=current.source), start=start or blank_form("st"),
        teams=_teams(uow), users=_users(uow), can_manage=caller.actor.role >= Role.MANAGER,
        status_code=status_code,
        managed="scenario" if is_managed(uow, "drill_scenarios", scenario.id) else "",
    )  # fmt: skip


@router.get("/drills/scenarios/{scenario_id}")
def show(
    request: Request, scenario_id: str, caller: Caller = Depends(ui_caller()),
    ctx: AppContext = Depends(app_context),
) -> Response:  # fmt: skip
    with ctx.db.unit_of_work(readonly=True) as uow:
        return _show(request, caller, uow, scenarios.get_scenario(uow, scenario_id))


@router.post("/drills/scenarios/{scenario_id}")
def save(
    request: Request, scenario_id: str, caller: Caller = MANAGER,
    fields: dict[str, str] = Depends(posted), ctx: AppContext = Depends(app_context),
) -> Response:  # fmt: skip
    source = fields.get("source", "")
    with ctx.db.unit_of_work() as uow:
        scenario = scenarios.get_scenario(uow, scenario_id)
        try:
            if parse_scenario(source).key != scenario.key:
                raise InvalidInput("the key cannot change here",
                                   errors=[FieldError("key", f"keep key: {scenario.key} (a new key is a new scenario)")])  # fmt: skip
            scenarios.do_apply_scenario(uow, caller.actor, source)
        except InvalidInput as exc:
            uow.rollback()
            form = failed_form({"source": source}, exc, prefix="dr")
            return _show(request, caller, uow, scenario, form=form, status_code=exc.status)
        uow.commit()
    return see_other(f"/drills/scenarios/{scenario_id}")


@router.post("/drills/scenarios/{scenario_id}/runs")
def start(
    request: Request, scenario_id: str, caller: Caller = MANAGER,
    fields: dict[str, str] = Depends(posted), ctx: AppContext = Depends(app_context),
) -> Response:  # fmt: skip
    participants = {
        k.removeprefix("role_"): v for k, v in fields.items() if k.startswith("role_") and v
    }
    with ctx.db.unit_of_work() as uow:
        scenario = scenarios.get_scenario(uow, scenario_id)
        try:
            run = runs.do_start_run(uow, caller.actor, scenario.id, team_id=fields.get("team_id", ""),
                                    mode=fields.get("mode", ""),
                                    facilitator_id=fields.get("facilitator_id", ""),
                                    participants=participants)  # fmt: skip
        except InvalidInput as exc:
            uow.rollback()
            form = failed_form(fields, exc, prefix="st")
            return _show(request, caller, uow, scenario, start=form, status_code=exc.status)
        uow.commit()
        run_id = run.id
    return see_other(f"/drills/runs/{run_id}")


@router.get("/drills/history")
def history(
    request: Request, team_id: str | None = Query(None, max_length=36),
    caller: Caller = Depends(ui_caller()), ctx: AppContext = Depends(app_context),
) -> Response:  # fmt: skip
    with ctx.db.unit_of_work(readonly=True) as uow:
        teams = _teams(uow)
        chosen = team_id or (teams[0].id if teams else None)
        items = report.team_history(uow, chosen) if chosen else []
        return render(
            request, "drill_history.html", caller, teams=teams, team_id=chosen, items=items
        )
