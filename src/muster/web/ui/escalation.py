"""Escalation policies: list, create and edit levels (targets, delays, repeats, ack
timeout), archive, and which services page through each policy.

Levels are plain form rows (a delay and a multiple choice of targets), so the page works
without JavaScript: rows left without targets are dropped, and two blank rows follow the
existing ones each time the form is shown.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response
from sqlalchemy import select

from muster.db.uow import UnitOfWork
from muster.domain.catalog import service as catalog
from muster.domain.catalog.models import Service
from muster.domain.config_code.marks import is_managed
from muster.domain.escalation import service as policies
from muster.domain.escalation.models import EscalationPolicy
from muster.domain.escalation.schemas import MAX_LEVELS, PolicyCreate, PolicyUpdate, ServicePagingIn
from muster.domain.events.actor import Role
from muster.domain.events.service import events_for
from muster.domain.inputs import parse_input
from muster.domain.oncall.models import Schedule
from muster.errors import Conflict, InvalidInput, MusterError
from muster.web.auth import Caller, ui_caller
from muster.web.context import AppContext, app_context
from muster.web.ui.forms import FormState, blank_form, posted_lists, run_command, see_other
from muster.web.ui.paging import PAGE_SIZE, page_links
from muster.web.ui.render import render
from muster.web.ui.services import team_options
from muster.web.ui.teams import active_users

router = APIRouter(include_in_schema=False)
BASE = "/escalation-policies"
BLANK_ROWS = 2
DEFAULT_DELAY = "5"


class PolicyForm(FormState):
    """Names a level's fields after the level people see ("Level 2 delay")."""

    def label(self, name: str) -> str:
        if _is_row(name):
            _, row, field = name.split(".", 2)
            what = "delay" if field.startswith("delay") else "targets"
            return f"Level {int(row) + 1} {what}"
        return super().label(name)


@router.get(BASE)
def list_policies(
    request: Request,
    archived: bool = False,
    cursor: str | None = Query(None, max_length=400),
    caller: Caller = Depends(ui_caller()),
    ctx: AppContext = Depends(app_context),
) -> Response:
    with ctx.db.unit_of_work(readonly=True) as uow:
        page = policies.list_policies(uow, cursor=cursor, limit=PAGE_SIZE, archived=archived)
        return render(
            request,
            "escalation_policies_list.html",
            caller,
            policies=[policies.policy_out(uow, p) for p in page.items],
            archived=archived,
            can_manage=caller.actor.role >= Role.MANAGER,
            **page_links(BASE, page, cursor, archived=archived),
        )


@router.get(BASE + "/new")
def new_policy_page(
    request: Request,
    caller: Caller = Depends(ui_caller(Role.MANAGER)),
    ctx: AppContext = Depends(app_context),
) -> Response:
    with ctx.db.unit_of_work(readonly=True) as uow:
        form = blank_form(repeat_count="0")
        return _form_page(request, caller, uow, form, {}, policy=None)


@router.post(BASE + "/new")
def create_policy(
    request: Request,
    caller: Caller = Depends(ui_caller(Role.MANAGER)),
    fields: dict[str, list[str]] = Depends(posted_lists),
    ctx: AppContext = Depends(app_context),
) -> Response:
    data, rows = policy_input(fields)
    try:
        policy_in = parse_input(PolicyCreate, data)
        policy = run_command(ctx, policies.do_create_policy, caller.actor, policy_in)
    except (InvalidInput, Conflict) as exc:
        return _failed(request, caller, ctx, fields, rows, exc, policy=None)
    return see_other(f"{BASE}/{policy.id}")


@router.get(BASE + "/{policy_id}")
def show_policy(
    request: Request,
    policy_id: str,
    caller: Caller = Depends(ui_caller()),
    ctx: AppContext = Depends(app_context),
) -> Response:
    with ctx.db.unit_of_work(readonly=True) as uow:
        policy = policies.get_policy(uow, policy_id)
        view = policies.policy_out(uow, policy)
        using = {s.id for s in view.services}
        return render(
            request,
            "escalation_policies_show.html",
            caller,
            policy=view,
            can_manage=caller.actor.role >= Role.MANAGER,
            other_services=[(s.id, s.name) for s in _services(uow) if s.id not in using],
            activity=events_for(uow, "escalation_policy", policy.id),
        )


