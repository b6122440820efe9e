"""OpenID Connect sign-in: authorization code flow with PKCE (S256), state and nonce kept
in a short-lived signed cookie, the ID token checked (JWKS signature, iss, aud, exp,
nonce) before the same session start as a password sign-in."""

from __future__ import annotations

import hmac
import time
from dataclasses import dataclass
from typing import Any

import httpx
from authlib.common.errors import AuthlibBaseError
from authlib.common.security import generate_token
from authlib.integrations.httpx_client import OAuth2Client
from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import RedirectResponse, Response
from itsdangerous import BadSignature, URLSafeTimedSerializer
from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet

from muster.config import SsoSettings
from muster.domain.accounts.sso import SsoClaims, sso_sign_in
from muster.errors import NotAuthenticated, NotFound, Unavailable
from muster.web.auth import client_ip, session_max_age, set_session_cookie
from muster.web.context import AppContext, app_context
from muster.web.ui.auth_pages import safe_next, sign_in_page

router = APIRouter(include_in_schema=False)

PENDING_COOKIE = "muster_oidc"
PENDING_MAX_AGE = 600  # seconds to finish signing in at the provider
LEEWAY = 60  # seconds of clock skew allowed on exp/iat
METADATA_TTL = 300.0
TIMEOUT_SECONDS = 10.0


@dataclass(frozen=True)
class Provider:
    """The parts of the provider's discovery document Muster uses."""

    issuer: str
    authorization_endpoint: str
    token_endpoint: str
    jwks_uri: str
    userinfo_endpoint: str | None
    end_session_endpoint: str | None
    algorithms: tuple[str, ...]


_metadata: dict[str, tuple[float, Provider]] = {}


def provider(sso: SsoSettings) -> Provider:
    """The provider's metadata, fetched from its discovery URL (cached a few minutes)."""
    url = sso.discovery_url or ""
    cached = _metadata.get(url)
    if cached and cached[0] > time.monotonic():
        return cached[1]
    try:
        doc = httpx.get(url, timeout=TIMEOUT_SECONDS).raise_for_status().json()
        meta = Provider(
            issuer=doc["issuer"],
            authorization_endpoint=doc["authorization_endpoint"],
            token_endpoint=doc["token_endpoint"],
            jwks_uri=doc["jwks_uri"],
            userinfo_endpoint=doc.get("userinfo_endpoint"),
            end_session_endpoint=doc.get("end_session_endpoint"),
            algorithms=tuple(doc.get("id_token_signing_alg_values_supported") or ["RS256"]),
        )
    except (httpx.HTTPError, ValueError, KeyError, TypeError) as exc:
        raise Unavailable(f"the sign-in provider cannot be reached ({exc})") from exc
    _metadata[url] = (time.monotonic() + METADATA_TTL, meta)
    return meta


def validate_id_token(
    id_token: str,
    jwks: dict[str, Any],
    *,
    issuer: str,
    client_id: str,
    nonce: str,
    now: int,
    algorithms: tuple[str, ...] = ("RS256",),
) -> dict[str, Any]:
    """The claims of ``id_token`` once its signature (a key of ``jwks``), issuer,
    audience, expiry and nonce are right; :class:`NotAuthenticated` otherwise."""
    try:
        keys = KeySet.import_key_set(jwks)  # type: ignore[arg-type]
        token = jwt.decode(id_token, keys, algorithms=list(algorithms))
        jwt.JWTClaimsRegistry(
            now=now,
            leeway=LEEWAY,
            iss={"essential": True, "value": issuer},
            aud={"essential": True, "value": client_id},
            sub={"essential": True},
            exp={"essential": True},
            nonce={"essential": True, "value": nonce},
        ).validate(token.claims)
    except (JoseError, ValueError) as exc:
        raise NotAuthenticated(f"the provider's ID token was refused ({exc})") from exc
    claims: dict[str, Any] = token.claims
    return claims


def redirect_uri(ctx: AppContext) -> str:
    base = ctx.settings.sso.redirect_base_url or ctx.settings.base_url
    return f"{base}/auth/oidc/callback"


def _client(ctx: AppContext) -> OAuth2Client:
    sso = ctx.settings.sso
    return OAuth2Client(
        client_id=sso.client_id,
        client_secret=sso.client_secret,
        scope=sso.scopes,
        redirect_uri=redirect_uri(ctx),
        code_challenge_method="S256",
        timeout=TIMEOUT_SECONDS,
    )


def _pending_signer(ctx: AppContext) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(ctx.settings.secret_key, salt="muster-oidc")


