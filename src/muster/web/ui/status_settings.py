"""/settings/status-page: a manager chooses which services are components of the public
status page, and the names customers see."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from muster.domain.config_code.marks import managed_ids
from muster.domain.events.actor import Role
from muster.domain.incidents.status_settings import (
    StatusPageSettings,
    do_set_status_page,
    status_page_services,
)
from muster.errors import InvalidInput
from muster.web.auth import Caller, ui_caller
from muster.web.context import AppContext, app_context
from muster.web.ui.forms import (
    FormState,
    blank_form,
    failed_form,
    parse_form,
    posted_lists,
    see_other,
)
from muster.web.ui.render import render

router = APIRouter(include_in_schema=False)
PAGE = "/settings/status-page"


@router.get(PAGE)
def status_settings_page(
    request: Request,
    saved: int | None = None,
    caller: Caller = Depends(ui_caller(Role.MANAGER)),
    ctx: AppContext = Depends(app_context),
) -> Response:
    return _page(request, caller, ctx, None, saved=saved)


@router.post(PAGE)
def save_status_settings(
    request: Request,
    caller: Caller = Depends(ui_caller(Role.MANAGER)),
    fields: dict[str, list[str]] = Depends(posted_lists),
    ctx: AppContext = Depends(app_context),
) -> Response:
    ids = fields.get("service", [])
    public = set(fields.get("public", []))
    rows = [
        {"service_id": sid, "public": sid in public,
         "public_name": (fields.get(f"name-{sid}") or [""])[0]}
        for sid in ids
    ]  # fmt: skip
    try:
        data = parse_form(StatusPageSettings, {"services": rows})
        with ctx.db.unit_of_work() as uow:
            changed = do_set_status_page(uow, caller.actor, data)
            uow.commit()
    except InvalidInput as exc:
        renames = {f"services.{i}.public_name": f"name-{sid}" for i, sid in enumerate(ids)}
        renames |= {f"services.{i}.service_id": f"name-{sid}" for i, sid in enumerate(ids)}
        values = {f"name-{sid}": (fields.get(f"name-{sid}") or [""])[0] for sid in ids}
        form = failed_form(values, exc, renames=renames)
        return _page(request, caller, ctx, form, public=public, status_code=exc.status)
    return see_other(f"{PAGE}?saved={changed}")


def _page(
    request: Request, caller: Caller, ctx: AppContext, form: FormState | None, *,
    public: set[str] | None = None, saved: int | None = None, status_code: int = 200,
) -> Response:  # fmt: skip
    with ctx.db.unit_of_work(readonly=True) as uow:
        services = status_page_services(uow, caller.actor)
        if form is None:
            form = blank_form(**{f"name-{s.id}": s.public_name for s in services})
        chosen = public if public is not None else {s.id for s in services if s.public}
        form.labels.update({f"name-{s.id}": f"Public name of {s.name}" for s in services})
        return render(
            request, "status_settings.html", caller, status_code=status_code,
            services=services, form=form, chosen=chosen, saved=saved,
            managed=managed_ids(uow, "services"),
        )  # fmt: skip