@router.get(BASE + "/{policy_id}/edit")
def edit_policy_page(
    request: Request,
    policy_id: str,
    caller: Caller = Depends(ui_caller(Role.MANAGER)),
    ctx: AppContext = Depends(app_context),
) -> Response:
    with ctx.db.unit_of_work(readonly=True) as uow:
        policy = policies.get_policy(uow, policy_id)
        values = {
            "name": policy.name,
            "description": policy.description,
            "team_id": policy.team_id,
            "repeat_count": str(policy.repeat_count),
            "ack_timeout_minutes": str(policy.ack_timeout_minutes or ""),
        }
        selected: dict[int, list[str]] = {}
        for i, level in enumerate(policy.levels):
            values[f"levels.{i}.delay_minutes"] = str(level.delay_minutes)
            selected[i] = [f"{t['type']}:{t['id']}" for t in level.targets]
        return _form_page(request, caller, uow, blank_form(**values), selected, policy=policy)


@router.post(BASE + "/{policy_id}/edit")
def edit_policy(
    request: Request,
    policy_id: str,
    caller: Caller = Depends(ui_caller(Role.MANAGER)),
    fields: dict[str, list[str]] = Depends(posted_lists),
    ctx: AppContext = Depends(app_context),
) -> Response:
    data, rows = policy_input(fields)
    try:
        update = parse_input(PolicyUpdate, data)
        run_command(ctx, policies.do_update_policy, caller.actor, policy_id, update)
    except (InvalidInput, Conflict) as exc:
        with ctx.db.unit_of_work(readonly=True) as uow:
            policy = policies.get_policy(uow, policy_id)
        return _failed(request, caller, ctx, fields, rows, exc, policy=policy)
    return see_other(f"{BASE}/{policy_id}")


@router.post(BASE + "/{policy_id}/archive")
def archive_policy(
    policy_id: str,
    caller: Caller = Depends(ui_caller(Role.MANAGER)),
    ctx: AppContext = Depends(app_context),
) -> Response:
    run_command(ctx, policies.do_archive_policy, caller.actor, policy_id)
    return see_other(f"{BASE}/{policy_id}")


@router.post(BASE + "/{policy_id}/services")
def assign_to_service(
    policy_id: str,
    caller: Caller = Depends(ui_caller(Role.MANAGER)),
    fields: dict[str, list[str]] = Depends(posted_lists),
    ctx: AppContext = Depends(app_context),
) -> Response:
    """Make this policy page for the chosen service (replacing the one it had)."""
    paging = ServicePagingIn(escalation_policy_id=policy_id)
    run_command(ctx, policies.do_assign_policy, caller.actor, _first(fields, "service_id"), paging)
    return see_other(f"{BASE}/{policy_id}#services")


@router.post(BASE + "/{policy_id}/services/{service_id}/remove")
def unassign_service(
    policy_id: str,
    service_id: str,
    caller: Caller = Depends(ui_caller(Role.MANAGER)),
    ctx: AppContext = Depends(app_context),
) -> Response:
    with ctx.db.unit_of_work() as uow:
        if catalog.get_service(uow, service_id).escalation_policy_id == policy_id:
            paging = ServicePagingIn(escalation_policy_id=None)
            policies.do_assign_policy(uow, caller.actor, service_id, paging)
            uow.commit()
    return see_other(f"{BASE}/{policy_id}#services")


def _first(fields: Mapping[str, list[str]], name: str) -> str:
    values = fields.get(name) or [""]
    return values[-1]


