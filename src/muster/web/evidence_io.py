"""Streaming evidence in and out of the web layer (shared by the API and the UI): the
raw request body as a plain iterator for a worker thread, a multipart form's spooled
file, and downloads streamed from the store after the download is logged."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from typing import Any
from urllib.parse import quote

import anyio.from_thread
from fastapi import Request
from fastapi.responses import StreamingResponse
from starlette.datastructures import UploadFile

from muster.domain.compliance.evidence import add_file_evidence
from muster.domain.compliance.evidence_access import do_download
from muster.domain.compliance.evidence_models import EvidenceItem
from muster.domain.compliance.evidence_schemas import EvidenceMeta
from muster.domain.compliance.evidence_store import CHUNK, evidence_store
from muster.domain.inputs import parse_input
from muster.errors import FieldError, InvalidInput, NotFound
from muster.web.auth import Caller
from muster.web.context import AppContext


def body_chunks(request: Request) -> Iterator[bytes]:
    """The request body as a plain iterator, for a worker thread started by anyio: each
    chunk is awaited on the event loop as the reader asks for it."""
    stream: AsyncIterator[bytes] = request.stream().__aiter__()

    async def next_chunk() -> bytes | None:
        try:
            return await stream.__anext__()
        except StopAsyncIteration:
            return None

    while (chunk := anyio.from_thread.run(next_chunk)) is not None:
        if chunk:
            yield chunk


def add_form_file(
    ctx: AppContext, caller: Caller, incident_id: str, upload: Any, text: dict[str, str]
) -> EvidenceItem:
    """Add a multipart form's ``file`` with its text fields (shared with the UI form)."""
    if not isinstance(upload, UploadFile) or not upload.filename:
        raise InvalidInput("choose a file", errors=[FieldError("file", "required")])
    meta = parse_input(EvidenceMeta, {k: text.get(k, "") for k in (
        "title", "description", "source", "collected_by")} | {
        "collected_at": text.get("collected_at") or None})  # fmt: skip
    return add_file_evidence(
        ctx.db, caller.actor, incident_id, evidence_store(ctx.settings),
        _file_chunks(upload), filename=upload.filename, media_type=upload.content_type,
        meta=meta, limit=ctx.settings.evidence.max_bytes,
        supersedes_id=text.get("supersedes") or None,
    )  # fmt: skip


def _file_chunks(upload: UploadFile) -> Iterator[bytes]:
    upload.file.seek(0)
    while chunk := upload.file.read(CHUNK):
        yield chunk


def download_response(
    ctx: AppContext, caller: Caller, evidence_id: str, incident_id: str | None = None
) -> StreamingResponse:
    """Log the download, then stream the bytes (shared with the UI, which names the
    incident in its path: an item of another incident is not found there)."""
    with ctx.db.unit_of_work() as uow:
        item = do_download(uow, caller.actor, evidence_id)
        if incident_id is not None and item.incident_id != incident_id:
            raise NotFound("no such evidence item")
        uow.commit()
    assert item.storage_key is not None
    chunks = evidence_store(ctx.settings).get(item.storage_key)
    name = quote(item.filename or f"{item.label}.bin", safe="")
    return StreamingResponse(
        chunks,
        media_type="application/octet-stream",
        headers={
            "Content-Disposition": f"attachment; filename*=UTF-8''{name}",
            "Content-Length": str(item.size or 0),
            "X-Content-SHA256": item.sha256 or "",
            "X-Content-Type-Options": "nosniff",
            "Cache-Control": "private, no-store",
        },
    )
