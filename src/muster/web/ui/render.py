"""The one way to render a page: Jinja2 templates with the caller, CSRF token and
time formatting in the viewer's zone."""

from __future__ import annotations

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


env.globals["when"] = when


def render(
    request: Request,
    template: str,
    caller: Caller | None = None,
    *,
    status_code: int = 200,
    **context: Any,
) -> HTMLResponse:
    page = env.get_template(template).render(
        request=request,
        caller=caller,
        csrf_token=caller.csrf_token if caller else "",
        path=request.url.path,
        **context,
    )
    return HTMLResponse(page, status_code=status_code)


def render_error(request: Request, status: int, title: str, detail: str) -> HTMLResponse:
    caller = getattr(request.state, "caller", None)
    return render(
        request, "error.html", caller, status_code=status, title=title, detail=detail, status=status
    )
