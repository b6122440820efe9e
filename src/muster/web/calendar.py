"""GET /calendar/{token}.ics: a schedule's or a person's on-call shifts as iCalendar.

No sign-in: the secret token in the URL is the credential (calendar apps cannot sign
in). An unknown or revoked token answers 404, like any path that does not exist.
"""

from __future__ import annotations

from fastapi import APIRouter, Depends
from fastapi.responses import Response

from muster.domain.oncall.feeds import render_feed
from muster.web.context import AppContext, app_context

router = APIRouter(include_in_schema=False)


@router.get("/calendar/{token}.ics")
def calendar_feed(token: str, ctx: AppContext = Depends(app_context)) -> Response:
    if not 20 <= len(token) <= 64:
        token = ""  # cannot be a feed's; answered 404 below without guessing further
    with ctx.db.unit_of_work(readonly=True) as uow:
        name, body = render_feed(uow, token, uow.now)
    return Response(
        body.encode(),
        media_type="text/calendar; charset=utf-8",
        headers={
            "Content-Disposition": f'inline; filename="{name}"',
            "Cache-Control": "private, max-age=300",
            "Referrer-Policy": "no-referrer",
        },
    )
