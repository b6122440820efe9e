"""The secret store's page: names only. Managers see which secrets exist (to name them in
playbooks); admins set, replace and delete them. A value goes in and never comes out:
the form never echoes it back, even when it is refused."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from muster.db.uow import UnitOfWork
from muster.domain.events.actor import Role
from muster.domain.playbooks import secrets
from muster.errors import Conflict, InvalidInput
from muster.web.auth import Caller, ui_caller
from muster.web.context import AppContext, app_context
from muster.web.ui.forms import FormState, blank_form, failed_form, posted, see_other
from muster.web.ui.render import render

router = APIRouter(include_in_schema=False)
ADMIN = Depends(ui_caller(Role.ADMIN))


def _page(
    request: Request,
    caller: Caller,
    uow: UnitOfWork,
    form: FormState | None = None,
    status_code: int = 200,
) -> Response:
    return render(
        request,
        "playbooks_secrets.html",
        caller,
        status_code=status_code,
        secrets=secrets.secret_names(uow, caller.actor),
        f=form or blank_form("secret"),
        is_admin=caller.actor.role >= Role.ADMIN,
    )


@router.get("/secrets")
def secrets_page(
    request: Request,
    caller: Caller = Depends(ui_caller(Role.MANAGER)),
    ctx: AppContext = Depends(app_context),
) -> Response:
    with ctx.db.unit_of_work(readonly=True) as uow:
        return _page(request, caller, uow)


@router.post("/secrets")
def set_secret(
    request: Request,
    caller: Caller = ADMIN,
    fields: dict[str, str] = Depends(posted),
    ctx: AppContext = Depends(app_context),
) -> Response:
    name = fields.get("name", "").strip()
    description = fields.get("description", "").strip()
    try:
        with ctx.db.unit_of_work() as uow:
            secrets.do_set_secret(
                uow, caller.actor, name, fields.get("value", ""), ctx.settings.secret_key,
                description=description,
            )  # fmt: skip
            uow.commit()
    except (InvalidInput, Conflict) as exc:
        # Only the name and description come back; the value is never echoed.
        form = failed_form({"name": name, "description": description}, exc, prefix="secret")
        with ctx.db.unit_of_work(readonly=True) as uow:
            return _page(request, caller, uow, form, exc.status)
    return see_other("/secrets")


@router.post("/secrets/{name}/delete")
def delete_secret(
    name: str,
    caller: Caller = ADMIN,
    ctx: AppContext = Depends(app_context),
) -> Response:
    with ctx.db.unit_of_work() as uow:
        secrets.do_delete_secret(uow, caller.actor, name[:80])
        uow.commit()
    return see_other("/secrets")
