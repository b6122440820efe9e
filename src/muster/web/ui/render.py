"""The one way to render a page: Jinja2 templates with the caller, CSRF token and
time formatting in the viewer's zone.

A live page names its ``region``: a partial template, included by the page inside its
``data-live-region`` element. A request with ``X-Muster-Fragment: 1`` (live.js, after an
update) gets only that partial, rendered from the same context.
"""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from fastapi import Request
from fastapi.responses import HTMLResponse
from jinja2 import Environment, FileSystemLoader, select_autoescape
from markupsafe import Markup

from muster.clock import isoformat
from muster.web.auth import Caller
from muster.web.live import LIVE_EVENT_TYPES

FRAGMENT_HEADER = "X-Muster-Fragment"
TEMPLATES = Path(__file__).parent / "templates"
STATIC = Path(__file__).parent / "static"

env = Environment(
    loader=FileSystemLoader(TEMPLATES),
    autoescape=select_autoescape(["html", "xml"]),
    trim_blocks=True,
    lstrip_blocks=True,
)


def _zone(caller: Caller | None) -> ZoneInfo:
    return ZoneInfo(caller.user.time_zone if caller else "UTC")


def when(value: datetime | None, caller: Caller | None = None) -> Markup:
    """A <time> in the viewer's zone, with UTC on hover."""
    if value is None:
        return Markup('<span class="muted">—</span>')
    local = value.astimezone(_zone(caller))
    utc = isoformat(value)
    text = local.strftime("%Y-%m-%d %H:%M %Z")
    return Markup('<time datetime="{0}" title="{0} UTC">{1}</time>').format(utc, text)


def pretty_json(value: object) -> str:
    """JSON for people to read (in a <pre>; autoescaped like any text)."""
    return json.dumps(value, indent=2, ensure_ascii=False, default=str)


env.globals["when"] = when
env.globals["live_events"] = " ".join(LIVE_EVENT_TYPES)
env.filters["pretty_json"] = pretty_json


def render(
    request: Request,
    template: str,
    caller: Caller | None = None,
    *,
    status_code: int = 200,
    region: str | None = None,
    **context: Any,
) -> HTMLResponse:
    fragment = region is not None and request.headers.get(FRAGMENT_HEADER) == "1"
    page = env.get_template(region if fragment and region else template).render(
        request=request,
        caller=caller,
        csrf_token=caller.csrf_token if caller else "",
        path=request.url.path,
        region=region,
        **context,
    )
    response = HTMLResponse(page, status_code=status_code)
    if region is not None:
        response.headers["Vary"] = FRAGMENT_HEADER
    if fragment:
        response.headers[FRAGMENT_HEADER] = "1"
        response.headers["Cache-Control"] = "no-store"
    return response


def render_error(request: Request, status: int, title: str, detail: str) -> HTMLResponse:
    caller = getattr(request.state, "caller", None)
    return render(
        request, "error.html", caller, status_code=status, title=title, detail=detail, status=status
    )
