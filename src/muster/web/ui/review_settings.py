"""/settings/review-templates (admins): the review templates (add, edit, delete; the
built-in default is edited, not deleted) and the review policy (which severities and
incident types require a review, and in how many business days)."""

from __future__ import annotations

from collections.abc import Callable

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response
from sqlalchemy import select

from muster.db.uow import UnitOfWork
from muster.domain.events.actor import Role
from muster.domain.incidents.models import IncidentType
from muster.domain.reviews import review_templates as templates
from muster.domain.reviews.review_schemas import PolicyIn, TemplateIn, TemplateUpdate
from muster.errors import Conflict, InvalidInput
from muster.web.auth import Caller, ui_caller
from muster.web.context import AppContext, app_context
from muster.web.ui.forms import FormState, failed_form, parse_form, posted, posted_lists, see_other
from muster.web.ui.render import render

router = APIRouter(include_in_schema=False)
PAGE = "/settings/review-templates"
ADMIN = Depends(ui_caller(Role.ADMIN))


def _page(
    request: Request, caller: Caller, uow: UnitOfWork, *,
    forms: dict[str, FormState] | None = None, status_code: int = 200,
) -> Response:  # fmt: skip
    types = uow.session.scalars(select(IncidentType).order_by(IncidentType.name)).all()
    return render(
        request, "review_templates.html", caller, status_code=status_code,
        templates=templates.list_templates(uow), policy=templates.get_policy(uow),
        types=types, forms=forms or {},
    )  # fmt: skip


@router.get(PAGE)
def show(
    request: Request, caller: Caller = ADMIN, ctx: AppContext = Depends(app_context)
) -> Response:
    with ctx.db.unit_of_work() as uow:
        page = _page(request, caller, uow)
        uow.commit()  # (the policy row, made if missing)
        return page


def _act(
    request: Request, caller: Caller, ctx: AppContext, command: Callable[[UnitOfWork], object],
    *, prefix: str, fields: dict[str, str],
) -> Response:  # fmt: skip
    try:
        with ctx.db.unit_of_work() as uow:
            command(uow)
            uow.commit()
    except (InvalidInput, Conflict) as exc:
        with ctx.db.unit_of_work(readonly=True) as uow:
            form = failed_form(fields, exc, prefix=prefix)
            return _page(request, caller, uow, forms={prefix: form}, status_code=exc.status)
    return see_other(PAGE + f"#{prefix}")


def _ints(values: list[str]) -> list[int]:
    return [int(v) for v in values if v.strip().isdigit()]


@router.post(PAGE + "/policy")
def update_policy(
    request: Request, caller: Caller = ADMIN, lists: dict[str, list[str]] = Depends(posted_lists),
    ctx: AppContext = Depends(app_context),
) -> Response:  # fmt: skip
    fields = {k: v[-1] for k, v in lists.items() if v}

    def command(uow: UnitOfWork) -> None:
        data = parse_form(PolicyIn, {
            "severities": _ints(lists.get("severities", [])),
            "type_keys": [k for k in lists.get("type_keys", []) if k],
            "due_business_days": fields.get("due_business_days", ""),
        })  # fmt: skip
        templates.do_update_policy(uow, caller.actor, data)

    return _act(request, caller, ctx, command, prefix="policy", fields=fields)


def _template_data(lists: dict[str, list[str]], fields: dict[str, str]) -> dict[str, object]:
    return {
        "name": fields.get("name", ""), "body": fields.get("body", "").replace("\r\n", "\n"),
        "type_keys": [k for k in lists.get("type_keys", []) if k],
        "severities": _ints(lists.get("severities", [])),
    }  # fmt: skip


@router.post(PAGE)
def create(
    request: Request, caller: Caller = ADMIN, lists: dict[str, list[str]] = Depends(posted_lists),
    ctx: AppContext = Depends(app_context),
) -> Response:  # fmt: skip
    fields = {k: v[-1] for k, v in lists.items() if v}

    def command(uow: UnitOfWork) -> None:
        data = parse_form(TemplateIn, _template_data(lists, fields))
        templates.do_create_template(uow, caller.actor, data)

    return _act(request, caller, ctx, command, prefix="new", fields=fields)


@router.post(PAGE + "/{template_id}")
def update(
    request: Request, template_id: str, caller: Caller = ADMIN,
    lists: dict[str, list[str]] = Depends(posted_lists), ctx: AppContext = Depends(app_context),
) -> Response:  # fmt: skip
    fields = {k: v[-1] for k, v in lists.items() if v}

    def command(uow: UnitOfWork) -> None:
        row = templates.get_template(uow, template_id)
        data = _template_data(lists, fields)
        if row.builtin:
            data = {"name": data["name"], "body": data["body"]}
        templates.do_update_template(
            uow, caller.actor, template_id, parse_form(TemplateUpdate, data)
        )

    return _act(request, caller, ctx, command, prefix=f"t-{template_id}", fields=fields)


@router.post(PAGE + "/{template_id}/delete")
def delete(
    request: Request, template_id: str, caller: Caller = ADMIN,
    fields: dict[str, str] = Depends(posted), ctx: AppContext = Depends(app_context),
) -> Response:  # fmt: skip
    def command(uow: UnitOfWork) -> None:
        templates.do_delete_template(uow, caller.actor, template_id)

    return _act(request, caller, ctx, command, prefix=f"t-{template_id}", fields=fields)
