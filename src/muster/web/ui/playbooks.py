"""Playbooks: the list, one playbook (its current YAML, its versions, enable/disable) and
the YAML editor. Everyone reads; only managers save versions or switch a playbook on and
off. A bad document is shown again in the editor with each problem (field path and YAML
line), and nothing is saved."""

from __future__ import annotations

from urllib.parse import quote

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response
from sqlalchemy import select

from muster.db.uow import UnitOfWork
from muster.domain.config_code.marks import is_managed
from muster.domain.events.actor import Role
from muster.domain.playbooks import service as playbooks
from muster.domain.playbooks.models import Playbook
from muster.domain.playbooks.parse import parse_source
from muster.errors import Conflict, FieldError, InvalidInput
from muster.web.auth import Caller, ui_caller
from muster.web.context import AppContext, app_context
from muster.web.ui.forms import FormState, blank_form, failed_form, posted, see_other
from muster.web.ui.playbook_choices import incident_choices
from muster.web.ui.render import render

router = APIRouter(include_in_schema=False)
MANAGER = Depends(ui_caller(Role.MANAGER))
SOURCE_LIMIT = 256 * 1024  # the parser's own limit; the textarea says so too

STARTER = """\
key: my-playbook
name: My playbook
description: What this playbook is for, and when it runs.
triggers:
  - event: incident_declared
conditions:
  all:
    - {field: severity, op: lte, value: 2}
steps:
  - name: checklist
    kind: tasks
    tasks:
      - {title: Confirm the impact, owner_role: commander, due_minutes: 15, phase: investigating}
"""


@router.get("/playbooks")
def list_page(
    request: Request,
    archived: bool = Query(False),
    cursor: str | None = Query(None, max_length=400),
    caller: Caller = Depends(ui_caller()),
    ctx: AppContext = Depends(app_context),
) -> Response:
    with ctx.db.unit_of_work(readonly=True) as uow:
        page = playbooks.list_playbooks(uow, archived=archived, cursor=cursor)
        here = "/playbooks" + ("?archived=true" if archived else "")
        more = (
            page.next_cursor and f"{here}{'&' if archived else '?'}cursor={quote(page.next_cursor)}"
        )
        return render(
            request,
            "playbooks_list.html",
            caller,
            playbooks=page.items,
            archived=archived,
            next_url=more,
            first_url=cursor and here,
            can_manage=caller.actor.role >= Role.MANAGER,
            is_admin=caller.actor.role >= Role.ADMIN,
        )


@router.get("/playbooks/new")
def new_page(
    request: Request,
    caller: Caller = MANAGER,
    ctx: AppContext = Depends(app_context),
) -> Response:
    return render(request, "playbooks_new.html", caller, f=blank_form("pb", source=STARTER))


@router.post("/playbooks/new")
def create(
    request: Request,
    caller: Caller = MANAGER,
    fields: dict[str, str] = Depends(posted),
    ctx: AppContext = Depends(app_context),
) -> Response:
    source = fields.get("source", "")
    try:
        definition = parse_source(source)
        with ctx.db.unit_of_work() as uow:
            taken = select(Playbook.id).where(Playbook.key == definition.key)
            if uow.session.scalar(taken) is not None:
                raise Conflict(
                    "a playbook with this key exists",
                    errors=[FieldError("key", f"{definition.key!r} is taken: edit that one")],
                )
            playbook = playbooks.do_apply_playbook(uow, caller.actor, source)
            uow.commit()
            playbook_id = playbook.id
    except (InvalidInput, Conflict) as exc:
        form = failed_form({"source": source}, exc, prefix="pb")
        return render(request, "playbooks_new.html", caller, f=form, status_code=exc.status)
    return see_other(f"/playbooks/{playbook_id}")


def show(
    request: Request,
    caller: Caller,
    uow: UnitOfWork,
    playbook: Playbook,
    *,
    form: FormState | None = None,
    status_code: int = 200,
) -> Response:
    """The playbook's page (``form``: the editor as submitted, with its problems)."""
    current = playbooks.current_version(uow, playbook)
    return render(
        request,
        "playbooks_show.html",
        caller,
        status_code=status_code,
        playbook=playbook,
        current=current,
        versions=list(reversed(playbooks.versions(uow, playbook.id))),
        f=form or blank_form("pb", source=current.source),
        incidents=incident_choices(uow, caller),
        can_manage=caller.actor.role >= Role.MANAGER,
        can_run=caller.actor.role >= Role.RESPONDER,
        managed="playbook" if is_managed(uow, "playbooks", playbook.id) else "",
    )


