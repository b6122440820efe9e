"""Routing rules: the ordered list (everyone reads), and for managers the form with
repeatable condition rows, moving up and down, and deleting."""

from __future__ import annotations

from typing import Any, Literal

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from muster.db.uow import UnitOfWork
from muster.domain.alerts import rules
from muster.domain.alerts.models import RoutingRule
from muster.domain.alerts.routing import OPERATORS, PLAIN_FIELDS
from muster.domain.alerts.schemas import RuleIn
from muster.domain.events.actor import Role
from muster.domain.events.service import events_for
from muster.errors import FieldError, InvalidInput
from muster.web.auth import Caller, ui_caller
from muster.web.context import AppContext, app_context
from muster.web.live import live_context
from muster.web.ui.alerts import SEVERITIES, service_choices
from muster.web.ui.forms import FormState, blank_form, parse_form, posted, run_command, see_other
from muster.web.ui.render import render

router = APIRouter(include_in_schema=False)

MIN_ROWS = 5
MAX_ROWS = 50
OPERATOR_LABELS = {
    "equals": "equals",
    "not_equals": "does not equal",
    "contains": "contains",
    "regex": "matches regex",
    "exists": "is present",
    "severity_at_least": "severity at least",
}
ACTION_RENAMES = {
    "actions.route_to_service_id": "route_to_service_id",
    "actions.set_severity": "set_severity",
    "actions.add_labels": "add_labels",
    "actions": "actions",
}


@router.get("/routing-rules")
def list_rules(
    request: Request,
    caller: Caller = Depends(ui_caller()),
    ctx: AppContext = Depends(app_context),
) -> Response:
    with ctx.db.unit_of_work(readonly=True) as uow:
        return render(
            request,
            "routing_list.html",
            caller,
            rules=rules.list_rules(uow),
            service_names=dict(service_choices(uow)),
            operator_labels=OPERATOR_LABELS,
            can_manage=caller.actor.role >= Role.MANAGER,
            live_notice="The routing rules have changed",
            **live_context(uow, "routing"),
        )


@router.get("/routing-rules/new")
def new_rule_page(
    request: Request,
    caller: Caller = Depends(ui_caller(Role.MANAGER)),
    ctx: AppContext = Depends(app_context),
) -> Response:
    with ctx.db.unit_of_work(readonly=True) as uow:
        form = blank_form(enabled="1", match="all")
        return _form_page(request, caller, uow, form, rule=None)


@router.post("/routing-rules/new")
def create_rule(
    request: Request,
    caller: Caller = Depends(ui_caller(Role.MANAGER)),
    fields: dict[str, str] = Depends(posted),
    ctx: AppContext = Depends(app_context),
) -> Response:
    try:
        data = _rule_input(fields)
        run_command(ctx, rules.do_create_rule, caller.actor, data)
    except InvalidInput as exc:
        with ctx.db.unit_of_work(readonly=True) as uow:
            form = _failed(fields, exc)
            return _form_page(request, caller, uow, form, rule=None, status_code=exc.status)
    return see_other("/routing-rules")


@router.get("/routing-rules/{rule_id}/edit")
def edit_rule_page(
    request: Request,
    rule_id: str,
    caller: Caller = Depends(ui_caller(Role.MANAGER)),
    ctx: AppContext = Depends(app_context),
) -> Response:
    with ctx.db.unit_of_work(readonly=True) as uow:
        rule = rules.get_rule(uow, rule_id)
        return _form_page(request, caller, uow, _rule_values(rule), rule=rule)


@router.post("/routing-rules/{rule_id}/edit")
def edit_rule(
    request: Request,
    rule_id: str,
    caller: Caller = Depends(ui_caller(Role.MANAGER)),
    fields: dict[str, str] = Depends(posted),
    ctx: AppContext = Depends(app_context),
) -> Response:
    try:
        data = _rule_input(fields)
        run_command(ctx, rules.do_update_rule, caller.actor, rule_id, data)
    except InvalidInput as exc:
        with ctx.db.unit_of_work(readonly=True) as uow:
            rule = rules.get_rule(uow, rule_id)
            form = _failed(fields, exc)
            return _form_page(request, caller, uow, form, rule=rule, status_code=exc.status)
    return see_other(f"/routing-rules#rule-{rule_id}")


@router.post("/routing-rules/{rule_id}/move")
def move_rule(
    rule_id: str,
    caller: Caller = Depends(ui_caller(Role.MANAGER)),
    fields: dict[str, str] = Depends(posted),
    ctx: AppContext = Depends(app_context),
) -> Response:
    direction: Literal["up", "down"] = "up" if fields.get("direction") == "up" else "down"
    run_command(ctx, _move, caller, rule_id, direction)
    return see_other(f"/routing-rules#rule-{rule_id}")


def _move(uow: UnitOfWork, caller: Caller, rule_id: str, direction: Literal["up", "down"]) -> None:
    """Swap the rule with its neighbour, then number the rules 10, 20, 30 ... saving
    (and recording) only those whose position changed."""
    ordered = list(rules.list_rules(uow))
    index = next((i for i, r in enumerate(ordered) if r.id == rule_id), None)
    if index is None:
        rules.get_rule(uow, rule_id)  # raises NotFound
        return
    other = index - 1 if direction == "up" else index + 1
    if not 0 <= other < len(ordered):
        return
    ordered[index], ordered[other] = ordered[other], ordered[index]
    for number, row in enumerate(ordered, start=1):
        if row.position != number * 10:
            rules.do_update_rule(uow, caller.actor, row.id, _as_input(row, number * 10))