def _enabled(ctx: AppContext) -> SsoSettings:
    if not ctx.settings.sso.enabled:
        raise NotFound("single sign-on is not configured")
    return ctx.settings.sso


@router.get("/auth/oidc/login")
def oidc_login(
    next: str | None = Query(None, max_length=2000), ctx: AppContext = Depends(app_context)
) -> Response:
    """Send the browser to the provider, remembering state, nonce and PKCE verifier."""
    _enabled(ctx)
    meta = provider(ctx.settings.sso)
    state, nonce, verifier = generate_token(32), generate_token(32), generate_token(64)
    with _client(ctx) as client:
        url, _state = client.create_authorization_url(
            meta.authorization_endpoint, state=state, code_verifier=verifier, nonce=nonce
        )
    response = RedirectResponse(url, status_code=303)
    pending = {"state": state, "nonce": nonce, "verifier": verifier, "next": safe_next(next)}
    response.set_cookie(
        PENDING_COOKIE,
        _pending_signer(ctx).dumps(pending),
        max_age=PENDING_MAX_AGE,
        path="/auth/oidc",
        httponly=True,
        samesite="lax",
        secure=ctx.settings.secure_cookies,
    )
    return response


def _pending(request: Request, ctx: AppContext) -> dict[str, str] | None:
    raw = request.cookies.get(PENDING_COOKIE)
    if not raw:
        return None
    try:
        value = _pending_signer(ctx).loads(raw, max_age=PENDING_MAX_AGE)
    except BadSignature:
        return None
    return value if isinstance(value, dict) else None


def _claims(ctx: AppContext, code: str, pending: dict[str, str]) -> SsoClaims:
    """Exchange ``code`` for tokens, check the ID token, add userinfo's groups if needed."""
    sso = ctx.settings.sso
    meta = provider(sso)
    try:
        with _client(ctx) as client:
            token = client.fetch_token(
                meta.token_endpoint, code=code, code_verifier=pending["verifier"]
            )
            jwks = client.get(meta.jwks_uri).raise_for_status().json()
            id_token = token.get("id_token")
            if not isinstance(id_token, str):
                raise NotAuthenticated("the provider sent no ID token")
            claims = validate_id_token(
                id_token,
                jwks,
                issuer=meta.issuer,
                client_id=sso.client_id,
                nonce=pending["nonce"],
                now=int(time.time()),  # the provider's tokens follow the wall clock
                algorithms=meta.algorithms,
            )
            if sso.group_claim not in claims and meta.userinfo_endpoint:
                info = client.get(meta.userinfo_endpoint).raise_for_status().json()
                if info.get("sub") == claims["sub"] and sso.group_claim in info:
                    claims[sso.group_claim] = info[sso.group_claim]
    except (httpx.HTTPError, AuthlibBaseError, ValueError, KeyError, TypeError) as exc:
        raise NotAuthenticated(f"signing in with the provider failed ({exc})") from exc
    return SsoClaims.parse(claims, sso.group_claim)


@router.get("/auth/oidc/callback")
def oidc_callback(
    request: Request,
    code: str | None = Query(None, max_length=4000),
    state: str | None = Query(None, max_length=400),
    error: str | None = Query(None, max_length=400),
    ctx: AppContext = Depends(app_context),
) -> Response:
    """Finish the sign-in: check state, validate the ID token, start a fresh session."""
    _enabled(ctx)  # 404 unless single sign-on is on
    pending = _pending(request, ctx)
    try:
        if error:
            raise NotAuthenticated(f"the provider did not sign you in ({error})")
        if pending is None or not state or not hmac.compare_digest(state, pending["state"]):
            raise NotAuthenticated("this sign-in expired or was not started here; try again")
        if not code:
            raise NotAuthenticated("the provider sent no authorization code")
        claims = _claims(ctx, code, pending)
        key = sso_sign_in(
            ctx.db, claims, ip=client_ip(request), max_age=session_max_age(ctx),
            user_agent=request.headers.get("user-agent", ""),
        )  # fmt: skip
    except NotAuthenticated as exc:
        failed = sign_in_page(request, ctx, next="/", status_code=401, error=exc.detail)
        failed.delete_cookie(PENDING_COOKIE, path="/auth/oidc")
        return failed
    response = RedirectResponse(safe_next(pending["next"]), status_code=303)
    response.delete_cookie(PENDING_COOKIE, path="/auth/oidc")
    set_session_cookie(response, ctx, key)
    return response
