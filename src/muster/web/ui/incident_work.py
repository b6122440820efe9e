"""The work on an incident, from its page: tasks, notes (and corrections), key events,
attachments (links and files) and status updates. Plain form posts (responders); bad
input shows the page again with the form's errors, and changes nothing."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response
from pydantic import BaseModel
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile

from muster.db.uow import UnitOfWork
from muster.domain.events.actor import Role
from muster.domain.incidents import attachments, notes, tasks, updates
from muster.domain.incidents.task_schemas import TaskIn, TaskUpdate
from muster.domain.incidents.update_schemas import UpdateIn
from muster.domain.inputs import parse_input
from muster.errors import FieldError, InvalidInput, NotFound
from muster.web.auth import Caller, ui_caller
from muster.web.context import AppContext, app_context
from muster.web.ui.forms import CSRF_FIELD, parse_form, posted
from muster.web.ui.incident_choices import parse_local, person_id
from muster.web.ui.incident_page import run_action

router = APIRouter(include_in_schema=False)
BASE = "/incidents/{incident_id}"
RESPONDER = Depends(ui_caller(Role.RESPONDER))


class _Update(BaseModel):
    """The update form's fields, validated as whichever kind they say they are."""

    update: UpdateIn


@router.post(BASE + "/tasks")
def add_task(
    request: Request,
    incident_id: str,
    caller: Caller = RESPONDER,
    fields: dict[str, str] = Depends(posted),
    ctx: AppContext = Depends(app_context),
) -> Response:
    def command(uow: UnitOfWork) -> None:
        data: dict[str, Any] = {
            "title": fields.get("title", ""),
            "due_at": parse_local(fields.get("due_at", ""), caller, field="due_at"),
        }
        if fields.get("owner_id"):
            data["owner_id"] = person_id(uow, fields["owner_id"])
        tasks.do_create_task(uow, caller.actor, incident_id, parse_form(TaskIn, data))

    return run_action(
        request, caller, ctx, incident_id, command, prefix="task", fields=fields, anchor="tasks"
    )


@router.post(BASE + "/tasks/{task_id}")
def change_task(
    request: Request,
    incident_id: str,
    task_id: str,
    caller: Caller = RESPONDER,
    fields: dict[str, str] = Depends(posted),
    ctx: AppContext = Depends(app_context),
) -> Response:
    """Complete (or reopen) a task with ``status``, or give it to ``owner_id``."""
    wanted = {k: fields[k] for k in ("status", "owner_id") if fields.get(k)}

    def command(uow: UnitOfWork) -> None:
        if not wanted:
            raise InvalidInput("nothing to change", errors=[FieldError("status", "required")])
        if "owner_id" in wanted:
            wanted["owner_id"] = person_id(uow, wanted["owner_id"])
        task = tasks.get_task(uow, caller.actor, task_id)
        if task.incident_id != incident_id:
            raise InvalidInput("not this incident's task", errors=[FieldError("task", "unknown")])
        tasks.do_update_task(uow, caller.actor, task_id, parse_form(TaskUpdate, wanted))

    return run_action(
        request, caller, ctx, incident_id, command, prefix="taskrow", fields=fields,
        anchor=f"task-{task_id}",
    )  # fmt: skip


@router.post(BASE + "/notes")
def add_note(
    request: Request,
    incident_id: str,
    caller: Caller = RESPONDER,
    fields: dict[str, str] = Depends(posted),
    ctx: AppContext = Depends(app_context),
) -> Response:
    return run_action(
        request, caller, ctx, incident_id,
        lambda uow: notes.do_add_note(uow, caller.actor, incident_id, fields.get("body", "")),
        prefix="note", fields=fields, anchor="timeline",
    )  # fmt: skip


@router.post(BASE + "/notes/{note_id}/correct")
def correct_note(
    request: Request,
    incident_id: str,
    note_id: str,
    caller: Caller = RESPONDER,
    fields: dict[str, str] = Depends(posted),
    ctx: AppContext = Depends(app_context),
) -> Response:
    return run_action(
        request, caller, ctx, incident_id,
        lambda uow: notes.do_correct_note(uow, caller.actor, note_id, fields.get("body", "")),
        prefix=f"correct-{note_id[:36]}", fields=fields, anchor="timeline",
    )  # fmt: skip


