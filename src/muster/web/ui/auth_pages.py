"""Sign in and sign out."""

from __future__ import annotations

from urllib.parse import urlparse

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from muster.domain.accounts.credentials import (
    authenticate_password,
    do_end_session,
    do_start_session,
)
from muster.domain.accounts.sso import check_password_login, login_context
from muster.errors import NotAuthenticated
from muster.web.auth import (
    CSRF_FIELD,
    SESSION_COOKIE,
    check_csrf,
    client_ip,
    cookie_signer,
    identify,
    session_max_age,
    set_session_cookie,
)
from muster.web.context import AppContext, app_context
from muster.web.ui.login_csrf import (
    forget_login_cookie,
    login_token,
    login_token_ok,
    set_login_cookie,
)
from muster.web.ui.render import render

router = APIRouter(include_in_schema=False)


def safe_next(value: str | None) -> str:
    """Only same-site paths: never redirect a signed-in user to another host."""
    if not value:
        return "/"
    parsed = urlparse(value)
    if parsed.scheme or parsed.netloc or not value.startswith("/") or value.startswith("//"):
        return "/"
    return value


STALE_FORM = "this sign-in form has expired or did not come from this site; please sign in again"


def sign_in_page(
    request: Request, ctx: AppContext, *, next: str | None, status_code: int = 200,
    error: str | None = None, email: str = "", show_password: bool = False,
) -> Response:  # fmt: skip
    """The sign-in page, with its form's CSRF nonce (see :mod:`login_csrf`); every
    answer that shows the sign-in form renders it through here."""
    token = login_token(request, ctx)
    response = render(
        request, "login.html", None, status_code=status_code, next=safe_next(next),
        error=error, email=email, login_token=token,
        **login_context(ctx.settings.sso, show_password=show_password),
    )  # fmt: skip
    response.headers["Cache-Control"] = "no-store"
    set_login_cookie(response, ctx, token)
    return response


@router.get("/login")
def login_page(
    request: Request,
    next: str | None = None,
    password: bool = False,
    ctx: AppContext = Depends(app_context),
) -> Response:
    return sign_in_page(request, ctx, next=next, show_password=password)


@router.post("/login")
def login(
    request: Request,
    email: str = Form("", max_length=320),
    password: str = Form("", max_length=1024),
    next: str = Form("/", max_length=2000),
    csrf_token: str = Form("", alias=CSRF_FIELD, max_length=200),
    ctx: AppContext = Depends(app_context),
) -> Response:
    if not login_token_ok(request, ctx, csrf_token):  # before any account is looked at
        return sign_in_page(request, ctx, next=next, status_code=403, error=STALE_FORM,
                           email=email, show_password=True)  # fmt: skip
    try:
        with ctx.db.unit_of_work() as uow:
            check_password_login(ctx.settings.sso, email)  # break-glass policy (SSO)
            user = authenticate_password(uow, email, password)
            _session, key = do_start_session(
                uow,
                user,
                max_age=session_max_age(ctx),
                ip=client_ip(request),
                user_agent=request.headers.get("user-agent", ""),
            )
            uow.commit()
    except NotAuthenticated as exc:
        return sign_in_page(request, ctx, next=next, status_code=401, error=exc.detail,
                           email=email, show_password=True)  # fmt: skip
    response = RedirectResponse(safe_next(next), status_code=303)
    set_session_cookie(response, ctx, key)
    forget_login_cookie(response, ctx)
    return response


@router.post("/logout")
async def logout(request: Request, ctx: AppContext = Depends(app_context)) -> Response:
    caller = await run_in_threadpool(identify, request, ctx)
    if caller is not None and caller.csrf_token is not None:  # a browser session to end
        await check_csrf(request, caller)
        raw = request.cookies.get(SESSION_COOKIE, "")
        key = cookie_signer(ctx).loads(raw)

        def end() -> None:
            with ctx.db.unit_of_work() as uow:
                do_end_session(uow, key)
                uow.commit()

        await run_in_threadpool(end)
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(SESSION_COOKIE)
    return response