@router.get("/playbooks/{playbook_id}")
def show_page(
    request: Request,
    playbook_id: str,
    caller: Caller = Depends(ui_caller()),
    ctx: AppContext = Depends(app_context),
) -> Response:
    with ctx.db.unit_of_work(readonly=True) as uow:
        return show(request, caller, uow, playbooks.get_playbook(uow, playbook_id))


@router.post("/playbooks/{playbook_id}")
def save_version(
    request: Request,
    playbook_id: str,
    caller: Caller = MANAGER,
    fields: dict[str, str] = Depends(posted),
    ctx: AppContext = Depends(app_context),
) -> Response:
    """Save the editor's YAML as the playbook's next version (its key must stay)."""
    source = fields.get("source", "")
    try:
        definition = parse_source(source)
        with ctx.db.unit_of_work() as uow:
            playbook = playbooks.get_playbook(uow, playbook_id)
            if definition.key != playbook.key:
                raise InvalidInput(
                    "the key cannot change",
                    errors=[
                        FieldError(
                            "key",
                            f"must stay {playbook.key!r} (for another playbook, use New playbook)",
                        )
                    ],
                )
            playbooks.do_apply_playbook(uow, caller.actor, source)
            uow.commit()
    except (InvalidInput, Conflict) as exc:
        form = failed_form({"source": source}, exc, prefix="pb")
        with ctx.db.unit_of_work(readonly=True) as uow:
            playbook = playbooks.get_playbook(uow, playbook_id)
            return show(request, caller, uow, playbook, form=form, status_code=exc.status)
    return see_other(f"/playbooks/{playbook_id}")


@router.post("/playbooks/{playbook_id}/enabled")
def set_enabled(
    playbook_id: str,
    caller: Caller = MANAGER,
    fields: dict[str, str] = Depends(posted),
    ctx: AppContext = Depends(app_context),
) -> Response:
    enabled = fields.get("enabled", "")
    if enabled not in ("yes", "no"):
        raise InvalidInput("bad input", errors=[FieldError("enabled", "must be yes or no")])
    with ctx.db.unit_of_work() as uow:
        playbooks.do_set_enabled(uow, caller.actor, playbook_id, enabled == "yes")
        uow.commit()
    return see_other(f"/playbooks/{playbook_id}")


@router.get("/playbooks/{playbook_id}/versions/{version}")
def version_page(
    request: Request,
    playbook_id: str,
    version: int,
    caller: Caller = Depends(ui_caller()),
    ctx: AppContext = Depends(app_context),
) -> Response:
    with ctx.db.unit_of_work(readonly=True) as uow:
        playbook = playbooks.get_playbook(uow, playbook_id)
        found = playbooks.get_version(uow, playbook.id, version)
        return render(
            request,
            "playbooks_version.html",
            caller,
            playbook=playbook,
            version=found,
            can_manage=caller.actor.role >= Role.MANAGER,
        )


@router.post("/playbooks/{playbook_id}/versions/{version}/restore")
def restore_version(
    playbook_id: str,
    version: int,
    caller: Caller = MANAGER,
    ctx: AppContext = Depends(app_context),
) -> Response:
    """Bring an earlier version back as the next one (an old version that no longer
    validates is refused with the reason, and nothing changes)."""
    with ctx.db.unit_of_work() as uow:
        playbook = playbooks.do_restore_version(uow, caller.actor, playbook_id, version)
        uow.commit()
    return see_other(f"/playbooks/{playbook.id}")


@router.post("/playbooks/{playbook_id}/archive")
def archive(
    playbook_id: str,
    caller: Caller = MANAGER,
    ctx: AppContext = Depends(app_context),
) -> Response:
    """Put the playbook away: no trigger starts it and it is not offered; saving a new
    version of it brings it back."""
    with ctx.db.unit_of_work() as uow:
        playbooks.do_archive(uow, caller.actor, playbook_id)
        uow.commit()
    return see_other("/playbooks")
