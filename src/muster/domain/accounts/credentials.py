"""Proving who someone is: passwords, personal API tokens and browser sessions."""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlalchemy import select

from muster.db.uow import UnitOfWork
from muster.domain.accounts.models import ApiToken, User, WebSession
from muster.domain.accounts.passwords import verify_password
from muster.domain.accounts.permissions import require_self_or
from muster.domain.accounts.service import find_user_by_email, get_user
from muster.domain.events.actor import Actor, Role, Via
from muster.domain.events.service import append_event
from muster.errors import FieldError, InvalidInput, NotAuthenticated, NotFound

TOKEN_PREFIX = "mst_"  # noqa: S105 (a prefix, not a secret)
# last_used_at is written at most this often per token, so reads stay reads.
LAST_USED_GRANULARITY = timedelta(minutes=1)


def sha256_hex(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


def actor_for(user: User, via: Via, *, token_id: str | None = None, ip: str | None = None) -> Actor:
    return Actor(
        kind="user",
        id=user.id,
        label=user.email,
        role=Role.parse(user.role),
        via=via,
        token_id=token_id,
        ip=ip,
    )


# ---------------------------------------------------------------- passwords


def authenticate_password(uow: UnitOfWork, email: str, password: str) -> User:
    """The active user with this email and password; :class:`NotAuthenticated` otherwise.

    The error never says which of the two was wrong.
    """
    user = find_user_by_email(uow, email)
    ok = verify_password(user.password_hash if user else None, password)
    if user is None or not ok or user.archived_at is not None:
        raise NotAuthenticated("wrong email or password")
    return user


# ---------------------------------------------------------------- API tokens


def do_create_api_token(
    uow: UnitOfWork, actor: Actor, user_id: str, name: str, expires_at: datetime | None
) -> tuple[ApiToken, str]:
    """Create a token for ``user_id`` (oneself, or anyone as admin).

    Returns the row and the plaintext token, which is never stored and never shown again.
    """
    require_self_or(actor, user_id, Role.ADMIN)
    user = get_user(uow, user_id)
    if user.archived_at is not None:
        raise InvalidInput(
            "user is archived", errors=[FieldError("user", "archived users get no tokens")]
        )
    if expires_at is not None and expires_at <= uow.now:
        raise InvalidInput(
            "expiry in the past", errors=[FieldError("expires_at", "must be in the future")]
        )
    plaintext = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(
        user_id=user.id,
        name=name,
        token_hash=sha256_hex(plaintext),
        prefix=plaintext[: len(TOKEN_PREFIX) + 6],
        created_at=uow.now,
        expires_at=expires_at,
    )
    uow.session.add(token)
    uow.flush()
    append_event(
        uow,
        actor,
        "api_token.created",
        subject_type="user",
        subject_id=user.id,
        data={
            "token_id": token.id,
            "name": name,
            "prefix": token.prefix,
            "expires_at": expires_at.isoformat() if expires_at else None,
        },
    )
    return token, plaintext


def do_revoke_api_token(uow: UnitOfWork, actor: Actor, token_id: str) -> ApiToken:
    token = uow.session.get(ApiToken, token_id)
    if token is None:
        raise NotFound("no such token")
    require_self_or(actor, token.user_id, Role.ADMIN)
    if token.revoked_at is None:
        token.revoked_at = uow.now
        append_event(
            uow,
            actor,
            "api_token.revoked",
            subject_type="user",
            subject_id=token.user_id,
            data={"token_id": token.id, "name": token.name},
        )
    return token


def list_api_tokens(uow: UnitOfWork, actor: Actor, user_id: str) -> Sequence[ApiToken]:
    require_self_or(actor, user_id, Role.ADMIN)
    return uow.session.scalars(
        select(ApiToken).where(ApiToken.user_id == user_id).order_by(ApiToken.created_at.desc())
    ).all()


def authenticate_token(uow: UnitOfWork, plaintext: str) -> tuple[User, ApiToken]:
    """The user behind a bearer token. Refuses unknown, revoked, expired tokens and
    archived users alike. Records the last-used time (at most once a minute)."""
    token = uow.session.scalar(select(ApiToken).where(ApiToken.token_hash == sha256_hex(plaintext)))
    if token is None or token.revoked_at is not None:
        raise NotAuthenticated("invalid or revoked token")
    if token.expires_at is not None and token.expires_at <= uow.now:
        raise NotAuthenticated("token expired")
    user = token.user
    if user.archived_at is not None:
        raise NotAuthenticated("invalid or revoked token")
    if token.last_used_at is None or uow.now - token.last_used_at >= LAST_USED_GRANULARITY:
        token.last_used_at = uow.now
    return user, token


# ---------------------------------------------------------------- browser sessions


def do_start_session(
    uow: UnitOfWork, user: User, *, max_age: timedelta, ip: str | None, user_agent: str
) -> tuple[WebSession, str]:
    """Open a session after a successful sign-in; returns the row and its secret key.

    A new key is minted on every sign-in, so a key planted before sign-in (session
    fixation) is worthless.
    """
    key = secrets.token_urlsafe(32)
    session = WebSession(
        key_hash=sha256_hex(key),
        user_id=user.id,
        csrf_token=secrets.token_urlsafe(32),
        created_at=uow.now,
        expires_at=uow.now + max_age,
        ip=ip,
        user_agent=user_agent[:300],
    )
    uow.session.add(session)
    uow.flush()
    actor = actor_for(user, Via.UI, ip=ip)
    append_event(
        uow,
        actor,
        "user.signed_in",
        subject_type="user",
        subject_id=user.id,
        data={"method": "password"},
    )
    return session, key


def find_session(uow: UnitOfWork, key: str) -> WebSession | None:
    """The live session for ``key``: not revoked, not expired, user not archived."""
    row = uow.session.scalar(select(WebSession).where(WebSession.key_hash == sha256_hex(key)))
    if row is None or row.revoked_at is not None or row.expires_at <= uow.now:
        return None
    if row.user.archived_at is not None:
        return None
    return row


def do_end_session(uow: UnitOfWork, key: str) -> None:
    row = uow.session.scalar(select(WebSession).where(WebSession.key_hash == sha256_hex(key)))
    if row is None or row.revoked_at is not None:
        return
    row.revoked_at = uow.now
    actor = actor_for(row.user, Via.UI, ip=row.ip)
    append_event(uow, actor, "user.signed_out", subject_type="user", subject_id=row.user_id)
