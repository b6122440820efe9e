"""Services: the things that break, each owned by one team."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response

from muster.db.pagination import MAX_LIMIT
from muster.db.uow import UnitOfWork
from muster.domain.accounts import service as accounts
from muster.domain.catalog import service as catalog
from muster.domain.catalog.models import Service
from muster.domain.catalog.schemas import ServiceCreate, ServiceUpdate
from muster.domain.config_code.marks import is_managed
from muster.domain.events.actor import Role
from muster.errors import Conflict, InvalidInput
from muster.web.auth import Caller, ui_caller
from muster.web.context import AppContext, app_context
from muster.web.ui.forms import (
    FormState,
    blank_form,
    failed_form,
    parse_form,
    pick,
    posted,
    run_command,
    see_other,
)
from muster.web.ui.paging import PAGE_SIZE, page_links
from muster.web.ui.render import render
from muster.web.ui.service_page import saved_notice, service_page
from muster.web.ui.sites import site_choices

router = APIRouter(include_in_schema=False)

FIELDS = ("name", "description", "team_id")


def _with_site(fields: dict[str, str]) -> dict[str, str | None]:
    """The posted fields, with the site picker's blank choice as no site."""
    picked: dict[str, str | None] = dict(pick(fields, FIELDS))
    if "site_id" in fields:
        picked["site_id"] = fields["site_id"] or None
    return picked


@router.get("/services")
def list_services(
    request: Request,
    archived: bool = False,
    team_id: str | None = Query(None, max_length=36),
    cursor: str | None = Query(None, max_length=400),
    caller: Caller = Depends(ui_caller()),
    ctx: AppContext = Depends(app_context),
) -> Response:
    with ctx.db.unit_of_work(readonly=True) as uow:
        team = accounts.get_team(uow, team_id) if team_id else None
        page = catalog.list_services(
            uow, cursor=cursor, limit=PAGE_SIZE, archived=archived, team_id=team_id
        )
        return render(
            request,
            "services_list.html",
            caller,
            services=page.items,
            archived=archived,
            team=team,
            can_manage=caller.actor.role >= Role.MANAGER,
            **page_links("/services", page, cursor, archived=archived, team_id=team_id),
        )


@router.get("/services/new")
def new_service_page(
    request: Request,
    team_id: str = Query("", max_length=36),
    caller: Caller = Depends(ui_caller(Role.MANAGER)),
    ctx: AppContext = Depends(app_context),
) -> Response:
    with ctx.db.unit_of_work(readonly=True) as uow:
        return _form_page(request, caller, uow, blank_form(team_id=team_id), service=None)


@router.post("/services/new")
def create_service(
    request: Request,
    caller: Caller = Depends(ui_caller(Role.MANAGER)),
    fields: dict[str, str] = Depends(posted),
    ctx: AppContext = Depends(app_context),
) -> Response:
    try:
        data = parse_form(ServiceCreate, _with_site(fields))
        service = run_command(ctx, catalog.do_create_service, caller.actor, data)
    except (InvalidInput, Conflict) as exc:
        with ctx.db.unit_of_work(readonly=True) as uow:
            form = failed_form(fields, exc)
            return _form_page(request, caller, uow, form, service=None, status_code=exc.status)
    return see_other(f"/services/{service.id}")


@router.get("/services/{service_id}")
def show_service(
    request: Request,
    service_id: str,
    saved: str | None = Query(None, max_length=20),
    caller: Caller = Depends(ui_caller()),
    ctx: AppContext = Depends(app_context),
) -> Response:
    with ctx.db.unit_of_work(readonly=True) as uow:
        return service_page(request, caller, uow, ctx, service_id, notice=saved_notice(saved))


@router.get("/services/{service_id}/edit")
def edit_service_page(
    request: Request,
    service_id: str,
    caller: Caller = Depends(ui_caller(Role.MANAGER)),
    ctx: AppContext = Depends(app_context),
) -> Response:
    with ctx.db.unit_of_work(readonly=True) as uow:
        service = catalog.get_service(uow, service_id)
        form = blank_form(
            name=service.name,
            description=service.description,
            team_id=service.team_id,
            site_id=service.site_id or "",
        )
        return _form_page(request, caller, uow, form, service=service)


@router.post("/services/{service_id}/edit")
def edit_service(
    request: Request,
    service_id: str,
    caller: Caller = Depends(ui_caller(Role.MANAGER)),
    fields: dict[str, str] = Depends(posted),
    ctx: AppContext = Depends(app_context),
) -> Response:
    try:
        data = parse_form(ServiceUpdate, _with_site(fields))
        run_command(ctx, catalog.do_update_service, caller.actor, service_id, data)
    except (InvalidInput, Conflict) as exc:
        with ctx.db.unit_of_work(readonly=True) as uow:
            service = catalog.get_service(uow, service_id)
            form = failed_form(fields, exc)
            return _form_page(request, caller, uow, form, service=service, status_code=exc.status)
    return see_other(f"/services/{service_id}")


@router.post("/services/{service_id}/archive")
def archive_service(
    service_id: str,
    caller: Caller = Depends(ui_caller(Role.MANAGER)),
    ctx: AppContext = Depends(app_context),
) -> Response:
    run_command(ctx, catalog.do_archive_service, caller.actor, service_id)
    return see_other(f"/services/{service_id}")


def team_options(uow: UnitOfWork, keep: str | None = None) -> list[tuple[str, str]]:
    """(id, name) of every active team, plus ``keep`` (a service's current team) even if
    it was archived, so editing other fields does not force a new owner."""
    options: list[tuple[str, str]] = []
    cursor: str | None = None
    while True:
        page = accounts.list_teams(uow, cursor=cursor, limit=MAX_LIMIT)
        options.extend((t.id, t.name) for t in page.items)
        if page.next_cursor is None:
            break
        cursor = page.next_cursor
    if keep and all(value != keep for value, _ in options):
        team = accounts.get_team(uow, keep)
        options.insert(0, (team.id, f"{team.name} (archived)"))
    return options


def _form_page(
    request: Request,
    caller: Caller,
    uow: UnitOfWork,
    form: FormState,
    *,
    service: Service | None,
    status_code: int = 200,
) -> Response:
    """The new-service form (``service`` None) or the edit form, rendered inside ``uow``."""
    return render(
        request,
        "services_form.html",
        caller,
        status_code=status_code,
        form=form,
        service=service,
        teams=team_options(uow, keep=service.team_id if service else None),
        sites=site_choices(uow),
        managed="service" if service and is_managed(uow, "services", service.id) else "",
    )