def policy_input(fields: Mapping[str, list[str]]) -> tuple[dict[str, Any], list[int]]:
    """The posted form as policy input, and the form row of each level kept."""
    data: dict[str, Any] = {
        name: _first(fields, name) for name in ("name", "description", "team_id", "repeat_count")
    }
    data["ack_timeout_minutes"] = _first(fields, "ack_timeout_minutes").strip() or None
    levels: list[dict[str, Any]] = []
    rows: list[int] = []
    for row in range(MAX_LEVELS + BLANK_ROWS):
        chosen = [v.split(":", 1) for v in fields.get(f"levels.{row}.targets", []) if ":" in v]
        if not chosen:
            continue  # a row without targets is no level
        rows.append(row)
        delay = _first(fields, f"levels.{row}.delay_minutes").strip()
        levels.append(
            {"delay_minutes": delay, "targets": [{"type": k, "id": i} for k, i in chosen]}
        )
    data["levels"] = levels
    return data, rows


def _form_field(name: str, rows: list[int]) -> str:
    """A domain field (``levels.<i>.targets.<j>.id``) as the form field showing it."""
    parts = name.split(".")
    if len(parts) < 3 or parts[0] != "levels" or not parts[1].isdigit():
        return name
    row = rows[int(parts[1])] if int(parts[1]) < len(rows) else int(parts[1])
    return f"levels.{row}.{parts[2]}"


def _failed(
    request: Request, caller: Caller, ctx: AppContext, fields: Mapping[str, list[str]],
    rows: list[int], exc: MusterError, *, policy: EscalationPolicy | None,
) -> Response:  # fmt: skip
    values = {name: v[-1] for name, v in fields.items() if v}
    errors = {_form_field(e.field, rows): e.reason for e in exc.errors}
    form = PolicyForm(values=values, errors=errors, problem=exc.detail)
    selected = {
        int(name.split(".")[1]): v
        for name, v in fields.items()
        if _is_row(name) and name.endswith(".targets")
    }
    with ctx.db.unit_of_work(readonly=True) as uow:
        return _form_page(
            request, caller, uow, form, selected, policy=policy, status_code=exc.status
        )


def _form_page(
    request: Request, caller: Caller, uow: UnitOfWork, form: FormState,
    selected: Mapping[int, list[str]], *, policy: EscalationPolicy | None, status_code: int = 200,
) -> Response:  # fmt: skip
    error_rows = [int(k.split(".")[1]) for k in form.errors if _is_row(k)]
    used = max([*selected, *error_rows], default=-1) + 1
    rows = min(max(used + BLANK_ROWS, 3), MAX_LEVELS + BLANK_ROWS)
    for row in range(rows):
        form.values.setdefault(f"levels.{row}.delay_minutes", DEFAULT_DELAY)
    return render(
        request,
        "escalation_policies_form.html",
        caller,
        status_code=status_code,
        form=form,
        policy=policy,
        rows=range(rows),
        selected={i: set(v) for i, v in selected.items()},
        teams=team_options(uow, keep=policy.team_id if policy else None),
        targets=target_choices(uow),
        managed=(
            "escalation policy"
            if policy and is_managed(uow, "escalation_policies", policy.id)
            else ""
        ),
    )


def _is_row(name: str) -> bool:
    parts = name.split(".")
    return len(parts) > 2 and parts[0] == "levels" and parts[1].isdigit()


def target_choices(uow: UnitOfWork) -> list[tuple[str, list[tuple[str, str]]]]:
    """Everyone and everything a level may page, grouped for a multiple choice."""
    people = [(f"user:{u.id}", f"{u.name} ({u.email})") for u in active_users(uow)]
    schedules = [
        (f"schedule:{s.id}", s.name)
        for s in uow.session.scalars(
            select(Schedule).where(Schedule.archived_at.is_(None)).order_by(Schedule.name)
        )
    ]
    teams = [(f"team:{value}", name) for value, name in team_options(uow)]
    return [
        ("People", people),
        ("Schedules (whoever is on call)", schedules),
        ("Teams (every member)", teams),
    ]


def _services(uow: UnitOfWork) -> list[Service]:
    return list(
        uow.session.scalars(
            select(Service).where(Service.archived_at.is_(None)).order_by(Service.name)
        )
    )
