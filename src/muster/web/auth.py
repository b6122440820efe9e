"""Who is calling: bearer tokens for the API, signed session cookies for the browser,
CSRF on every state-changing browser request, and the role each route declares."""

from __future__ import annotations

import hmac
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

from fastapi import Depends, Request, Response
from itsdangerous import BadSignature, URLSafeTimedSerializer
from starlette.concurrency import run_in_threadpool

from muster.domain.accounts.credentials import actor_for, authenticate_token, find_session
from muster.domain.accounts.models import User
from muster.domain.accounts.permissions import require
from muster.domain.events.actor import Actor, Role, Via
from muster.errors import NotAuthenticated, PermissionDenied
from muster.web.context import AppContext, app_context
from muster.web.problems import LoginRequired

SESSION_COOKIE = "muster_session"
CSRF_HEADER = "x-csrf-token"
CSRF_FIELD = "csrf_token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


@dataclass(frozen=True)
class CallerUser:
    """A snapshot of the caller's account, safe to use after the database session ends."""

    id: str
    email: str
    name: str
    time_zone: str
    role: str

    @classmethod
    def of(cls, user: User) -> CallerUser:
        return cls(user.id, user.email, user.name, user.time_zone, user.role)


@dataclass(frozen=True)
class Caller:
    """The authenticated caller of one request."""

    actor: Actor
    user: CallerUser
    csrf_token: str | None  # set for cookie sessions only


def cookie_signer(ctx: AppContext) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(ctx.settings.secret_key, salt="muster-session")


def client_ip(request: Request) -> str | None:
    return request.client.host if request.client else None


def _session_key(request: Request, ctx: AppContext) -> str | None:
    raw = request.cookies.get(SESSION_COOKIE)
    if not raw:
        return None
    try:
        key = cookie_signer(ctx).loads(raw, max_age=ctx.settings.session_max_age_seconds)
    except BadSignature:
        return None
    return key if isinstance(key, str) else None


def identify(request: Request, ctx: AppContext) -> Caller | None:
    """The caller of ``request`` from its bearer token or session cookie, or None.

    A bad bearer token is an error (never silently anonymous); a bad cookie is ignored.
    """
    if hasattr(request.state, "caller"):
        cached: Caller | None = request.state.caller
        return cached
    caller = _identify(request, ctx)
    request.state.caller = caller
    return caller


def _identify(request: Request, ctx: AppContext) -> Caller | None:
    via = Via.API if request.url.path.startswith("/api/") else Via.UI
    authz = request.headers.get("authorization", "")
    if authz:
        scheme, _, token = authz.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise NotAuthenticated("use 'Authorization: Bearer <token>'")
        return _token_caller(ctx, token.strip(), via, client_ip(request))
    key = _session_key(request, ctx)
    if key is None:
        return None
    with ctx.db.unit_of_work(readonly=True) as uow:
        session = find_session(uow, key)
        if session is None:
            return None
        user = session.user
        actor = actor_for(user, via, ip=client_ip(request))
        return Caller(actor=actor, user=CallerUser.of(user), csrf_token=session.csrf_token)


def _token_caller(ctx: AppContext, token: str, via: Via, ip: str | None) -> Caller:
    with ctx.db.unit_of_work(readonly=True) as uow:
        user, row = authenticate_token(uow, token)
        stale = bool(uow.session.dirty)
        token_id = row.id
        snapshot = CallerUser.of(user)
        actor = actor_for(user, via, token_id=token_id, ip=ip)
    if stale:  # record last use (at most once a minute) in its own short write
        with ctx.db.unit_of_work() as uow:
            authenticate_token(uow, token)
            uow.commit()
    return Caller(actor=actor, user=snapshot, csrf_token=None)


async def check_csrf(request: Request, caller: Caller) -> None:
    """Refuse a state-changing cookie-authenticated request without the session's token."""
    if request.method in SAFE_METHODS or caller.csrf_token is None:
        return
    sent = request.headers.get(CSRF_HEADER)
    if sent is None and request.headers.get("content-type", "").startswith(
        ("application/x-www-form-urlencoded", "multipart/form-data")
    ):
        form = await request.form()
        value = form.get(CSRF_FIELD)
        sent = value if isinstance(value, str) else None
    if not sent or not hmac.compare_digest(sent, caller.csrf_token):
        raise PermissionDenied("missing or wrong CSRF token; reload the page and try again")


def api_caller(role: Role) -> Callable[..., object]:
    """A dependency: the API caller, who must hold ``role`` (the route's declared permission)."""

    async def dependency(request: Request, ctx: AppContext = Depends(app_context)) -> Caller:
        caller = await run_in_threadpool(identify, request, ctx)
        if caller is None:
            raise NotAuthenticated("sign in or send 'Authorization: Bearer <token>'")
        await check_csrf(request, caller)
        require(caller.actor, role)
        return caller

    dependency.required_role = role  # type: ignore[attr-defined]
    return dependency


def ui_caller(role: Role = Role.VIEWER) -> Callable[..., object]:
    """A dependency for pages: redirects to the sign-in page when nobody is signed in."""

    async def dependency(request: Request, ctx: AppContext = Depends(app_context)) -> Caller:
        caller = await run_in_threadpool(identify, request, ctx)
        if caller is None:
            target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
            raise LoginRequired(target if request.method == "GET" else "/")
        await check_csrf(request, caller)
        require(caller.actor, role)
        return caller

    dependency.required_role = role  # type: ignore[attr-defined]
    return dependency


def session_max_age(ctx: AppContext) -> timedelta:
    return timedelta(seconds=ctx.settings.session_max_age_seconds)


def set_session_cookie(response: Response, ctx: AppContext, key: str) -> None:
    """Hand the browser its new session (``key`` from ``do_start_session``), signed; the
    one way every sign-in (password or single sign-on) sets it."""
    response.set_cookie(
        SESSION_COOKIE,
        cookie_signer(ctx).dumps(key),
        max_age=ctx.settings.session_max_age_seconds,
        httponly=True,
        samesite="lax",
        secure=ctx.settings.secure_cookies,
    )