def _as_input(row: RoutingRule, position: int) -> RuleIn:
    return RuleIn.model_validate(
        {
            "name": row.name,
            "enabled": row.enabled,
            "match": row.match,
            "position": position,
            "conditions": row.conditions,
            "actions": row.actions,
        }
    )


@router.post("/routing-rules/{rule_id}/delete")
def delete_rule(
    rule_id: str,
    caller: Caller = Depends(ui_caller(Role.MANAGER)),
    ctx: AppContext = Depends(app_context),
) -> Response:
    run_command(ctx, rules.do_delete_rule, caller.actor, rule_id)
    return see_other("/routing-rules")


def _row_count(fields: dict[str, str]) -> int:
    used = [
        int(k.split("-")[1]) for k in fields if k.startswith("cond-") and k.split("-")[1].isdigit()
    ]
    return min(MAX_ROWS, max(MIN_ROWS, max(used, default=-1) + 1))


def _rule_input(fields: dict[str, str]) -> RuleIn:
    """The rule from the form: non-blank condition rows in order, labels as key=value lines."""
    conditions = []
    for i in range(_row_count(fields)):
        field, value = fields.get(f"cond-{i}-field", "").strip(), fields.get(f"cond-{i}-value", "")
        if field or value.strip():
            conditions.append(
                {"field": field, "op": fields.get(f"cond-{i}-op", "equals"), "value": value}
            )
    labels: dict[str, str] = {}
    problems = []
    for number, line in enumerate(fields.get("add_labels", "").splitlines(), start=1):
        if not line.strip():
            continue
        key, sep, value = line.partition("=")
        if not sep or not key.strip():
            problems.append(FieldError("add_labels", f"line {number}: write it as name = value"))
        labels[key.strip()] = value.strip()
    try:
        data = parse_form(
            RuleIn,
            {
                "name": fields.get("name", ""),
                "enabled": fields.get("enabled") == "1",
                "match": fields.get("match", "all"),
                "conditions": conditions,
                "actions": {
                    "route_to_service_id": fields.get("route_to_service_id") or None,
                    "set_severity": fields.get("set_severity") or None,
                    "add_labels": labels,
                    "suppress": fields.get("suppress") == "1",
                    "drop": fields.get("drop") == "1",
                },
            },
        )
    except InvalidInput as exc:
        problems = exc.errors + problems  # every mistake at once
    if problems:
        raise InvalidInput("please correct the marked fields", errors=problems)
    return data


def _failed(fields: dict[str, str], exc: InvalidInput) -> FormState:
    """The form with each condition error on its own row (``conditions.1`` is the second
    non-blank row)."""
    filled = [
        i
        for i in range(_row_count(fields))
        if fields.get(f"cond-{i}-field", "").strip() or fields.get(f"cond-{i}-value", "").strip()
    ]
    errors: dict[str, str] = {}
    for e in exc.errors:
        parts = e.field.split(".")
        name = ACTION_RENAMES.get(".".join(parts[:2]), parts[0])
        if parts[0] == "conditions" and len(parts) > 1 and parts[1].isdigit():
            row = int(parts[1])
            name = f"cond-{filled[row] if row < len(filled) else 0}"
        reason = e.reason.removeprefix("Value error, ")
        errors[name] = f"{errors[name]}; {reason}" if name in errors else reason
    labels = {f"cond-{i}": f"Condition {i + 1}" for i in range(MAX_ROWS)}
    labels |= {"route_to_service_id": "Route to service", "add_labels": "Add labels"}
    return FormState(values=dict(fields), errors=errors, problem=exc.detail, labels=labels)


def _rule_values(rule: RoutingRule) -> FormState:
    values: dict[str, str] = {
        "name": rule.name,
        "enabled": "1" if rule.enabled else "",
        "match": rule.match,
    }
    for i, cond in enumerate(rule.conditions):
        values |= {
            f"cond-{i}-field": str(cond.get("field", "")),
            f"cond-{i}-op": str(cond.get("op", "")),
            f"cond-{i}-value": str(cond.get("value", "")),
        }
    actions: dict[str, Any] = rule.actions
    values |= {
        "route_to_service_id": actions.get("route_to_service_id") or "",
        "set_severity": actions.get("set_severity") or "",
        "add_labels": "\n".join(f"{k} = {v}" for k, v in (actions.get("add_labels") or {}).items()),
        "suppress": "1" if actions.get("suppress") else "",
        "drop": "1" if actions.get("drop") else "",
    }
    return blank_form(**values)


def _form_page(
    request: Request,
    caller: Caller,
    uow: UnitOfWork,
    form: FormState,
    *,
    rule: RoutingRule | None,
    status_code: int = 200,
) -> Response:
    target = form.value("route_to_service_id")
    used = max(
        (
            int(k.split("-")[1]) + 1
            for k, v in form.values.items()
            if k.startswith("cond-") and k.endswith("-field") and v
        ),
        default=0,
    )
    return render(
        request,
        "routing_form.html",
        caller,
        status_code=status_code,
        form=form,
        rule=rule,
        rows=range(min(MAX_ROWS, max(MIN_ROWS, used + 2))),
        fields=[*PLAIN_FIELDS, "labels."],
        operators=[(op, OPERATOR_LABELS[op]) for op in OPERATORS],
        services=service_choices(uow, keep=target or None),
        severities=[(s, s) for s in SEVERITIES],
        activity=events_for(uow, "routing_rule", rule.id) if rule else [],
    )
