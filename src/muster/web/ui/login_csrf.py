"""CSRF for the password sign-in form, before any session exists (login CSRF: a
cross-site page must not sign a victim's browser in to the attacker's account).

Signed double submit: rendering the sign-in page hands the browser one random nonce
twice, in the form's hidden ``csrf_token`` field and in a signed, timed, HTTP-only
cookie scoped to ``/login``. ``POST /login`` goes on only when the posted field equals
the nonce inside a valid, unexpired cookie. Another site can make the browser post the
form, but it can neither read the page's field nor set this site's cookie
(``SameSite=Strict`` keeps the cookie off cross-site posts too). Signed-in users'
forms use the session's own token instead (see :func:`muster.web.auth.check_csrf`).
"""

from __future__ import annotations

import hmac
import secrets

from fastapi import Request, Response
from itsdangerous import BadSignature, URLSafeTimedSerializer

from muster.web.context import AppContext

LOGIN_CSRF_COOKIE = "muster_login_csrf"
LOGIN_PATH = "/login"
MAX_AGE_SECONDS = 4 * 3600  # a sign-in page left open longer shows a fresh form


def _signer(ctx: AppContext) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(ctx.settings.secret_key, salt="muster-login-csrf")


def _cookie_nonce(request: Request, ctx: AppContext) -> str | None:
    raw = request.cookies.get(LOGIN_CSRF_COOKIE)
    if not raw:
        return None
    try:
        nonce = _signer(ctx).loads(raw, max_age=MAX_AGE_SECONDS)
    except BadSignature:  # includes an expired signature
        return None
    return nonce if isinstance(nonce, str) and nonce else None


def login_token(request: Request, ctx: AppContext) -> str:
    """The nonce for a sign-in form about to be shown: the browser's current one while
    it is valid (so two open tabs both work), else a new one."""
    return _cookie_nonce(request, ctx) or secrets.token_urlsafe(32)


def set_login_cookie(response: Response, ctx: AppContext, token: str) -> None:
    """Give the browser ``token``'s signed cookie (freshly timed) with the form."""
    response.set_cookie(
        LOGIN_CSRF_COOKIE,
        _signer(ctx).dumps(token),
        max_age=MAX_AGE_SECONDS,
        path=LOGIN_PATH,
        httponly=True,
        samesite="strict",
        secure=ctx.settings.secure_cookies,
    )


def forget_login_cookie(response: Response, ctx: AppContext) -> None:
    """After a sign-in: the nonce has served."""
    response.delete_cookie(
        LOGIN_CSRF_COOKIE, path=LOGIN_PATH, httponly=True, samesite="strict",
        secure=ctx.settings.secure_cookies,
    )  # fmt: skip


def login_token_ok(request: Request, ctx: AppContext, sent: str) -> bool:
    """Whether the posted ``sent`` token matches the browser's signed cookie."""
    nonce = _cookie_nonce(request, ctx)
    return bool(sent) and nonce is not None and hmac.compare_digest(sent.encode(), nonce.encode())
