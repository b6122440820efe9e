"""The public status page: ``/status`` (HTML), ``/status/feed.atom`` and ``/status.json``.

No sign-in and nothing to change: these routes take no caller and no cookies, show
only what :mod:`muster.domain.incidents.status_page` lets out, and are cacheable for a
few seconds. Each process also keeps the last snapshot for that long, so a crowd of
customers reloading during an outage costs the database one read per few seconds.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime, timedelta

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from muster.domain.incidents.status_feeds import FEED_TITLE, atom_feed, status_document
from muster.domain.incidents.status_page import StatusSnapshot, status_snapshot
from muster.web.context import AppContext, app_context
from muster.web.ui.render import env

router = APIRouter(include_in_schema=False)

CACHE_SECONDS = 5


@dataclass(frozen=True)
class _Cached:
    at: datetime
    snapshot: StatusSnapshot


def current_snapshot(request: Request, ctx: AppContext) -> StatusSnapshot:
    """The page's data, at most ``CACHE_SECONDS`` old."""
    now = ctx.clock.now()
    cached: _Cached | None = getattr(request.app.state, "status_snapshot", None)
    if cached is not None and timedelta(0) <= now - cached.at < timedelta(seconds=CACHE_SECONDS):
        return cached.snapshot
    with ctx.db.unit_of_work(readonly=True) as uow:
        snapshot = status_snapshot(uow)
    request.app.state.status_snapshot = _Cached(now, snapshot)
    return snapshot


def _public(request: Request, body: bytes, media_type: str, *, cors: bool = False) -> Response:
    """``body`` cacheable by anyone for a few seconds, with an ETag for revalidation."""
    etag = '"' + hashlib.sha256(body).hexdigest()[:32] + '"'
    headers = {
        "Cache-Control": f"public, max-age={CACHE_SECONDS}",
        "ETag": etag,
        "Referrer-Policy": "no-referrer",
    }
    if cors:
        headers["Access-Control-Allow-Origin"] = "*"
    if etag in (t.strip() for t in request.headers.get("if-none-match", "").split(",")):
        return Response(status_code=304, headers=headers)
    return Response(body, media_type=media_type, headers=headers)


@router.get("/status")
def status_page(request: Request, ctx: AppContext = Depends(app_context)) -> Response:
    snapshot = current_snapshot(request, ctx)
    page = env.get_template("status_page.html").render(
        s=snapshot, title=FEED_TITLE, in_progress=[m for m in snapshot.maintenance if m.in_progress]
    )
    return _public(request, page.encode(), "text/html; charset=utf-8")


@router.get("/status/feed.atom")
def status_feed(request: Request, ctx: AppContext = Depends(app_context)) -> Response:
    body = atom_feed(current_snapshot(request, ctx), ctx.settings.base_url.rstrip("/"))
    return _public(request, body, "application/atom+xml; charset=utf-8", cors=True)


@router.get("/status.json")
def status_json(request: Request, ctx: AppContext = Depends(app_context)) -> Response:
    document = status_document(current_snapshot(request, ctx), ctx.settings.base_url.rstrip("/"))
    body = json.dumps(document, ensure_ascii=False, separators=(",", ":")).encode()
    return _public(request, body, "application/json", cors=True)