@router.post(BASE + "/key-events/{event_id}")
def toggle_key_event(
    request: Request,
    incident_id: str,
    event_id: str,
    caller: Caller = RESPONDER,
    fields: dict[str, str] = Depends(posted),
    ctx: AppContext = Depends(app_context),
) -> Response:
    """Mark (``key=yes``) or unmark (``key=no``) a timeline entry as a key event."""
    mark = fields.get("key", "yes") != "no"
    command = notes.do_mark_key_event if mark else notes.do_unmark_key_event
    return run_action(
        request, caller, ctx, incident_id,
        lambda uow: command(uow, caller.actor, incident_id, event_id),
        prefix="key", fields=fields, anchor=f"ev-{event_id[:36]}",
    )  # fmt: skip


@router.post(BASE + "/updates")
def post_update(
    request: Request,
    incident_id: str,
    caller: Caller = RESPONDER,
    fields: dict[str, str] = Depends(posted),
    ctx: AppContext = Depends(app_context),
) -> Response:
    kind = "public" if fields.get("kind") == "public" else "internal"
    names = ("body", "public_status") if kind == "public" else ("conditions", "actions", "needs")

    def command(uow: UnitOfWork) -> None:
        raw = {"kind": kind, **{n: fields.get(n, "") for n in names}}
        data = parse_input(_Update, {"update": raw}).update
        updates.do_post_update(uow, caller.actor, incident_id, data)

    return run_action(
        request, caller, ctx, incident_id, command,
        prefix="public" if kind == "public" else "update", fields=fields, anchor="updates",
        renames={f"update.{kind}.{n}": n for n in names},
    )  # fmt: skip


@router.post(BASE + "/attachments/link")
def attach_link(
    request: Request,
    incident_id: str,
    caller: Caller = RESPONDER,
    fields: dict[str, str] = Depends(posted),
    ctx: AppContext = Depends(app_context),
) -> Response:
    return run_action(
        request, caller, ctx, incident_id,
        lambda uow: attachments.do_attach_link(
            uow, caller.actor, incident_id, url=fields.get("url", ""), name=fields.get("name", "")
        ),
        prefix="link", fields=fields, anchor="compose-attach",
    )  # fmt: skip


@router.post(BASE + "/attachments/file")
async def attach_file(
    request: Request,
    incident_id: str,
    caller: Caller = RESPONDER,
    ctx: AppContext = Depends(app_context),
) -> Response:
    form = await request.form()
    upload = form.get("file")
    store = attachments.FileBlobStore.in_var_dir(ctx.settings.var_dir)

    def command(uow: UnitOfWork) -> None:
        if not isinstance(upload, UploadFile) or not upload.filename:
            raise InvalidInput("choose a file", errors=[FieldError("file", "required")])
        attachments.do_attach_file(
            uow, caller.actor, incident_id, store, name=upload.filename,
            content=upload.file, content_type=upload.content_type,
        )  # fmt: skip

    fields = {k: v for k, v in form.items() if isinstance(v, str) and k != CSRF_FIELD}
    return await run_in_threadpool(
        lambda: run_action(
            request, caller, ctx, incident_id, command, prefix="file", fields=fields,
            anchor="compose-attach", renames={"name": "file"},
        )
    )  # fmt: skip


@router.get(BASE + "/attachments/{attachment_id}")
def download(
    incident_id: str,
    attachment_id: str,
    caller: Caller = Depends(ui_caller()),
    ctx: AppContext = Depends(app_context),
) -> Response:
    """A file attachment's bytes (checked against its SHA-256), always as a download."""
    store = attachments.FileBlobStore.in_var_dir(ctx.settings.var_dir)
    with ctx.db.unit_of_work(readonly=True) as uow:
        row, content = attachments.read_attachment(uow, caller.actor, attachment_id, store)
        if row.incident_id != incident_id:
            raise NotFound("no such attachment")
        name = row.name
        sha256 = row.sha256 or ""
    quoted = quote(name, safe="")
    return Response(
        content,
        media_type="application/octet-stream",
        headers={
            "Content-Disposition": f"attachment; filename*=UTF-8''{quoted}",
            "X-Content-SHA256": sha256,
            "Cache-Control": "private, no-store",
        },
    )
