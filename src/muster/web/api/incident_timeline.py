"""/api/v1/incidents/{id}: the timeline, notes (add, correct, history), key events,
attachments (links and files, stored by SHA-256), merge and split."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, Depends, File, Form, Query, UploadFile
from fastapi.responses import Response
from pydantic import BaseModel, Field

from muster.domain.events.actor import Role
from muster.domain.incidents import attachments, merge, notes
from muster.domain.incidents.notes import NoteIn
from muster.domain.incidents.schemas import IncidentOut
from muster.domain.incidents.timeline import TimelineEntry, timeline_page
from muster.domain.incidents.views import incident_out
from muster.web.api.common import PROBLEM_RESPONSES
from muster.web.auth import Caller, api_caller
from muster.web.context import AppContext, app_context

router = APIRouter(tags=["incidents"], responses=PROBLEM_RESPONSES)
ONE = "/incidents/{incident_id}"


class EntryOut(BaseModel):
    event_id: str
    position: int
    at: datetime
    type: str
    actor: str
    origin: str
    incident_id: str | None
    text: str
    link: str | None
    key: bool
    note_id: str | None
    body: str | None
    body_html: str | None
    corrected: bool
    data: dict[str, Any]


class TimelineOut(BaseModel):
    items: list[EntryOut]
    older: int | None = Field(description="Pass as `before` for the page before this one")


class NoteOut(BaseModel):
    id: str
    incident_id: str
    body: str
    author: str
    created_at: datetime
    corrected_at: datetime | None


class VersionOut(BaseModel):
    body: str
    at: datetime
    by: str


class LinkIn(BaseModel):
    url: str = Field(min_length=1, max_length=2000)
    name: str = Field(default="", max_length=300)


class AttachmentOut(BaseModel):
    id: str
    kind: str
    name: str
    url: str | None
    content_type: str | None
    size: int | None
    sha256: str | None
    created_at: datetime
    created_by: str


class MergeIn(BaseModel):
    into_id: str = Field(min_length=1, max_length=36, description="The surviving incident")


class SplitIn(BaseModel):
    group_id: str = Field(min_length=1, max_length=36)
    title: str = Field(min_length=1, max_length=200)


def _entry(e: TimelineEntry) -> EntryOut:
    return EntryOut(
        event_id=e.event_id, position=e.position, at=e.at, type=e.type, actor=e.actor,
        origin=e.origin, incident_id=e.incident_id, text=e.text, link=e.link, key=e.key,
        note_id=e.note_id, body=e.body, body_html=e.body_html, corrected=e.corrected,
        data=e.data,
    )  # fmt: skip


def _note(row: Any) -> NoteOut:
    return NoteOut(
        id=row.id, incident_id=row.incident_id, body=row.body, author=row.author_label,
        created_at=row.created_at, corrected_at=row.corrected_at,
    )  # fmt: skip


def _attachment(row: Any) -> AttachmentOut:
    return AttachmentOut.model_validate(row, from_attributes=True)


@router.get(ONE + "/timeline", response_model=TimelineOut, summary="The timeline, oldest first")
def get_timeline(
    incident_id: str,
    before: int | None = Query(None, ge=1, description="Entries before this log position"),
    limit: int = Query(100, ge=1, le=500),
    caller: Caller = Depends(api_caller(Role.VIEWER)),
    ctx: AppContext = Depends(app_context),
) -> TimelineOut:
    with ctx.db.unit_of_work(readonly=True) as uow:
        page = timeline_page(uow, caller.actor, incident_id, limit=limit, before=before)
        return TimelineOut(items=[_entry(e) for e in page.entries], older=page.older)


@router.post(ONE + "/notes", response_model=NoteOut, status_code=201, summary="Add a note")
def add_note(
    incident_id: str,
    body: NoteIn,
    caller: Caller = Depends(api_caller(Role.RESPONDER)),
    ctx: AppContext = Depends(app_context),
) -> NoteOut:
    with ctx.db.unit_of_work() as uow:
        row = notes.do_add_note(uow, caller.actor, incident_id, body.body)
        uow.commit()
        return _note(row)


@router.put("/incident-notes/{note_id}", response_model=NoteOut, summary="Correct your own note")
def correct_note(
    note_id: str,
    body: NoteIn,
    caller: Caller = Depends(api_caller(Role.RESPONDER)),
    ctx: AppContext = Depends(app_context),
) -> NoteOut:
    with ctx.db.unit_of_work() as uow:
        row = notes.do_correct_note(uow, caller.actor, note_id, body.body)
        uow.commit()
        return _note(row)


@router.get(
    "/incident-notes/{note_id}/history",
    response_model=list[VersionOut],
    summary="Every version of a note, oldest first",
)
def history(
    note_id: str,
    caller: Caller = Depends(api_caller(Role.VIEWER)),
    ctx: AppContext = Depends(app_context),
) -> list[VersionOut]:
    with ctx.db.unit_of_work(readonly=True) as uow:
        return [
            VersionOut(body=v.body, at=v.at, by=v.by)
            for v in notes.note_history(uow, caller.actor, note_id)
        ]


@router.put(ONE + "/key-events/{event_id}", status_code=204, summary="Mark a key event")
def mark_key(
    incident_id: str,
    event_id: str,
    caller: Caller = Depends(api_caller(Role.RESPONDER)),
    ctx: AppContext = Depends(app_context),
) -> Response:
    with ctx.db.unit_of_work() as uow:
        notes.do_mark_key_event(uow, caller.actor, incident_id, event_id)
        uow.commit()
    return Response(status_code=204)


@router.delete(ONE + "/key-events/{event_id}", status_code=204, summary="Unmark a key event")
def unmark_key(
    incident_id: str,
    event_id: str,
    caller: Caller = Depends(api_caller(Role.RESPONDER)),
    ctx: AppContext = Depends(app_context),
) -> Response:
    with ctx.db.unit_of_work() as uow:
        notes.do_unmark_key_event(uow, caller.actor, incident_id, event_id)
        uow.commit()
    return Response(status_code=204)


@router.get(ONE + "/attachments", response_model=list[AttachmentOut], summary="Links and files")
def list_attachments(
    incident_id: str,
    caller: Caller = Depends(api_caller(Role.VIEWER)),
    ctx: AppContext = Depends(app_context),
) -> list[AttachmentOut]:
    with ctx.db.unit_of_work(readonly=True) as uow:
        return [
            _attachment(a) for a in attachments.list_attachments(uow, caller.actor, incident_id)
        ]


@router.post(ONE + "/links", response_model=AttachmentOut, status_code=201, summary="Attach a link")
def attach_link(
    incident_id: str,
    body: LinkIn,
    caller: Caller = Depends(api_caller(Role.RESPONDER)),
    ctx: AppContext = Depends(app_context),
) -> AttachmentOut:
    with ctx.db.unit_of_work() as uow:
        row = attachments.do_attach_link(
            uow, caller.actor, incident_id, url=body.url, name=body.name
        )
        uow.commit()
        return _attachment(row)


@router.post(
    ONE + "/files",
    response_model=AttachmentOut,
    status_code=201,
    summary="Attach a file (multipart; up to 25 MB; stored by SHA-256)",
)
def attach_file(
    incident_id: str,
    file: UploadFile = File(...),
    name: str = Form(""),
    caller: Caller = Depends(api_caller(Role.RESPONDER)),
    ctx: AppContext = Depends(app_context),
) -> AttachmentOut:
    store = attachments.FileBlobStore.in_var_dir(ctx.settings.var_dir)
    with ctx.db.unit_of_work() as uow:
        row = attachments.do_attach_file(
            uow, caller.actor, incident_id, store, name=name or file.filename or "file",
            content=file.file, content_type=file.content_type,
        )  # fmt: skip
        uow.commit()
        return _attachment(row)


@router.get(
    "/incident-attachments/{attachment_id}/content",
    summary="A file's content (its SHA-256 checked first)",
    response_class=Response,
)
def file_content(
    attachment_id: str,
    caller: Caller = Depends(api_caller(Role.VIEWER)),
    ctx: AppContext = Depends(app_context),
) -> Response:
    store = attachments.FileBlobStore.in_var_dir(ctx.settings.var_dir)
    with ctx.db.unit_of_work(readonly=True) as uow:
        row, content = attachments.read_attachment(uow, caller.actor, attachment_id, store)
    return Response(
        content,
        media_type="application/octet-stream",
        headers={
            "Content-Disposition": f"attachment; filename*=UTF-8''{_quote(row.name)}",
            "X-Content-SHA256": row.sha256 or "",
            "X-Content-Type-Options": "nosniff",
        },
    )


def _quote(name: str) -> str:
    return quote(name, safe="")


@router.post(
    ONE + "/merge",
    response_model=IncidentOut,
    summary="Merge this incident into another (the survivor keeps both timelines)",
)
def merge_into(
    incident_id: str,
    body: MergeIn,
    caller: Caller = Depends(api_caller(Role.RESPONDER)),
    ctx: AppContext = Depends(app_context),
) -> IncidentOut:
    with ctx.db.unit_of_work() as uow:
        survivor = merge.do_merge(uow, caller.actor, incident_id, body.into_id)
        uow.commit()
        return incident_out(uow, survivor)


@router.post(
    ONE + "/split",
    response_model=IncidentOut,
    status_code=201,
    summary="Split an alert group off into a new incident",
)
def split(
    incident_id: str,
    body: SplitIn,
    caller: Caller = Depends(api_caller(Role.RESPONDER)),
    ctx: AppContext = Depends(app_context),
) -> IncidentOut:
    with ctx.db.unit_of_work() as uow:
        made = merge.do_split(uow, caller.actor, incident_id, body.group_id, body.title)
        uow.commit()
        return incident_out(uow, made)
