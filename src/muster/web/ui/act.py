"""One-click acknowledge and resolve from a message: ``GET /act/{token}`` shows what the
link will do and a button; ``POST`` does it. A link preview (chat unfurling, mail
scanners) only ever GETs, so it never acts. No sign-in: the token is the credential, and
the person acts as themselves. See :mod:`muster.domain.notify.tokens`."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import Response

from muster.domain.notify.tokens import Checked, check, do_use
from muster.web.context import AppContext, app_context
from muster.web.ui.render import render

router = APIRouter(include_in_schema=False)
VERBS = {"ack": "Acknowledge", "resolve": "Resolve"}
STATUS = {"Link already used": 410, "Link expired": 410, "Wrong alert group": 409,
          "Not allowed": 403, "Forbidden": 403}  # fmt: skip


def _page(request: Request, found: Checked, token: str, *, done: bool = False) -> Response:
    status = 200 if done or not found.problem else STATUS.get(found.title, 400)
    response = render(
        request, "act.html", None, status_code=status, found=found, token=token,
        done=done, verbs=VERBS, purpose=found.token.purpose if found.token else None,
    )  # fmt: skip
    response.headers["Cache-Control"] = "no-store"
    response.headers["Referrer-Policy"] = "no-referrer"
    response.headers["X-Robots-Tag"] = "noindex"
    return response


@router.get("/act/{token}")
def confirm(
    request: Request, token: str, group: str | None = None, ctx: AppContext = Depends(app_context)
) -> Response:
    with ctx.db.unit_of_work(readonly=True) as uow:
        return _page(request, check(uow, ctx.settings.secret_key, token, group_id=group), token)


@router.post("/act/{token}")
def act(
    request: Request,
    token: str,
    group: str | None = Form(None, max_length=36),
    action: str | None = Form(None, max_length=10),
    ctx: AppContext = Depends(app_context),
) -> Response:
    with ctx.db.unit_of_work() as uow:
        found = do_use(uow, ctx.settings.secret_key, token, action=action, group_id=group or None)
        uow.commit()
        return _page(request, found, token, done=not found.problem)
